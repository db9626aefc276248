"""``buffer-sim validate [SCENARIO]``: does the run explain the observed trade?

Runs the scenario (``--runs N``: seeds seed, seed+1, ..., annual values averaged),
sums the model's *reported* China-DPRK trade over complete calendar years and compares
it with every observed year the scenario covers, next to two naive baselines (see
``buffer_sim.metrics``). Writes ``validation.csv`` and ``validation.png`` into
``OUT/<scenario name>/`` (each file atomically; the run's other files, if any, are
left alone) and prints the table.
"""

from __future__ import annotations

import os
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from buffer_sim.errors import ScenarioError

PROG = "buffer-sim"
CSV_FILE = "validation.csv"
PNG_FILE = "validation.png"
MAX_RUNS = 1000


def register(subparsers, formatter_class) -> None:
    from buffer_sim.cli import DEFAULT_OUT, DEFAULT_SCENARIO

    p = subparsers.add_parser(
        "validate", formatter_class=formatter_class,
        help="compare a run's annual trade with the observed years and two baselines",
        description=textwrap.dedent("""\
            Run a scenario, add up its monthly China-DPRK trade over complete calendar
            years and compare it with every observed year the scenario covers (total
            trade, China's exports, China's imports; each source row separately).
            The model's reported flows are compared (what customs statistics measure);
            informal flows appear in the chart only.

            Metrics: MAE and RMSE (US$ million a year), MAPE (percent) and the share of
            year-to-year changes whose direction is right, for the model and two
            baselines built only from years observed before the scenario's start year:
              persistence  the last observed year before the start, carried forward
                           (if none, the first observed year in the period: flagged)
              trend        a least-squares line through the observed years before
                           the start (if fewer than two, through the first two observed
                           years in the period: flagged)
            A year stated by several sources counts once; its rows share the weight.
            'all' pools every source; then each source on its own. A total marked
            '(sum)' is exports + imports stated by one source that gave no total.

            Writes into OUT/<scenario name>/ (other files there are kept):
              validation.csv  series, basis, metric, model, persistence, trend,
                              n_years (for 'direction': the number of changes)
              validation.png  one panel per series: model, observed by source,
                              both baselines

            The model is random: it runs the scenario's seed, or --runs N seeds
            (seed, seed+1, ...) and compares the mean of their annual values."""),
        epilog=textwrap.dedent(f"""\
            examples:
              {PROG} validate
              {PROG} validate replay_2009_2019 --runs 5
              {PROG} validate --set parameters.trade_growth_from_warmth=0.05
              {PROG} validate scenarios/chill_2012_2015.yaml --seed 7 --out runs"""))
    p.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, metavar="SCENARIO",
                   help=f"scenario YAML file or name (default: {DEFAULT_SCENARIO})")
    p.add_argument("--seed", metavar="N", default=None,
                   help="random seed of the (first) run (default: the scenario's seed:)")
    p.add_argument("--runs", metavar="N", default="1",
                   help="average the annual values of N runs, seeds seed..seed+N-1 "
                        "(default: 1)")
    p.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                   help=f"parent folder of the scenario's folder (default: {DEFAULT_OUT}/)")
    p.add_argument("--set", metavar="PATH=VALUE", action="append", default=[],
                   help="override one scenario field, as for 'run' (repeatable)")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar and no table; print only the output folder")
    p.set_defaults(func=handler)


# --- the library layer -------------------------------------------------------------------------

@dataclass
class Validation:
    """One validation: the runs' annual trade, the observations and the table.

    Attributes:
        scenario: the resolved scenario (its seed is the first run's).
        seeds: the seeds run.
        annual: mean annual trade over the runs (``metrics.annual_trade`` with informal).
        runs: each run's annual table.
        observed: every observed row (with derived totals).
        table: ``metrics.compare`` table.
        baselines: series -> {"persistence": Baseline, "trend": Baseline}.
        years: the compared years.
    """

    scenario: object
    seeds: list[int]
    annual: pd.DataFrame
    runs: list[pd.DataFrame]
    observed: pd.DataFrame
    table: pd.DataFrame
    baselines: dict
    years: list[int] = field(default_factory=list)


