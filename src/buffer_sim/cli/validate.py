"""``buffer-sim validate [SCENARIO]``: does the run explain the observed trade?

Split sample: the years the trade coefficients were fitted on (read from the
calibration file the scenario extends, ``buffer-sim calibrate --until YEAR``) and the
observed years after them (held back: the fit has not seen them) are judged
separately, each against two naive baselines built only from years before that
window (see ``buffer_sim.experiments.metrics``). ``--runs N`` runs an ensemble with the engine of
``buffer-sim ensemble`` (seeds and the scenario's ``uncertain:`` parameters drawn per
run) and scores the median, the 5-95% band (width, interval score, coverage) and the
share of runs that beat each baseline.

Writes ``validation.csv`` (and ``validation_bands.csv`` with ``--runs N``) and
``validation.png`` into ``OUT/<scenario name>/`` (each file atomically; the run's other
files, if any, are left alone) and prints the tables.
"""

from __future__ import annotations

import contextlib
import os
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from buffer_sim.core.errors import ScenarioError
from buffer_sim.cli.common import DEFAULT_OUT, load_for_output
from buffer_sim.scenario.catalog import DEFAULT_SCENARIO, project_root
from buffer_sim.core.months import month_str
from buffer_sim.experiments import engines, metrics, runner
from buffer_sim.scenario import observed
from buffer_sim.experiments.calibration import fitted_window, relative_label
from buffer_sim.experiments.runner import FLOAT_FORMAT
from buffer_sim.output import charts
from buffer_sim.output.files import atomic_write_bytes, atomic_write_text
from buffer_sim.experiments.metrics import BAND, TRADE_SERIES, _SERIES_LABELS, format_table

PROG = "buffer-sim"
CSV_FILE = "validation.csv"
BANDS_FILE = "validation_bands.csv"
PNG_FILE = "validation.png"
MAX_RUNS = 1000
FITTED, HELD_BACK, COMPARED, BEFORE = "fitted", "held back", "compared", "before the fit"


def register(subparsers, formatter_class) -> None:
    p = subparsers.add_parser(
        "validate", formatter_class=formatter_class,
        help="score a run's annual trade on the fitted and the held-back years, with "
             "baselines and bands",
        description=textwrap.dedent("""\
            Run a scenario, add up its monthly China-DPRK trade over complete calendar
            years and compare it with every observed year the scenario covers (total
            trade, China's exports, China's imports; each source row separately).
            The model's reported flows are compared (what customs statistics measure);
            informal flows appear in the chart only.

            Two windows, judged separately. The calibration file the scenario extends
            says which years its trade coefficients were fitted on ('buffer-sim
            calibrate --until 2013': 2009-2013): the 'fitted' window is in-sample;
            the observed years after it are the 'held back' window, a test the fit
            has not seen (2014-2015 in the shipped data; China's exports and imports
            are observed there for 2014 only). A scenario that extends no calibration
            file is judged in one 'compared' window.

            Each window has its own baselines, built only from years observed before
            that window:
              persistence  the last observed year before the window, carried forward
                           (held back: the last fitted year)
              trend        a least-squares line through the observed years before the
                           window (held back: the fitted years only)
            Metrics: MAE and RMSE (US$ million a year), MAPE (percent) and the share of
            year-to-year changes whose direction is right. A year stated by several
            sources counts once; its rows share the weight. 'all' pools every source;
            then each source on its own. A total marked '(sum)' is exports + imports
            stated by one source that gave no total.

            Uncertainty (--runs N, N > 1): N runs with the engine of 'buffer-sim
            ensemble': world seeds and the scenario's uncertain: parameters drawn per
            run. The model's forecast is then the median of the runs; per window and
            series the table gives the 5-95% band's mean width, its interval score
            (Gneiting & Raftery 2007, alpha 0.1: width plus 20x each miss; lower is
            better), its coverage (share of observed years inside the band; aim at the
            nominal 90%, not above: a band made wide by loose ranges is no success) and
            the share of runs whose own MAE beats each baseline.

            Writes into OUT/<scenario name>/ (other files there are kept):
              validation.csv        window, first_year, last_year, series, basis,
                                    metric, model, persistence, trend, n_years
              validation_bands.csv  (--runs N) window, series, the band scores
              validation.png        one panel per series: model (band), observed by
                                    source, both baselines per window"""),
        epilog=textwrap.dedent(f"""\
            examples:
              {PROG} validate
              {PROG} validate replay_2009_2019 --runs 200
              {PROG} validate --observed my_class_2016_2019.csv     # add later years
              {PROG} validate --set parameters.trade_growth_from_warmth=0.05
              {PROG} validate scenarios/chill_2012_2015.yaml --seed 7 --out runs"""))
    p.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, metavar="SCENARIO",
                   help=f"scenario YAML file or name (default: {DEFAULT_SCENARIO})")
    p.add_argument("--seed", metavar="N", default=None,
                   help="random seed of the run, or root seed of --runs N (default: the "
                        "scenario's seed:)")
    p.add_argument("--runs", metavar="N", default="1",
                   help="1: one run with the seed (default). N > 1: an ensemble; seeds "
                        "and the scenario's uncertain: parameters drawn per run, the "
                        "median and the 5-95%% band scored")
    p.add_argument("--observed", metavar="FILE", action="append", default=[],
                   help="add observed trade from a CSV with the columns of the shipped "
                        "file (year,total_usd_m,cn_exports_usd_m,cn_imports_usd_m,basis,"
                        "source_title[,source_url_or_repo_path,as_stated_note]); "
                        "repeatable. Years after the fit join the held-back window")
    p.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                   help=f"parent folder of the scenario's folder (default: {DEFAULT_OUT}/)")
    p.add_argument("--set", metavar="PATH=VALUE", action="append", default=[],
                   help="override one scenario field, as for 'run' (repeatable)")
    p.add_argument("--workers", metavar="N", dest="validate_workers", default=None,
                   help="processes for --runs N (default: every core once the runs take "
                        "over a second; 1: this process only)")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar and no table; print only the output folder")
    p.set_defaults(func=handler)


