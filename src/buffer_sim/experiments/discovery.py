"""Scenario discovery: under which parameter ranges does a condition on an outcome hold?

Runs an ensemble over the scenario's uncertain parameters (run i draws its parameters
and its world noise by index, as ``buffer-sim ensemble`` does), marks the runs where
``OUTCOME WHERE`` holds (e.g. ``mean_tension > 0.5``), and lets PRIM (the Patient Rule
Induction Method, ``ema_workbench.analysis.prim``) peel the parameter space down to a
box where the condition is common. Along the peeling trajectory:

* coverage: the share of all runs where the condition holds that fall in the box;
* density: the share of runs in the box where the condition holds.

The reported box is the densest with coverage at least ``--min-coverage`` (default
0.5), or the one picked with ``--box ID``. Each restricted side of the box carries its
quasi-p value (Bryant & Lempert 2010, as the Workbench computes it): the chance that a
restriction that tight would hold as many cases by luck. With dozens of uncertain
parameters PRIM trims most of them a little; the summary names those whose restriction
is significant (quasi-p below ``SIGNIFICANT_QP``) and counts the rest. The EMA
Workbench is an optional extra (``pip install 'buffer-sim[analysis]'``), imported only
when discovery runs.
"""

from __future__ import annotations

import math
import operator
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from buffer_sim.core.errors import ScenarioError, MissingExtra
from buffer_sim.experiments import engines
from buffer_sim.experiments.sensitivity import require_uncertain
from buffer_sim.experiments.outcomes import check_outcome
from buffer_sim.output import charts
from buffer_sim.output.files import atomic_write_text, staged_dir
from buffer_sim.experiments.runner import csv_text, provenance, write_manifest

OPERATORS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
             "==": operator.eq, "!=": operator.ne}
_CONDITION = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
DEFAULT_RUNS = 400
DEFAULT_MIN_COVERAGE = 0.5
#: quasi-p value below which a restriction of the box counts as significant (the
#: conventional 5%, as in the EMA Workbench's box inspection)
SIGNIFICANT_QP = 0.05


def parse_condition(text: str) -> tuple[str, float]:
    """'> 0.7' -> ('>', 0.7)."""
    match = _CONDITION.match(str(text))
    if not match:
        raise ScenarioError("--where", "", f"expected an operator and a number, e.g. '> 0.7' "
                                           f"or '<= 30' (operators: {' '.join(OPERATORS)}), "
                                           f"got {text!r}")
    value = float(match.group(2))
    if not math.isfinite(value):
        raise ScenarioError("--where", "", f"expected a finite number, got {text!r}")
    return match.group(1), value


def holds(values: np.ndarray, condition: tuple[str, float]) -> np.ndarray:
    """Where the condition holds (never where the outcome is undefined)."""
    op, level = condition
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & OPERATORS[op](values, level)


def import_prim():
    """``ema_workbench.analysis.prim``, or the one-line error naming the extra."""
    import logging
    import warnings

    try:
        with warnings.catch_warnings():  # e.g. "ipyparallel not installed"
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim
    except ImportError:
        raise MissingExtra("scenario discovery needs the EMA Workbench", "analysis") from None
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim


@dataclass
class Box:
    """The chosen PRIM box."""

    id: int
    coverage: float
    density: float
    mass: float
    #: parameter, low, high, declared_low, declared_high, restricted, qp_low, qp_high,
    #: significant (NaN quasi-p: that side is not restricted)
    limits: pd.DataFrame


