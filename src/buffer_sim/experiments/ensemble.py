"""Ensembles: many replications of a scenario, uncertain parameters drawn per run.

Seeds, uncertain parameters and their draws: ``buffer_sim.scenario.uncertain``.

``write_ensemble`` streams runs to ``runs.parquet`` (row groups of ``ROW_GROUP_RUNS``
runs) and then computes exact per-month quantiles one column at a time, so memory grows
with runs x months for one column only, never with every run's whole time series.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from buffer_sim.core.errors import ScenarioError
from buffer_sim.scenario.uncertain import (draw, uncertain_of, world_seeds)
from buffer_sim.experiments import engines, jobs as runs_of_jobs
from buffer_sim.model import output_columns
from buffer_sim.output import charts
from buffer_sim.output.files import atomic_write_text, staged_dir, sha256_file
from buffer_sim.experiments.runner import write_manifest, csv_text, command_text, versions
from buffer_sim.core.months import month_str
from buffer_sim.experiments.engines import call_in_parallel
from buffer_sim.experiments.facts import REPLAY_FACTS, judge, judged_in

if TYPE_CHECKING:
    import pandas as pd

#: Per-month quantiles written to ensemble.csv, in percent.
QUANTILES = (5, 25, 50, 75, 95)
RUNS_FILE, QUANTILES_FILE, DRAWS_FILE, FACTS_FILE, MANIFEST = (
    "runs.parquet", "ensemble.csv", "draws.csv", "facts.csv", "manifest.json")
CHART_FILES = ("leverage.png", "trade.png", "overview.png")
FACTS_CHART = "facts.png"
MAX_SEED = 2**63 - 1
#: The share of runs a stylized fact should hold in for the replay to count as robust
#: over its assumptions (issue 12, item 5); the summary marks facts below it.
ROBUST_SHARE = 0.8


# --- the ensemble ------------------------------------------------------------------------------

@dataclass
class Ensemble:
    """A finished ensemble's folder and how it ran."""

    folder: Path
    scenario: object
    runs: int
    start: int
    months: int
    paths: tuple[str, ...]
    engine: str
    workers: int
    chunk_size: int
    chunks: int
    seconds: float
    seconds_per_run: float
    quantiles: object = None  # DataFrame of ensemble.csv
    notes: list[str] = field(default_factory=list)
    #: fact -> share of the runs in which it holds (facts.csv), when the period covers
    #: the years the report's stylized facts are judged in; else empty
    facts: dict[str, float] = field(default_factory=dict)


def jobs(scenario, runs: int, start: int = 0):
    """Seed indices, world seeds, uncertain paths and drawn values of an ensemble."""
    indices = np.arange(start, start + runs, dtype=np.int64)
    uncertain = uncertain_of(scenario)
    return (indices, world_seeds(scenario.seed, indices), tuple(uncertain),
            draw(uncertain, scenario.seed, indices))


#: Runs per row group of ``runs.parquet``. The layout is fixed, so the file's bytes do
#: not depend on the chunk size the engine chose (which follows measured run times) or
#: on the number of workers; 64 runs of the replay are ~8,000 rows, a small buffer.
ROW_GROUP_RUNS = 64


