"""Parameter sweeps: a grid of parameter values, replicated runs at every point.

A sweep measures an *outcome* (one number per run, ``buffer_sim.experiments.outcomes``).
It runs a grid of values (``--param PATH=LOW:HIGH:N``, applied as ``--set``
overrides) with ``--runs N`` replications at every grid point. The replications use
seed indices 0..N-1 at every point (common random numbers: a difference between
points comes from the parameter, not from luck); uncertain parameters that are not
swept are drawn per run as in an ensemble.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from buffer_sim.core.errors import ScenarioError
from buffer_sim.experiments.outcomes import OUTCOMES, check_outcome, parse_outcome
from buffer_sim.experiments import runner, engines, jobs
from buffer_sim.scenario.uncertain import draw, uncertain_of, world_seeds
from buffer_sim.scenario.uncertain_block import normalize_path
from buffer_sim.output import charts
from buffer_sim.output.files import atomic_write_text, staged_dir
from buffer_sim.experiments.runner import csv_text, provenance, write_manifest

QUANTILES = (5, 25, 50, 75, 95)


# --- the grid ----------------------------------------------------------------------------------

def parse_param(text: str) -> tuple[str, list[float]]:
    """'beijing.thresholds.no_war=0.5:0.9:5' -> (path, [0.5, 0.6, 0.7, 0.8, 0.9]).

    ``PATH=LOW:HIGH:N`` gives N evenly spaced values (N >= 2); ``PATH=A,B,C`` lists them.
    """
    usage = "expected PATH=LOW:HIGH:N (e.g. beijing.thresholds.no_war=0.5:0.9:5) or PATH=A,B,C"
    path, eq, spec = str(text).partition("=")
    path, spec = path.strip(), spec.strip()
    if not eq or not path or not spec:
        raise ScenarioError("--param", text, usage)
    try:
        if ":" in spec:
            parts = spec.split(":")
            if len(parts) != 3:
                raise ValueError
            low, high, n = float(parts[0]), float(parts[1]), parts[2].strip()
            if not n.isdigit() or int(n) < 2:
                raise ScenarioError("--param", text, f"N must be a whole number >= 2, got {n!r}")
            values = np.linspace(low, high, int(n)).tolist()
        else:
            values = [float(v) for v in spec.split(",")]
    except ValueError:
        raise ScenarioError("--param", text, usage) from None
    if not all(math.isfinite(v) for v in values):
        raise ScenarioError("--param", text, "values must be finite numbers")
    if len(set(values)) != len(values):
        raise ScenarioError("--param", text, "values repeat")
    return path, [float(np.round(v, 12)) for v in values]


def grid(params: list[tuple[str, list[float]]]) -> list[tuple[float, ...]]:
    """Every combination of the parameters' values, the last varying fastest."""
    return list(itertools.product(*(values for _, values in params)))


def _format(value: float) -> str:
    return repr(float(value))


def load_points(path, params, overrides=(), seed=None) -> list:
    """One resolved scenario per grid point (values applied as ``--set`` overrides).

    An uncertain parameter that is swept is no longer drawn at that point.
    """
    names = [p for p, _ in params]
    if len(set(map(normalize_path, names))) != len(names):
        raise ScenarioError("--param", "", "a parameter is swept twice")
    scenarios = []
    for point in grid(params):
        sets = [*overrides, *(f"{p}={_format(v)}" for p, v in zip(names, point))]
        try:
            sc = runner.load(path, seed=seed, overrides=sets)
        except ScenarioError as err:
            field_path = normalize_path(err.field)
            if err.file == "--set" and any(normalize_path(p) in field_path for p in names):
                raise ScenarioError("--param", err.field, err.problem) from None
            raise
        swept = {normalize_path(p) for p in names}
        if swept & set(sc.uncertain or {}):
            sc = sc.model_copy(update={"uncertain": {k: v for k, v in sc.uncertain.items()
                                                     if k not in swept}})
        scenarios.append(sc)
    return scenarios


# --- running -------------------------------------------------------------------------------

@dataclass
class Sweep:
    folder: Path | None
    scenario: object
    params: list[tuple[str, list[float]]]
    outcome: str
    runs: int
    table: pd.DataFrame
    values: np.ndarray  # (points, runs)
    engine: str = "serial"
    workers: int = 1
    chunk_size: int = 1
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def evaluate(scenarios, runs: int, outcome: str, *, choice=None, progress=None,
             start: int = 0, engine=None) -> tuple[np.ndarray, object]:
    """The outcome of ``runs`` replications (seed indices start..start+runs-1) of each
    scenario: a (scenarios, runs) array, and the engine plan."""
    choice = choice or engines.EngineChoice()
    indices = np.arange(start, start + runs, dtype=np.int64)
    seeds = world_seeds(scenarios[0].seed, indices)
    paths = sorted({p for sc in scenarios for p in uncertain_of(sc)})
    which, seed_index, run_seeds, values = [], [], [], []
    for k, sc in enumerate(scenarios):
        unc = uncertain_of(sc)
        drawn = draw(unc, sc.seed, indices)
        own = world_seeds(sc.seed, indices) if sc.seed != scenarios[0].seed else seeds
        block = np.full((runs, len(paths)), np.nan)
        for j, p in enumerate(paths):
            if p in unc:
                block[:, j] = drawn[:, list(unc).index(p)]
        which.append(np.full(runs, k))
        seed_index.append(indices)
        run_seeds.append(own)
        values.append(block)
    values = np.concatenate(values) if values else np.empty((0, len(paths)))
    plan, results = jobs.execute(
        scenarios, np.concatenate(which), np.concatenate(seed_index),
        np.concatenate(run_seeds), tuple(paths), values, choice=choice, outcome=outcome,
        progress=progress, engine=engine)
    out = np.concatenate([r.data for r in results]) if runs else np.empty(0)
    return out.reshape(len(scenarios), runs), plan


