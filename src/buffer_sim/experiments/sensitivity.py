"""Global sensitivity analysis (SALib) over a scenario's uncertain parameters.

The parameters and their distributions are the scenario's ``uncertain:`` block. SALib
samples the unit hypercube (Saltelli/Sobol' sequence for ``sobol``, trajectories for
``morris``); each coordinate is mapped through its parameter's inverse CDF
(``uncertain.ppf``), so a uniform parameter spans exactly ``[low, high]`` and a
triangular or truncated-normal one follows its declared shape. Sobol' indices are
unchanged by that monotone mapping; Morris effects are per unit of quantile (0 -> 1
spans the parameter's whole declared range).

Every sample point runs with the same world seeds (seed indices 0..R-1, ``--runs R``,
default 1): the outcome is then a deterministic function of the parameters, as
variance-based analysis assumes, and its value is the mean over the R runs.

SALib is an optional extra (``pip install 'buffer-sim[analysis]'``), imported only
here and only when an analysis runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from buffer_sim.core.errors import ScenarioError, MissingExtra
from buffer_sim.experiments import engines
from buffer_sim.experiments.outcomes import check_outcome
from buffer_sim.output import charts
from buffer_sim.output.files import atomic_write_text, staged_dir
from buffer_sim.experiments.runner import csv_text, provenance, write_manifest

METHODS = ("sobol", "morris")
DEFAULT_SAMPLES = {"sobol": 64, "morris": 20}
MORRIS_LEVELS = 4
CONF_LEVEL = 0.95


def import_salib():
    """SALib's samplers and analysers, or the one-line error naming the extra."""
    try:
        from SALib.analyze import morris as morris_analyze
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import morris as morris_sample
        from SALib.sample import sobol as sobol_sample
    except ImportError:
        raise MissingExtra("sensitivity analysis needs SALib", "analysis") from None
    return sobol_sample, sobol_analyze, morris_sample, morris_analyze


def require_uncertain(scenario, what: str) -> dict:
    # lazy: uncertain loads Mesa (via the actors); the CLI parsers import this module
    from buffer_sim.scenario.uncertain import uncertain_of

    uncertain = uncertain_of(scenario)
    if not uncertain:
        raise ScenarioError(scenario.path, "uncertain", f"no uncertain parameters declared; "
                                                        f"{what} varies those: add e.g. "
                                                        "'uncertain: {parameters.inertia: "
                                                        "{dist: uniform, low: 2, high: 10}}'")
    return uncertain


@dataclass
class Sensitivity:
    scenario: object
    method: str
    outcome: str
    samples: int
    runs: int
    indices: pd.DataFrame
    points: pd.DataFrame  # every sample point: parameters and outcome
    folder: Path | None = None
    engine: str = "serial"
    workers: int = 1
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def sample(method: str, uncertain: dict, samples: int, seed: int) -> tuple[dict, np.ndarray]:
    """SALib's problem (unit bounds) and sample in the unit hypercube."""
    sobol_sample, _, morris_sample, _ = import_salib()
    paths = list(uncertain)
    problem = {"num_vars": len(paths), "names": paths, "bounds": [[0.0, 1.0]] * len(paths)}
    if method == "sobol":
        if samples < 2 or samples & (samples - 1):
            raise ScenarioError("--samples", "", f"Sobol' sampling needs a power of 2 "
                                                 f"(e.g. 64, 128, 256), got {samples}")
        unit = sobol_sample.sample(problem, samples, calc_second_order=False,
                                   seed=seed % 2**32)
    else:
        if samples < 2:
            raise ScenarioError("--samples", "", f"Morris needs at least 2 trajectories, got "
                                                 f"{samples}")
        unit = morris_sample.sample(problem, samples, num_levels=MORRIS_LEVELS,
                                    seed=seed % 2**32)
    return problem, unit


def analyze(method: str, problem: dict, unit: np.ndarray, y: np.ndarray, seed: int,
            uncertain: dict) -> pd.DataFrame:
    """The indices table: one row per parameter."""
    _, sobol_analyze, _, morris_analyze = import_salib()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a constant outcome: NaN indices
        if method == "sobol":
            si = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=100,
                                       conf_level=CONF_LEVEL, seed=seed % 2**32)
            keys = ("S1", "S1_conf", "ST", "ST_conf")
        else:
            si = morris_analyze.analyze(problem, unit, y, num_levels=MORRIS_LEVELS,
                                        conf_level=CONF_LEVEL, num_resamples=100,
                                        seed=seed % 2**32)
            keys = ("mu", "mu_star", "mu_star_conf", "sigma")
    table = pd.DataFrame({"parameter": problem["names"]})
    table["dist"] = [uncertain[p]["dist"] for p in problem["names"]]
    table["low"] = [uncertain[p]["low"] for p in problem["names"]]
    table["high"] = [uncertain[p]["high"] for p in problem["names"]]
    for key in keys:
        table[key] = np.asarray(si[key], dtype=np.float64)
    return table