# --- the library layer -------------------------------------------------------------------------

@dataclass
class Window:
    """Years judged together, with the baselines built for them.

    Attributes:
        name: ``"fitted"``, ``"held back"``, ``"compared"`` or ``"before the fit"``.
        first: first year of the window (the baselines use only earlier years).
        last: last year of the window.
        years: the observed years in it that the scenario covers.
        trend_since: first year the trend may use (held back: the first fitted year).
        table: ``metrics.compare`` table of the window.
        baselines: series -> {"persistence": Baseline, "trend": Baseline}.
        bands: ``metrics.band_table`` of the window (``--runs N``), else None.
    """

    name: str
    first: int
    last: int
    years: list[int]
    trend_since: int | None = None
    table: pd.DataFrame | None = None
    baselines: dict = field(default_factory=dict)
    bands: pd.DataFrame | None = None

    @property
    def span(self) -> str:
        return f"{self.first}" if self.first == self.last else f"{self.first}-{self.last}"


@dataclass
class Validation:
    """One validation: the runs' annual trade, the observations, the windows.

    Attributes:
        scenario: the resolved scenario (its seed is the run's, or the root seed).
        seeds: the world seeds run.
        annual: the model's forecast: the run itself, or the median over the runs
            (``metrics.annual_trade`` with informal).
        runs: each run's annual table.
        observed: every observed row (with derived totals and added files).
        windows: the windows judged, in time order.
        fitted: ``(first month, last month, calibration file)`` or None.
        paths: the uncertain parameters drawn (``--runs N``).
        draws: (runs, paths) the drawn values.
        observed_files: files added with ``--observed``.
    """

    scenario: object
    seeds: list[int]
    annual: pd.DataFrame
    runs: list[pd.DataFrame]
    observed: pd.DataFrame
    windows: list[Window]
    fitted: tuple | None = None
    paths: tuple[str, ...] = ()
    draws: np.ndarray | None = None
    observed_files: list[str] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        """Every compared year."""
        return sorted(y for w in self.windows for y in w.years)

    @property
    def table(self) -> pd.DataFrame:
        """Every window's comparison table, with ``window``, ``first_year``, ``last_year``."""
        frames = []
        for w in self.windows:
            frame = w.table.copy()
            frame.insert(0, "last_year", w.last)
            frame.insert(0, "first_year", w.first)
            frame.insert(0, "window", w.name)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    @property
    def bands(self) -> pd.DataFrame | None:
        """Every window's band table (``--runs N``), or None."""
        frames = []
        for w in self.windows:
            if w.bands is None or w.bands.empty:
                continue
            frame = w.bands.copy()
            frame.insert(0, "last_year", w.last)
            frame.insert(0, "first_year", w.first)
            frame.insert(0, "window", w.name)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else None


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


