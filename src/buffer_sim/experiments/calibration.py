"""Fit the trade-growth coefficients to the observed years up to ``--until``: ``buffer-sim calibrate``.

Split sample: by default only 2009-2013 are fitted (``--until 2013``, :data:`DEFAULT_UNTIL`);
the observed years after it (2014-2015) are held back, and ``buffer-sim validate`` scores
the model on them out of sample. The file records its window (``# Window: A..B``), and
:func:`fitted_window` reads it back from any scenario that extends the file.

What is fitted (:data:`DECLARED`): five coefficients of trade-capacity growth (three
for both directions, two for China's imports from the DPRK: the catch-up premium and
its response to world coal and iron-ore prices), each with bounds and the reason it is
fitted. Everything else keeps its documented
default; in particular

* ``export_ban_share`` is not identifiable before 2016 (the sanctions in force until
  then covered almost no trade), so it is left alone;
* the initial capacities (``initial_state.capacity_exports/imports``) are observed,
  not fitted: they are the 2008 KOTRA split of China-DPRK trade. Fitting them would
  only absorb what the import premium explains (observed imports grew about twice as
  fast as exports 2009-2013, the coal boom) and contradict the 2008 figures.

Objective: the mean squared error of log annual reported trade (total, China's
exports, China's imports) against every observed source row for the complete years
from the scenario's start to December of ``until``
(:func:`~buffer_sim.experiments.metrics.log_residuals`: every series-year counts once,
the sources of a year share its weight). The model's annual values are the mean over
``K`` seeds (the scenario's seed, seed+1, ...): common random numbers, the same seeds
for every evaluation, so the objective is a deterministic
function of the coefficients.

Only the fit window is simulated: the scenario is loaded whole (its later events
stay valid) and the model is stepped to December of ``until`` and stopped; events and pins
after that month are scheduled but never reached, and nothing in a month depends on
later months, so the window is exactly the first months of a full run. (Narrowing
``period.end`` with ``--set`` would instead make the scenario's own post-2015 events
fall outside its period, an error.)

Method: :func:`scipy.optimize.minimize` with ``method="Powell"`` and bounds, in
coordinates scaled to the unit cube (0 = lower bound, 1 = upper bound), starting from
the package defaults of the declared coefficients (not from the scenario's values, so
re-running on a scenario that already ``extends:`` the calibration file gives the same
file). Powell needs no derivatives: the objective has small jumps where a coefficient
tips an actor's discrete choice, which would mislead finite differences. Fixed
``xtol``, ``ftol``, ``maxiter`` and ``maxfev``: the same command gives the same file.
Fitted values are rounded to 4 significant digits; the objective reported is that of
the rounded values.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from buffer_sim.experiments import metrics
from buffer_sim.core.errors import ScenarioError
from buffer_sim.core.months import month_str, month_year
from buffer_sim.experiments.runner import timeseries_frame
from buffer_sim.scenario import observed
from buffer_sim.core.params import Parameters
from buffer_sim.core.version import __version__

#: Last month any calibration window may reach: trade figures after 2015 are withheld.
FIT_END = "2015-12"
#: Last year fitted by default: 2014-2015 are held back for the out-of-sample test.
DEFAULT_UNTIL = 2013
#: First line of a calibration file (how :func:`fitted_window` recognises one).
FILE_MARK = "# Calibrated trade-growth coefficients."
_WINDOW_LINE = re.compile(r"^# Window: (\d{4}-\d{2})\.\.(\d{4}-\d{2})[;\s]")

#: Tolerances and budget of the optimiser (unit-cube coordinates; objective units).
XTOL = 1e-3
FTOL = 1e-4
DEFAULT_MAXITER = 6
DEFAULT_SEEDS = 8
#: Evaluations allowed per Powell iteration and declared parameter (line searches).
MAXFEV_PER_ITER_AND_PARAM = 24
SIGNIFICANT_DIGITS = 4


@dataclass(frozen=True)
class FitParameter:
    """A coefficient the calibration fits.

    Attributes:
        name: a field of ``buffer_sim.core.params.Parameters``.
        lower: lower bound of the search.
        upper: upper bound of the search.
        reason: why it is fitted and what pins it down in the data.
    """

    name: str
    lower: float
    upper: float
    reason: str

    def value(self, unit: float) -> float:
        """Unit-cube coordinate -> coefficient value."""
        return self.lower + float(unit) * (self.upper - self.lower)

    def unit(self, value: float) -> float:
        """Coefficient value -> unit-cube coordinate (clipped to [0, 1])."""
        return min(max((float(value) - self.lower) / (self.upper - self.lower), 0.0), 1.0)


#: The declared coefficients, in the order of the search.
DECLARED: tuple[FitParameter, ...] = (
    FitParameter(
        "trade_growth_base_per_month", -0.02, 0.02,
        "Trend growth of trade capacity that does not depend on politics. Its default "
        "(0) is a guess; the level of 2009-2015 trade pins it down."),
    FitParameter(
        "trade_growth_from_warmth", 0.0, 0.1,
        "Growth from warm CN-DPRK relations. The default (0.02) is a guess; the 2014-2015 "
        "downturn after Jang Song Thaek's execution (warmth falls) identifies it."),
    FitParameter(
        "trade_growth_from_engagement", 0.0, 0.03,
        "Growth from Beijing's promotion of border trade and SEZs (2009-2013). The default "
        "(0.008) is a guess; the 2009-2013 boom against the post-2013 hiatus (the replay "
        "halves engagement_growth_realised) identifies it."),
    FitParameter(
        "import_growth_premium_per_month", -0.02, 0.1,
        "Extra growth of China's imports (DPRK mining and textile exports) in proportion "
        "to their gap to China's exports. Identified by the observed fall of the "
        "export/import ratio from 2.7 (2008) to 1.25 (2013)."),
    FitParameter(
        "import_growth_from_prices", 0.0, 0.2,
        "Response of that growth to the world prices of coal and iron ore (investment in "
        "DPRK mines follows what they fetch). Its default (0) is a guess; the boom of "
        "2010-2011 at high prices against the slower growth of 2012-2013 as prices fell "
        "identifies it."),
)


# --- running the model ----------------------------------------------------------------------

def with_values(scenario, values: dict[str, float] | None):
    """The scenario with some coefficients replaced (no validation beyond the dataclass).

    Args:
        scenario: a resolved ``Scenario``.
        values: coefficient name -> value; None or empty leaves it unchanged.
    """
    if not values:
        return scenario
    return scenario.model_copy(update={"parameters": scenario.parameters.replace(**values)})


def simulate(scenario, seed: int, months: int | None = None) -> pd.DataFrame:
    """Run a scenario for its first ``months`` months and return the time series.

    Args:
        scenario: a resolved ``Scenario``.
        seed: the random seed.
        months: months to step (default: the whole period).

    Returns:
        The monthly time series (as ``RunResult.timeseries``).
    """
    # lazy: the model loads Mesa; the CLI imports this module to build its parsers, which load no Mesa
    from buffer_sim.model import run_model

    return timeseries_frame(run_model(scenario.with_seed(seed), seed, months=months))


def seeds_for(scenario, count: int) -> list[int]:
    """The scenario's seed and the next ``count - 1``: ``[seed, seed+1, ...]``."""
    return [scenario.seed + i for i in range(count)]