def parse_runs(value) -> int:
    """``--runs``: a whole number 1..MAX_RUNS. Raises ``ScenarioError``."""
    try:
        runs = int(str(value).strip(), 10)
    except ValueError:
        raise ScenarioError("--runs", "", f"expected a whole number >= 1, got {value!r}") \
            from None
    if not 1 <= runs <= MAX_RUNS:
        raise ScenarioError("--runs", "", f"{runs} is out of range [1, {MAX_RUNS}]")
    return runs


def covered_years(scenario) -> list[int]:
    """Calendar years whose 12 months all lie in the scenario's period."""
    first, last = scenario.start // 12, scenario.end // 12
    return [y for y in range(first, last + 1)
            if y * 12 >= scenario.start and y * 12 + 11 <= scenario.end]


def check_observed(scenario, observed: pd.DataFrame) -> list[int]:
    """The covered years that have observed trade; ``ScenarioError`` if there are none."""
    from buffer_sim.months import month_str

    years = sorted(set(covered_years(scenario)) & set(observed["year"].astype(int)))
    if not years:
        lo, hi = int(observed["year"].min()), int(observed["year"].max())
        raise ScenarioError(scenario.path, "period",
                            f"{month_str(scenario.start)}..{month_str(scenario.end)} covers no "
                            f"complete calendar year with observed China-DPRK trade (observed: "
                            f"{lo}-{hi}; figures after 2015 are withheld on purpose)")
    return years


def run_validation(scenario, runs: int = 1, progress=None) -> Validation:
    """Run ``runs`` seeds of a scenario and compare their mean annual trade with history.

    Args:
        scenario: a resolved ``Scenario`` (``runner.load``).
        runs: number of seeds (the scenario's seed and the next ``runs - 1``).
        progress: called as ``progress(months_done_in_this_run, months_total)``.

    Returns:
        A ``Validation``.

    Raises:
        ScenarioError: no observed year in the period, or the seeds overflow.
    """
    from buffer_sim import metrics, runner
    from buffer_sim.calibration import observed_trade

    observed = observed_trade()
    years = check_observed(scenario, observed)
    seeds = [scenario.seed + i for i in range(runs)]
    if seeds[-1] > runner.MAX_SEED:
        raise ScenarioError("--runs", "", f"seeds {seeds[0]}..{seeds[-1]} pass the largest "
                                          f"seed {runner.MAX_SEED}; use a smaller --seed")
    tables = []
    for seed in seeds:
        result = runner.run(scenario.with_seed(seed), progress=progress)
        tables.append(metrics.annual_trade(result.timeseries, informal=True))
    annual = metrics.mean_over_runs(tables)
    table, baselines = metrics.compare(annual, observed, scenario.start // 12)
    return Validation(scenario, seeds, annual, tables, observed, table, baselines, years)


def csv_text(validation: Validation) -> str:
    """``validation.csv``: the tidy table, floats with 6 significant digits."""
    from buffer_sim.runner import FLOAT_FORMAT

    return validation.table.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def write_validation(validation: Validation, out_dir, chart: bool = True) -> Path:
    """Write ``validation.csv`` and ``validation.png`` into ``out_dir/<scenario name>/``.

    Both are built before either is written, and each is written atomically; the
    folder's other files (a run's outputs) are kept.

    Returns:
        The folder (absolute).
    """
    from buffer_sim.output import atomic_write_bytes, atomic_write_text

    folder = (Path(out_dir) / validation.scenario.name).absolute()
    text = csv_text(validation)
    png = chart_png(validation) if chart else None
    folder.mkdir(parents=True, exist_ok=True)
    if png is not None:
        atomic_write_bytes(folder / PNG_FILE, png)
    atomic_write_text(folder / CSV_FILE, text)
    return folder


# --- the chart -----------------------------------------------------------------------------------

_COLORS = {"total": "#333333", "cn_exports": "#1f77b4", "cn_imports": "#ff7f0e"}
_TITLES = {"total": "Total China-DPRK trade", "cn_exports": "China's exports to the DPRK",
           "cn_imports": "China's imports from the DPRK"}
_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "h", "<", ">")
_PERSISTENCE_COLOR, _TREND_COLOR = "#7f7f7f", "#9467bd"
_DPI, _WIDTH_PX, _HEIGHT_PX = 110, 1400, 1150
_STYLE = {"font.size": 9.5, "axes.titlesize": 10.5, "legend.fontsize": 8.5,
          "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
          "axes.spines.right": False, "lines.linewidth": 1.6}


