"""Ensembles: many replications of a scenario, uncertain parameters drawn per run.

Seeds are addressable by index from the scenario's root seed (``seed:``/``--seed``):

* run ``i``'s world noise comes from ``SeedSequence(root, spawn_key=(1, i))``, turned
  into a whole-number seed (``world_seed``) that the model takes as its ``rng``
  (``buffer-sim run --seed <that number>`` replays the run alone);
* each uncertain parameter's draw for run ``i`` comes from
  ``SeedSequence(root, spawn_key=(2, i, crc32(path)))`` (``uniform_draws``), mapped
  through the declared distribution's inverse CDF (``ppf``).

So extending an ensemble (``--start 100``) or splitting it over machines never
changes earlier runs; two scenarios with the same root seed see the same world noise
and the same parameter draws (common random numbers); parameter draws and world
noise are independent; and adding or removing one uncertain parameter does not
change the draws of the others.

Uncertain parameters are declared in a scenario's ``uncertain:`` block::

    uncertain:
      beijing.thresholds.no_war: {dist: uniform, low: 0.5, high: 0.8}
      parameters.inertia: {dist: triangular, low: 2, mode: 6, high: 12}
      parameters.informal_diversion: {dist: normal, mean: 0.5, sd: 0.1, low: 0.2, high: 0.8}

A path is ``parameters.NAME`` (see ``buffer-sim params``) or
``ACTOR.thresholds.PRIORITY``; a normal distribution is truncated to ``[low, high]``.

``write_ensemble`` streams runs to ``runs.parquet`` (one row group per chunk) and
then computes exact per-month quantiles one column at a time, so memory grows with
runs x months for one column only, never with every run's whole time series.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from buffer_sim.errors import ScenarioError

if TYPE_CHECKING:
    import pandas as pd

#: Per-month quantiles written to ensemble.csv, in percent.
QUANTILES = (5, 25, 50, 75, 95)
#: Distribution -> its fields (all required).
DISTRIBUTIONS = {
    "uniform": ("low", "high"),
    "normal": ("mean", "sd", "low", "high"),
    "triangular": ("low", "mode", "high"),
}
#: Admissible range of an actor's threshold (as for ``thresholds:`` in a scenario).
THRESHOLD_RANGE = (-5.0, 5.0)
#: Spawn-key streams of a run's random numbers.
WORLD_STREAM, PARAMETER_STREAM = 1, 2
RUNS_FILE, QUANTILES_FILE, DRAWS_FILE, MANIFEST = ("runs.parquet", "ensemble.csv",
                                                   "draws.csv", "manifest.json")
CHART_FILES = ("leverage.png", "trade.png", "overview.png")
MAX_SEED = 2**63 - 1


# --- seeds and draws ------------------------------------------------------------------------

def world_seed(root: int, index: int) -> int:
    """The world seed of run ``index``: 63 bits of ``SeedSequence(root, spawn_key=(1, i))``."""
    state = np.random.SeedSequence(int(root), spawn_key=(WORLD_STREAM, int(index)))
    return int(state.generate_state(1, np.uint64)[0] >> np.uint64(1))


def world_seeds(root: int, indices) -> np.ndarray:
    return np.array([world_seed(root, i) for i in indices], dtype=np.int64)


def uniform_draws(root: int, indices, path: str) -> np.ndarray:
    """Uniform numbers in [0, 1), one per run index, for the parameter ``path``."""
    key = zlib.crc32(path.encode("utf-8"))
    out = np.empty(len(indices), dtype=np.float64)
    for k, i in enumerate(indices):
        state = np.random.SeedSequence(int(root), spawn_key=(PARAMETER_STREAM, int(i), key))
        out[k] = float(state.generate_state(1, np.uint64)[0] >> np.uint64(11)) * 2.0**-53
    return out


def ppf(spec: dict, u):
    """Inverse CDF of a declared distribution: uniform numbers ``u`` -> values."""
    from scipy.special import ndtr, ndtri

    u = np.asarray(u, dtype=np.float64)
    lo, hi = float(spec["low"]), float(spec["high"])
    dist = spec["dist"]
    if dist == "uniform":
        x = lo + u * (hi - lo)
    elif dist == "triangular":
        mode = float(spec["mode"])
        c = (mode - lo) / (hi - lo)
        x = np.where(u < c, lo + np.sqrt(u * (hi - lo) * (mode - lo)),
                     hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode)))
    elif dist == "normal":
        mean, sd = float(spec["mean"]), float(spec["sd"])
        a, b = (lo - mean) / sd, (hi - mean) / sd
        if a > 0:  # upper tail: work in the mirrored lower tail, where ndtr is precise
            x = mean - sd * ndtri(ndtr(-b) + (1 - u) * (ndtr(-a) - ndtr(-b)))
        else:
            x = mean + sd * ndtri(ndtr(a) + u * (ndtr(b) - ndtr(a)))
    else:
        raise ValueError(f"unknown distribution {dist!r}")
    return np.clip(x, lo, hi)


def draw(uncertain: dict, root: int, indices) -> np.ndarray:
    """(runs, parameters) values of the uncertain parameters for the run indices."""
    indices = list(indices)
    out = np.empty((len(indices), len(uncertain)), dtype=np.float64)
    for j, (path, spec) in enumerate(uncertain.items()):
        out[:, j] = ppf(spec, uniform_draws(root, indices, path))
    return out


# --- the uncertain: block --------------------------------------------------------------------

#: ``events[LABEL].FIELD[.KEY]``: a number of a dated event, named by its label.
_EVENT_PATH = re.compile(r"^events\[(?P<label>[^\]]+)\]\.(?P<rest>.+)$")


def event_path(path: str) -> tuple[str, list[str]] | None:
    """(label, field parts) of an event path, or None for any other path."""
    m = _EVENT_PATH.match(str(path).strip())
    if not m:
        return None
    return m.group("label").strip(), [p.strip() for p in m.group("rest").split(".")]


def normalize_path(path: str) -> str:
    """'actors.beijing.thresholds.no_war' -> 'beijing.thresholds.no_war'."""
    event = event_path(path)
    if event is not None:
        return f"events[{event[0]}]." + ".".join(event[1])
    parts = [p.strip() for p in str(path).split(".")]
    if parts[:1] == ["actors"]:
        parts = parts[1:]
    return ".".join(parts)


def parameter_range(file, field_name: str, path: str) -> tuple[float, float]:
    """The admissible range of an uncertain parameter path (or ``ScenarioError``)."""
    from buffer_sim.actors import ACTORS
    from buffer_sim.params import PARAMETER_RANGES
    from buffer_sim.priorities import PRIORITIES
    from buffer_sim.scenario import _unknown, _unknown_parameter

    event = event_path(path)
    if event is not None:
        return event_range(file, field_name, event[1])
    parts = path.split(".")
    if len(parts) == 2 and parts[0] == "parameters":
        if parts[1] not in PARAMETER_RANGES:
            raise _unknown_parameter(file, field_name, parts[1])
        return tuple(float(v) for v in PARAMETER_RANGES[parts[1]])
    if len(parts) == 3 and parts[1] == "thresholds" and parts[0] in ACTORS:
        if parts[2] not in PRIORITIES:
            raise _unknown(file, field_name, parts[2], PRIORITIES, "priority")
        return THRESHOLD_RANGE
    if len(parts) == 3 and parts[0] not in ACTORS and parts[1] == "thresholds":
        raise _unknown(file, field_name, parts[0], ACTORS, "actor")
    raise ScenarioError(file, field_name, f"cannot be uncertain: expected parameters.NAME, "
                                          f"ACTOR.thresholds.PRIORITY or "
                                          f"events[LABEL].FIELD, got {path!r}")


def event_range(file, field_name: str, fields: list[str]) -> tuple[float, float]:
    """The admissible range of a number of an event (``events[LABEL].FIELD[.KEY]``)."""
    from buffer_sim.params import PARAMETER_RANGES
    from buffer_sim.world import INSTRUMENTS, STATE_VARIABLES

    head, rest = fields[0], fields[1:]
    if head == "sanctions_scope" and not rest:
        return (0.0, 1.0)
    if head == "thresholds" and len(rest) == 1:
        return THRESHOLD_RANGE
    if head == "parameters" and len(rest) == 1 and rest[0] in PARAMETER_RANGES:
        return tuple(float(v) for v in PARAMETER_RANGES[rest[0]])
    if head == "effects" and len(rest) == 1 and rest[0] in STATE_VARIABLES:
        _, lo, hi, _ = STATE_VARIABLES[rest[0]]
        width = (hi if hi is not None else 1e6) - lo
        return (-width, width)
    if head in ("set", "change") and len(rest) == 1:
        ranges = [v for ins in INSTRUMENTS.values() for k, v in ins.items() if k == rest[0]]
        if ranges:
            lo, hi, _ = ranges[0]
            return (lo, hi) if head == "set" else (lo - hi, hi - lo)
    raise ScenarioError(file, field_name, f"not a number an event holds: "
                                          f"{'.'.join(fields)!r} (expected sanctions_scope, "
                                          f"thresholds.PRIORITY, parameters.NAME, "
                                          f"effects.VARIABLE, set.INSTRUMENT or "
                                          f"change.INSTRUMENT)")


def check_event_paths(file, uncertain: dict, events) -> None:
    """Every event an ``uncertain:`` path names exists and holds that field."""
    labels = {ev.label: ev for ev in events}
    for path in uncertain:
        event = event_path(path)
        if event is None:
            continue
        label, fields = event
        if label not in labels:
            from buffer_sim.scenario import _unknown

            raise _unknown(file, f"uncertain.{path}", label, labels, "event label")
        held = getattr(labels[label], fields[0], None)
        if held is None or (len(fields) > 1 and fields[1] not in held):
            raise ScenarioError(file, f"uncertain.{path}",
                                f"the event {label!r} has no {'.'.join(fields)}")


def check_uncertain(file, block: dict | None) -> dict[str, dict]:
    """Validate an ``uncertain:`` block (path -> distribution fields, as written).

    Returns:
        normalized path -> ``{"dist": ..., field: float, ...}`` in declaration order.

    Raises:
        ScenarioError: an unknown path, a distribution field missing or out of place,
            bounds outside the parameter's range, ``low >= high``, a mode or mean
            outside the bounds, a standard deviation that is not positive.
    """
    out: dict[str, dict] = {}
    for key, spec in (block or {}).items():
        where = f"uncertain.{key}"
        path = normalize_path(key)
        lo_ok, hi_ok = parameter_range(file, where, path)
        if path in out:
            raise ScenarioError(file, where, f"{path} is declared twice")
        spec = {k: v for k, v in dict(spec).items() if v is not None}
        dist = spec.get("dist")
        if dist not in DISTRIBUTIONS:
            raise ScenarioError(file, f"{where}.dist", f"unknown distribution {dist!r}; "
                                                      f"expected one of: {', '.join(DISTRIBUTIONS)}")
        needed = DISTRIBUTIONS[dist]
        for name in needed:
            if name not in spec:
                raise ScenarioError(file, f"{where}.{name}",
                                    f"missing (required for a {dist} distribution)")
        for name in spec:
            if name != "dist" and name not in needed:
                raise ScenarioError(file, f"{where}.{name}",
                                    f"not a field of a {dist} distribution (it takes "
                                    f"{', '.join(needed)})")
        values = {name: float(spec[name]) for name in needed}
        for name in ("low", "high"):
            v = values[name]
            if not lo_ok <= v <= hi_ok:
                raise ScenarioError(file, f"{where}.{name}", f"{v:g} is outside the range of "
                                                            f"{path}, [{lo_ok:g}, {hi_ok:g}]")
        if not values["low"] < values["high"]:
            raise ScenarioError(file, f"{where}.high", f"must be above low ({values['low']:g}), "
                                                      f"got {values['high']:g}")
        for name in ("mode", "mean"):
            if name in values and not values["low"] <= values[name] <= values["high"]:
                raise ScenarioError(file, f"{where}.{name}",
                                    f"{values[name]:g} is outside [low, high] = "
                                    f"[{values['low']:g}, {values['high']:g}]")
        if "sd" in values and not values["sd"] > 0:
            raise ScenarioError(file, f"{where}.sd", f"must be above 0, got {values['sd']:g}")
        out[path] = {"dist": dist, **values}
    return out


def uncertain_of(scenario) -> dict[str, dict]:
    """The scenario's uncertain parameters (empty if it declares none)."""
    return dict(getattr(scenario, "uncertain", None) or {})