def parse_workers(value) -> int | None:
    """``--workers``: None or a whole number >= 1. Raises ``ScenarioError``."""
    if value is None:
        return None
    try:
        workers = int(str(value).strip(), 10)
    except ValueError:
        workers = 0
    if workers < 1:
        raise ScenarioError("--workers", "", f"expected a whole number >= 1, got {value!r}")
    return workers


def covered_years(scenario) -> list[int]:
    """Calendar years whose 12 months all lie in the scenario's period."""
    first, last = scenario.start // 12, scenario.end // 12
    return [y for y in range(first, last + 1)
            if y * 12 >= scenario.start and y * 12 + 11 <= scenario.end]


def check_observed(scenario, observed: pd.DataFrame) -> list[int]:
    """The covered years that have observed trade; ``ScenarioError`` if there are none."""
    years = sorted(set(covered_years(scenario)) & set(observed["year"].astype(int)))
    if not years:
        lo, hi = int(observed["year"].min()), int(observed["year"].max())
        raise ScenarioError(scenario.path, "period",
                            f"{month_str(scenario.start)}..{month_str(scenario.end)} covers no "
                            f"complete calendar year with observed China-DPRK trade (observed: "
                            f"{lo}-{hi}; figures after 2015 are withheld on purpose; add "
                            "later years with --observed FILE)")
    return years


def windows_for(scenario, years: list[int], fitted: tuple | None) -> list[Window]:
    """Split the compared years into windows (see the module doc).

    Args:
        scenario: the scenario (its first covered year starts the first window).
        years: the covered years with observations.
        fitted: ``calibration.fitted_window`` of the scenario, or None.
    """
    first_year = scenario.start // 12 + (1 if scenario.start % 12 else 0)
    if fitted is None:
        return [Window(COMPARED, first_year, max(years), list(years))]
    f0, f1 = int(fitted[0][:4]), int(fitted[1][:4])
    before = [y for y in years if y < f0]
    inside = [y for y in years if f0 <= y <= f1]
    after = [y for y in years if y > f1]
    out = []
    if before:
        out.append(Window(BEFORE, first_year, max(before), before))
    if inside:
        out.append(Window(FITTED, max(first_year, f0) if before else first_year,
                          max(inside), inside))
    if after:
        out.append(Window(HELD_BACK, f1 + 1, max(after), after, trend_since=f0))
    return out


def observed_trade(files=()) -> pd.DataFrame:
    """Observed rows (shipped and from ``files``) with totals derived from stated parts.

    Raises:
        ScenarioError: a file is bad (``observed.read_trade_file``).
    """
    frames = [observed.trade_annual(), *[observed.read_trade_file(f) for f in files]]
    return metrics.with_derived_totals(pd.concat(frames, ignore_index=True))


_TRADE_NEEDED = ("cn_exports_customs", "cn_imports_reported", "cn_exports_informal",
                 "cn_imports_informal")


def _run_all(scenario, runs: int, workers: int | None, progress=None):
    """Annual trade of each run: one run with the scenario's seed, or an ensemble.

    Returns:
        ``(tables, world seeds, uncertain paths, drawn values)``.
    """
    # lazy: loads Mesa; command dispatch: only when the command runs
    from buffer_sim.experiments import ensemble, jobs
    from buffer_sim.model import output_columns

    columns = output_columns()
    picks = [columns.index(c) for c in _TRADE_NEEDED]

    def annual(data, dates):
        frame = pd.DataFrame(data[:, picks], columns=list(_TRADE_NEEDED))
        frame.insert(0, "date", list(dates))
        return metrics.annual_trade(frame, informal=True)

    if runs == 1:  # the run 'buffer-sim run' makes, without measuring the cost first
        chunk = jobs.Chunk(0, (scenario,), np.zeros(1, dtype=np.int64),
                              np.zeros(1, dtype=np.int64),
                              np.array([scenario.seed], dtype=np.int64), (),
                              np.empty((1, 0)))
        result = jobs.run_chunk(chunk)
        if progress is not None:
            progress(1)
        return [annual(result.data[0], result.dates)], [scenario.seed], (), np.empty((1, 0))
    indices, seeds, paths, values = ensemble.jobs(scenario, runs)
    choice = engines.EngineChoice(workers=workers)
    _plan, results = jobs.execute([scenario], np.zeros(runs, dtype=np.int64), indices,
                                     seeds, paths, values, choice=choice, progress=progress)
    tables = []
    with contextlib.closing(results):
        for result in results:
            tables += [annual(result.data[k], result.dates) for k in range(result.n)]
    return tables, [int(s) for s in seeds], tuple(paths), values