def run_sensitivity(scenario, method: str, outcome: str, samples: int | None = None,
                    runs: int = 1, *, choice=None, progress=None) -> Sensitivity:
    """Sample, run and analyse (no files written; see ``write_sensitivity``)."""
    # lazy: these load Mesa; the CLI imports this module to build its parsers, which load no Mesa
    from buffer_sim.experiments import jobs
    from buffer_sim.scenario.uncertain import ppf, world_seeds

    if method not in METHODS:
        raise ScenarioError("--method", "", f"unknown method {method!r}; expected one of: "
                                            f"{', '.join(METHODS)}")
    if runs < 1:
        raise ScenarioError("--runs", "", f"expected a whole number >= 1, got {runs}")
    check_outcome(outcome, scenario)
    uncertain = require_uncertain(scenario, "sensitivity analysis")
    import_salib()
    samples = samples or DEFAULT_SAMPLES[method]
    problem, unit = sample(method, uncertain, samples, scenario.seed)
    paths = tuple(uncertain)
    x = np.column_stack([ppf(uncertain[p], unit[:, j]) for j, p in enumerate(paths)])
    points = len(x)
    indices = np.tile(np.arange(runs, dtype=np.int64), points)
    seeds = np.tile(world_seeds(scenario.seed, range(runs)), points)
    values = np.repeat(x, runs, axis=0)
    choice = choice or engines.EngineChoice()
    began = time.perf_counter()
    plan, results = jobs.execute([scenario], np.zeros(len(seeds), dtype=np.int64), indices,
                                    seeds, paths, values, choice=choice, outcome=outcome,
                                    progress=progress)
    per_run = np.concatenate([r.data for r in results]).reshape(points, runs)
    seconds = time.perf_counter() - began
    bad = ~np.isfinite(per_run)
    if bad.any():
        raise ScenarioError("--outcome", "", f"{outcome} is undefined (NaN) in {int(bad.sum())} "
                                             f"of {per_run.size} runs; sensitivity analysis "
                                             "needs an outcome defined for every run")
    y = per_run.mean(axis=1)
    table = analyze(method, problem, unit, y, scenario.seed, uncertain)
    frame = pd.DataFrame(x, columns=list(paths))
    frame.insert(0, "sample", np.arange(points))
    frame[outcome] = y
    notes = list(plan.notes)
    if np.ptp(y) == 0:
        notes.append(f"{outcome} is the same at every sample point: no parameter matters")
    return Sensitivity(scenario, method, outcome, samples, runs, table, frame, None,
                       plan.engine.name, plan.engine.workers, seconds, notes)


def write_sensitivity(result: Sensitivity, out_dir, command_line=None) -> Sensitivity:
    """Write ``out_dir/<name>-sensitivity-<method>/``: indices.csv, samples.csv,
    indices.png, manifest.json."""
    sc = result.scenario
    folder = (Path(out_dir) / f"{sc.name}-sensitivity-{result.method}").absolute()
    with staged_dir(folder) as tmp:
        atomic_write_text(tmp / "indices.csv", csv_text(result.indices))
        atomic_write_text(tmp / "samples.csv", csv_text(result.points))
        indices_chart(result, tmp / "indices.png")
        files = ("indices.csv", "samples.csv", "indices.png")
        manifest = {
            "scenario": sc.name, "scenario_path": str(sc.path), "content_hash": sc.content_hash,
            "root_seed": sc.seed, "method": result.method, "outcome": result.outcome,
            "samples": result.samples, "sample_points": len(result.points),
            "runs_per_point": result.runs, "uncertain": dict(sc.uncertain),
            "conf_level": CONF_LEVEL,
            "engine": {"name": result.engine, "workers": result.workers},
            **provenance(tmp, files, command_line),
        }
        write_manifest(tmp, manifest)
    result.folder = folder
    return result


def indices_chart(result: Sensitivity, path) -> Path:
    """Bars: Sobol' S1 and ST with confidence intervals, or Morris mu* (with its
    interval) and sigma (``charts.indices_chart``)."""
    sc = result.scenario
    return charts.indices_chart(
        result.indices, result.method, result.outcome,
        f"Sensitivity of {result.outcome} ({result.method}, {len(result.points)} "
        f"sample points x {result.runs} run(s))\n{sc.name}, root seed {sc.seed}", path,
        conf_level=CONF_LEVEL)

def summary(result: Sensitivity) -> str:
    import os

    with pd.option_context("display.width", 120, "display.max_columns", 20,
                           "display.float_format", "{:.3g}".format):
        table = result.indices.drop(columns=["dist", "low", "high"]).to_string(index=False)
    lines = [f"{result.method} analysis of {result.outcome} over "
             f"{len(result.indices)} uncertain parameters of {result.scenario.name}: "
             f"{len(result.points)} sample points x {result.runs} run(s), engine "
             f"{result.engine}, {result.workers} worker(s), {result.seconds:.1f} s.",
             *(f"  note: {n}" for n in result.notes), table]
    if result.folder is not None:
        lines += [f"Files in {result.folder}{os.sep}",
                  "  indices.csv  samples.csv  indices.png  manifest.json"]
    return "\n".join(lines)