def apply_values(scenario, values: dict[str, float]):
    """The scenario with parameter values set, as ``--set PATH=VALUE`` would set them.

    Args:
        values: path (``parameters.NAME`` or ``ACTOR.thresholds.PRIORITY``) -> value.
    """
    if not values:
        return scenario
    params: dict[str, float] = {}
    event_values = {p: v for p, v in values.items() if event_path(p) is not None}
    if event_values:
        scenario = _apply_event_values(scenario, event_values)
        values = {p: v for p, v in values.items() if p not in event_values}
        if not values:
            return scenario
    actors = dict(scenario.actors)
    resolved = dict(scenario.resolved)
    res_params = dict(resolved.get("parameters") or {})
    res_actors = dict(resolved.get("actors") or {})
    for path, value in values.items():
        head, *rest = normalize_path(path).split(".")
        value = float(value)
        if head == "parameters":
            params[rest[0]] = value
            res_params[rest[0]] = value
        else:
            priority = rest[1]
            spec = dict(actors.get(head) or {})
            spec["thresholds"] = {**(spec.get("thresholds") or {}), priority: value}
            actors[head] = spec
            res_spec = dict(res_actors.get(head) or {})
            res_spec["thresholds"] = {**(res_spec.get("thresholds") or {}), priority: value}
            res_actors[head] = res_spec
    if res_params:
        resolved["parameters"] = res_params
    if res_actors:
        resolved["actors"] = res_actors
    return dataclasses.replace(scenario, parameters=scenario.parameters.replace(**params),
                               actors=actors, resolved=resolved)