def check_until(value, option: str = "--until") -> int:
    """``--until``: a year from 1990 to the last observed year (2015), or ``ScenarioError``."""
    last = int(FIT_END[:4])
    try:
        year = int(str(value).strip(), 10)
    except ValueError:
        raise ScenarioError(option, "", f"expected a year such as {DEFAULT_UNTIL}, "
                                        f"got {value!r}") from None
    if not 1990 <= year <= last:
        raise ScenarioError(option, "", f"{year} is out of range [1990, {last}] (trade "
                                        f"figures after {last} are withheld)")
    return year


def fit_window(scenario, until: int | None = None) -> tuple[int, int]:
    """First month and number of months of the calibration window.

    The window runs from the scenario's start to December of ``until`` (default: the
    last observed year, 2015), or the scenario's end if earlier.

    Raises:
        ScenarioError: the scenario starts after ``until`` or covers no complete year
            up to it.
    """
    last_year = int(FIT_END[:4]) if until is None else min(int(until), int(FIT_END[:4]))
    end = min(scenario.end, last_year * 12 + 11)
    months = end - scenario.start + 1
    years = [y for y in range(month_year(scenario.start), month_year(end) + 1)
             if y * 12 >= scenario.start and y * 12 + 11 <= end]
    if months <= 0 or not years:
        raise ScenarioError(scenario.path, "period",
                            f"{month_str(scenario.start)}..{month_str(scenario.end)} covers no "
                            f"complete calendar year up to {last_year}; calibration needs "
                            "observed years (trade figures after 2015 are withheld)")
    return scenario.start, months