def chart_png(validation: Validation) -> bytes:
    """``validation.png`` as bytes: one panel per series (reproducible: no metadata)."""
    from buffer_sim import plots  # noqa: F401  (selects the headless Agg backend)
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from buffer_sim.metrics import TRADE_SERIES
    from buffer_sim.months import month_str
    from buffer_sim.output import png_bytes

    v, sc = validation, validation.scenario
    series_list = [s for s in TRADE_SERIES if s in v.baselines]
    first_year = sc.start // 12
    model_years = [int(y) for y in v.annual.index]
    bases = sorted({str(b) for b in v.observed["basis"]})
    marker_of = {b: _MARKERS[i % len(_MARKERS)] for i, b in enumerate(bases)}
    with plt.rc_context(_STYLE):
        fig, axes = plt.subplots(len(series_list), 1, sharex=True, layout="constrained",
                                 figsize=(_WIDTH_PX / _DPI, _HEIGHT_PX / _DPI), dpi=_DPI)
        axes = np.atleast_1d(axes)
        for ax, series in zip(axes, series_list):
            color = _COLORS[series]
            handles = []
            # Observed: in-period rows compared; earlier rows only feed the baselines.
            base = v.baselines[series]
            used = set(base["persistence"].fitted_years) | set(base["trend"].fitted_years)
            rows = v.observed[v.observed["series"] == series]
            compared = rows[rows["year"].isin(v.years)]
            earlier = rows[rows["year"].isin(used - set(v.years))]
            shown = sorted(set(compared["basis"]) | set(earlier["basis"]))
            for i, basis in enumerate(shown):
                nudge = (i - (len(shown) - 1) / 2) * 0.06
                marker = marker_of[str(basis)]
                mine = compared[compared["basis"] == basis]
                ax.scatter(mine["year"] + nudge, mine["value_usd_m"], marker=marker, s=46,
                           color=color, edgecolors="black", linewidths=0.8, zorder=4)
                old = earlier[earlier["basis"] == basis]
                ax.scatter(old["year"] + nudge, old["value_usd_m"], marker=marker, s=46,
                           facecolors="none", edgecolors=color, linewidths=1.0, zorder=4)
                handles.append(Line2D([], [], marker=marker, linestyle="none", markersize=7,
                                      markerfacecolor="#d9d9d9", markeredgecolor="black",
                                      label=f"observed, {basis}"))
            if len(earlier):
                handles.append(Line2D([], [], marker="o", linestyle="none", markersize=7,
                                      markerfacecolor="none", markeredgecolor=color,
                                      label="observed before the start (baselines only)"))
            # Model: reported (compared), informal (not compared), spread of the runs.
            years = np.array(model_years)
            ax.plot(years, v.annual[series], color=color, marker=".", zorder=3,
                    label="model, reported (compared)")
            handles.insert(0, Line2D([], [], color=color, marker=".",
                                     label=f"model, reported{_runs_label(v)}"))
            if len(v.runs) > 1:
                stack = np.stack([r.loc[v.annual.index, series].to_numpy(float)
                                  for r in v.runs])
                ax.fill_between(years, stack.min(axis=0), stack.max(axis=0), color=color,
                                alpha=0.15, linewidth=0)
                handles.insert(1, Line2D([], [], color=color, alpha=0.3, linewidth=6,
                                         label=f"model, range of {len(v.runs)} runs"))
            informal = f"informal_{series}"
            if informal in v.annual.columns:
                ax.plot(years, v.annual[informal], color=color, linestyle=":", alpha=0.8)
                handles.insert(1, Line2D([], [], color=color, linestyle=":", alpha=0.8,
                                         label="model, informal (not in customs data; "
                                               "not compared)"))
            # Baselines from the start year on.
            future = np.array([y for y in model_years if y >= first_year])
            for name, bcolor, dash in (("persistence", _PERSISTENCE_COLOR, (0, (5, 3))),
                                       ("trend", _TREND_COLOR, (0, (2, 2)))):
                b = base[name]
                ax.plot(future, b.predict(future), color=bcolor, linestyle=dash,
                        linewidth=1.3)
                src = ", ".join(str(y) for y in b.fitted_years)
                flag = " (in period)" if b.in_period else ""
                handles.append(Line2D([], [], color=bcolor, linestyle=dash,
                                      label=f"{name} baseline ({src}){flag}"))
            ax.axvspan(first_year - 0.5, max(v.years) + 0.5, color="#f0f0f0", zorder=0)
            scores = _mape_line(v, series)
            ax.set_title(f"{_TITLES[series]}, US$ million a year — MAPE over "
                         f"{min(v.years)}-{max(v.years)}: {scores}", loc="left")
            ax.set_ylabel("US$ million a year")
            ax.set_ylim(bottom=0)
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                      borderaxespad=0, frameon=False)
        axes[-1].set_xlabel("calendar year (complete years only; shaded: years compared)")
        axes[-1].xaxis.get_major_locator().set_params(integer=True)
        seeds = (f"seed {v.seeds[0]}" if len(v.seeds) == 1
                 else f"seeds {v.seeds[0]}..{v.seeds[-1]}")
        fig.suptitle(f"Validation of {sc.name} ({month_str(sc.start)}..{month_str(sc.end)}, "
                     f"{seeds}): model's reported trade vs observed and two baselines")
        try:
            return png_bytes(fig, dpi=_DPI)
        finally:
            plt.close(fig)