def summarize(values: np.ndarray) -> dict[str, np.ndarray]:
    """Per row: runs, defined (non-NaN), mean, sd, and the quantiles of the defined."""
    defined = np.isfinite(values)
    out = {"runs": np.full(len(values), values.shape[1]), "defined": defined.sum(axis=1)}
    stats = {"mean": [], "sd": [], **{f"q{q:02d}": [] for q in QUANTILES}}
    for row in values:
        row = row[np.isfinite(row)]
        stats["mean"].append(row.mean() if len(row) else math.nan)
        stats["sd"].append(row.std(ddof=1) if len(row) > 1 else math.nan)
        qs = np.quantile(row, [q / 100 for q in QUANTILES]) if len(row) else [math.nan] * 5
        for q, v in zip(QUANTILES, qs):
            stats[f"q{q:02d}"].append(v)
    out.update({k: np.array(v, dtype=np.float64) for k, v in stats.items()})
    return out


def run_sweep(path, params, outcome: str, runs: int, *, overrides=(), seed=None, choice=None,
              progress=None) -> Sweep:
    """Run a sweep (no files written); see ``write_sweep``."""
    scenarios = load_points(path, params, overrides, seed)
    check_outcome(outcome, scenarios[0])
    began = time.perf_counter()
    values, plan = evaluate(scenarios, runs, outcome, choice=choice, progress=progress)
    table = pd.DataFrame(grid(params), columns=[p for p, _ in params])
    for name, column in summarize(values).items():
        table[name] = column
    return Sweep(None, scenarios[0], params, outcome, runs, table, values, plan.engine.name,
                 plan.engine.workers, plan.chunk_size, time.perf_counter() - began, plan.notes)


def write_sweep(sweep: Sweep, out_dir, command_line=None) -> Sweep:
    """Write ``out_dir/<name>-sweep/``: sweep.csv, sweep.png, manifest.json."""
    folder = (Path(out_dir) / f"{sweep.scenario.name}-sweep").absolute()
    with staged_dir(folder) as tmp:
        atomic_write_text(tmp / "sweep.csv", csv_text(sweep.table))
        chart = sweep_chart(sweep, tmp / "sweep.png")
        files = ["sweep.csv", *(["sweep.png"] if chart else [])]
        manifest = {
            "scenario": sweep.scenario.name, "scenario_path": str(sweep.scenario.path),
            "root_seed": sweep.scenario.seed, "outcome": sweep.outcome,
            "outcome_doc": OUTCOMES[parse_outcome(sweep.outcome)[0]].doc,
            "parameters": {p: v for p, v in sweep.params}, "runs_per_point": sweep.runs,
            "seeds": "seed indices 0..runs-1 at every grid point (common random numbers)",
            "engine": {"name": sweep.engine, "workers": sweep.workers,
                       "chunk_size": sweep.chunk_size},
            **provenance(tmp, files, command_line),
        }
        write_manifest(tmp, manifest)
    sweep.folder = folder
    return sweep


def sweep_chart(sweep: Sweep, path) -> Path | None:
    """A line chart (one parameter) or a heat map (two) of the outcome; None for more
    (``charts.sweep_chart``)."""
    doc = OUTCOMES[parse_outcome(sweep.outcome)[0]].doc
    sc = sweep.scenario
    return charts.sweep_chart(sweep.table, sweep.params, sweep.outcome,
                              f"{sweep.outcome}: {doc}\n{sc.name}, {sweep.runs} runs per point, "
                              f"root seed {sc.seed}", path)

def summary(sweep: Sweep) -> str:
    import os

    with pd.option_context("display.width", 120, "display.max_columns", 20,
                           "display.float_format", "{:.4g}".format):
        cols = [p for p, _ in sweep.params] + ["defined", "mean", "sd", "q05", "q50", "q95"]
        table = sweep.table[cols].to_string(index=False)
    lines = [f"Swept {len(sweep.table)} grid points x {sweep.runs} runs of "
             f"{sweep.scenario.name}, root seed {sweep.scenario.seed}; outcome "
             f"{sweep.outcome}. Engine {sweep.engine}, {sweep.workers} worker(s), "
             f"{sweep.seconds:.1f} s.", *(f"  note: {n}" for n in sweep.notes), table]
    if sweep.folder is not None:
        files = "sweep.csv  " + ("sweep.png  " if len(sweep.params) <= 2 else "") + \
                "manifest.json"
        lines += [f"Files in {sweep.folder}{os.sep}", f"  {files}"]
    return "\n".join(lines)
