"""The notebook API: ``buffer_sim.run`` and ``buffer_sim.compare``.

Run a scenario, look at the tables, draw, change one thing, compare::

    import buffer_sim

    base = buffer_sim.run("replay_2009_2019", seed=1)
    base.timeseries.plot(x="date", y=["pressure_applied", "influence_realized"])
    base.decisions.query("actor == 'beijing'")
    print("\\n\\n".join(base.explain("beijing", start="2017-01", end="2018-12")))
    base.plot()                       # a matplotlib Figure of the key measures
    base.plot("charts/")              # the three charts of 'buffer-sim run' as PNGs
    base.save("out")                  # the whole run folder, report.html included

    what_if = buffer_sim.run("replay_2009_2019", seed=1,
                             beijing__priorities=["no_nukes", "no_war", "no_instability"],
                             set={"beijing.thresholds.no_war": 0.9})

    cmp = buffer_sim.compare(["replay_2009_2019", "no_thaad_2016"], seed=1)
    cmp.difference.query("metric == 'warmth_cn_rok'")
    cmp.timeseries["no_thaad_2016"]
    cmp.plot()                        # small multiples, one line per scenario
    cmp.save("out")                   # out/compare-<names>/ as 'buffer-sim compare' writes

Overrides are the ``--set`` of the command line, in Python form. A keyword joins path
parts with a double underscore (``beijing__thresholds__no_war=0.9`` is
``--set beijing.thresholds.no_war=0.9``); ``set=`` takes a dict of dotted paths (or a
list of "PATH=VALUE" strings) for paths that are not Python names. Values are Python
values: lists for priority orders, numbers, strings. A scenario is a file path or a
name from ``buffer-sim list`` (looked up in ``scenarios/`` and ``scenarios/whatif/``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from buffer_sim.scenario.schema import overrides_from, parse_override, Scenario
from buffer_sim.core.errors import ScenarioError
from buffer_sim.scenario.catalog import resolve_scenario
from buffer_sim.experiments import runner, compare as compare_mod
from buffer_sim.core.months import month_str
from buffer_sim.output import charts, explain

__all__ = ["Comparison", "Result", "compare", "overrides_from", "run"]

#: Panels of ``Comparison.plot()``.
COMPARE_PANELS = ("pressure_applied", "beijing_enforcement", "cn_imports_reported",
                  "tension", "stability", "dprk_economy")


# --- overrides ------------------------------------------------------------------------------------

def _check_one_seed(seed, texts) -> None:
    """``seed=`` and a ``seed`` override together: refused, not one silently winning."""
    if seed is None:
        return
    for text in texts:
        if parse_override(text)[0] == ["seed"]:
            raise ScenarioError("--set", text, f"seed={seed} also gives the seed; give the "
                                               "seed once")


def _scenario_path(scenario) -> object:
    if isinstance(scenario, Scenario):
        return scenario
    return resolve_scenario(str(scenario))


def _provenance(result) -> dict:
    """The manifest's provenance fields of a run (its files have not been written)."""
    sc = result.scenario
    return {"scenario": sc.name, "scenario_path": str(sc.path),
            "content_hash": sc.content_hash, "seed": sc.seed,
            "period": {"start": month_str(sc.start), "end": month_str(sc.end),
                       "months": result.months},
            "scenario_files": [str(f) for f in sc.files], "overrides": list(result.overrides),
            "versions": runner.versions(), "command_line": None, "outputs": []}


# --- one run -------------------------------------------------------------------------------------

