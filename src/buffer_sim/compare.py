"""Compare scenarios run with the same seed: the library layer under ``buffer-sim compare``.

All scenarios of a comparison run with one seed (common random numbers: the same
random draws month by month), so their differences come from the scenarios, not from
luck. By default that is the first scenario's own ``seed:``.

A comparison's folder ``OUT/compare-<names>/`` holds:

    difference.csv   per metric and scenario: final value, mean, maximum and its month,
                     and the difference of each from the first scenario
    timeseries.csv   every scenario's monthly time series, a ``scenario`` column first
    leverage.png, trade.png, overview.png   the run charts with all scenarios overlaid
    compare.png      small multiples: one panel per key metric, one colour per scenario
    report.html      everything above in one self-contained page, with Beijing's
                     decisions in each scenario told as a story
    manifest.json    scenarios, content hashes, overrides, seed, versions, file hashes

It is written whole or not at all, like a run's folder.

Naming: a scenario is named by its ``name:``; a name given again (the same file with
other ``--set`` overrides) becomes ``<name>+2``, ``<name>+3``, ...

The module itself is callable: ``buffer_sim.compare([...])`` is the notebook API's
``buffer_sim.api.compare`` (a package attribute cannot be both a module and a function).

Example::

    from buffer_sim import compare
    cmp = compare.run_comparison([("scenarios/replay_2009_2019.yaml", []),
                                  ("scenarios/replay_2009_2019.yaml",
                                   ["beijing.priorities=no_nukes,no_war,no_instability"])])
    cmp.difference.query("metric == 'pressure_applied'")
    compare.write_comparison(cmp, "out")
"""

from __future__ import annotations

import hashlib
import re
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from buffer_sim.errors import ScenarioError
from buffer_sim.months import month_str, month_year, parse_month

#: Files of a comparison's folder (besides manifest.json), in the order written.
DATA_FILES = ("difference.csv", "timeseries.csv")
CHART_FILES = ("leverage.png", "trade.png", "overview.png", "compare.png")
REPORT = "report.html"
MANIFEST = "manifest.json"
OVERLAYS = ("leverage", "trade", "overview")

#: Panels of compare.png: pressure and its effect, trade, security, the relations.
COMPARE_METRICS = (
    "pressure_applied", "influence_realized", "beijing_enforcement", "cn_imports_reported",
    "tension", "dprk_economy", "warmth_cn_dprk", "warmth_cn_rok",
)
#: Columns of difference.csv after ``metric`` and ``scenario``.
DIFFERENCE_COLUMNS = ("final", "mean", "max", "max_month", "final_diff", "mean_diff",
                      "max_diff", "max_month_shift")
#: Longest folder name before the scenario names are shortened.
MAX_FOLDER_CHARS = 100

Progress = Callable[[int, int], None]


@dataclass
class Comparison:
    """Finished runs of several scenarios with one seed.

    Attributes:
        results: label -> ``runner.RunResult``, in the order given.
        seed: the seed every scenario ran with.
        difference: the table written to difference.csv (see ``difference_table``).
        command_line: how the comparison was asked for (recorded in the manifest).
    """

    results: dict[str, object]
    seed: int
    difference: pd.DataFrame
    command_line: object = None
    overrides: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return list(self.results)

    @property
    def timeseries(self) -> dict[str, pd.DataFrame]:
        """label -> that scenario's monthly time series."""
        return {label: r.timeseries for label, r in self.results.items()}

    @property
    def folder_name(self) -> str:
        return folder_name(self.labels)


# --- which --set goes with which scenario ------------------------------------------------------

def split_set(text: str) -> tuple[str | None, str]:
    """'B.yaml:beijing.priorities=x' -> ('B.yaml', 'beijing.priorities=x'); no prefix -> None.

    The prefix is whatever comes before the last ':' of the part before '=' (a field
    path never contains ':'), so values may contain ':' freely.
    """
    key, eq, value = text.partition("=")
    if ":" not in key:
        return None, text
    prefix, _, path = key.rpartition(":")
    return prefix.strip(), f"{path}{eq}{value}"