def run_validation(scenario, runs: int = 1, progress=None, observed_files=(),
                   workers: int | None = None) -> Validation:
    """Run a scenario (once, or ``runs`` times) and judge it window by window.

    Args:
        scenario: a resolved ``Scenario`` (``runner.load``).
        runs: 1 for one run with the scenario's seed; more for an ensemble (world
            seeds and uncertain parameters drawn from the scenario's seed as root).
        progress: called with the number of runs finished.
        observed_files: CSV files of observed trade to add (``--observed``).
        workers: processes for an ensemble (None: as ``buffer-sim ensemble``).

    Returns:
        A ``Validation``.

    Raises:
        ScenarioError: no observed year in the period, or a bad observed file.
    """
    observed = observed_trade(observed_files)
    years = check_observed(scenario, observed)
    tables, seeds, paths, draws = _run_all(scenario, runs, workers, progress)
    annual = tables[0] if len(tables) == 1 else metrics.median_over_runs(tables)
    fitted = fitted_window(scenario)
    windows = windows_for(scenario, years, fitted)
    for w in windows:
        w.table, w.baselines = metrics.compare(annual, observed, w.first, w.last,
                                               trend_since=w.trend_since)
        if len(tables) > 1:
            w.bands = metrics.band_table(tables, observed, w.baselines, w.years)
    return Validation(scenario, seeds, annual, tables, observed, windows, fitted, paths,
                      draws, [str(f) for f in observed_files])


def csv_text(validation: Validation) -> str:
    """``validation.csv``: the tidy table, floats with 6 significant digits."""
    return validation.table.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def bands_text(validation: Validation) -> str | None:
    """``validation_bands.csv`` (``--runs N``), or None for one run."""
    bands = validation.bands
    if bands is None:
        return None
    return bands.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def write_validation(validation: Validation, out_dir, chart: bool = True) -> Path:
    """Write ``validation.csv`` (``validation_bands.csv``) and ``validation.png`` into
    ``out_dir/<scenario name>/``.

    Every file is built before any is written, and each is written atomically; the
    folder's other files (a run's outputs) are kept; a stale bands file from an
    earlier ``--runs N`` is removed so the folder never mixes two validations.

    Returns:
        The folder (absolute).
    """
    folder = (Path(out_dir) / validation.scenario.name).absolute()
    text = csv_text(validation)
    bands = bands_text(validation)
    png = chart_png(validation) if chart else None
    folder.mkdir(parents=True, exist_ok=True)
    if png is not None:
        atomic_write_bytes(folder / PNG_FILE, png)
    if bands is not None:
        atomic_write_text(folder / BANDS_FILE, bands)
    else:
        (folder / BANDS_FILE).unlink(missing_ok=True)
    atomic_write_text(folder / CSV_FILE, text)
    return folder


# --- the chart -----------------------------------------------------------------------------------

def chart_png(validation: Validation) -> bytes:
    """``validation.png`` as bytes (``charts.validation_png``): one panel per series."""
    v, sc = validation, validation.scenario
    judged = {s for w in v.windows for s in w.baselines}
    series = [s for s in TRADE_SERIES if s in judged]
    seeds = (f"seed {v.seeds[0]}" if len(v.seeds) == 1
             else f"{len(v.seeds)} runs, root seed {sc.seed}")
    fitted = ("" if v.fitted is None else
              f"; coefficients fitted on {v.fitted[0]}..{v.fitted[1]}")
    title = (f"Validation of {sc.name} ({month_str(sc.start)}..{month_str(sc.end)}, "
             f"{seeds}{fitted})\nmodel's reported trade against observed trade and "
             "two baselines, window by window")
    return charts.validation_png(v.annual, v.observed, v.windows, series,
                                 {s: _score_line(v, s) for s in series}, title, runs=v.runs,
                                 seed=v.seeds[0], band=BAND, compared_years=v.years)