def _apply_event_values(scenario, values: dict[str, float]):
    """The scenario with numbers of its events replaced (``events[LABEL].FIELD.KEY``)."""
    events = list(scenario.events)
    for path, value in values.items():
        label, fields = event_path(path)
        for k, ev in enumerate(events):
            if ev.label != label:
                continue
            if len(fields) == 1:
                events[k] = dataclasses.replace(ev, **{fields[0]: float(value)})
            else:
                held = dict(getattr(ev, fields[0]) or {})
                held[fields[1]] = float(value)
                events[k] = dataclasses.replace(ev, **{fields[0]: held})
    return dataclasses.replace(scenario, events=tuple(events))


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


def jobs(scenario, runs: int, start: int = 0):
    """Seed indices, world seeds, uncertain paths and drawn values of an ensemble."""
    indices = np.arange(start, start + runs, dtype=np.int64)
    uncertain = uncertain_of(scenario)
    return (indices, world_seeds(scenario.seed, indices), tuple(uncertain),
            draw(uncertain, scenario.seed, indices))


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

    months = len(dates)
    file = pq.ParquetFile(parquet_path)
    frames = []
    for name in columns:
        values = file.read(columns=[name]).column(0).to_numpy().reshape(runs, months)
        qs = np.quantile(values, [q / 100 for q in QUANTILES], axis=0)
        frame = {"date": list(dates), "variable": name, "mean": values.mean(axis=0)}
        frame.update({f"q{q:02d}": qs[k] for k, q in enumerate(QUANTILES)})
        frames.append(pd.DataFrame(frame))
        del values
    return pd.concat(frames, ignore_index=True)


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
                       output column, the drawn parameters; one row group per chunk
        ensemble.csv   per variable and month: mean, q05, q25, q50, q75, q95
        draws.csv      per run: run, seed_index, seed and the drawn parameters
        leverage.png, trade.png, overview.png   median with 50% and 90% bands
        manifest.json  scenario hash, root seed, seed scheme, engine, versions, hashes
    """
    import pyarrow.parquet as pq

    from buffer_sim import engines
    from buffer_sim.model import output_columns
    from buffer_sim.output import atomic_write_text, staged_dir
    from buffer_sim.runner import write_manifest

    runs, start = check_runs(runs, start)
    choice = choice or engines.EngineChoice()
    columns = output_columns()
    indices, seeds, paths, values = jobs(scenario, runs, start)
    folder = (Path(out_dir) / f"{scenario.name}-ensemble").absolute()
    began = time.perf_counter()
    with staged_dir(folder) as tmp:
        plan, results = engines.execute(
            [scenario], np.zeros(runs, dtype=np.int64), indices, seeds, paths, values,
            choice=choice, progress=progress)
        writer = None
        done = chunks = 0
        dates: tuple[str, ...] = ()
        try:
            with contextlib.closing(results):  # on an error the pool stops at once
                for result in results:
                    table = _arrow_chunk(result, done, indices, seeds, values, paths, columns)
                    if writer is None:
                        dates = result.dates
                        writer = pq.ParquetWriter(tmp / RUNS_FILE, table.schema)
                    writer.write_table(table, row_group_size=len(table))
                    done += result.n
                    chunks += 1
        finally:
            if writer is not None:
                writer.close()
        seconds = time.perf_counter() - began
        quantiles = quantile_table(tmp / RUNS_FILE, columns, runs, dates)
        atomic_write_text(tmp / QUANTILES_FILE, _csv(quantiles))
        draws = {"run": np.arange(runs), "seed_index": indices, "seed": seeds}
        draws.update({p: values[:, j] for j, p in enumerate(paths)})
        import pandas as pd

        # full precision: a run replays alone with --seed and --set of these values
        atomic_write_text(tmp / DRAWS_FILE, pd.DataFrame(draws).to_csv(
            index=False, float_format="%.17g", lineterminator="\n"))
        run_id = (f"{scenario.name}, {runs} runs, root seed {scenario.seed}"
                  + (f", {len(paths)} uncertain parameters" if paths else ""))
        if charts:
            # on the pool's cores when the runs had them: this process then never
            # loads Matplotlib
            write_band_charts(quantiles, tmp, run_id,
                              workers=None if plan.engine.name == "local" else 1)
        result = Ensemble(folder, scenario, runs, start, len(dates), paths, plan.engine.name,
                          plan.engine.workers, plan.chunk_size, chunks, seconds,
                          plan.seconds_per_run, quantiles, plan.notes)
        write_manifest(tmp, ensemble_manifest(result, tmp, command_line))
    return result


def _csv(df) -> str:
    from buffer_sim.runner import csv_text

    return csv_text(df)


def ensemble_manifest(result: Ensemble, folder: Path, command_line=None) -> dict:
    from buffer_sim.months import month_str
    from buffer_sim.output import sha256_file
    from buffer_sim.runner import command_text, versions

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

#: (file, title, panels); a panel is (heading, unit, [(variable, label), ...]).
BAND_CHARTS = (
    ("leverage.png", "Beijing's leverage", [
        ("Potential leverage", "0..1", [("leverage_potential", "potential")]),
        ("Pressure applied", "0..1", [("pressure_applied", "applied")]),
        ("Influence realized", "-1..1", [("influence_realized", "realized")]),
    ]),
    ("trade.png", "China–DPRK trade", [
        ("Reported", "US$ million / month", [("cn_exports_reported", "China's exports"),
                                             ("cn_imports_reported", "China's imports")]),
        ("Informal", "US$ million / month", [("cn_exports_informal", "China's exports"),
                                             ("cn_imports_informal", "China's imports")]),
    ]),
    ("overview.png", "Overview", [
        ("Security", "0..1", [("tension", "tension"), ("nuclear", "nuclear programme")]),
        ("The DPRK", "index", [("stability", "stability"), ("dprk_economy", "economy")]),
        ("Beijing's instruments", "0..1", [("beijing_enforcement", "enforcement"),
                                           ("beijing_aid", "aid")]),
        ("Relations", "-1..1", [("warmth_cn_dprk", "China–DPRK"),
                                ("warmth_us_dprk", "US–DPRK")]),
    ]),
)
COLOURS = ("#1f5a99", "#c0392b", "#2e8b57", "#8e44ad")


def write_band_charts(quantiles, folder: Path, run_id: str, workers: int | None = 1
                      ) -> list[Path]:
    """The three ensemble charts of ``BAND_CHARTS`` into ``folder``.

    Args:
        workers: processes drawing them (``engines.call_in_parallel``; None: every
            core); 1 draws them here, one after the other.
    """
    from buffer_sim.engines import call_in_parallel

    return call_in_parallel([(band_chart, (quantiles, panels, Path(folder) / name,
                                           f"{title} ({run_id})"), {})
                             for name, title, panels in BAND_CHARTS], workers=workers)


def band_chart(quantiles, panels, path, title: str = "") -> Path:
    """Median with 50% and 90% bands for each variable, one panel per group.

    Args:
        quantiles: a table like ensemble.csv (``date, variable, q05 .. q95``).
        panels: ``[(heading, unit, [(variable, label), ...]), ...]``; variables the
            table lacks are skipped.
        path: the PNG to write (atomically; same data give the same bytes).
    """
    from matplotlib.patches import Patch

    from buffer_sim.output import new_figure, write_png

    height = 1.6 + 2.4 * len(panels)
    fig = new_figure((12.7, height))
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (heading, unit, variables) in zip(axes, panels):
        for k, (name, label) in enumerate(variables):
            rows = quantiles[quantiles["variable"] == name]
            if rows.empty:
                continue
            x = np.array([np.datetime64(d, "M") for d in rows["date"]]).astype("datetime64[D]")
            colour = COLOURS[k % len(COLOURS)]
            ax.fill_between(x, rows["q05"], rows["q95"], color=colour, alpha=0.14, lw=0)
            ax.fill_between(x, rows["q25"], rows["q75"], color=colour, alpha=0.32, lw=0)
            ax.plot(x, rows["q50"], color=colour, lw=1.6, label=f"{label} (median)")
        ax.set_title(heading, loc="left", fontsize=10)
        ax.set_ylabel(unit, fontsize=9)
        ax.grid(True, alpha=0.3)
        handles, labels = ax.get_legend_handles_labels()
        handles += [Patch(color="grey", alpha=0.45, lw=0), Patch(color="grey", alpha=0.16, lw=0)]
        labels += ["50% of runs", "90% of runs"]
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8,
                  frameon=False)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return write_png(fig, path)


def summary(result: Ensemble) -> str:
    """What ran, and the final month's median and 90% range of a few measures."""
    import os

    from buffer_sim.months import month_str

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
    lines.append(f"Files in {result.folder}{os.sep}")
    lines.append("  " + "  ".join((RUNS_FILE, QUANTILES_FILE, DRAWS_FILE, *CHART_FILES,
                                   MANIFEST)))
    return "\n".join(lines)