class Result:
    """A finished run, for a notebook.

    Attributes:
        timeseries: one row per month (``date`` 'YYYY-MM', then every output column).
        decisions: one row per actor and month (month, actor, choice, deciding_priority,
            reason), as in decisions.csv.
        events: the events that fired, as (month, label, kind).
        scenario: the resolved scenario (``.name``, ``.seed``, ``.description``, ...).
        run_result: the underlying ``runner.RunResult`` (with the Mesa model).
    """

    def __init__(self, run_result) -> None:
        self.run_result = run_result
        self.timeseries: pd.DataFrame = run_result.timeseries
        self.decisions: pd.DataFrame = run_result.decisions
        self.events = list(run_result.events)
        self.scenario = run_result.scenario

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def seed(self) -> int:
        return self.scenario.seed

    @property
    def manifest(self) -> dict:
        """Provenance: scenario, files, content hash, seed, period, overrides, versions
        (``outputs`` is filled in by ``save``, which writes manifest.json)."""
        return _provenance(self.run_result)

    def explain(self, actor: str = "beijing", start=None, end=None) -> list[str]:
        """The actor's decisions as paragraphs (see ``buffer_sim.output.explain.narrate``)."""
        return explain.narrate(explain.decision_table(self.run_result), actor, start, end)

    def plot(self, folder=None, columns: Sequence[str] | None = None):
        """Draw the run.

        Args:
            folder: if given, write leverage.png, trade.png and overview.png there (the
                charts of ``buffer-sim run``) and return their paths.
            columns: without ``folder``, draw these columns one panel each instead of
                the default three panels (leverage, trade, security).

        Returns:
            A matplotlib ``Figure`` (no folder), or the list of PNG paths written.
        """
        if folder is not None:
            return _write_run_charts(self.run_result, Path(folder))
        panels = charts.QUICK_PANELS if columns is None else charts.panels_of(columns)
        return charts.quick_figure({"": self.timeseries}, panels, f"{self.name}, seed {self.seed}")

    def save(self, out_dir="out") -> Path:
        """Write the run's folder ``out_dir/<name>/`` (CSV, charts, report.html,
        manifest.json), as ``buffer-sim run`` does; returns its path."""
        return runner.write_outputs(self.run_result, out_dir, command_line=None)

    def __repr__(self) -> str:
        sc = self.scenario
        return (f"<buffer_sim Result {sc.name}: {len(self.timeseries)} months, seed {sc.seed}"
                + (f", overrides {list(self.run_result.overrides)}"
                   if self.run_result.overrides else "") + ">")


def run(scenario="replay_2009_2019", seed=None, *, set=None, **overrides) -> Result:  # noqa: A002
    """Run a scenario and return its tables.

    Args:
        scenario: a scenario file or a name from ``buffer-sim list``.
        seed: the random seed; None uses the scenario's own ``seed:``.
        set: overrides as a dict of dotted paths (``{"beijing.thresholds.no_war": 0.9}``)
            or a list of "PATH=VALUE" strings.
        **overrides: overrides as keywords, path parts joined by ``__``
            (``beijing__priorities=["no_nukes", "no_war"]``, ``parameters__inertia=2``).

    Returns:
        A ``Result``.

    Raises:
        ScenarioError: the scenario, an override or the seed is invalid.
    """
    texts = overrides_from(set, **overrides)
    _check_one_seed(seed, texts)
    return Result(runner.run(_scenario_path(scenario), seed=seed, overrides=texts))


# --- several runs ---------------------------------------------------------------------------------