class _RowGroups:
    """A Parquet writer that cuts row groups of exactly ``rows`` rows (the last may be
    shorter), whatever the sizes of the tables it is given."""

    def __init__(self, path, schema, rows: int) -> None:
        import pyarrow.parquet as pq

        self.writer = pq.ParquetWriter(path, schema)
        self.rows = max(int(rows), 1)
        self.pending: list = []
        self.count = 0

    def add(self, table) -> None:
        import pyarrow as pa

        self.pending.append(table)
        self.count += table.num_rows
        if self.count >= self.rows:
            whole = pa.concat_tables(self.pending)
            cut = (self.count // self.rows) * self.rows
            self.writer.write_table(whole.slice(0, cut), row_group_size=self.rows)
            rest = whole.slice(cut)
            self.pending, self.count = ([rest] if rest.num_rows else []), rest.num_rows

    def close(self) -> None:
        import pyarrow as pa

        if self.count:
            self.writer.write_table(pa.concat_tables(self.pending), row_group_size=self.rows)
        self.writer.close()


def _arrow_chunk(result, run0: int, indices, seeds, values, paths, columns):
    import pyarrow as pa

    n, months = result.data.shape[0], result.data.shape[1]
    sl = slice(run0, run0 + n)
    arrays = {
        "run": pa.array(np.repeat(np.arange(run0, run0 + n, dtype=np.int64), months)),
        "seed_index": pa.array(np.repeat(indices[sl], months)),
        "seed": pa.array(np.repeat(seeds[sl], months)),
        "date": pa.array(np.tile(np.array(result.dates, dtype=object), n), type=pa.string()),
    }
    for j, name in enumerate(columns):
        arrays[name] = pa.array(result.data[:, :, j].reshape(-1))
    for j, path in enumerate(paths):
        arrays[path] = pa.array(np.repeat(values[sl, j], months))
    return pa.table(arrays)


def quantile_table(parquet_path, columns, runs: int, dates) -> pd.DataFrame:
    """Per-month mean and quantiles of each column, read one column at a time.

    Returns:
        Columns ``date, variable, mean, q05, q25, q50, q75, q95``; rows variable by
        variable (in ``columns`` order), then month by month.
    """
    import pandas as pd
    import pyarrow.parquet as pq

    columns, months = list(columns), len(dates)
    file = pq.ParquetFile(parquet_path)
    # [column, mean and each quantile, month]: filled column by column, made into one
    # table at the end (a table per column, then joined, cost as much as the quantiles)
    stats = np.empty((len(columns), 1 + len(QUANTILES), months))
    for i, name in enumerate(columns):
        values = file.read(columns=[name]).column(0).to_numpy().reshape(runs, months)
        stats[i, 0] = values.mean(axis=0)
        stats[i, 1:] = np.quantile(values, [q / 100 for q in QUANTILES], axis=0)
        del values
    table = {"date": np.tile(np.array(dates, dtype=object), len(columns)),
             "variable": np.repeat(np.array(columns, dtype=object), months),
             "mean": stats[:, 0].reshape(-1)}
    table.update({f"q{q:02d}": stats[:, 1 + k].reshape(-1) for k, q in enumerate(QUANTILES)})
    return pd.DataFrame(table)


def fact_table(parquet_path, runs: int, indices, seeds) -> pd.DataFrame:
    """Which of the report's stylized facts (``facts.REPLAY_FACTS``) hold in each run.

    Read one row group (``ROW_GROUP_RUNS`` runs) at a time, so memory holds a few dozen
    runs, never the whole ensemble.

    Returns:
        Columns ``run, seed_index, seed`` and one column per fact: 1 where it holds,
        else 0; one row per run.
    """
    import pandas as pd
    import pyarrow.parquet as pq

    file = pq.ParquetFile(parquet_path)
    rows = []
    for group in range(file.num_row_groups):
        chunk = file.read_row_group(group).to_pandas()
        for run, df in chunk.groupby("run", sort=True):
            rows.append({"run": int(run), **{name: int(held) for name, held in
                                             judge(df.set_index("date")).items()}})
    table = pd.DataFrame(rows)
    table.insert(1, "seed_index", np.asarray(indices)[table["run"].to_numpy()])
    table.insert(2, "seed", np.asarray(seeds)[table["run"].to_numpy()])
    assert len(table) == runs
    return table


def check_runs(runs, start=0) -> tuple[int, int]:
    """``--runs`` >= 1 and ``--start`` >= 0 (whole numbers), or ``ScenarioError``."""
    for flag, value, least in (("--runs", runs, 1), ("--start", start, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise ScenarioError(flag, "", f"expected a whole number >= {least}, got {value!r}")
    if start + runs > 2**62:
        raise ScenarioError("--start", "", "run indices above 2^62 are not supported")
    return int(runs), int(start)


def write_ensemble(scenario, runs: int, out_dir, *, start: int = 0, choice=None,
                   progress: Callable[[int], None] | None = None, command_line=None,
                   charts: bool = True) -> Ensemble:
    """Run an ensemble and write its folder ``out_dir/<name>-ensemble/`` whole.

    Args:
        scenario: a resolved scenario (``runner.load``); its seed is the root seed.
        runs: number of runs; ``start``: seed index of the first.
        choice: ``engines.EngineChoice`` (default: local pool, all cores).
        progress: called with the number of runs of each finished chunk.
        command_line: recorded in the manifest.

    Writes:
        runs.parquet   one row per run and month: run, seed_index, seed, date, every
                       output column, the drawn parameters; row groups of ROW_GROUP_RUNS runs
        ensemble.csv   per variable and month: mean, q05, q25, q50, q75, q95
        draws.csv      per run: run, seed_index, seed and the drawn parameters
        facts.csv      per run: run, seed_index, seed and 1 or 0 for each stylized fact
                       of the report (``fact_table``), when the period covers
                       ``facts.FACT_YEARS``
        leverage.png, trade.png, overview.png   median with 50% and 90% bands
        facts.png      each fact's share of runs against ROBUST_SHARE (with facts.csv)
        manifest.json  scenario hash, root seed, seed scheme, engine, versions, hashes
    """
    runs, start = check_runs(runs, start)
    choice = choice or engines.EngineChoice()
    columns = output_columns()
    indices, seeds, paths, values = jobs(scenario, runs, start)
    folder = (Path(out_dir) / f"{scenario.name}-ensemble").absolute()
    began = time.perf_counter()
    with staged_dir(folder) as tmp:
        plan, results = runs_of_jobs.execute(
            [scenario], np.zeros(runs, dtype=np.int64), indices, seeds, paths, values,
            choice=choice, progress=progress,
            preload=engines.ENSEMBLE_MODULES if charts else engines.MODEL_MODULES)
        writer = None
        done = chunks = 0
        dates: tuple[str, ...] = ()
        try:
            with contextlib.closing(results):  # on an error the pool stops at once
                for result in results:
                    table = _arrow_chunk(result, done, indices, seeds, values, paths, columns)
                    if writer is None:
                        dates = result.dates
                        writer = _RowGroups(tmp / RUNS_FILE, table.schema,
                                            ROW_GROUP_RUNS * len(dates))
                    writer.add(table)
                    done += result.n
                    chunks += 1
        finally:
            if writer is not None:
                writer.close()
        seconds = time.perf_counter() - began
        run_id = (f"{scenario.name}, {runs} runs, root seed {scenario.seed}"
                  + (f", {len(paths)} uncertain parameters" if paths else ""))
        # When the runs had a local pool, its cores draw the charts while this process
        # computes ensemble.csv (which the charts would otherwise wait for), and this
        # process never loads Matplotlib.
        on_pool = charts and plan.engine.name == "local"
        shares = {}
        if judged_in(scenario):
            facts = fact_table(tmp / RUNS_FILE, runs, indices, seeds)
            atomic_write_text(tmp / FACTS_FILE, _csv(facts))
            shares = {name: float(facts[name].mean()) for name in REPLAY_FACTS}
        more = ([(_facts_chart, (shares, runs, tmp / FACTS_CHART,
                                 f"The report's stylized facts ({run_id})"), {})]
                if charts and shares else [])
        with (band_charts_started(tmp / RUNS_FILE, runs, dates, tmp, run_id, more=more)
              if on_pool else contextlib.nullcontext()) as drawn:
            quantiles = quantile_table(tmp / RUNS_FILE, columns, runs, dates)
            atomic_write_text(tmp / QUANTILES_FILE, _csv(quantiles))
            draws = {"run": np.arange(runs), "seed_index": indices, "seed": seeds}
            draws.update({p: values[:, j] for j, p in enumerate(paths)})
            import pandas as pd

            # full precision: a run replays alone with --seed and --set of these values
            atomic_write_text(tmp / DRAWS_FILE, pd.DataFrame(draws).to_csv(
                index=False, float_format="%.17g", lineterminator="\n"))
            if on_pool:
                drawn()
            elif charts:
                write_band_charts(quantiles, tmp, run_id)
                for fn, args, kwargs in more:
                    fn(*args, **kwargs)
        result = Ensemble(folder, scenario, runs, start, len(dates), paths, plan.engine.name,
                          plan.engine.workers, plan.chunk_size, chunks, seconds,
                          plan.seconds_per_run, quantiles, plan.notes, shares)
        write_manifest(tmp, ensemble_manifest(result, tmp, command_line))
    return result


def _csv(df) -> str:
    return csv_text(df)


def ensemble_manifest(result: Ensemble, folder: Path, command_line=None) -> dict:
    sc = result.scenario
    outputs = [{"file": p.name, "sha256": sha256_file(p)}
               for p in sorted(folder.iterdir()) if p.name != MANIFEST and p.is_file()]
    import pyarrow

    return {
        "scenario": sc.name, "scenario_path": str(sc.path), "content_hash": sc.content_hash,
        "root_seed": sc.seed, "runs": result.runs, "first_seed_index": result.start,
        "seeds": "run i: world seed = 63 bits of SeedSequence(root, spawn_key=(1, i)); "
                 "uncertain parameter P: SeedSequence(root, spawn_key=(2, i, crc32(P)))",
        "uncertain": uncertain_of(sc),
        "period": {"start": month_str(sc.start), "end": month_str(sc.end),
                   "months": result.months},
        "engine": {"name": result.engine, "workers": result.workers,
                   "chunk_size": result.chunk_size, "chunks": result.chunks},
        "versions": {**versions(), "pyarrow": pyarrow.__version__},
        "command_line": command_text(command_line),
        "outputs": outputs,
    }


# --- charts ------------------------------------------------------------------------------------

def write_band_charts(quantiles, folder: Path, run_id: str, workers: int | None = 1
                      ) -> list[Path]:
    """The three ensemble charts (``charts.BAND_CHARTS``) into ``folder``.

    Args:
        quantiles: the table of ensemble.csv (``quantile_table``).
        workers: processes drawing them (``engines.call_in_parallel``; None: every
            core); 1 draws them here, one after the other.
    """
    return call_in_parallel([(charts.band_chart, (quantiles, panels, Path(folder) / name,
                                                  f"{title} ({run_id})"), {})
                             for name, title, panels in charts.BAND_CHARTS], workers=workers)


def band_charts_started(runs_file: Path, runs: int, dates, folder: Path, run_id: str,
                        workers: int | None = None, more: list | None = None):
    """``write_band_charts``, started on a local pool (``engines.calls_started``) before
    ensemble.csv exists: each chart computes the quantiles of its own columns from
    ``runs_file`` (``quantile_table``, column by column: the very numbers of
    ensemble.csv). Used as ``with band_charts_started(...) as drawn: ...; drawn()``.

    The chart with most panels goes first: on two workers the other two then share
    the second (0.45 s against 0.30 + 0.25 s for the replay), where the file order
    would leave the largest for last. ``more`` are further calls for the same pool
    (the chart of the stylized facts), started after the band charts.
    """
    order = sorted(charts.BAND_CHARTS, key=lambda chart: -len(chart[2]))
    return engines.calls_started(
        [(_band_chart_of_runs, (runs_file, runs, tuple(dates), panels, Path(folder) / name,
                                f"{title} ({run_id})"), {}) for name, title, panels in order]
        + list(more or ()), workers=workers)


def _facts_chart(shares, runs: int, path: Path, title: str) -> Path:
    """facts.png (``charts.facts_chart``), from a worker: this process loads no
    Matplotlib."""
    return charts.facts_chart(shares, runs, ROBUST_SHARE, path, title)


def _band_chart_of_runs(runs_file: Path, runs: int, dates, panels, path: Path, title: str
                        ) -> Path:
    """One band chart, from the quantiles of its own columns (those runs.parquet has)."""
    import pyarrow.parquet as pq

    present = set(pq.ParquetFile(runs_file).schema_arrow.names)
    columns = [c for _, _, cols in panels for c in cols if c in present]
    return charts.band_chart(quantile_table(runs_file, columns, runs, dates), panels, path,
                             title)


def summary(result: Ensemble) -> str:
    """What ran, and the final month's median and 90% range of a few measures."""
    import os

    sc = result.scenario
    q = result.quantiles
    last = q[q["date"] == q["date"].iloc[-1]] if len(q) else q
    lines = [f"Ran {result.runs} runs of {sc.name} ({result.months} months, "
             f"{month_str(sc.start)}..{month_str(sc.end)}), root seed {sc.seed}, seed indices "
             f"{result.start}..{result.start + result.runs - 1}"
             + (f", uncertain: {', '.join(result.paths)}" if result.paths else "") + ".",
             f"Engine {result.engine}, {result.workers} worker(s), {result.chunks} chunks of "
             f"up to {result.chunk_size} runs, {result.seconds:.1f} s "
             f"({result.seconds_per_run * 1000:.0f} ms per run measured)."]
    lines += [f"  note: {n}" for n in result.notes]
    if len(last):
        lines.append(f"Final month {last['date'].iloc[0]}: median [5%, 95%]")
        for name in ("tension", "stability", "beijing_enforcement", "leverage_potential",
                     "influence_realized", "cn_imports_reported"):
            row = last[last["variable"] == name]
            if len(row):
                r = row.iloc[0]
                lines.append(f"  {name:<22} {r['q50']:9.3g}  [{r['q05']:.3g}, {r['q95']:.3g}]")
    if result.facts:
        lines.append(f"The report's stylized facts: share of the {result.runs} runs in which "
                     f"each holds (facts.csv), marked under {ROBUST_SHARE:.0%}:")
        for name, share in result.facts.items():
            mark = "" if share >= ROBUST_SHARE else "  < " + f"{ROBUST_SHARE:.0%}"
            lines.append(f"  {name:<32} {share:7.2%}{mark}")
    lines.append(f"Files in {result.folder}{os.sep}")
    lines.append("  " + "  ".join((RUNS_FILE, QUANTILES_FILE, DRAWS_FILE,
                                   *((FACTS_FILE,) if result.facts else ()), *CHART_FILES,
                                   *((FACTS_CHART,) if result.facts else ()), MANIFEST)))
    return "\n".join(lines)
