"""Compare scenarios run with the same seed: the library layer under ``buffer-sim compare``.

All scenarios of a comparison run with one seed (common random numbers: the same
random draws month by month), so their differences come from the scenarios, not from
luck. By default that is the first scenario's own ``seed:``.

The key numbers (difference.csv, the printed summary, report.html) are taken over a
*window* of months: by default from the first month in which the scenarios' outputs
differ to the end, so that a what-if acting in 2016 is not averaged with the seven
identical years before it (``--from``/``--to`` choose another window).

With ``runs`` > 1 (``--runs N``) every scenario also runs N times with the world seeds
of ``buffer-sim ensemble`` (run i: ``uncertain.world_seed(seed, i)``, the same i for
every scenario, so the runs are paired), through the ensemble machinery
(``jobs.execute``). The charts then shade the 5-95% band of the N runs, and each
difference is judged against the paired differences: it is *within the noise* when the
5-95% range of the N seed-by-seed differences of window means includes 0.

A comparison's folder ``OUT/compare-<names>/`` holds:

    difference.csv   per measure and scenario, over the window: final value, mean,
                     maximum and its month, and the difference of each from the first
                     scenario (with runs: the N runs' medians, ranges and the verdict)
    timeseries.csv   every scenario's monthly time series, a ``scenario`` column first
    leverage.png, trade.png, overview.png   the run charts' measures, one panel each,
                     one colour per scenario
    compare.png      the headline measures (``HEADLINES``), one panel each
    compare_difference.png   the same panels: each scenario minus the first, from a
                     year before the window on
    report.html      everything above in one self-contained page, with Beijing's
                     decisions in each scenario told as a story
    manifest.json    scenarios, content hashes, overrides, seed, window, runs, versions,
                     file hashes

It is written whole or not at all, like a run's folder.

Naming: a scenario is named by its ``name:``; a name given again (the same file with
other ``--set`` overrides) becomes ``<name>+2``, ``<name>+3``, ...

The notebook API's ``buffer_sim.compare([...])`` is ``buffer_sim.api.compare``.

Example::

    from buffer_sim.experiments import compare
    cmp = compare.run_comparison([("scenarios/replay_2009_2019.yaml", []),
                                  ("scenarios/replay_2009_2019.yaml",
                                   ["beijing.priorities=no_nukes,no_war,no_instability"])])
    cmp.difference.query("metric == 'pressure_applied'")
    compare.write_comparison(cmp, "out")
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from buffer_sim.core.errors import ScenarioError
from buffer_sim.output.report import HEADLINES, NOISE_RULE
from buffer_sim.core.months import month_str, month_year, parse_month
from buffer_sim.experiments import runner, engines
from buffer_sim.scenario import observed
from buffer_sim.experiments.engines import call_in_parallel
from buffer_sim.output.files import sha256_file, atomic_write_text, staged_dir
from buffer_sim.output import charts, report

#: Files of a comparison's folder (besides manifest.json), in the order written.
DATA_FILES = ("difference.csv", "timeseries.csv")
CHART_FILES = ("leverage.png", "trade.png", "overview.png", "compare.png",
               "compare_difference.png")
REPORT = "report.html"
MANIFEST = "manifest.json"
OVERLAYS = ("leverage", "trade", "overview")

Progress = Callable[[int, int], None]

#: Panels of compare.png and compare_difference.png.
COMPARE_METRICS = tuple(column for column, _ in HEADLINES)
#: Measures computed from the model's columns: name -> columns summed.
DERIVED = {"informal_trade": ("cn_exports_informal", "cn_imports_informal")}
#: Columns of difference.csv after ``metric`` and ``scenario``.
DIFFERENCE_COLUMNS = ("final", "mean", "max", "max_month", "final_diff", "mean_diff",
                      "max_diff", "max_month_shift")
#: Columns difference.csv adds with runs > 1: over the N runs of each scenario, the
#: median and 5%/95% quantiles of the window mean, of the paired differences of window
#: means from the first scenario (run i minus its run i), and the verdict.
RUNS_COLUMNS = ("runs", "runs_mean_median", "runs_mean_q05", "runs_mean_q95",
                "runs_diff_median", "runs_diff_q05", "runs_diff_q95", "verdict")
#: Verdicts of a difference with runs > 1.
REFERENCE, NO_DIFFERENCE, WITHIN_NOISE, BEYOND_NOISE = (
    "reference", "no difference", "within the noise", "beyond the noise")
#: Longest folder name before the scenario names are shortened.
MAX_FOLDER_CHARS = 100


@dataclass(frozen=True)
class Window:
    """The months the key numbers are taken over.

    Attributes:
        start, end: first and last month, 'YYYY-MM'.
        how: why these months, in words ("from the first month the outputs differ").
    """

    start: str
    end: str
    how: str

    def __str__(self) -> str:
        return f"{self.start} to {self.end}"


@dataclass
class Runs:
    """N runs of every scenario with paired seeds (``--runs N``).

    Attributes:
        count: N.
        seeds: the N world seeds (``uncertain.world_seed(seed, i)``), the same for
            every scenario.
        columns: the columns of ``data``'s last axis (output and derived columns).
        dates: label -> the scenario's months.
        data: label -> (N, months, columns) array of the runs' time series.
    """

    count: int
    seeds: np.ndarray
    columns: list[str]
    dates: dict[str, list[str]]
    data: dict[str, np.ndarray]


@dataclass
class Comparison:
    """Finished runs of several scenarios with one seed.

    Attributes:
        results: label -> ``runner.RunResult``, in the order given.
        seed: the seed every scenario ran with.
        difference: the table written to difference.csv (see ``difference_table``),
            over ``window``.
        command_line: how the comparison was asked for (recorded in the manifest).
        overrides: label -> the ``--set`` overrides of that scenario.
        window: the months of the key numbers.
        runs: the N runs per scenario of ``--runs N`` (None without).
    """

    results: dict[str, object]
    seed: int
    difference: pd.DataFrame
    command_line: object = None
    overrides: dict[str, tuple[str, ...]] = field(default_factory=dict)
    window: Window | None = None
    runs: Runs | None = None

    @property
    def labels(self) -> list[str]:
        return list(self.results)

    @property
    def timeseries(self) -> dict[str, pd.DataFrame]:
        """label -> that scenario's monthly time series."""
        return {label: r.timeseries for label, r in self.results.items()}

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        """label -> the time series with the derived measures (``DERIVED``) added."""
        return {label: with_derived(df) for label, df in self.timeseries.items()}

    @property
    def events(self) -> dict[str, list[tuple[str, str, str]]]:
        """label -> the events that fired in that scenario."""
        return {label: list(r.events) for label, r in self.results.items()}

    @property
    def folder_name(self) -> str:
        return folder_name(self.labels)