class Comparison:
    """Scenarios run with one seed, for a notebook.

    Attributes:
        runs: label -> ``Result``, the first being the reference.
        timeseries: label -> that scenario's time series.
        difference: per metric and scenario: final, mean, max and its month, and the
            difference of each from the first scenario (as difference.csv).
        seed: the seed every scenario ran with.
        window: the months of the key numbers (``start``, ``end``, ``how``).
        ensemble: with ``runs=N``, the N runs of each scenario (``compare.Runs``:
            seeds, and label -> (N, months, columns) array); None otherwise.
    """

    def __init__(self, comparison) -> None:
        self.comparison = comparison
        self.runs = {label: Result(r) for label, r in comparison.results.items()}
        self.timeseries = comparison.timeseries
        self.difference: pd.DataFrame = comparison.difference
        self.seed = comparison.seed
        self.window = comparison.window
        self.ensemble = comparison.runs

    @property
    def labels(self) -> list[str]:
        return list(self.runs)

    def summary(self, metrics: Sequence[str] = COMPARE_PANELS, stat: str = "mean") -> pd.DataFrame:
        """One row per metric, one column per scenario: ``stat`` ('final', 'mean' or
        'max') of each."""
        d = self.difference[self.difference["metric"].isin(list(metrics))]
        table = d.pivot(index="metric", columns="scenario", values=stat)
        return table.reindex(index=[m for m in metrics if m in table.index], columns=self.labels)

    def plot(self, folder=None, metrics: Sequence[str] | None = None):
        """Draw the scenarios together.

        Args:
            folder: if given, write the overlays (leverage.png, trade.png,
                overview.png) and compare.png there and return their paths.
            metrics: without ``folder``, the columns to draw, one panel each (default:
                pressure, enforcement, imports, tension, stability, economy).

        Returns:
            A matplotlib ``Figure`` (no folder), or the list of PNG paths written.
        """
        if folder is not None:
            folder = Path(folder)
            folder.mkdir(parents=True, exist_ok=True)
            return compare_mod.write_charts(self.comparison, folder)
        return charts.quick_figure(self.timeseries,
                                   charts.panels_of(metrics or COMPARE_PANELS),
                                   f"Comparison, seed {self.seed}")

    def save(self, out_dir="out") -> Path:
        """Write ``out_dir/compare-<names>/`` as ``buffer-sim compare`` does."""
        return compare_mod.write_comparison(self.comparison, out_dir, command_line=None)

    def __repr__(self) -> str:
        return f"<buffer_sim Comparison of {', '.join(self.labels)}, seed {self.seed}>"


def compare(scenarios, seed=None, *, set=None, start=None, end=None,  # noqa: A002
            runs: int = 1, choice=None, **overrides) -> Comparison:
    """Run several scenarios with the same seed and tabulate their differences.

    Args:
        scenarios: a list whose items are a scenario (file or name) or a pair
            ``(scenario, overrides dict)``; or a dict label -> such an item, to name
            the scenarios yourself. The first is the reference.
        seed: the common seed; None uses the first scenario's ``seed:``.
        set, **overrides: overrides applied to every scenario (as for ``run``).
        start, end: the months of the key numbers, 'YYYY-MM' (``--from``/``--to``);
            default from the first month the outputs differ to the last.
        runs: N > 1 also runs every scenario N times with paired seeds (``--runs``):
            bands on the charts and a verdict on each difference.
        choice: where those N runs execute, an ``engines.EngineChoice`` (e.g.
            ``EngineChoice(workers=1)``); default a local pool when worth one.

    Returns:
        A ``Comparison``.

    Example:
        >>> cmp = compare(["replay_2009_2019",
        ...                ("replay_2009_2019", {"beijing.priorities": ["no_nukes", "no_war"]})])
        >>> cmp.labels
        ['replay_2009_2019', 'replay_2009_2019+2']
    """
    common = overrides_from(set, **overrides)
    labels = None
    items = scenarios
    if isinstance(scenarios, Mapping):
        labels = [str(k) for k in scenarios]
        items = list(scenarios.values())
    entries = []
    for item in items:
        if isinstance(item, tuple):
            path, own = item
            own = overrides_from(own)
        else:
            path, own = item, []
        _check_one_seed(seed, [*common, *own])
        entries.append((_scenario_path(path), [*common, *own]))
    return Comparison(compare_mod.run_comparison(entries, seed=seed, labels=labels, start=start,
                                                 end=end, runs=runs, choice=choice))


# --- drawing --------------------------------------------------------------------------------------

def _write_run_charts(run_result, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    df, events = run_result.timeseries, list(run_result.events)
    return [charts.plot_leverage(df, folder / "leverage.png", events=events),
            charts.plot_trade(df, folder / "trade.png", events=events,
                              observed=runner.observed_for(run_result.scenario)),
            charts.plot_overview(df, folder / "overview.png", events=events)]