def _keys(position: int, arg: str, name: str, label: str) -> set[str]:
    path = Path(arg)
    return {str(position), arg, path.name, path.stem, name, label}


def assign_sets(args: Sequence[str], names: Sequence[str], sets: Sequence[str]
                ) -> list[list[str]]:
    """Distribute ``--set`` options over the scenario arguments.

    A plain ``PATH=VALUE`` applies to every scenario; ``PREFIX:PATH=VALUE`` to the
    scenarios PREFIX names: by position (``2``), by the argument as given
    (``scenarios/b.yaml``), its file name (``b.yaml``) or stem (``b``), the scenario's
    ``name:`` or its label in the comparison (``replay_2009_2019+2``). A prefix that
    names several scenarios applies to all of them.

    Args:
        args: the scenario arguments as given.
        names: each scenario's ``name:`` (before overrides).
        sets: the ``--set`` texts in the order given.

    Returns:
        One list of "PATH=VALUE" overrides per scenario.

    Raises:
        ScenarioError: a prefix names none of the scenarios.
    """
    labels = make_labels(names)
    keys = [_keys(i + 1, a, n, lab) for i, (a, n, lab) in enumerate(zip(args, names, labels))]
    out: list[list[str]] = [[] for _ in args]
    for text in sets:
        prefix, override = split_set(text)
        if prefix is None:
            for lst in out:
                lst.append(override)
            continue
        hits = [i for i, k in enumerate(keys) if prefix in k]
        if not hits:
            listing = "; ".join(f"{i + 1}: {a} (name {n})" for i, (a, n) in enumerate(zip(args, names)))
            raise ScenarioError("--set", text, f"'{prefix}' names none of the scenarios "
                                               f"({listing}); put a position, file name or "
                                               "scenario name before ':'")
        for i in hits:
            out[i].append(override)
    return out


def make_labels(names: Sequence[str]) -> list[str]:
    """Unique labels: a repeated name gets '+2', '+3', ... ('a', 'a', 'b' -> a, a+2, b)."""
    seen: dict[str, int] = {}
    labels = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        labels.append(name if seen[name] == 1 else f"{name}+{seen[name]}")
    return labels


_UNSAFE = re.compile(r"[^A-Za-z0-9_.+-]")