def with_derived(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the derived measures (``DERIVED``) it has the columns for."""
    extra = {name: sum(pd.to_numeric(df[c], errors="coerce") for c in columns)
             for name, columns in DERIVED.items()
             if name not in df.columns and all(c in df.columns for c in columns)}
    return df.assign(**extra) if extra else df


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
                   metrics: Sequence[str] | None = None, *, start=None, end=None,
                   runs: int = 1, choice=None) -> Comparison:
    """Run every scenario with one seed and tabulate the differences.

    Args:
        entries: (scenario file, "PATH=VALUE" overrides) per scenario; the first is the
            reference of the difference table.
        seed: the common seed; None uses the first scenario's ``seed:``.
        progress: called as ``progress(months_done, months_total)`` over all runs.
        labels: names for the scenarios; default ``make_labels`` of their names.
        metrics: columns of the difference table; default every numeric column.
        start, end: the window of the key numbers ('YYYY-MM'); default from the first
            month the outputs differ to the last month (see ``resolve_window``).
        runs: N > 1 also runs every scenario N times with paired seeds (``Runs``):
            bands on the charts and a verdict on each difference (``NOISE_RULE``).
        choice: where the N runs execute (``engines.EngineChoice``; default: a local
            pool when the work is worth one).

    Returns:
        A ``Comparison``.

    Raises:
        ScenarioError: see ``load_all``; a bad window or number of runs.
    """
    scenarios = load_all(entries, seed=seed)
    runs = check_runs(runs)
    start = None if start is None else check_month("--from", start)
    end = None if end is None else check_month("--to", end)
    if labels is None:
        labels = make_labels([sc.name for sc in scenarios])
    elif len(set(labels)) != len(labels) or len(labels) != len(scenarios):
        raise ValueError("labels must be unique, one per scenario")
    check_window(scenarios, start, end)  # before any run
    total = total_months(scenarios, runs)
    done = 0
    results = {}
    # With runs, the compiled equations are loaded for those anyway (``run_many``): the
    # seed's runs use them too (0.04 s a decade instead of 0.17 s; the same bytes).
    compiled = runs > 1
    for label, scenario, (_, overrides) in zip(labels, scenarios, entries):
        def step(n, _total, offset=done):
            if progress is not None:
                progress(offset + n, total)
        result = runner.run(scenario, progress=step, compiled=compiled)
        result.overrides = tuple(overrides)
        results[label] = result
        done += scenario.months
    many = None
    if runs > 1:
        def ran(offset_months):
            if progress is not None:
                progress(offset_months, total)
        many = run_many(scenarios, labels, runs, choice=choice,
                        progress=None if progress is None else
                        (lambda m: ran(done + m)))
    frames = {k: with_derived(r.timeseries) for k, r in results.items()}
    window = resolve_window(frames, start, end, first_difference(frames, many))
    difference = difference_table(frames, metrics, window=window)
    if many is not None:
        difference = add_runs_columns(difference, many, window)
    return Comparison(results=results, seed=scenarios[0].seed, difference=difference,
                      overrides={k: tuple(o) for k, (_, o) in zip(labels, entries)},
                      window=window, runs=many)


def total_months(scenarios, runs: int = 1) -> int:
    """Months a comparison runs: each scenario once, and ``runs`` times more if > 1."""
    return sum(sc.months for sc in scenarios) * (1 + (runs if runs > 1 else 0))


def check_window(scenarios, start: str | None, end: str | None) -> None:
    """``--from``/``--to`` inside the compared months, ``--from`` not after ``--to``."""
    lo = min(month_str(sc.start) for sc in scenarios)
    hi = max(month_str(sc.end) for sc in scenarios)
    _check_bounds(start, end, lo, hi)


def _check_bounds(start: str | None, end: str | None, lo: str, hi: str) -> None:
    """``--from``/``--to`` (when given) between the compared months ``lo`` and ``hi``,
    ``--from`` not after ``--to``."""
    for flag, value in (("--from", start), ("--to", end)):
        if value is not None and not lo <= value <= hi:
            raise ScenarioError(flag, "", f"{value} is outside the compared months "
                                          f"{lo} to {hi}")
    if start is not None and end is not None and start > end:
        raise ScenarioError("--from", "", f"{start} is after --to {end}")


def check_runs(runs) -> int:
    """``--runs``: a whole number >= 1, or ``ScenarioError``."""
    if isinstance(runs, bool) or not isinstance(runs, (int, np.integer)) or runs < 1:
        raise ScenarioError("--runs", "", f"expected a whole number >= 1, got {runs!r}")
    return int(runs)


def run_many(scenarios, labels: Sequence[str], count: int, choice=None,
             progress: Callable[[int], None] | None = None) -> Runs:
    """Run every scenario ``count`` times with paired seeds, on the ensemble machinery.

    Run i of every scenario has the world seed ``uncertain.world_seed(seed, i)`` and,
    for uncertain parameters, the draws of ``buffer-sim ensemble`` (so run i of a
    scenario is run i of its ensemble); the runs execute through ``jobs.execute``.

    Args:
        scenarios: the resolved scenarios (one seed).
        labels: their labels.
        count: runs per scenario.
        choice: ``engines.EngineChoice`` (default: local pool when worth it).
        progress: called with the months done so far over all these runs.

    Returns:
        The runs' time series (``Runs``), derived measures included.
    """
    # lazy: these load Mesa; the CLI imports this module to build its parsers, which load no Mesa
    from buffer_sim.scenario import uncertain
    from buffer_sim.experiments import jobs
    from buffer_sim.model import output_columns

    root = scenarios[0].seed
    indices = np.arange(count, dtype=np.int64)
    seeds = uncertain.world_seeds(root, indices)
    paths: list[str] = []
    for sc in scenarios:
        paths += [p for p in uncertain.uncertain_of(sc) if p not in paths]
    columns = output_columns()
    choice = choice or engines.EngineChoice()
    estimate = jobs.seconds_per_run(scenarios[0], repeats=1) * count * len(scenarios)
    data: dict[str, np.ndarray] = {}
    dates: dict[str, list[str]] = {}
    months_done = 0
    # One engine for all scenarios: a pool starts once.
    with choice.open(estimate) as engine:
        for label, sc in zip(labels, scenarios):
            declared = uncertain.uncertain_of(sc)
            drawn = uncertain.draw(declared, root, indices)
            # NaN: the scenario does not declare that parameter and keeps its value.
            values = np.full((count, len(paths)), np.nan)
            for j, path in enumerate(declared):
                values[:, paths.index(path)] = drawn[:, j]

            def chunk_done(n, months=sc.months):
                nonlocal months_done
                months_done += n * months
                if progress is not None:
                    progress(months_done)
            _, results = jobs.execute([sc], np.zeros(count, dtype=np.int64), indices, seeds,
                                         tuple(paths), values, choice=choice,
                                         progress=chunk_done, engine=engine)
            parts, months = [], ()
            for result in results:
                parts.append(result.data)
                months = result.dates
            array = np.concatenate(parts)
            derived = [array[:, :, [columns.index(c) for c in cols]].sum(axis=2)
                       for cols in DERIVED.values()]
            data[label] = np.concatenate([array, np.stack(derived, axis=2)], axis=2) \
                if derived else array
            dates[label] = [str(d)[:7] for d in months]
    return Runs(count, seeds, [*columns, *DERIVED], dates, data)


# --- the window of the key numbers ----------------------------------------------------------------

def check_month(flag: str, value) -> str:
    """A month given as 'YYYY-MM' (or a date), as 'YYYY-MM'; ``ScenarioError`` if not."""
    try:
        return month_str(parse_month(str(value).strip()))
    except ValueError as err:
        raise ScenarioError(flag, "", str(err)) from None


def _first_difference_in(a: np.ndarray, b: np.ndarray) -> int | None:
    """Index along axis -2 (months) of the first month where ``a`` and ``b`` differ."""
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    differ = ~same.reshape(-1, *same.shape[-2:]).all(axis=(0, 2))
    hits = np.flatnonzero(differ)
    return int(hits[0]) if hits.size else None


def first_difference(frames: Mapping[str, pd.DataFrame], runs: Runs | None = None
                     ) -> str | None:
    """The first month in which any scenario's outputs differ from the first's.

    Compares every numeric column month by month over the months both have (and,
    with ``runs``, every run pair too).

    Returns:
        'YYYY-MM', or None if the outputs never differ.
    """
    items = list(frames.items())
    ref_label, ref = items[0]
    found: list[str] = []
    for label, df in items[1:]:
        columns = [c for c in ref.columns if c != "date" and c in df.columns
                   and pd.api.types.is_numeric_dtype(ref[c])]
        both = ref[["date", *columns]].merge(df[["date", *columns]], on="date",
                                             suffixes=(" a", " b"))
        a = both[[f"{c} a" for c in columns]].to_numpy(float)
        b = both[[f"{c} b" for c in columns]].to_numpy(float)
        hit = _first_difference_in(a, b)
        if hit is not None:
            found.append(str(both["date"].iloc[hit])[:7])
        if runs is not None and label in runs.data and ref_label in runs.data:
            ia, ib = _common(runs.dates[ref_label], runs.dates[label])
            hit = _first_difference_in(runs.data[ref_label][:, ia, :], runs.data[label][:, ib, :])
            if hit is not None:
                found.append(runs.dates[ref_label][ia[hit]])
    return min(found) if found else None


def _common(a: Sequence[str], b: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Indices into ``a`` and ``b`` of the months both have, in order."""
    where = {d: i for i, d in enumerate(b)}
    ia = [i for i, d in enumerate(a) if d in where]
    return np.array(ia, dtype=int), np.array([where[a[i]] for i in ia], dtype=int)


def resolve_window(frames: Mapping[str, pd.DataFrame], start: str | None = None,
                   end: str | None = None, first: str | None = None) -> Window:
    """The window of the key numbers.

    Args:
        frames: label -> time series (their months bound the window).
        start, end: 'YYYY-MM' as given (``--from``/``--to``), or None.
        first: the first month the outputs differ (``first_difference``), or None.

    Returns:
        ``start`` (default: ``first``, or the first month if the outputs never
        differ) to ``end`` (default: the last month), and why.

    Raises:
        ScenarioError: a month outside the compared period, or ``--from`` after ``--to``.
    """
    months = sorted(set().union(*(df["date"].astype(str).str.slice(0, 7) for df in
                                  frames.values())))
    lo, hi = months[0], months[-1]
    _check_bounds(start, end, lo, hi)
    how = []
    if start is not None:
        how.append(f"from {start} as given (--from)")
    elif first is not None and (end is None or first <= end):
        start = first
        how.append("from the first month the scenarios' outputs differ")
    else:
        start = lo
        how.append("from the first month" + (": the outputs never differ" if first is None
                                              else " (they differ only after --to)"))
    if end is not None:
        how.append(f"to {end} as given (--to)")
    else:
        end = hi
        how.append("to the last month")
    return Window(start, end, ", ".join(how))



# --- the difference table ------------------------------------------------------------------------

def in_window(df: pd.DataFrame, window: Window | None) -> pd.DataFrame:
    """The rows of ``df`` whose month lies in ``window`` (all rows for None)."""
    if window is None:
        return df
    months = df["date"].astype(str).str.slice(0, 7)
    return df[(months >= window.start) & (months <= window.end)].reset_index(drop=True)


def difference_table(runs: Mapping[str, pd.DataFrame],
                     metrics: Sequence[str] | None = None,
                     window: Window | None = None) -> pd.DataFrame:
    """Per metric and scenario: final, mean, max and its month, and differences.

    Args:
        runs: label -> time series (``date`` and numeric columns); the first is the
            reference.
        metrics: columns to tabulate; default every numeric column the first run has
            and all others share, in the first run's order.
        window: the months to take the numbers over (default: every month).

    Returns:
        One row per metric and scenario (metric-major): ``metric``, ``scenario``,
        ``final`` (last month of the window), ``mean`` (over the window), ``max``,
        ``max_month`` (first month at the maximum, 'YYYY-MM'), ``final_diff``,
        ``mean_diff``, ``max_diff`` (each minus the first scenario's),
        ``max_month_shift`` (months later than the first scenario's maximum;
        negative: earlier).
    """
    frames = [(label, in_window(df, window)) for label, df in runs.items()]
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
            if not len(values) or not np.isfinite(values).any():
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


def _window_means(runs: Runs, label: str, window: Window) -> np.ndarray:
    """(N, columns) means of each run over the window's months."""
    months = np.array(runs.dates[label])
    mask = (months >= window.start) & (months <= window.end)
    if not mask.any():
        return np.full((runs.count, len(runs.columns)), np.nan)
    return runs.data[label][:, mask, :].mean(axis=1)


def add_runs_columns(difference: pd.DataFrame, runs: Runs, window: Window) -> pd.DataFrame:
    """``difference`` with ``RUNS_COLUMNS``: each measure over the N runs.

    For each scenario and measure: the median and 5%/95% quantiles of the N window
    means; of the paired differences (run i minus the reference's run i); and the
    verdict of ``NOISE_RULE``.
    """
    labels = list(runs.data)
    means = {label: _window_means(runs, label, window) for label in labels}
    ref = labels[0]
    rows = []
    for metric, label in zip(difference["metric"], difference["scenario"]):
        if metric not in runs.columns or label not in means:
            rows.append({"runs": runs.count})
            continue
        j = runs.columns.index(metric)
        values = means[label][:, j]
        paired = values - means[ref][:, j]
        if label == ref:
            verdict = REFERENCE
        elif np.all(paired == 0):
            verdict = NO_DIFFERENCE
        else:
            lo, hi = np.nanquantile(paired, [0.05, 0.95])
            verdict = WITHIN_NOISE if lo <= 0 <= hi else BEYOND_NOISE
        q = np.nanquantile(values, [0.5, 0.05, 0.95])
        d = np.nanquantile(paired, [0.5, 0.05, 0.95])
        rows.append({"runs": runs.count, "runs_mean_median": q[0], "runs_mean_q05": q[1],
                     "runs_mean_q95": q[2], "runs_diff_median": d[0], "runs_diff_q05": d[1],
                     "runs_diff_q95": d[2], "verdict": verdict})
    extra = pd.DataFrame(rows, columns=list(RUNS_COLUMNS), index=difference.index)
    return pd.concat([difference, extra], axis=1)


def level_bands(runs: Runs) -> dict[str, pd.DataFrame]:
    """label -> per month, each measure's 5% and 95% quantile over the N runs
    (columns ``date``, ``"<measure> q05"``, ``"<measure> q95"``)."""
    out = {}
    for label, data in runs.data.items():
        q05, q95 = np.quantile(data, [0.05, 0.95], axis=0)
        out[label] = _band_frame(runs.dates[label], runs.columns, q05, q95)
    return out


def difference_bands(runs: Runs) -> dict[str, pd.DataFrame]:
    """label -> per month, the 5% and 95% quantile of the paired differences from
    the first scenario (run i minus its run i), over the months both have."""
    labels = list(runs.data)
    ref = labels[0]
    out = {}
    for label in labels[1:]:
        ia, ib = _common(runs.dates[ref], runs.dates[label])
        paired = runs.data[label][:, ib, :] - runs.data[ref][:, ia, :]
        q05, q95 = np.quantile(paired, [0.05, 0.95], axis=0)
        out[label] = _band_frame([runs.dates[ref][i] for i in ia], runs.columns, q05, q95)
    return out


def _band_frame(dates, columns, q05: np.ndarray, q95: np.ndarray) -> pd.DataFrame:
    data = {"date": list(dates)}
    for j, column in enumerate(columns):
        data[f"{column} q05"] = q05[:, j]
        data[f"{column} q95"] = q95[:, j]
    return pd.DataFrame(data)


def long_timeseries(comparison: Comparison) -> pd.DataFrame:
    """Every scenario's time series stacked, with a ``scenario`` column first."""
    parts = [df.assign(scenario=label)[["scenario", *df.columns]]
             for label, df in comparison.timeseries.items()]
    return pd.concat(parts, ignore_index=True)


# --- writing ------------------------------------------------------------------------------------

def observed_for(comparison: Comparison) -> pd.DataFrame | None:
    """Observed annual trade over the years any of the scenarios covers."""
    scenarios = [r.scenario for r in comparison.results.values()]
    first = min(month_year(sc.start) for sc in scenarios)
    last = max(month_year(sc.end) for sc in scenarios)
    df = observed.observed_years(first, last)
    return df if len(df) else None


#: Months the difference chart shows before the key numbers' window.
DIFFERENCE_LEAD_IN = 12
#: Titles of the overlays (the scenarios, seed and bands follow).
OVERLAY_TITLES = {"leverage": "Beijing's leverage: potential, pressure applied, influence realized",
                  "trade": "China–DPRK trade",
                  "overview": "Overview: security, relations, instruments"}


def chart_subtitle(comparison: Comparison) -> str:
    """What every chart of the comparison says after its name."""
    text = " vs ".join(comparison.labels) + f", seed {comparison.seed}"
    if comparison.runs is not None:
        text += f"; shaded: 5-95% of {comparison.runs.count} runs each"
    return text


def write_charts(comparison: Comparison, folder, metrics: Sequence[str] = COMPARE_METRICS,
                 workers: int | None = 1) -> list[Path]:
    """The three overlays, compare.png and compare_difference.png into ``folder``.

    Every chart marks the events of every scenario; compare.png and
    compare_difference.png shade the months outside the key numbers' window.

    Args:
        workers: processes drawing the charts at once (``engines.call_in_parallel``;
            None: every core). More than one starts worker processes, which import
            the calling script as a module: only for a guarded script, as the
            command line is.

    Returns:
        The paths written, in ``CHART_FILES`` order.
    """
    folder = Path(folder)
    frames = comparison.frames
    events = comparison.events
    bands = level_bands(comparison.runs) if comparison.runs is not None else None
    subtitle = chart_subtitle(comparison)
    available = [m for m in metrics if any(m in df.columns for df in frames.values())]
    window = comparison.window
    span = (window.start, window.end) if window is not None else None
    note = f"; grey: outside the key numbers' months {window}" if window is not None else ""
    diff_bands = difference_bands(comparison.runs) if comparison.runs is not None else None
    reference = comparison.labels[0]
    # The difference chart starts a year before the window: a what-if acting in 2018
    # gets the width, not the identical years before it.
    diff_frames = frames
    if window is not None:
        cut = month_str(max(parse_month(window.start) - DIFFERENCE_LEAD_IN,
                            min(parse_month(str(df["date"].iloc[0])) for df in frames.values())))
        trimmed = {k: df[df["date"].astype(str).str.slice(0, 7) >= cut]
                   for k, df in frames.items()}
        if all(len(df) for df in trimmed.values()):
            diff_frames = trimmed
    calls = {
        "leverage.png": (charts.overlay, (frames, folder / "leverage.png", "leverage"),
                         dict(events=events, bands=bands,
                              title=f"{OVERLAY_TITLES['leverage']} ({subtitle})")),
        "trade.png": (charts.overlay, (frames, folder / "trade.png", "trade"),
                      dict(observed=observed_for(comparison), events=events, bands=bands,
                           title=f"{OVERLAY_TITLES['trade']} ({subtitle})")),
        "overview.png": (charts.overlay, (frames, folder / "overview.png", "overview"),
                         dict(events=events, bands=bands,
                              title=f"{OVERLAY_TITLES['overview']} ({subtitle})")),
        "compare.png": (charts.plot_compare, (frames, folder / "compare.png", available),
                        dict(title=f"Headline measures ({subtitle}{note})", events=events,
                             bands=bands, window=span)),
        "compare_difference.png": (
            charts.plot_compare, (diff_frames, folder / "compare_difference.png", available),
            dict(title=f"Difference from {reference}: each scenario minus {reference} "
                       f"({subtitle}{note})",
                 difference=True, events=events, bands=diff_bands, window=span)),
    }
    # The slowest first, so that the pool's workers finish together.
    order = ["overview.png", "compare.png", "compare_difference.png", "trade.png",
             "leverage.png"]
    done = dict(zip(order, call_in_parallel([calls[name] for name in order], workers=workers)))
    return [done[name] for name in CHART_FILES]


def build_manifest(comparison: Comparison, folder: Path, command_line=None) -> dict:
    """Provenance of a comparison; ``outputs`` lists the files now in ``folder``."""
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
    window = comparison.window
    runs = comparison.runs
    return {"comparison": comparison.folder_name, "seed": comparison.seed,
            "reference": comparison.labels[0], "scenarios": scenarios,
            "window": None if window is None else {"start": window.start, "end": window.end,
                                                   "how": window.how},
            "runs": 1 if runs is None else runs.count,
            **({} if runs is None else {
                "run_seeds": "run i of every scenario: world seed = 63 bits of "
                             "SeedSequence(seed, spawn_key=(1, i)), as buffer-sim ensemble",
                "noise_rule": NOISE_RULE}),
            "versions": runner.versions(), "command_line": command_line, "outputs": outputs}


def write_comparison(comparison: Comparison, out_dir, command_line=None,
                     workers: int | None = 1) -> Path:
    """Write ``out_dir/compare-<names>/`` whole or not at all; returns its absolute path.

    ``workers``: processes drawing the charts (see ``write_charts``)."""
    final = (Path(out_dir) / comparison.folder_name).absolute()
    with staged_dir(final) as tmp:
        atomic_write_text(tmp / "difference.csv", runner.csv_text(comparison.difference))
        atomic_write_text(tmp / "timeseries.csv", runner.csv_text(long_timeseries(comparison)))
        write_charts(comparison, tmp, workers=workers)
        report.write_compare_report(comparison, tmp, build_manifest(comparison, tmp, command_line))
        manifest = build_manifest(comparison, tmp, command_line)
        runner.write_manifest(tmp, manifest)
    return final