def find_box(x: pd.DataFrame, y: np.ndarray, *, min_coverage: float = DEFAULT_MIN_COVERAGE,
             box_id: int | None = None) -> tuple[pd.DataFrame, Box]:
    """PRIM's peeling trajectory and the chosen box for inputs ``x`` and a boolean ``y``.

    Args:
        min_coverage: choose the densest box with at least this coverage.
        box_id: choose this box of the trajectory instead.
    """
    import warnings

    prim = import_prim()
    y = np.asarray(y, dtype=bool)
    with warnings.catch_warnings():  # the workbench's own deprecation warnings (pandas)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        p = prim.Prim(x.reset_index(drop=True), y, peel_alpha=0.05, paste_alpha=0.05,
                      mass_min=0.05)
        box = p.find_box()
    trajectory = box.peeling_trajectory[["id", "coverage", "density", "mass", "res_dim",
                                         "n"]].reset_index(drop=True)
    if box_id is None:
        ok = trajectory[trajectory["coverage"] >= min_coverage]
        if ok.empty:
            ok = trajectory.iloc[:1]
        best = ok["density"].max()
        box_id = int(ok[ok["density"] >= best - 1e-12]["id"].iloc[0])
    elif not 0 <= box_id < len(trajectory):
        raise ScenarioError("--box", "", f"the trajectory has boxes 0..{len(trajectory) - 1}, "
                                         f"got {box_id}")
    box.select(box_id)
    row = trajectory.iloc[box_id]
    lims, init = box.box_lims[box_id], p.box_init
    limits = pd.DataFrame({
        "parameter": list(x.columns),
        "low": [float(lims[c].iloc[0]) for c in x.columns],
        "high": [float(lims[c].iloc[1]) for c in x.columns],
        "restricted": [bool(lims[c].iloc[0] > init[c].iloc[0] or lims[c].iloc[1] < init[c].iloc[1])
                       for c in x.columns],
    })
    # the Workbench gives [lower, upper] per restricted parameter, -1 for a free side
    qp = box.p_values[box_id]
    for k, side in enumerate(("qp_low", "qp_high")):
        limits[side] = [float(qp[c][k]) if c in qp and qp[c][k] >= 0 else math.nan
                        for c in x.columns]
    limits["significant"] = (limits[["qp_low", "qp_high"]] < SIGNIFICANT_QP).any(axis=1)
    return trajectory, Box(box_id, float(row["coverage"]), float(row["density"]),
                           float(row["mass"]), limits)


@dataclass
class Discovery:
    scenario: object
    outcome: str
    where: str
    runs: int
    table: pd.DataFrame       # per run: run, seed_index, seed, parameters, outcome, holds
    trajectory: pd.DataFrame
    box: Box
    folder: Path | None = None
    engine: str = "serial"
    workers: int = 1
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def cases(self) -> int:
        return int(self.table["holds"].sum())


def run_discovery(scenario, outcome: str, where: str, runs: int = DEFAULT_RUNS, *,
                  min_coverage: float = DEFAULT_MIN_COVERAGE, box_id: int | None = None,
                  choice=None, progress=None) -> Discovery:
    """Run the ensemble, evaluate the condition and find the box (no files written)."""
    # lazy: these load Mesa; the CLI imports this module to build its parsers, which load no Mesa
    from buffer_sim.experiments import jobs
    from buffer_sim.experiments.ensemble import check_runs
    from buffer_sim.experiments.ensemble import jobs as ensemble_jobs

    condition = parse_condition(where)
    check_outcome(outcome, scenario)
    runs, _ = check_runs(runs)
    if not 0 <= min_coverage <= 1:
        raise ScenarioError("--min-coverage", "", f"expected a share in [0, 1], got {min_coverage}")
    uncertain = require_uncertain(scenario, "scenario discovery")
    import_prim()
    indices, seeds, paths, values = ensemble_jobs(scenario, runs)
    began = time.perf_counter()
    plan, results = jobs.execute([scenario], np.zeros(runs, dtype=np.int64), indices,
                                    seeds, paths, values, choice=choice or engines.EngineChoice(),
                                    outcome=outcome, progress=progress)
    y_values = np.concatenate([r.data for r in results])
    seconds = time.perf_counter() - began
    ok = holds(y_values, condition)
    table = pd.DataFrame({"run": np.arange(runs), "seed_index": indices, "seed": seeds})
    for j, p in enumerate(paths):
        table[p] = values[:, j]
    table[outcome] = y_values
    table["holds"] = ok
    cases = int(ok.sum())
    if cases in (0, runs):
        raise ScenarioError("--where", "", f"{outcome} {where.strip()} holds in {cases} of "
                                           f"{runs} runs; discovery needs runs where it holds "
                                           "and runs where it does not")
    x = pd.DataFrame(values, columns=list(paths))
    trajectory, box = find_box(x, ok, min_coverage=min_coverage, box_id=box_id)
    box.limits.insert(3, "declared_low", [uncertain[p]["low"] for p in paths])
    box.limits.insert(4, "declared_high", [uncertain[p]["high"] for p in paths])
    notes = list(plan.notes)
    undefined = int((~np.isfinite(y_values)).sum())
    if undefined:
        notes.append(f"{outcome} is undefined (NaN) in {undefined} runs: counted as not holding")
    return Discovery(scenario, outcome, where.strip(), runs, table, trajectory, box, None,
                     plan.engine.name, plan.engine.workers, seconds, notes)