def _score_line(v: Validation, series: str) -> str:
    """MAPE per window (model, persistence, trend) and the band's coverage."""
    parts = []
    for w in v.windows:
        t = w.table
        row = t[(t["series"] == series) & (t["basis"] == "all") & (t["metric"] == "mape")]
        if row.empty:
            parts.append(f"{w.name} {w.span}: not observed")
            continue
        r = row.iloc[0]
        text = (f"{w.name} {w.span} MAPE: model {r.model:.0f}%, persistence "
                f"{r.persistence:.0f}%, trend {r.trend:.0f}%")
        if w.bands is not None and series in set(w.bands["series"]):
            b = w.bands.set_index("series").loc[series]
            text += f", band covers {b.coverage:.0%}"
        parts.append(text)
    return " | ".join(parts)


# --- the command ---------------------------------------------------------------------------

def notes(validation: Validation) -> list[str]:
    """What each window's baselines are built from, and the flags a reader must see."""
    lines = []
    for w in validation.windows:
        for base in w.baselines.values():
            for b in base.values():
                lines.append(f"  [{w.name}] " + b.describe())
    if any(str(b).endswith(" (sum)") for b in validation.table["basis"]):
        lines.append("  '(sum)': a total derived as exports + imports stated by one source "
                     "that gave no total.")
    return lines


def _window_heading(v: Validation, w: Window) -> str:
    years = ", ".join(str(y) for y in w.years)
    if w.name == FITTED:
        how = (f"in sample: the trade coefficients were fitted on {v.fitted[0]}..{v.fitted[1]} "
               f"({_short(v.fitted[2])})")
    elif w.name == HELD_BACK:
        how = "out of sample: not fitted; baselines from the fitted years"
    elif w.name == BEFORE:
        how = "before the fitted years"
    else:
        how = "the scenario extends no calibration file, so no window is held back"
    return f"{w.name.capitalize()} window {w.span} (observed {years}) - {how}:"


def _short(path: str) -> str:
    return relative_label(Path(path), project_root())


def _pct(x: float) -> str:
    return "-" if not np.isfinite(x) else f"{x:.0%}"


def format_bands(v: Validation) -> str:
    """The band table as aligned text (``--runs N``)."""
    header = ["window", "series", "n", "median MAE", "persist. MAE", "trend MAE",
              "band width", "interval score", "coverage", "runs beating persist.",
              "runs beating trend"]
    lines = []
    for w in v.windows:
        if w.bands is None:
            continue
        for r in w.bands.itertuples(index=False):
            lines.append([f"{w.name} {w.span}", _SERIES_LABELS.get(r.series, r.series),
                          str(r.n_years), f"{r.median_mae:,.0f}", f"{r.persistence_mae:,.0f}",
                          f"{r.trend_mae:,.0f}", f"{r.band_width:,.0f}",
                          f"{r.interval_score:,.0f}", f"{_pct(r.coverage)} (90%)",
                          _pct(r.share_beat_persistence), _pct(r.share_beat_trend)])
    widths = [max(len(x) for x in col) for col in zip(header, *lines)]
    return "\n".join("  ".join(c.ljust(wd) if j < 2 else c.rjust(wd)
                               for j, (c, wd) in enumerate(zip(line, widths))).rstrip()
                     for line in [header, *lines])