def read_window(path) -> tuple[str, str] | None:
    """The ``(first, last)`` months a calibration file says it was fitted on.

    Args:
        path: a file; only one written by :func:`render_yaml` (first line
            :data:`FILE_MARK`) counts.

    Returns:
        ``("YYYY-MM", "YYYY-MM")``, or None for any other file.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            head = [handle.readline() for _ in range(40)]
    except (OSError, UnicodeDecodeError):
        return None
    if not head or not head[0].startswith(FILE_MARK):
        return None
    for line in head:
        found = _WINDOW_LINE.match(line)
        if found:
            return found.group(1), found.group(2)
    return None


def fitted_window(scenario) -> tuple[str, str, str] | None:
    """The calibration window of the coefficients a scenario uses.

    Looks through the files the scenario is built from (``scenario.files``, its
    ``extends:`` chain) for a calibration file, the nearest one first.

    Returns:
        ``(first month, last month, file)``, or None if the scenario extends none.
    """
    for path in reversed(tuple(getattr(scenario, "files", ()) or ())):
        window = read_window(path)
        if window is not None:
            return (*window, str(path))
    return None


def observed_trade() -> pd.DataFrame:
    """Observed annual trade, every source row, with totals derived from stated parts."""
    return metrics.with_derived_totals(observed.trade_annual())


# --- the objective ----------------------------------------------------------------------------

@dataclass
class Objective:
    """Mean squared log error of annual trade over the fit window, as a function of the
    declared coefficients in unit-cube coordinates (see the module doc).

    Attributes:
        scenario: the resolved scenario (its seed is the first of ``seeds``).
        declared: the fitted coefficients.
        seeds: the common random numbers.
        observed: tidy observed rows.
        progress: called once per evaluation (e.g. a progress bar's ``update``).
        evaluations: how many distinct points were evaluated.
    """

    scenario: object
    declared: Sequence[FitParameter]
    seeds: Sequence[int]
    observed: pd.DataFrame
    progress: Callable[[], None] | None = None
    evaluations: int = 0
    until: int | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.start, self.months = fit_window(self.scenario, self.until)
        last = self.start + self.months - 1
        self.years = range(month_year(self.start), month_year(last) + 1)

    def values(self, unit_x) -> dict[str, float]:
        """Unit-cube point -> {name: value}."""
        # 12 significant digits: the defaults survive the round trip through the unit
        # cube exactly (0.004 + 0.1538...*0.026 would be 0.008000000000000002).
        return {p.name: float(f"{p.value(u):.12g}") for p, u in zip(self.declared, unit_x)}

    def annual(self, values: dict[str, float]) -> pd.DataFrame:
        """Mean annual trade over the seeds for the given coefficient values."""
        scenario = with_values(self.scenario, values)
        runs = [metrics.annual_trade(simulate(scenario, seed, self.months))
                for seed in self.seeds]
        return metrics.mean_over_runs(runs)

    def of_values(self, values: dict[str, float]) -> float:
        """The objective for coefficient values (cached)."""
        key = tuple(sorted((k, float(v)) for k, v in values.items()))
        if key not in self._cache:
            residuals = metrics.log_residuals(self.annual(values), self.observed, self.years)
            self._cache[key] = float(residuals @ residuals)
            self.evaluations += 1
            if self.progress is not None:
                self.progress()
        return self._cache[key]

    def __call__(self, unit_x) -> float:
        return self.of_values(self.values(np.clip(np.asarray(unit_x, float), 0.0, 1.0)))


# --- the fit ----------------------------------------------------------------------------------

@dataclass
class CalibrationResult:
    """What ``calibrate`` found.

    Attributes:
        values: fitted value of each declared coefficient (rounded).
        defaults: the starting point (package defaults).
        objective_before: objective at the defaults.
        objective_after: objective at the fitted (rounded) values.
        evaluations: objective evaluations (each is ``len(seeds)`` model runs).
        iterations: Powell iterations done.
        message: the optimiser's termination message.
        seeds: the common random numbers.
        window: ``(first month, last month)`` as 'YYYY-MM'.
        table_before: in-sample comparison table at the defaults (``metrics.compare``).
        table_after: the same at the fitted values.
        scenario: the scenario calibrated.
        maxiter: the iteration budget.
        until: the last year fitted (the window's end).
    """

    values: dict[str, float]
    defaults: dict[str, float]
    objective_before: float
    objective_after: float
    evaluations: int
    iterations: int
    message: str
    seeds: list[int]
    window: tuple[str, str]
    table_before: pd.DataFrame
    table_after: pd.DataFrame
    scenario: object
    maxiter: int = DEFAULT_MAXITER
    until: int = DEFAULT_UNTIL


def round_significant(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """``value`` rounded to ``digits`` significant digits (0 stays 0)."""
    return float(f"{value:.{digits}g}")


def max_evaluations(maxiter: int, n_params: int) -> int:
    """The evaluation budget of the search (``maxfev``), reached only if it does not
    converge first."""
    return max(1, maxiter) * max(1, n_params) * MAXFEV_PER_ITER_AND_PARAM + 1


def calibrate(scenario, seeds: int = DEFAULT_SEEDS, maxiter: int = DEFAULT_MAXITER,
              declared: Sequence[FitParameter] = DECLARED,
              progress: Callable[[], None] | None = None,
              until: int = DEFAULT_UNTIL) -> CalibrationResult:
    """Fit the declared coefficients to the observed years of the fit window.

    Args:
        scenario: a resolved ``Scenario`` (its seed is the first common random number).
        seeds: how many seeds to average per evaluation.
        maxiter: Powell iterations at most.
        declared: the coefficients to fit.
        progress: called once per objective evaluation.
        until: last year fitted; the observed years after it are held back.

    Returns:
        A ``CalibrationResult``.

    Raises:
        ScenarioError: the scenario covers no observed year up to ``until``.
    """
    from scipy.optimize import minimize

    defaults = {p.name: float(getattr(Parameters(), p.name)) for p in declared}
    objective = Objective(scenario, declared, seeds_for(scenario, seeds), observed_trade(),
                          progress=progress, until=until)
    x0 = np.array([p.unit(defaults[p.name]) for p in declared])
    before = objective.of_values(defaults)
    result = minimize(objective, x0, method="Powell", bounds=[(0.0, 1.0)] * len(declared),
                      options={"xtol": XTOL, "ftol": FTOL, "maxiter": maxiter,
                               "maxfev": max_evaluations(maxiter, len(declared))})
    best = result.x if result.fun <= before else x0
    values = {p.name: round_significant(p.value(u)) for p, u in zip(declared, best)}
    after = objective.of_values(values)
    if after > before:  # rounding made it worse than the start: keep the defaults
        values, after = dict(defaults), before
    table_before = in_sample_table(objective, defaults)
    table_after = in_sample_table(objective, values)
    last = objective.start + objective.months - 1
    return CalibrationResult(
        values=values, defaults=defaults, objective_before=before, objective_after=after,
        evaluations=objective.evaluations, iterations=int(result.nit),
        message=str(result.message), seeds=list(objective.seeds),
        window=(month_str(objective.start), month_str(last)),
        table_before=table_before, table_after=table_after, scenario=scenario,
        maxiter=maxiter, until=until)


def in_sample_table(objective: Objective, values: dict[str, float]) -> pd.DataFrame:
    """``metrics.compare`` of the fit window at the given values (the validate table)."""
    annual = objective.annual(values)
    table, _ = metrics.compare(annual, objective.observed, month_year(objective.start))
    return table


# --- the calibration file -------------------------------------------------------------------

def provenance_hash(scenario, declared: Sequence[FitParameter] = DECLARED) -> str:
    """Content hash of the scenario without the fitted coefficients and the seed.

    Leaving them out keeps the hash the same once the scenario ``extends:`` the
    calibration file (whose values it then contains).
    """
    resolved = json.loads(json.dumps(scenario.resolved, sort_keys=True, default=str))
    resolved.pop("seed", None)
    params = resolved.get("parameters") or {}
    for p in declared:
        params.pop(p.name, None)
    if "parameters" in resolved:
        resolved["parameters"] = params
    text = json.dumps(resolved, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _fmt(value: float) -> str:
    """A float as YAML 1.1 reads it back as a float: '0.0', '0.0123', '1.5e-05' (PyYAML
    needs a '.' in the mantissa and a signed exponent)."""
    text = f"{float(value):.{SIGNIFICANT_DIGITS}g}"
    mantissa, e, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return mantissa + (f"e{int(exponent):+03d}" if e else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_yaml(result: CalibrationResult, scenario_label: str, command: str,
                declared: Sequence[FitParameter] = DECLARED) -> str:
    """The calibration file: a header comment and a ``parameters:`` mapping.

    Args:
        result: from :func:`calibrate`.
        scenario_label: how to name the scenario file (e.g. relative to the project).
        command: the command that produced the file (no dates, no absolute paths).
        declared: the fitted coefficients (for the reasons in the header).

    Returns:
        The YAML text; the same inputs give the same text.
    """
    import scipy

    seeds = result.seeds
    seed_text = (f"{seeds[0]}" if len(seeds) == 1 else f"{seeds[0]}..{seeds[-1]}")
    lines = [
        f"{FILE_MARK} Generated by:",
        f"#   {command}",
        "# Do not edit by hand; re-run the command instead (same command, same file).",
        "# A scenario uses it with 'extends: calibrated_parameters.yaml'.",
        "#",
        f"# Scenario: {scenario_label} (content hash without the fitted values "
        f"{provenance_hash(result.scenario, declared)})",
        f"# Window: {result.window[0]}..{result.window[1]}; observed annual China-DPRK trade "
        "(buffer_sim/data/observed), every source row.",
        *([f"#   Held back: the observed years {int(result.window[1][:4]) + 1}-{FIT_END[:4]} "
           "are not fitted;",
           "#   'buffer-sim validate' reads this window and scores them out of sample."]
          if result.window[1] < FIT_END else
          ["#   No observed year is held back ('buffer-sim validate' has no out-of-sample "
           "test)."]),
        "# Objective: mean squared error of log annual reported trade (total, China's exports,",
        "#   China's imports); each series-year counts once, its source rows share the weight.",
        f"#   Model values: mean of {_plural(len(seeds), 'run')} with seed"
        f"{'s' if len(seeds) > 1 else ''} {seed_text} (common random numbers).",
        "# Method: scipy.optimize.minimize, method Powell, bounds, unit-scaled coordinates,",
        f"#   start at the package defaults; xtol {XTOL:g}, ftol {FTOL:g}, maxiter "
        f"{result.maxiter};",
        f"#   values rounded to {SIGNIFICANT_DIGITS} significant digits.",
        f"# Result: objective {_fmt(result.objective_before)} at the defaults -> "
        f"{_fmt(result.objective_after)} fitted;",
        f"#   {_plural(result.evaluations, 'evaluation')}, "
        f"{_plural(result.iterations, 'iteration')}: {result.message.rstrip('.')}.",
        f"# Versions: buffer_sim {__version__}, scipy {scipy.__version__}, "
        f"numpy {np.__version__}, python {platform.python_version()}.",
        "#",
        "# Fitted (default -> fitted [search bounds]; reasons in buffer_sim/experiments/calibration.py):",
    ]
    for p in declared:
        lines.append(f"#   {p.name}: {_fmt(result.defaults[p.name])} -> "
                     f"{_fmt(result.values[p.name])}  [{p.lower:g}, {p.upper:g}]")
    lines.append("parameters:")
    for p in declared:
        lines.append(f"  {p.name}: {_fmt(result.values[p.name])}")
    return "\n".join(lines) + "\n"


def overrides(values: dict[str, float]) -> list[str]:
    """``--set`` strings applying fitted values: ``parameters.NAME=VALUE``."""
    return [f"parameters.{name}={_fmt(value)}" for name, value in values.items()]


def relative_label(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when inside it, else its file name."""
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).name