def _runs_label(v: Validation) -> str:
    return "" if len(v.runs) == 1 else f", mean of {len(v.runs)} runs"


def _mape_line(v: Validation, series: str) -> str:
    row = v.table[(v.table["series"] == series) & (v.table["basis"] == "all")
                  & (v.table["metric"] == "mape")]
    if row.empty:
        return "-"
    r = row.iloc[0]
    return f"model {r.model:.0f}%, persistence {r.persistence:.0f}%, trend {r.trend:.0f}%"


# --- the command ---------------------------------------------------------------------------

def notes(validation: Validation) -> list[str]:
    """What the baselines are built from, and the flags a reader must see."""
    lines = []
    for base in validation.baselines.values():
        for b in base.values():
            lines.append("  " + b.describe())
    if any(str(b).endswith(" (sum)") for b in validation.table["basis"]):
        lines.append("  '(sum)': a total derived as exports + imports stated by one source "
                     "that gave no total.")
    return lines


def summary(validation: Validation, folder: Path) -> str:
    from buffer_sim.metrics import format_table
    from buffer_sim.months import month_str

    v, sc = validation, validation.scenario
    seeds = (f"seed {v.seeds[0]}" if len(v.seeds) == 1
             else f"{len(v.seeds)} runs, seeds {v.seeds[0]}..{v.seeds[-1]}, annual values averaged")
    years = ", ".join(str(y) for y in v.years)
    lines = [
        f"Validated {sc.name} ({month_str(sc.start)}..{month_str(sc.end)}, {seeds}) against "
        f"observed China-DPRK trade in {years}.",
        "Model: reported flows (customs statistics), complete calendar years. MAE and RMSE in "
        "US$ million a year,",
        "MAPE in percent, direction = share of year-to-year changes with the right sign "
        "(n = changes).",
        "",
        format_table(v.table),
        "",
        "Baselines (built from observed years before the start year):",
        *notes(v),
        f"Files in {folder}{os.sep}",
        f"  {CSV_FILE}  {PNG_FILE}",
    ]
    return "\n".join(lines)


def handler(args, argv) -> int:
    from buffer_sim import runner
    from buffer_sim.cli import _progress_bar, load_for_output

    seed = None if args.seed is None else runner.check_seed(args.seed)
    runs = parse_runs(args.runs)
    scenario, out_dir, final = load_for_output(args, seed)
    from buffer_sim.calibration import observed_trade

    check_observed(scenario, observed_trade())  # before any run
    if scenario.seed + runs - 1 > runner.MAX_SEED:
        raise ScenarioError("--runs", "", f"seeds up to {scenario.seed + runs - 1} pass the "
                                          f"largest seed {runner.MAX_SEED}")

    if not args.quiet and sys.stderr.isatty():
        with _progress_bar(scenario.months * runs, f"validate {scenario.name}") as bar:
            validation = run_validation(scenario, runs,
                                        progress=lambda done, total: bar.update(1))
    else:
        validation = run_validation(scenario, runs)
    try:
        folder = write_validation(validation, out_dir)
    except OSError as err:
        reason = err.strerror or str(err)
        where = err.filename or out_dir
        print(f"{PROG}: error: cannot write the validation to {where}: {reason}",
              file=sys.stderr)
        return 1
    if args.quiet:
        print(folder)
    else:
        print(summary(validation, folder))
    return 0