def verdict(v: Validation) -> list[str]:
    """One sentence per series of the held-back window: does the model beat both?"""
    held = next((w for w in v.windows if w.name == HELD_BACK), None)
    if held is None:
        if v.fitted is not None:
            return ["No observed year after the fitted window: nothing is held back "
                    "(re-fit with 'buffer-sim calibrate --until 2013', or add later years "
                    "with --observed FILE)."]
        return []
    out = []
    what = "the median" if len(v.runs) > 1 else "the model"
    for series in held.baselines:
        t = held.table
        row = t[(t["series"] == series) & (t["basis"] == "all") & (t["metric"] == "mae")]
        if row.empty:
            continue
        r = row.iloc[0]
        beats = [name for name in ("persistence", "trend") if r.model < getattr(r, name)]
        judged = ("beats both baselines" if len(beats) == 2 else
                  f"beats {beats[0]} only" if beats else "beats neither baseline")
        text = (f"  {_SERIES_LABELS.get(series, series)}: {what} {judged} (MAE {r.model:,.0f} "
                f"against persistence {r.persistence:,.0f} and trend {r.trend:,.0f}; "
                f"{int(r.n_years)} year{'s' if r.n_years != 1 else ''})")
        if held.bands is not None and series in set(held.bands["series"]):
            b = held.bands.set_index("series").loc[series]
            text += (f"; {_pct(b.share_beat_persistence)} of runs beat persistence, "
                     f"{_pct(b.share_beat_trend)} beat the trend")
        out.append(text + ".")
    return [f"Held back {held.span} (a test the fit has not seen):", *out]


def beyond(v: Validation) -> list[str]:
    """The model's total trade for the years after the last observed one (its prediction)."""
    last = int(v.observed["year"].max())
    later = [int(y) for y in v.annual.index if int(y) > last]
    if not later:
        return []
    cells = []
    for year in later:
        text = f"{year} {v.annual.at[year, 'total']:,.0f}"
        if len(v.runs) > 1:
            lo, hi = np.quantile([r.at[year, "total"] for r in v.runs], BAND)
            text += f" [{lo:,.0f}-{hi:,.0f}]"
        cells.append(text)
    what = "median [5-95% band]" if len(v.runs) > 1 else "one run"
    return [f"Predicted total trade after the observed years (not judged; {what}, "
            f"US$ million): " + ", ".join(cells) + "."]


def summary(validation: Validation, folder: Path) -> str:
    v, sc = validation, validation.scenario
    if len(v.runs) == 1:
        runs = f"seed {v.seeds[0]}"
    else:
        drawn = (f"world seeds and {len(v.paths)} uncertain parameter"
                 f"{'s' if len(v.paths) > 1 else ''} ({', '.join(v.paths)}) drawn per run"
                 if v.paths else "world seeds drawn per run; the scenario declares no "
                                 "uncertain: parameters")
        runs = f"{len(v.runs)} runs, root seed {sc.seed}: {drawn}"
    lines = [f"Validated {sc.name} ({month_str(sc.start)}..{month_str(sc.end)}, {runs}).",
             "Model: reported flows (customs statistics), complete calendar years"
             + ("; the median of the runs." if len(v.runs) > 1 else "."),
             "MAE and RMSE in US$ million a year, MAPE in percent, direction = share of "
             "year-to-year changes with the right sign (n = changes)."]
    if v.observed_files:
        lines.append("Observed data: the shipped rows and " + ", ".join(v.observed_files) + ".")
    for w in v.windows:
        lines += ["", _window_heading(v, w), format_table(w.table, bases=["all"])]
    if any(w.bands is not None for w in v.windows):
        lines += ["", "Uncertainty: the 5-95% band of the runs (width and interval score in "
                      "US$ million a year; lower is better;",
                  "coverage = share of observed years inside the band, nominal 90%):",
                  format_bands(v)]
    closing = verdict(v) + beyond(v)
    if closing:
        lines += ["", *closing]
    lines += ["", "Baselines (each built from observed years before its window):", *notes(v),
              f"Every source separately in {CSV_FILE}.",
              f"Files in {folder}{os.sep}",
              "  " + "  ".join([CSV_FILE] + ([BANDS_FILE] if len(v.runs) > 1 else [])
                               + [PNG_FILE])]
    return "\n".join(lines)


def handler(args, argv) -> int:
    seed = None if args.seed is None else runner.check_seed(args.seed)
    runs = parse_runs(args.runs)
    workers = parse_workers(args.validate_workers)
    files = list(args.observed or [])
    scenario, out_dir, final = load_for_output(args, seed)
    check_observed(scenario, observed_trade(files))  # bad files and no data: before any run
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        with tqdm(total=runs, desc=f"validate {scenario.name}", unit="run",
                  file=sys.stderr, leave=False, dynamic_ncols=True) as bar:
            validation = run_validation(scenario, runs, progress=bar.update,
                                        observed_files=files, workers=workers)
    else:
        validation = run_validation(scenario, runs, observed_files=files, workers=workers)
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