def write_discovery(result: Discovery, out_dir, command_line=None) -> Discovery:
    """Write ``out_dir/<name>-discover/``: runs.csv, trajectory.csv, box.csv, prim.png,
    manifest.json."""
    sc = result.scenario
    folder = (Path(out_dir) / f"{sc.name}-discover").absolute()
    with staged_dir(folder) as tmp:
        atomic_write_text(tmp / "runs.csv", csv_text(result.table))
        atomic_write_text(tmp / "trajectory.csv", csv_text(result.trajectory))
        atomic_write_text(tmp / "box.csv", csv_text(result.box.limits))
        prim_chart(result, tmp / "prim.png")
        files = ("runs.csv", "trajectory.csv", "box.csv", "prim.png")
        manifest = {
            "scenario": sc.name, "scenario_path": str(sc.path), "content_hash": sc.content_hash,
            "root_seed": sc.seed, "runs": result.runs, "outcome": result.outcome,
            "where": result.where, "cases": result.cases, "uncertain": dict(sc.uncertain),
            "box": {"id": result.box.id, "coverage": result.box.coverage,
                    "density": result.box.density, "mass": result.box.mass},
            "engine": {"name": result.engine, "workers": result.workers},
            **provenance(tmp, files, command_line),
        }
        write_manifest(tmp, manifest)
    result.folder = folder
    return result


def prim_chart(result: Discovery, path) -> Path:
    """Left: the peeling trajectory (density against coverage, the chosen box marked);
    right: the chosen box's limits on each parameter's declared range
    (``charts.prim_chart``)."""
    box, sc = result.box, result.scenario
    return charts.prim_chart(result.trajectory, box.limits, box.id, box.coverage, box.density,
                             f"Where {result.outcome} {result.where} ({result.cases} of "
                             f"{result.runs} runs): {sc.name}, root seed {sc.seed}", path)

def summary(result: Discovery) -> str:
    import os

    box = result.box
    share = result.cases / result.runs
    lines = [f"{result.outcome} {result.where} holds in {result.cases} of {result.runs} runs "
             f"({share:.0%}) of {result.scenario.name}; engine {result.engine}, "
             f"{result.workers} worker(s), {result.seconds:.1f} s.",
             *(f"  note: {n}" for n in result.notes),
             f"PRIM box {box.id} of {len(result.trajectory) - 1}: coverage {box.coverage:.2f}, "
             f"density {box.density:.2f}, mass {box.mass:.2f}"]
    for _, row in box.limits.iterrows():
        if row["significant"]:  # only a restricted side has a quasi-p
            qp = min(q for q in (row["qp_low"], row["qp_high"]) if not math.isnan(q))
            lines.append(f"  {row['parameter']} in [{row['low']:.4g}, {row['high']:.4g}]  "
                         f"(declared [{row['declared_low']:g}, {row['declared_high']:g}]; "
                         f"quasi-p {qp:.2g})")
    loose = int((box.limits["restricted"] & ~box.limits["significant"]).sum())
    if loose:
        lines.append(f"  and {loose} parameter(s) trimmed without significance (quasi-p >= "
                     f"{SIGNIFICANT_QP:g}): box.csv lists every limit")
    if not box.limits["restricted"].any():
        lines.append("  (no parameter restricted: the condition does not depend on them)")
    if result.folder is not None:
        lines += [f"Files in {result.folder}{os.sep}",
                  "  runs.csv  trajectory.csv  box.csv  prim.png  manifest.json"]
    return "\n".join(lines)