def folder_name(labels: Sequence[str]) -> str:
    """'compare-' and the labels joined by '-'; shortened (with a hash) if long."""
    safe = [_UNSAFE.sub("_", label) for label in labels]
    name = "compare-" + "-".join(safe)
    if len(name) <= MAX_FOLDER_CHARS:
        return name
    digest = hashlib.sha256("\0".join(labels).encode()).hexdigest()[:8]
    budget = MAX_FOLDER_CHARS - len("compare-") - len(digest) - len(safe)
    each = max(4, budget // len(safe))
    return "compare-" + "-".join(s[:each] for s in safe) + "-" + digest


# --- running -------------------------------------------------------------------------------------

def load_all(entries: Sequence[tuple[object, Sequence[str]]], seed=None) -> list:
    """Load every scenario with its overrides, all with one seed.

    Args:
        entries: (scenario file, overrides) per scenario.
        seed: the common seed; None uses the first scenario's ``seed:``.

    Returns:
        The resolved scenarios, each with the common seed.

    Raises:
        ScenarioError: fewer than two scenarios, a bad scenario or override, or two
            scenarios that would be the same run.
    """
    from buffer_sim import runner

    if len(entries) < 2:
        raise ScenarioError("compare", "", f"needs at least two scenarios, got {len(entries)}")
    if seed is not None:
        seed = runner.check_seed(seed)
    scenarios = []
    for path, overrides in entries:
        scenario = runner.load(path, seed=seed, overrides=list(overrides))
        if seed is None:
            seed = scenario.seed
        scenarios.append(scenario)
    by_hash: dict[str, int] = {}
    for i, sc in enumerate(scenarios):
        j = by_hash.setdefault(sc.content_hash, i)
        if j != i:
            raise ScenarioError("compare", "", f"scenarios {j + 1} and {i + 1} are the same run "
                                               f"({sc.name} with the same settings); make them "
                                               f"differ with --set {i + 1}:PATH=VALUE")
    return scenarios


def run_comparison(entries: Sequence[tuple[object, Sequence[str]]], seed=None,
                   progress: Progress | None = None, labels: Sequence[str] | None = None,
                   metrics: Sequence[str] | None = None) -> Comparison:
    """Run every scenario with one seed and tabulate the differences.

    Args:
        entries: (scenario file, "PATH=VALUE" overrides) per scenario; the first is the
            reference of the difference table.
        seed: the common seed; None uses the first scenario's ``seed:``.
        progress: called as ``progress(months_done, months_total)`` over all runs.
        labels: names for the scenarios; default ``make_labels`` of their names.
        metrics: columns of the difference table; default every numeric column.

    Returns:
        A ``Comparison``.

    Raises:
        ScenarioError: see ``load_all``.
    """
    from buffer_sim import runner

    scenarios = load_all(entries, seed=seed)
    if labels is None:
        labels = make_labels([sc.name for sc in scenarios])
    elif len(set(labels)) != len(labels) or len(labels) != len(scenarios):
        raise ValueError("labels must be unique, one per scenario")
    total = sum(sc.months for sc in scenarios)
    done = 0
    results = {}
    for label, scenario, (_, overrides) in zip(labels, scenarios, entries):
        def step(n, _total, offset=done):
            if progress is not None:
                progress(offset + n, total)
        result = runner.run(scenario, progress=step)
        result.overrides = tuple(overrides)
        results[label] = result
        done += scenario.months
    difference = difference_table({k: r.timeseries for k, r in results.items()}, metrics)
    return Comparison(results=results, seed=scenarios[0].seed, difference=difference,
                      overrides={k: tuple(o) for k, (_, o) in zip(labels, entries)})


# --- the difference table ------------------------------------------------------------------------

def difference_table(runs: Mapping[str, pd.DataFrame],
                     metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Per metric and scenario: final, mean, max and its month, and differences.

    Args:
        runs: label -> time series (``date`` and numeric columns); the first is the
            reference.
        metrics: columns to tabulate; default every numeric column the first run has
            and all others share, in the first run's order.

    Returns:
        One row per metric and scenario (metric-major): ``metric``, ``scenario``,
        ``final`` (last month), ``mean`` (over the period), ``max``, ``max_month``
        (first month at the maximum, 'YYYY-MM'), ``final_diff``, ``mean_diff``,
        ``max_diff`` (each minus the first scenario's), ``max_month_shift`` (months
        later than the first scenario's maximum; negative: earlier).
    """
    frames = list(runs.items())
    if not frames:
        raise ValueError("no runs to compare")
    if metrics is None:
        first = frames[0][1]
        metrics = [c for c in first.columns if c != "date"
                   and pd.api.types.is_numeric_dtype(first[c])
                   and all(c in df.columns for _, df in frames)]
    rows = []
    for metric in metrics:
        stats = []
        for label, df in frames:
            values = pd.to_numeric(df[metric], errors="coerce").to_numpy(dtype=float)
            if not np.isfinite(values).any():
                stats.append((label, np.nan, np.nan, np.nan, ""))
                continue
            peak = int(np.nanargmax(values))
            stats.append((label, float(values[-1]), float(np.nanmean(values)),
                          float(values[peak]), str(df["date"].iloc[peak])[:7]))
        ref = stats[0]
        for label, final, mean, peak, month in stats:
            shift = (parse_month(month) - parse_month(ref[4])) if month and ref[4] else np.nan
            rows.append({"metric": metric, "scenario": label, "final": final, "mean": mean,
                         "max": peak, "max_month": month, "final_diff": final - ref[1],
                         "mean_diff": mean - ref[2], "max_diff": peak - ref[3],
                         "max_month_shift": shift})
    df = pd.DataFrame(rows, columns=["metric", "scenario", *DIFFERENCE_COLUMNS])
    df["max_month_shift"] = df["max_month_shift"].astype("Int64")
    return df


def long_timeseries(comparison: Comparison) -> pd.DataFrame:
    """Every scenario's time series stacked, with a ``scenario`` column first."""
    parts = [df.assign(scenario=label)[["scenario", *df.columns]]
             for label, df in comparison.timeseries.items()]
    return pd.concat(parts, ignore_index=True)


# --- writing ------------------------------------------------------------------------------------

def observed_for(comparison: Comparison) -> pd.DataFrame | None:
    """Observed annual trade over the years any of the scenarios covers."""
    from buffer_sim import observed

    scenarios = [r.scenario for r in comparison.results.values()]
    first = min(month_year(sc.start) for sc in scenarios)
    last = max(month_year(sc.end) for sc in scenarios)
    df = observed.observed_years(first, last)
    return df if len(df) else None


def write_charts(comparison: Comparison, folder, metrics: Sequence[str] = COMPARE_METRICS
                 ) -> list[Path]:
    """The three overlays and compare.png into ``folder``; returns the paths."""
    from buffer_sim import plots

    folder = Path(folder)
    runs = comparison.timeseries
    paths = []
    for kind in OVERLAYS:
        observed = observed_for(comparison) if kind == "trade" else None
        paths.append(plots.overlay(runs, folder / f"{kind}.png", kind, observed=observed))
    available = [m for m in metrics if any(m in df.columns for df in runs.values())]
    title = f"Scenario comparison, seed {comparison.seed}: " + " vs ".join(comparison.labels)
    paths.append(plots.plot_compare(runs, folder / "compare.png", available, title=title))
    return paths


def build_manifest(comparison: Comparison, folder: Path, command_line=None) -> dict:
    """Provenance of a comparison; ``outputs`` lists the files now in ``folder``."""
    from buffer_sim import runner
    from buffer_sim.output import sha256_file

    command_line = runner.command_text(command_line)
    scenarios = []
    for label, result in comparison.results.items():
        sc = result.scenario
        scenarios.append({
            "label": label, "scenario": sc.name, "scenario_path": str(sc.path),
            "content_hash": sc.content_hash,
            "period": {"start": month_str(sc.start), "end": month_str(sc.end),
                       "months": result.months},
            "scenario_files": [str(f) for f in sc.files],
            "overrides": list(comparison.overrides.get(label, result.overrides)),
        })
    names = [*DATA_FILES, *CHART_FILES, REPORT]
    outputs = [{"file": name, "sha256": sha256_file(folder / name)}
               for name in names if (folder / name).exists()]
    return {"comparison": comparison.folder_name, "seed": comparison.seed,
            "reference": comparison.labels[0], "scenarios": scenarios,
            "versions": runner.versions(), "command_line": command_line, "outputs": outputs}


def write_comparison(comparison: Comparison, out_dir, command_line=None) -> Path:
    """Write ``out_dir/compare-<names>/`` whole or not at all; returns its absolute path."""
    from buffer_sim import report, runner
    from buffer_sim.output import atomic_write_text, staged_dir

    final = (Path(out_dir) / comparison.folder_name).absolute()
    with staged_dir(final) as tmp:
        atomic_write_text(tmp / "difference.csv", runner.csv_text(comparison.difference))
        atomic_write_text(tmp / "timeseries.csv", runner.csv_text(long_timeseries(comparison)))
        write_charts(comparison, tmp)
        report.write_compare_report(comparison, tmp, build_manifest(comparison, tmp, command_line))
        manifest = build_manifest(comparison, tmp, command_line)
        runner.write_manifest(tmp, manifest)
    return final


class _CallableModule(types.ModuleType):
    """``buffer_sim.compare(...)`` calls ``buffer_sim.api.compare``."""

    def __call__(self, scenarios, seed=None, *, set=None, **overrides):  # noqa: A002
        from buffer_sim.api import compare as api_compare

        return api_compare(scenarios, seed, set=set, **overrides)


sys.modules[__name__].__class__ = _CallableModule
