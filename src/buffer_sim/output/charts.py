"""Charts of buffer_sim runs: leverage, trade, overview, and comparisons of runs.

Every public function takes one run's time series (a DataFrame with a ``date``
column of ``"YYYY-MM"`` strings, one row per month) or a mapping of run name to
such a frame, writes one PNG and returns its path.

Conventions shared by all charts:
    * A month is drawn at its first day; the x axis is a real date axis.
    * Single-run charts give every variable its own colour. Multi-run charts
      (:func:`overlay`, :func:`plot_compare`) give every measure its own panel
      and every run its own colour; each panel's legend names measure and run
      ("reported imports - replay_2009_2019", :func:`legend_label`).
    * Bounded measures sit on their whole range in multi-run charts (warmth
      -1..1, levels and shares 0..1; :func:`value_limits`), so a small gap looks
      small; the difference chart (``plot_compare(difference=True)``) shows it.
    * Events are thin vertical lines coloured by kind, numbered in date order
      above the top panel(s); a key below the chart lists every event whole
      ("17  2016-03  UNSCR 2270 (coal, iron; livelihood exemption)").
    * Columns a chart knows about but the frame lacks are skipped, so older
      ``timeseries.csv`` files still plot.
    * Every PNG carries its title, panel titles, legend entries and event key
      as text (:func:`chart_text`), so worksheets can be checked against it.
    * Output is reproducible: fixed size and dpi, no software/date metadata, so
      the same data give byte-identical PNGs. Files are written atomically
      (temporary file in the target directory, then :func:`os.replace`).
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import ScaledTranslation, blended_transform_factory

# Headless backend: charts are written by the CLI, batch runs and tests, never
# shown in a window. Must precede the pyplot import.
matplotlib.use("Agg")

import matplotlib.pyplot as plt

from buffer_sim.output.files import atomic_write_bytes
from buffer_sim.core.params import Parameters
from buffer_sim.core import world

__all__ = ["DPI", "ChartText", "chart_text", "figure_text", "legend_label", "overlay",
           "overlay_panels", "panel_title", "plot_compare", "plot_leverage", "plot_overview",
           "plot_trade", "value_limits"]

#: Output resolution (dots per inch); fixed so that output is reproducible.
DPI = 110
#: Width of every chart in pixels; heights vary with the number of panels.
WIDTH_PX = 1400
HEIGHT_PX = 900
OVERVIEW_HEIGHT_PX = 1150

EVENT_FONT_SIZE = 7.5

#: Event kind -> (colour, legend name). Dark tones so labels read on white.
EVENT_KINDS: dict[str, tuple[str, str]] = {
    "forced_action": ("#b2182b", "forced action"),
    "resolution": ("#2166ac", "UN resolution"),
    "administration": ("#1b7837", "new administration"),
    "parameter_change": ("#737373", "parameter change"),
    "diplomatic_shock": ("#762a83", "diplomatic shock"),
}
_OTHER_EVENT_COLOR = "#525252"
#: Colour -> its name in the event key's title.
_COLOUR_NAMES = {"#b2182b": "red", "#2166ac": "blue", "#1b7837": "green", "#737373": "grey",
                 "#762a83": "purple", _OTHER_EVENT_COLOR: "dark grey"}

# Run colours skip the blue, orange and grey used for the trade series, so that
# coloured observed markers stay unambiguous in trade overlays.
RUN_COLORS = ("#2ca02c", "#d62728", "#9467bd", "#17becf", "#8c564b", "#e377c2",
              "#bcbd22", "#1f77b4", "#ff7f0e", "#7f7f7f")

# Marker shapes for the sources ("basis") of observed data.
_BASIS_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "h")

_EXPORT_COLOR, _IMPORT_COLOR, _TOTAL_COLOR = "#1f77b4", "#ff7f0e", "#333333"

# Applied only while a chart is built and saved (rc_context), so nothing leaks
# into the caller's matplotlib settings.
_STYLE = {
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "axes.labelsize": 9.5,
    "legend.fontsize": 8.5,
    "legend.title_fontsize": 8.5,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "figure.titlesize": 13,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.6,
}

_TIME_LABEL = "month (one model step)"
#: Longest line of a figure title, in characters, before it wraps.
_TITLE_CHARS = 100


@dataclass(frozen=True)
class _Series:
    """A column drawn as a line.

    Attributes:
        column: column of the run's frame.
        label: legend text, with the unit where the axis does not give it.
        color: colour in single-run charts.
        style: line style in single-run charts.
    """

    column: str
    label: str
    color: str
    style: object = "-"


@dataclass(frozen=True)
class _Run:
    """One run prepared for drawing.

    Attributes:
        name: run name (empty for a single-run chart).
        df: the run's time series.
        months: first day of each row's month.
        x: ``months`` as Matplotlib date numbers (days).
        color: the run's colour, or None in single-run charts, where colours
            distinguish variables instead.
        width: line width of the run's lines.
    """

    name: str
    df: pd.DataFrame
    months: pd.DatetimeIndex
    x: np.ndarray
    color: str | None
    width: float = 1.6
    reference: str | None = None
    reference_df: pd.DataFrame | None = None


_LEVERAGE = (
    _Series("leverage_potential", "potential leverage (share of DPRK economy)", "#1f77b4"),
    _Series("pressure_applied", "pressure applied (share of DPRK economy)", "#ff7f0e"),
    _Series("influence_realized", "realized influence (−1..1; < 0: backfired)", "#2ca02c"),
)

_TRADE_MONTHLY = (
    _Series("cn_exports_reported", "China exports to DPRK, reported", _EXPORT_COLOR, "-"),
    _Series("cn_exports_informal", "China exports to DPRK, informal", _EXPORT_COLOR, "--"),
    _Series("cn_imports_reported", "China imports from DPRK, reported", _IMPORT_COLOR, "-"),
    _Series("cn_imports_informal", "China imports from DPRK, informal", _IMPORT_COLOR, "--"),
)

# Columns of the annual table; named like the ``series`` of observed data.
_TRADE_ANNUAL = (
    _Series("cn_exports", "model: China exports, reported", _EXPORT_COLOR),
    _Series("cn_imports", "model: China imports, reported", _IMPORT_COLOR),
    _Series("total", "model: total reported trade", _TOTAL_COLOR),
)
_OBSERVED_SERIES_NAMES = {"cn_exports": "China exports", "cn_imports": "China imports",
                          "total": "total trade"}

_SECURITY = (
    _Series("tension", "tension (war-risk proxy)", "#d62728"),
    _Series("stability", "DPRK stability", "#2ca02c"),
    _Series("nuclear", "nuclear programme", "#9467bd"),
    _Series("sanctions_scope", "UN sanctions scope (share)", "#7f7f7f", ":"),
)
_ECONOMY = _Series("dprk_economy", "DPRK economy (index, right axis)", "#8c564b", "-.")

_WARMTH = (
    _Series("warmth_cn_dprk", "China–DPRK", "#d62728"),
    _Series("warmth_us_dprk", "US–DPRK", "#1f77b4"),
    _Series("warmth_rok_dprk", "ROK–DPRK", "#17becf"),
    _Series("warmth_cn_rok", "China–ROK", "#ff7f0e"),
    _Series("warmth_cn_us", "China–US", "#9467bd"),
)

_INSTRUMENTS = (
    _Series("beijing_enforcement", "Beijing: sanctions enforcement", "#d62728"),
    _Series("beijing_crackdown", "Beijing: crackdown on informal trade", "#8c564b"),
    _Series("beijing_aid", "Beijing: supplies (crude oil, food)", "#2ca02c"),
    _Series("beijing_engagement", "Beijing: engagement", "#1f77b4"),
    _Series("washington_pressure", "Washington: sanctions pressure", "#9467bd", "--"),
    _Series("washington_military", "Washington: military signalling", "#8c564b", "--"),
)

#: Column -> (label, unit) for :func:`plot_compare` panels.
METRICS: dict[str, tuple[str, str]] = {
    "leverage_potential": ("potential leverage", "level 0..1"),
    "pressure_applied": ("pressure applied", "level 0..1"),
    "influence_realized": ("realized influence", "−1..1 (< 0: backfired)"),
    "cn_exports_reported": ("China exports to DPRK, reported", "US$ million per month"),
    "cn_imports_reported": ("China imports from DPRK, reported", "US$ million per month"),
    "cn_exports_informal": ("China exports to DPRK, informal", "US$ million per month"),
    "cn_imports_informal": ("China imports from DPRK, informal", "US$ million per month"),
    "informal_trade": ("informal trade, both ways", "US$ million per month"),
    "other_trade": ("DPRK trade with other partners", "US$ million per month"),
    "china_share": ("China's share of DPRK trade", "share 0..1"),
    "tension": ("tension (war-risk proxy)", "level 0..1"),
    "stability": ("DPRK stability", "level 0..1"),
    "nuclear": ("nuclear programme", "level 0..1"),
    "test_readiness": ("readiness for the next major test", "level 0..1"),
    "hostility": ("hostility (memory of provocations)", "level 0..1"),
    "dprk_economy": ("DPRK economy", "index, 1 = reference"),
    "sanctions_scope": ("UN sanctions scope", "share of DPRK exports"),
    "customs_blocked": ("DPRK exports stopped at Chinese customs", "share"),
    "warmth_cn_dprk": ("warmth China–DPRK", "−1 hostile .. 1 close"),
    "warmth_us_dprk": ("warmth US–DPRK", "−1 hostile .. 1 close"),
    "warmth_rok_dprk": ("warmth ROK–DPRK", "−1 hostile .. 1 close"),
    "warmth_cn_rok": ("warmth China–ROK", "−1 hostile .. 1 close"),
    "warmth_cn_us": ("warmth China–US", "−1 hostile .. 1 close"),
    "beijing_enforcement": ("Beijing: sanctions enforcement", "instrument level 0..1"),
    "beijing_crackdown": ("Beijing: crackdown on informal trade", "instrument level 0..1"),
    "beijing_aid": ("Beijing: supplies (crude oil, food)", "instrument level 0..1"),
    "beijing_engagement": ("Beijing: engagement", "instrument level 0..1"),
    "pyongyang_provocation": ("Pyongyang: provocation", "0 none, 1 missile, 2 nuclear/ICBM"),
    "pyongyang_outreach": ("Pyongyang: outreach", "instrument level 0..1"),
    "washington_pressure": ("Washington: sanctions pressure", "instrument level 0..1"),
    "washington_military": ("Washington: military signalling", "instrument level 0..1"),
    "washington_engagement": ("Washington: engagement", "instrument level 0..1"),
    "seoul_engagement": ("Seoul: engagement with the DPRK", "instrument level 0..1"),
    "seoul_alignment": ("Seoul: alignment with the US", "instrument level 0..1"),
    "seoul_china_ties": ("Seoul: ties with China", "instrument level 0..1"),
}


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

def plot_leverage(df: pd.DataFrame, path, events: Iterable = (), title: str | None = None) -> Path:
    """Draw potential leverage, pressure applied and realized influence.

    The shaded band is the gap between what Beijing could do (potential
    leverage) and what it achieved (realized influence).

    Args:
        df: one run's time series with ``date`` and the leverage columns.
        path: PNG file to write (parent directories are created).
        events: ``(date "YYYY-MM", label, kind)`` tuples.
        title: figure title; a default names the chart and the period.

    Returns:
        The path written.
    """
    runs = _prepare_runs({"": df}, overlay=False)
    marks = _prepare_events(events, runs)
    return _render(path, HEIGHT_PX + _key_height(marks),
                   partial(_draw_leverage, runs=runs, events=marks, title=title))


def plot_trade(df: pd.DataFrame, path, events: Iterable = (), observed: pd.DataFrame | None = None,
               title: str | None = None) -> Path:
    """Draw monthly China-DPRK trade flows and annual sums against observed data.

    Args:
        df: one run's time series with ``date`` and the trade columns.
        path: PNG file to write (parent directories are created).
        events: ``(date "YYYY-MM", label, kind)`` tuples.
        observed: annual observations with columns ``year``, ``series``
            (``total``, ``cn_exports``, ``cn_imports``), ``value_usd_m`` and
            ``basis``; None or empty to omit. Years outside the run are dropped.
        title: figure title; a default names the chart and the period.

    Returns:
        The path written.
    """
    runs = _prepare_runs({"": df}, overlay=False)
    marks = _prepare_events(events, runs)
    return _render(path, HEIGHT_PX + _key_height(marks),
                   partial(_draw_trade, runs=runs, events=marks, observed=observed, title=title))


def plot_overview(df: pd.DataFrame, path, events: Iterable = (), title: str | None = None) -> Path:
    """Draw the state of the world, the relations and the instruments in three panels.

    Args:
        df: one run's time series with ``date`` and the overview columns.
        path: PNG file to write (parent directories are created).
        events: ``(date "YYYY-MM", label, kind)`` tuples; lines on every panel,
            numbers on the top one, names in the key below.
        title: figure title; a default names the chart and the period.

    Returns:
        The path written.
    """
    runs = _prepare_runs({"": df}, overlay=False)
    marks = _prepare_events(events, runs)
    return _render(path, OVERVIEW_HEIGHT_PX + _key_height(marks),
                   partial(_draw_overview, runs=runs, events=marks, title=title))


def plot_compare(runs: Mapping[str, pd.DataFrame], path, metrics: Sequence[str],
                 title: str | None = None, *, difference: bool = False, events=(),
                 bands: Mapping[str, pd.DataFrame] | None = None,
                 window: tuple[str, str] | None = None) -> Path:
    """Draw small multiples: one panel per metric, one colour per run.

    Panel titles are the measures' names (``METRICS``); every panel has its own
    legend whose entries name the measure and the run (``legend_label``). Bounded
    measures sit on their whole range (``value_limits``), so a small gap looks small.

    Args:
        runs: run name -> time series; colours follow the mapping's order; the first
            is the reference of ``difference``.
        path: PNG file to write (parent directories are created).
        metrics: columns to draw, one panel each, in this order.
        title: figure title; defaults to "Scenario comparison" and the period.
        difference: draw each run minus the first (months both have), on an axis
            symmetric about zero, instead of the levels.
        events: ``(date, label, kind)`` tuples, or run name -> such tuples (an event
            not in every run is marked "only in ..."): marker lines on every panel,
            numbers above the top ones, names in a key below.
        bands: run name -> a frame with ``date`` and, per metric, columns
            ``"<metric> q05"`` and ``"<metric> q95"``: shaded in the run's colour
            (for ``difference``: the band of the run's differences from the first).
        window: ``(first, last)`` months ('YYYY-MM') of the key numbers; the months
            outside it are shaded grey.

    Returns:
        The path written.

    Raises:
        ValueError: no runs, no metrics, a metric no run has, or ``difference``
            with a single run.
    """
    metrics = list(metrics)
    if not metrics:
        raise ValueError("plot_compare needs at least one metric")
    prepared = _prepare_runs(runs, overlay=True)
    missing = [m for m in metrics if not any(m in r.df.columns for r in prepared)]
    if missing:
        raise ValueError(f"no run has the column(s) {', '.join(missing)}")
    if difference:
        if len(prepared) < 2:
            raise ValueError("a difference chart needs at least two runs")
        prepared = _difference_runs(prepared)
    panels = [_panel(m) for m in metrics]
    marks = _prepare_events(events, prepared)
    ncols = 1 if len(panels) <= 3 else 2
    nrows = -(-len(panels) // ncols)
    height = max(HEIGHT_PX, 170 + 215 * nrows) + _key_height(marks)
    default = ("Difference from " + next(iter(runs)) if difference else "Scenario comparison")
    return _render(path, height, partial(
        _draw_grid, runs=prepared, panels=panels, ncols=ncols, events=marks, title=title,
        default_title=default, bands=bands, difference=difference, window=window))


#: Panels of each overlay, by kind (see ``overlay_panels``).
OVERLAY_KINDS = ("leverage", "trade", "overview")


def overlay_panels(kind: str, columns: Iterable[str] = ()) -> list[str]:
    """The measures of an overlay, one panel each, in drawing order.

    Args:
        kind: ``"leverage"``, ``"trade"`` or ``"overview"``.
        columns: the runs' columns; the overview's instruments are every
            ``beijing_*`` column among them (so a new instrument gets its panel).

    Returns:
        Column names; ``annual:<series>`` for the annual sums of the trade
        overlay (``series`` as in observed data) and ``tests`` for Pyongyang's tests.

    Raises:
        ValueError: unknown ``kind``.
    """
    columns = list(columns)
    if kind == "leverage":
        return list(world.LEVERAGE_MEASURES)
    if kind == "trade":
        return [s.column for s in _TRADE_MONTHLY] + [f"annual:{s.column}" for s in _TRADE_ANNUAL]
    if kind == "overview":
        beijing = [f"beijing_{name}" for name in world.INSTRUMENTS["beijing"]]
        beijing += [c for c in columns if c.startswith("beijing_") and c not in beijing]
        return ["tension", "stability", "nuclear", "dprk_economy", "sanctions_scope",
                *(s.column for s in _WARMTH), *beijing, "washington_pressure",
                "washington_military", "tests"]
    raise ValueError(f"kind must be 'leverage', 'trade' or 'overview', got {kind!r}")


def overlay(runs: Mapping[str, pd.DataFrame], path, kind: str,
            observed: pd.DataFrame | None = None, *, events=(),
            bands: Mapping[str, pd.DataFrame] | None = None, title: str | None = None) -> Path:
    """Draw the measures of one of the single-run charts for several runs.

    One panel per measure (``overlay_panels``), one colour per run, a legend per
    panel naming measure and run (``legend_label``); bounded measures on their whole
    range. Events are marked as in :func:`plot_compare`.

    Args:
        runs: run name -> time series; colours follow the mapping's order.
        path: PNG file to write (parent directories are created).
        kind: ``"leverage"``, ``"trade"`` or ``"overview"``.
        observed: annual observations for ``kind="trade"`` (see
            :func:`plot_trade`), drawn in the annual panels; ignored otherwise.
        events: as for :func:`plot_compare`.
        bands: as for :func:`plot_compare`.
        title: figure title; a default names the chart, the period and the runs.

    Returns:
        The path written.

    Raises:
        ValueError: unknown ``kind`` or no runs.
    """
    prepared = _prepare_runs(runs, overlay=True)
    columns = set().union(*(r.df.columns for r in prepared))
    names = overlay_panels(kind, sorted(columns))
    panels = [_panel(n) for n in names
              if n in columns or n == "tests" and "pyongyang_provocation" in columns
              or n.startswith("annual:") and _ANNUAL_SOURCES[n[7:]] <= columns]
    if not panels:
        raise ValueError(f"no run has any column of the {kind} chart")
    marks = _prepare_events(events, prepared)
    ncols = 1 if len(panels) <= 3 else 2
    nrows = -(-len(panels) // ncols)
    height = max(HEIGHT_PX, 170 + 200 * nrows) + _key_height(marks)
    defaults = {"leverage": "Beijing's leverage: potential, pressure applied, influence realized",
                "trade": "China–DPRK trade", "overview": "Overview: security, relations, "
                "instruments"}
    return _render(path, height, partial(
        _draw_grid, runs=prepared, panels=panels, ncols=ncols, events=marks, title=title,
        default_title=defaults[kind], bands=bands, observed=observed))


def legend_label(measure: str, run: str, reference: str | None = None) -> str:
    """A legend entry of a multi-run chart: the measure's name and the run's.

    Args:
        measure: column name (``reported imports - replay_2009_2019`` for
            ``cn_imports_reported``) or a measure's legend name.
        run: the run's name.
        reference: in a difference chart, the run the difference is taken from.
    """
    name = _panel(measure).name if measure in METRICS or ":" in measure else measure
    return f"{name} - {run}" + (f" minus {reference}" if reference else "")


def panel_title(measure: str) -> str:
    """The title of a measure's panel in multi-run charts."""
    return _panel(measure).title


@dataclass(frozen=True)
class ChartText:
    """The words of a drawn chart, for checking that worksheets cite real things.

    Attributes:
        title: the figure's title.
        panels: each panel's title, top left to bottom right (row by row); in
            single-run charts, the title of the panel's legend ("Warmth of relations").
        legend: every legend entry, panel by panel (the event key excluded).
        events: the entries of the numbered event key.
    """

    title: str
    panels: tuple[str, ...]
    legend: tuple[str, ...]
    events: tuple[str, ...]


#: PNG text key under which every chart carries its ``ChartText`` as JSON.
TEXT_KEY = "buffer_sim chart text"
_EVENT_KEY_GID = "event-key"


def figure_text(fig: Figure) -> ChartText:
    """Panel titles, legend entries and event key of a drawn figure."""
    legends, events = [], []
    for legend in [*(ax.get_legend() for ax in fig.axes), *fig.legends]:
        if legend is None:
            continue
        texts = [t.get_text() for t in legend.get_texts()]
        (events if legend.get_gid() == _EVENT_KEY_GID else legends).extend(texts)
    panels = []
    for ax in fig.axes:
        legend = ax.get_legend()
        # Single-run charts name their panels in the legend's title.
        name = (ax.get_title(loc="left") or ax.get_title()
                or (legend.get_title().get_text() if legend is not None else ""))
        if ax.get_visible() and name:
            panels.append(" ".join(name.split()))
    title = " ".join(fig._suptitle.get_text().split()) if fig._suptitle is not None else ""
    return ChartText(title, tuple(panels), tuple(legends), tuple(events))


def chart_text(path) -> ChartText:
    """The ``ChartText`` a chart of this module wrote into its PNG file.

    Raises:
        ValueError: the file carries no chart text (not drawn by this module).
    """
    import json

    from PIL import Image

    with Image.open(path) as image:
        raw = image.text.get(TEXT_KEY)  # type: ignore[attr-defined]
    if raw is None:
        raise ValueError(f"{path}: no chart text (was it drawn by buffer_sim.output.charts?)")
    data = json.loads(raw)
    return ChartText(data["title"], tuple(data["panels"]), tuple(data["legend"]),
                     tuple(data["events"]))


# --------------------------------------------------------------------------
# Figure life cycle
# --------------------------------------------------------------------------

def _render(path, height_px: int, draw: Callable[[Figure], None]) -> Path:
    """Create a figure, let ``draw`` fill it, write it atomically, close it.

    Args:
        path: PNG file to write.
        height_px: figure height in pixels (width is ``WIDTH_PX``).
        draw: fills the empty figure.

    Returns:
        The path written.
    """
    with plt.rc_context(_STYLE):
        # Constrained layout keeps outside legends and event labels in the canvas.
        fig = plt.figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI,
                         layout="constrained")
        try:
            draw(fig)
            return _save_png(fig, path)
        finally:
            plt.close(fig)


def _save_png(fig: Figure, path) -> Path:
    """Write ``fig`` as PNG atomically, creating the folder if needed.

    The PNG carries the chart's words (``figure_text``) as JSON under ``TEXT_KEY``,
    so that a test can check what a worksheet cites against the file itself
    (``chart_text``). No "Software" tag: it holds the Matplotlib version, and the
    same data must give the same bytes. zlib level 1: level 6 took a third of a
    chart's drawing time for files only ~20% smaller.
    """
    import io

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = dataclasses.asdict(figure_text(fig))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI,
                metadata={"Software": None, TEXT_KEY: json.dumps(text, ensure_ascii=False)},
                pil_kwargs={"compress_level": 1})
    return atomic_write_bytes(path, buffer.getvalue())


# --------------------------------------------------------------------------
# Input preparation
# --------------------------------------------------------------------------

def _prepare_runs(runs: Mapping[str, pd.DataFrame], overlay: bool) -> list[_Run]:
    """Check the frames and convert their months to date numbers.

    Args:
        runs: run name -> time series.
        overlay: True to give each run a colour (multi-run charts).

    Returns:
        The prepared runs, in the mapping's order.

    Raises:
        ValueError: no runs, a frame without rows, or without a ``date`` column.
    """
    if not runs:
        raise ValueError("no runs to plot")
    prepared = []
    last = max(len(runs) - 1, 1)
    for i, (name, df) in enumerate(runs.items()):
        if "date" not in df.columns:
            raise ValueError(f"run {name!r}: the time series has no 'date' column")
        if df.empty:
            raise ValueError(f"run {name!r}: the time series has no rows")
        months = _month_starts(df["date"])
        color = RUN_COLORS[i % len(RUN_COLORS)] if overlay else None
        # Earlier runs are drawn wider, so a later run with identical values
        # leaves them visible as an outline instead of hiding them.
        width = 1.4 + 1.4 * (last - i) / last if overlay and len(runs) > 1 else 1.6
        prepared.append(_Run(str(name), df.reset_index(drop=True), months,
                             mdates.date2num(months), color, width))
    return prepared


def _month_starts(dates: Iterable) -> pd.DatetimeIndex:
    """Turn ``"YYYY-MM"`` (or ``"YYYY-MM-DD"``) strings into month starts."""
    text = pd.Series(list(dates), dtype=str).str.slice(0, 7)
    return pd.DatetimeIndex(pd.to_datetime(text, format="%Y-%m"))


def _values(run: _Run, column: str) -> np.ndarray:
    """A column as floats (NaN where missing or non-numeric)."""
    return pd.to_numeric(run.df[column], errors="coerce").to_numpy(dtype=float)


def _finite(runs: Sequence[_Run], column: str) -> np.ndarray:
    """All finite values of ``column`` across the runs that have it."""
    parts = [_values(r, column) for r in runs if column in r.df.columns]
    values = np.concatenate(parts) if parts else np.array([])
    return values[np.isfinite(values)]


def _period(runs: Sequence[_Run]) -> str:
    """The months covered, e.g. "2016-01 to 2018-12"."""
    first = min(r.months.min() for r in runs).strftime("%Y-%m")
    last = max(r.months.max() for r in runs).strftime("%Y-%m")
    return first if first == last else f"{first} to {last}"


def _title(fig: Figure, runs: Sequence[_Run], title: str | None, default: str) -> None:
    """Set the given title, or the default with the period and run count."""
    if title is None:
        n = len(runs) + (runs[0].reference is not None)  # a difference chart's reference
        count = f", {n} runs" if runs[0].color is not None else ""
        title = f"{default} ({_period(runs)}{count})"
    # Long titles (scenario names) wrap rather than run off the canvas.
    fig.suptitle(textwrap.fill(title, _TITLE_CHARS), fontweight="bold")


# --------------------------------------------------------------------------
# Shared drawing helpers
# --------------------------------------------------------------------------

def _line_style(run: _Run, series: _Series, index: int) -> dict:
    """Colour and dash of one variable in a single-run chart (``index`` is unused:
    multi-run charts give each measure its own panel instead)."""
    return {"color": series.color, "linestyle": series.style, "linewidth": run.width}


def _legend_line(runs: Sequence[_Run], series: _Series, index: int) -> Line2D:
    """Legend entry of a variable of a single-run chart: its colour and dash."""
    style = _line_style(runs[0], series, index) | {"linewidth": 1.6}
    return Line2D([], [], label=series.label, **style)


def _plot_series(ax: Axes, runs: Sequence[_Run], series: Sequence[_Series],
                 first_index: int = 0) -> list[Line2D]:
    """Draw each present column of every run; return the variables' legend entries.

    Args:
        ax: target axes.
        runs: prepared runs.
        series: candidate columns; those no run has are skipped.
        first_index: dash index of the first series in overlays, so that
            variables sharing one legend (twin axes) get distinct dashes.

    Returns:
        One legend handle per drawn variable.
    """
    shown = [s for s in series if any(s.column in r.df.columns for r in runs)]
    for run in runs:
        # A single month has no line to draw; a marker keeps it visible.
        marker = "o" if len(run.x) == 1 else None
        for i, s in enumerate(shown, start=first_index):
            if s.column in run.df.columns:
                ax.plot(run.x, _values(run, s.column), marker=marker, **_line_style(run, s, i))
    return [_legend_line(runs, s, i) for i, s in enumerate(shown, start=first_index)]


def _legend_right(ax: Axes, handles: Sequence, offset_pt: float = 8, title: str | None = None,
                  ) -> None:
    """Put a legend to the right of ``ax`` so it never hides data.

    Args:
        ax: the axes the legend belongs to.
        handles: legend entries (nothing is drawn if empty).
        offset_pt: gap between the axes and the legend, in points; larger when
            a right-hand twin axis needs the room.
        title: legend title.
    """
    if not handles:
        return
    shift = ScaledTranslation(offset_pt / 72, 0, ax.figure.dpi_scale_trans)
    ax.legend(handles=handles, title=title, loc="upper left", bbox_to_anchor=(1, 1),
              bbox_transform=ax.transAxes + shift, borderaxespad=0, frameon=False,
              alignment="left", handlelength=3.2, title_fontproperties={"weight": "bold"})


def _time_axis(axes: Sequence[Axes], runs: Sequence[_Run]) -> None:
    """Date ticks, limits and the label of a shared monthly x axis.

    Args:
        axes: axes sharing one x axis, top to bottom; the last gets the label.
        runs: prepared runs, for the limits.
    """
    first = min(r.months.min() for r in runs)
    last = max(r.months.max() for r in runs)
    # Half a month either side keeps end points off the frame. Runs shorter than
    # a year get their whole calendar year(s), so a single month is not drawn
    # on an axis of days and annual values (mid-year) stay in view.
    lo, hi = mdates.date2num(first) - 15, mdates.date2num(last) + 15
    if hi - lo < 365:
        lo = mdates.date2num(pd.Timestamp(first.year, 1, 1))
        hi = mdates.date2num(pd.Timestamp(last.year + 1, 1, 1))
    for ax in axes:
        ax.set_xlim(lo, hi)
    locator = mdates.AutoDateLocator(minticks=4, maxticks=14)
    axes[-1].xaxis.set_major_locator(locator)
    axes[-1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    axes[-1].set_xlabel(_TIME_LABEL)


# --------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Event:
    """An event to mark: a line at its month, its number above, its name in the key.

    Attributes:
        number: position in date order, from 1 (the number at the marker).
        x: date number of its month.
        date: its month, 'YYYY-MM'.
        label: its name, whole.
        kind: its kind (the colour).
        note: "only in ..." when not every run has it, else empty.
    """

    number: int
    x: float
    date: str
    label: str
    kind: str
    note: str = ""

    @property
    def key(self) -> str:
        """Its entry in the event key, e.g. "17  2016-03  UNSCR 2270 (coal, iron; ...)"."""
        note = f" ({self.note})" if self.note else ""
        return f"{self.number}  {self.date}  {self.label}{note}"


def _prepare_events(events, runs: Sequence[_Run]) -> list[_Event]:
    """Number the events inside the runs' months, in date order.

    Args:
        events: ``(date, label, kind)`` tuples, or run name -> such tuples; an event
            (same month and name) missing from some runs is noted "only in ...".
        runs: prepared runs, for the months covered.

    Returns:
        The events to mark, numbered among all events given; those outside every
        run are dropped (their numbers stay unused).
    """
    if isinstance(events, Mapping):
        per_run = {str(name): [tuple(e) for e in evs] for name, evs in events.items()}
    else:
        per_run = {"": [tuple(e) for e in events]}
    seen: dict[tuple[str, str], list] = {}
    for name, evs in per_run.items():
        for event in evs:
            month = str(event[0])[:7]
            entry = seen.setdefault((month, " ".join(str(event[1]).split())),
                                    [str(event[2]), []])
            if name not in entry[1]:
                entry[1].append(name)
    if not seen:
        return []
    lo = min(float(r.x.min()) for r in runs)
    hi = max(float(r.x.max()) for r in runs)
    named = [n for n in per_run if n]
    items = []
    # the months converted at once: one pandas conversion per event took a tenth of
    # the drawing calls' time
    xs = mdates.date2num(_month_starts([month for month, _ in seen]))
    for x, ((month, label), (kind, names)) in zip(xs, seen.items()):
        x = float(x)
        note = "only in " + ", ".join(names) if named and len(names) < len(named) else ""
        items.append((x, month, label, kind, note))
    # Stable sort: events of one month keep the order the caller gave. Numbers count
    # every event given, so that a chart showing fewer months (the difference chart)
    # keeps the numbers of the others.
    items.sort(key=lambda item: item[0])
    return [_Event(i + 1, *item) for i, item in enumerate(items) if lo <= item[0] <= hi]


def _event_color(kind: str) -> str:
    return EVENT_KINDS.get(kind, (_OTHER_EVENT_COLOR, kind))[0]


def _key_columns(events: Sequence[_Event]) -> int:
    """Columns of the event key: as many as the longest entry leaves room for."""
    longest = max(len(e.key) for e in events)
    column_px = longest * EVENT_FONT_SIZE * 0.5 / 72 * DPI + 45  # DejaVu Sans, mixed case
    return int(max(1, min(4, (0.96 * WIDTH_PX) // column_px)))


def _key_height(events: Sequence[_Event]) -> int:
    """Pixels the event key adds below a chart (0 without events)."""
    if not events:
        return 0
    rows = -(-len(events) // _key_columns(events))
    return int(60 + rows * EVENT_FONT_SIZE * 1.75 / 72 * DPI)


def _marker_groups(events: Sequence[_Event]) -> list[tuple[float, str, str]]:
    """One number text per month: (x, "3" or "3–5", kind of the first)."""
    groups: list[list] = []
    for e in events:
        if groups and groups[-1][0] == e.x:
            groups[-1][2] = e.number
        else:
            groups.append([e.x, e.number, e.number, e.kind])
    return [(x, str(a) if a == b else f"{a}–{b}", kind) for x, a, b, kind in groups]


def _number_rows(groups, lo: float, hi: float, axes_px: float) -> list[int]:
    """The row (0 = lowest) of each marker number, so that no two overlap."""
    per_day = axes_px / max(hi - lo, 1)
    char_px = EVENT_FONT_SIZE * 0.68 / 72 * DPI  # bold digits, with air
    ends: list[float] = []  # right edge of the last number in each row
    rows = []
    for x, text, _ in groups:
        half = len(text) * char_px / 2 + 3
        centre = (x - lo) * per_day
        row = next((r for r, end in enumerate(ends) if centre - half > end), None)
        if row is None:
            if len(ends) < _MAX_NUMBER_ROWS:
                ends.append(-np.inf)
                row = len(ends) - 1
            else:  # crowded beyond the rows: the row whose last number ends first
                row = int(np.argmin(ends))
        ends[row] = centre + half
        rows.append(row)
    return rows


_MAX_NUMBER_ROWS = 5
_NUMBER_ROW_PT = EVENT_FONT_SIZE * 1.35


def _axes_px(ncols: int) -> float:
    """Rough width of a panel in pixels: a single-run chart keeps a third of the width
    for its legends; a grid splits the width between its columns."""
    return 0.62 * WIDTH_PX if ncols == 0 else 0.86 * WIDTH_PX / ncols


def _event_number_rows(events: Sequence[_Event], runs: Sequence[_Run], ncols: int) -> int:
    """How many rows of numbers the events need above a top panel."""
    if not events:
        return 0
    lo = min(float(r.x.min()) for r in runs) - 15
    hi = max(float(r.x.max()) for r in runs) + 15
    return max(_number_rows(_marker_groups(events), lo, hi, _axes_px(ncols))) + 1


def _draw_events(fig: Figure, axes: Sequence[Axes], top: Sequence[Axes],
                 events: Sequence[_Event], ncols: int = 0) -> None:
    """Event lines on every panel, their numbers above the top panels, the key below.

    Names are never cut: the key lists every event whole, in date order, in as many
    columns as fit.

    Args:
        fig: the figure (for the key).
        axes: every panel sharing the time axis.
        top: the panels above which the numbers go.
        events: from ``_prepare_events``.
        ncols: panels side by side in a grid, 0 for a single-run chart (for the
            room each number has).
    """
    if not events:
        return
    # One collection per panel rather than a line per event: every artist costs
    # time in constrained layout.
    xs = [e.x for e in events]
    colors = [_event_color(e.kind) for e in events]
    for ax in axes:
        ax.vlines(xs, 0, 1, transform=ax.get_xaxis_transform(), colors=colors, lw=0.8,
                  alpha=0.55, zorder=0.8)
    groups = _marker_groups(events)
    lo, hi = axes[0].get_xlim()
    rows = _number_rows(groups, lo, hi, _axes_px(ncols))
    for ax in top:
        base = blended_transform_factory(ax.transData, ax.transAxes)
        for (x, text, kind), row in zip(groups, rows):
            lift = ScaledTranslation(0, (2 + row * _NUMBER_ROW_PT) / 72, fig.dpi_scale_trans)
            ax.text(x, 1.0, text, transform=base + lift, ha="center", va="bottom",
                    fontsize=EVENT_FONT_SIZE, fontweight="bold", color=_event_color(kind),
                    clip_on=False)
    present = []
    for e in events:
        if e.kind not in present:
            present.append(e.kind)
    colours = ", ".join(f"{EVENT_KINDS.get(k, (None, k.replace('_', ' ')))[1]} "
                        f"{_COLOUR_NAMES.get(_event_color(k), 'dark grey')}" for k in present)
    handles = [Line2D([], [], color=_event_color(e.kind), lw=2.2, label=e.key) for e in events]
    key = fig.legend(handles=handles, loc="outside lower center", ncols=_key_columns(events),
                     frameon=False, handlelength=1.2, fontsize=EVENT_FONT_SIZE,
                     title=f"Events: the number above the marker lines, the month, the name "
                           f"(line colour: {colours})",
                     title_fontproperties={"weight": "bold", "size": EVENT_FONT_SIZE + 0.5},
                     alignment="left")
    key.set_gid(_EVENT_KEY_GID)


# --------------------------------------------------------------------------
# Leverage
# --------------------------------------------------------------------------

def _draw_leverage(fig: Figure, runs: Sequence[_Run], events: Iterable, title: str | None) -> None:
    """Fill ``fig`` with the leverage chart (see :func:`plot_leverage`)."""
    ax = fig.subplots()
    has_band = {"leverage_potential", "influence_realized"}
    for run in runs:
        if has_band <= set(run.df.columns):
            ax.fill_between(run.x, _values(run, "influence_realized"),
                            _values(run, "leverage_potential"), color=run.color or "#1f77b4",
                            alpha=0.12 if run.color is None else 0.07, lw=0)
    handles = _plot_series(ax, runs, _LEVERAGE)
    if any(has_band <= set(r.df.columns) for r in runs):
        # In overlays each run shades in its own colour; the key stays neutral.
        handles.append(Patch(color="#1f77b4" if runs[0].color is None else "#999999",
                             alpha=0.25, label="gap: potential leverage − realized influence"))
    ax.axhline(0, color="black", lw=0.9, zorder=1.5)
    ax.set_ylim(_leverage_floor(runs), 1.05)
    ax.set_ylabel("leverage and influence (unitless: 0..1; influence −1..1)")
    _legend_right(ax, handles)
    _time_axis([ax], runs)
    _draw_events(fig, [ax], [ax], events)
    _title(fig, runs, title, "Beijing's leverage: potential, pressure applied, influence realized")


def _leverage_floor(runs: Sequence[_Run]) -> float:
    """Lower y limit: just below zero, or below the most negative influence."""
    values = _finite(runs, "influence_realized")
    low = values.min() if values.size else 0.0
    if low >= 0:
        return -0.05
    return float(max(-1.05, np.floor((low - 0.05) * 10) / 10))


# --------------------------------------------------------------------------
# Trade
# --------------------------------------------------------------------------

def _draw_trade(fig: Figure, runs: Sequence[_Run], events: Iterable,
                observed: pd.DataFrame | None, title: str | None) -> None:
    """Fill ``fig`` with the trade chart (see :func:`plot_trade`)."""
    monthly, annual = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    handles = _plot_series(monthly, runs, _TRADE_MONTHLY)
    monthly.set_ylabel("US$ million per month")
    monthly.set_ylim(bottom=0)
    _legend_right(monthly, handles, title="Monthly flows")

    handles = _draw_annual(annual, runs)
    handles += _draw_observed(annual, observed, runs)
    annual.set_ylabel("US$ million per year")
    # Headroom for the partial-year notes along the top edge.
    annual.set_ylim(0, annual.get_ylim()[1] * 1.12)
    _legend_right(annual, handles, title="Annual sums of reported flows\nmodel vs observed")

    _time_axis([monthly, annual], runs)
    _draw_events(fig, [monthly, annual], [monthly], events)
    _title(fig, runs, title, "China–DPRK trade")


def _annual_table(run: _Run) -> pd.DataFrame:
    """Calendar-year sums of the run's reported trade.

    Args:
        run: a prepared run.

    Returns:
        One row per year with the sums ``cn_exports``, ``cn_imports`` and
        ``total`` (only those computable), ``months`` (rows in the year) and
        ``start``/``end`` (date numbers of the span the rows cover).
    """
    frame = pd.DataFrame({"year": run.months.year, "start": run.months})
    # China's exports as Chinese customs show them: with the crude oil of Beijing's
    # supplies until customs stopped reporting it in 2014 (``cn_exports_customs``)
    exports = ("cn_exports_customs" if "cn_exports_customs" in run.df.columns
               else "cn_exports_reported")
    if exports in run.df.columns:
        frame["cn_exports"] = _values(run, exports)
    if "cn_imports_reported" in run.df.columns:
        frame["cn_imports"] = _values(run, "cn_imports_reported")
    if {"cn_exports", "cn_imports"} <= set(frame.columns):
        frame["total"] = frame["cn_exports"] + frame["cn_imports"]
    sums = [c for c in ("cn_exports", "cn_imports", "total") if c in frame.columns]
    grouped = frame.groupby("year")
    table = grouped[sums].sum(min_count=1)
    table["months"] = grouped.size()
    table["start"] = mdates.date2num(grouped["start"].min())
    table["end"] = mdates.date2num(grouped["start"].max() + pd.offsets.MonthBegin(1))
    return table


def _draw_annual(ax: Axes, runs: Sequence[_Run]) -> list:
    """Annual sums as one flat segment per year; partial years are flagged.

    Args:
        ax: target axes.
        runs: prepared runs.

    Returns:
        Legend handles.
    """
    tables = [_annual_table(r) for r in runs]
    shown = [s for s in _TRADE_ANNUAL if any(s.column in t.columns for t in tables)]
    for run, table in zip(runs, tables):
        for i, s in enumerate(shown):
            if s.column not in table.columns:
                continue
            # NaN breaks between segments: an annual sum is a level for its year,
            # not a point to interpolate from.
            xs = np.column_stack([table["start"], table["end"], np.full(len(table), np.nan)])
            ys = np.repeat(table[s.column].to_numpy(float)[:, None], 3, axis=1)
            style = _line_style(run, s, i)
            style["linewidth"] += 0.6  # level segments read better a little heavier
            ax.plot(xs.ravel(), ys.ravel(), solid_capstyle="butt", **style)
    _flag_partial_years(ax, tables)
    return [_legend_line(runs, s, i) for i, s in enumerate(shown)]


def _flag_partial_years(ax: Axes, tables: Sequence[pd.DataFrame]) -> None:
    """Say which annual sums cover fewer than 12 months (not comparable to data).

    Partial years sit at the ends of a run, so the note is anchored inside the
    year's segment: at its start, or at its end for the run's last year.
    """
    notes: dict[int, tuple[float, float, int, bool]] = {}
    for table in tables:
        last_year = table.index.max()
        for year, row in table[table["months"] < 12].iterrows():
            notes.setdefault(int(year), (row["start"], row["end"], int(row["months"]),
                                         year == last_year))
    on_top = blended_transform_factory(ax.transData, ax.transAxes)
    for year, (start, end, months, at_end) in sorted(notes.items()):
        ax.annotate(f"{year}: {months} mo only", xy=(end if at_end else start, 0.97),
                    xycoords=on_top, xytext=(-3 if at_end else 3, 0), textcoords="offset points",
                    ha="right" if at_end else "left", va="top", fontsize=7.5, color="#555555",
                    style="italic", bbox={"facecolor": "white", "edgecolor": "none",
                                          "alpha": 0.8, "pad": 1})


def _draw_observed(ax: Axes, observed: pd.DataFrame | None, runs: Sequence[_Run]) -> list:
    """Observed annual values as markers: shape by source, colour by series.

    Args:
        ax: the annual axes.
        observed: observations (see :func:`plot_trade`), or None.
        runs: prepared runs; only their years are drawn.

    Returns:
        Legend handles (one per source; in overlays also one per series colour).
    """
    obs = _clean_observed(observed, runs)
    if obs.empty:
        return []
    colors = {s.column: s.color for s in _TRADE_ANNUAL}
    bases = sorted(obs["basis"].unique())
    handles = []
    for i, basis in enumerate(bases):
        rows = obs[obs["basis"] == basis]
        marker, x = _observed_marks(rows, i, len(bases))
        ax.scatter(x, rows["value_usd_m"], marker=marker, s=42, zorder=3, linewidths=0.8,
                   c=[colors[s] for s in rows["series"]], edgecolors="black")
        handles.append(Line2D([], [], marker=marker, linestyle="none", markersize=7,
                              markerfacecolor="#d9d9d9", markeredgecolor="black",
                              label=f"observed, {basis}"))
    if runs[0].color is not None:
        # Overlays colour lines by run, so say what the marker colours mean.
        handles += [Patch(color=colors[s], label=f"observed {_OBSERVED_SERIES_NAMES[s]}")
                    for s in colors if s in set(obs["series"])]
    return handles


def _observed_marks(rows: pd.DataFrame, i: int, n_bases: int):
    """Marker and x positions of the ``i``-th of ``n_bases`` sources' observed years:
    mid-year, nudged per source so equal values from two sources stay visible."""
    nudge = (i - (n_bases - 1) / 2) * 25
    x = mdates.date2num(pd.to_datetime(rows["year"].astype(str) + "-07-01")) + nudge
    return _BASIS_MARKERS[i % len(_BASIS_MARKERS)], x


def _clean_observed(observed: pd.DataFrame | None, runs: Sequence[_Run]) -> pd.DataFrame:
    """Observed rows with known series, numeric values and a year inside the runs.

    Raises:
        ValueError: ``observed`` lacks one of the required columns.
    """
    if observed is None or len(observed) == 0:
        return pd.DataFrame(columns=["year", "series", "value_usd_m", "basis"])
    missing = {"year", "series", "value_usd_m"} - set(observed.columns)
    if missing:
        raise ValueError(f"observed data lacks the column(s) {', '.join(sorted(missing))}")
    obs = pd.DataFrame({
        "year": pd.to_numeric(observed["year"], errors="coerce"),
        "series": observed["series"].astype(str),
        "value_usd_m": pd.to_numeric(observed["value_usd_m"], errors="coerce"),
        "basis": (observed["basis"].fillna("unspecified").astype(str)
                  if "basis" in observed.columns else "unspecified"),
    }).dropna(subset=["year", "value_usd_m"])
    years = set().union(*(set(r.months.year) for r in runs))
    obs["year"] = obs["year"].astype(int)
    keep = obs["year"].isin(years) & obs["series"].isin(_OBSERVED_SERIES_NAMES)
    return obs[keep].reset_index(drop=True)


# --------------------------------------------------------------------------
# Overview
# --------------------------------------------------------------------------

# Overview legends sit beyond the economy's right-hand axis labels; the same
# offset on all panels keeps the three legends aligned.
_OVERVIEW_LEGEND_OFFSET_PT = 62


def _draw_overview(fig: Figure, runs: Sequence[_Run], events: Iterable, title: str | None) -> None:
    """Fill ``fig`` with the three-panel overview (see :func:`plot_overview`)."""
    state_ax, warmth_ax, tools_ax = fig.subplots(3, 1, sharex=True)
    _draw_state_panel(state_ax, runs)
    _draw_warmth_panel(warmth_ax, runs)
    _draw_instrument_panel(tools_ax, runs)
    _time_axis([state_ax, warmth_ax, tools_ax], runs)
    _draw_events(fig, [state_ax, warmth_ax, tools_ax], [state_ax], events)
    _title(fig, runs, title, "Overview: security, relations, instruments")


def _draw_state_panel(ax: Axes, runs: Sequence[_Run]) -> None:
    """Tension, stability, nuclear progress, sanctions; the economy on a twin axis."""
    handles = _plot_series(ax, runs, _SECURITY)
    ax.set_ylim(-0.03, 1.03)
    ax.set_ylabel("level (0..1)")
    if any(_ECONOMY.column in r.df.columns for r in runs):
        econ_ax = ax.twinx()
        econ_ax.grid(False)
        econ_ax.spines["right"].set_visible(True)
        handles += _plot_series(econ_ax, runs, [_ECONOMY], first_index=len(handles))
        # Room above the index keeps it off the 0..1 lines near the top.
        values = _finite(runs, _ECONOMY.column)
        econ_ax.set_ylim(0, max(1.5, 1.2 * values.max()) if values.size else 1.5)
        econ_ax.set_ylabel("DPRK economy (index, 1 = reference)", color=_ECONOMY.color)
        econ_ax.tick_params(axis="y", colors=_ECONOMY.color)
    _legend_right(ax, handles, offset_pt=_OVERVIEW_LEGEND_OFFSET_PT, title="Security and the DPRK")


def _draw_warmth_panel(ax: Axes, runs: Sequence[_Run]) -> None:
    """Warmth of the five relationships, with the breaking point marked."""
    handles = _plot_series(ax, runs, _WARMTH)
    ax.axhline(0, color="black", lw=0.6, alpha=0.5)
    breaking_point = Parameters().breaking_point_cn_dprk
    ax.axhline(breaking_point, color="black", lw=1.0, linestyle="--", alpha=0.7)
    ax.text(0.005, breaking_point, "breaking point", va="center", ha="left", fontsize=8,
            transform=blended_transform_factory(ax.transAxes, ax.transData), zorder=4,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5})
    ax.set_ylim(-1.05, 1.05)
    ax.set_ylabel("warmth (−1 hostile .. 1 close)")
    _legend_right(ax, handles, offset_pt=_OVERVIEW_LEGEND_OFFSET_PT, title="Warmth of relations")


# Tests are drawn in a strip above the instrument levels (which end at 1).
_TEST_STRIP_Y = 1.12
_TEST_STRIP_STEP = 0.08


def _draw_instrument_panel(ax: Axes, runs: Sequence[_Run]) -> None:
    """Beijing's and Washington's instruments, Pyongyang's tests as markers."""
    handles = _plot_series(ax, runs, _INSTRUMENTS)
    handles += _draw_tests(ax, runs)
    top = _TEST_STRIP_Y + _TEST_STRIP_STEP * len(runs)
    ax.set_ylim(-0.03, top)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1])
    ax.set_ylabel("instrument level (0..1)")
    _legend_right(ax, handles, offset_pt=_OVERVIEW_LEGEND_OFFSET_PT,
                  title="Instruments\n(markers above the lines: Pyongyang's tests)")


def _draw_tests(ax: Axes, runs: Sequence[_Run]) -> list[Line2D]:
    """Missile and major tests (provocation levels 1 and 2) as markers in a strip.

    Args:
        ax: the instrument axes.
        runs: prepared runs; each gets its own row of the strip.

    Returns:
        Legend handles for the two kinds of test, if any run has the column.
    """
    if not any("pyongyang_provocation" in r.df.columns for r in runs):
        return []
    kinds = (("missile test (provocation 1)", 1, "^", 36, "#444444"),
             ("nuclear test / ICBM (provocation 2)", 2, "*", 110, "#b2182b"))
    for row, run in enumerate(runs):
        if "pyongyang_provocation" not in run.df.columns:
            continue
        level = np.rint(_values(run, "pyongyang_provocation"))
        y = _TEST_STRIP_Y + _TEST_STRIP_STEP * row
        for _, value, marker, size, color in kinds:
            hit = level == value
            ax.scatter(run.x[hit], np.full(hit.sum(), y), marker=marker, s=size, zorder=3,
                       color=run.color or color, edgecolors="none", clip_on=False)
    return [Line2D([], [], marker=marker, linestyle="none", markersize=np.sqrt(size),
                   color="black" if runs[0].color else color, label=label)
            for label, _, marker, size, color in kinds]


# --------------------------------------------------------------------------
# Multi-run charts: one panel per measure
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Panel:
    """One measure's panel in a multi-run chart.

    Attributes:
        column: the run column (``annual:<series>``: annual sums; ``tests``:
            Pyongyang's tests).
        title: the panel's title.
        unit: the y axis label.
        name: the measure in legend entries ("reported imports").
    """

    column: str
    title: str
    unit: str
    name: str


#: Names of the measures in legend entries, where the panel title is too long.
_LEGEND_NAMES = {
    "cn_exports_reported": "reported exports", "cn_imports_reported": "reported imports",
    "cn_exports_informal": "informal exports", "cn_imports_informal": "informal imports",
    "informal_trade": "informal trade", "warmth_cn_dprk": "China–DPRK",
    "warmth_us_dprk": "US–DPRK", "warmth_rok_dprk": "ROK–DPRK", "warmth_cn_rok": "China–ROK",
    "warmth_cn_us": "China–US",
}
#: Annual panels of the trade overlay: series -> (title, monthly columns summed).
_ANNUAL_PANELS = {
    "cn_exports": ("China exports to DPRK, reported (crude oil until 2013, as customs): "
                   "sum per year", "annual reported exports"),
    "cn_imports": ("China imports from DPRK, reported: sum per year", "annual reported imports"),
    "total": ("total reported trade: sum per year", "annual reported trade"),
}
_ANNUAL_SOURCES = {"cn_exports": {"cn_exports_reported"}, "cn_imports": {"cn_imports_reported"},
                   "total": {"cn_exports_reported", "cn_imports_reported"}}


def _panel(column: str) -> _Panel:
    if column == "tests":
        return _Panel("tests", "Pyongyang's tests", "", "")
    if column.startswith("annual:"):
        title, name = _ANNUAL_PANELS[column[7:]]
        return _Panel(column, title, "US$ million per year", name)
    title, unit = METRICS.get(column, (column.replace("_", " "), "model units"))
    return _Panel(column, title, unit, _LEGEND_NAMES.get(column, title))


def value_limits(column: str) -> tuple[float, float] | None:
    """The whole range of a bounded measure, from the model's own tables.

    ``world.STATE_VARIABLES``, ``world.LEVERAGE_MEASURES`` and ``world.INSTRUMENTS``
    give each measure's range; a measure with both ends that is not an index has
    fixed axes (warmth -1..1, levels and shares 0..1, provocation 0..2).

    Returns:
        ``(low, high)``, or None for unbounded measures and indices.
    """
    spec = world.STATE_VARIABLES.get(column) or world.LEVERAGE_MEASURES.get(column)
    if spec is not None:
        unit, low, high = spec[:3]
        if high is None or low is None or unit.startswith("index"):
            return None
        return float(low), float(high)
    for actor, instruments in world.INSTRUMENTS.items():
        for name, (low, high, _) in instruments.items():
            if f"{actor}_{name}" == column:
                return float(low), float(high)
    return None


def _difference_runs(runs: Sequence[_Run]) -> list[_Run]:
    """Every run but the first, its numeric columns minus the first run's, over the
    months both have; colours and widths stay the runs' own."""
    ref = runs[0]
    out = []
    for run in runs[1:]:
        both = run.df.merge(ref.df, on="date", suffixes=("", " ref"))
        diff = pd.DataFrame({"date": both["date"]})
        for column in run.df.columns:
            if column != "date" and f"{column} ref" in both.columns:
                diff[column] = (pd.to_numeric(both[column], errors="coerce")
                                - pd.to_numeric(both[f"{column} ref"], errors="coerce"))
        if diff.empty:
            raise ValueError(f"runs {ref.name!r} and {run.name!r} have no month in common")
        months = _month_starts(diff["date"])
        out.append(dataclasses.replace(run, df=diff, months=months, x=mdates.date2num(months),
                                       reference=ref.name, reference_df=ref.df))
    return out


def _band(run: _Run, bands, column: str):
    """The run's (q05, q95) arrays of ``column``, aligned with its months, or None."""
    if not bands or run.name not in bands:
        return None
    frame = bands[run.name]
    lo, hi = f"{column} q05", f"{column} q95"
    if lo not in frame.columns or hi not in frame.columns:
        return None
    aligned = run.df[["date"]].merge(frame[["date", lo, hi]], on="date", how="left")
    return aligned[lo].to_numpy(float), aligned[hi].to_numpy(float)


def _draw_grid(fig: Figure, runs: Sequence[_Run], panels: Sequence[_Panel], ncols: int,
               events: Sequence[_Event], title: str | None, default_title: str,
               bands=None, difference: bool = False, window=None, observed=None) -> None:
    """Fill ``fig`` with one panel per measure (see :func:`plot_compare`, :func:`overlay`)."""
    nrows = -(-len(panels) // ncols)
    grid = fig.subplots(nrows, ncols, sharex=True, squeeze=False)
    used = list(grid.ravel()[: len(panels)])
    for ax, panel in zip(used, panels):
        if panel.column == "tests":
            handles = _draw_tests_panel(ax, runs)
        elif panel.column.startswith("annual:"):
            handles = _draw_annual_panel(ax, runs, panel, observed)
        else:
            handles = _draw_line_panel(ax, runs, panel, bands, difference)
        ax.set_ylabel(panel.unit)
        if handles:
            # Annual panels keep their top free for a legend of the sources.
            annual = panel.column.startswith("annual:")
            ax.legend(handles=handles, loc="upper left" if annual else "best", fontsize=7.5,
                      framealpha=0.85, handlelength=2.2, borderaxespad=0.3,
                      ncols=2 if annual and len(handles) > 3 else 1)
    for ax in grid.ravel()[len(panels):]:
        ax.set_visible(False)
    _time_axis(used, runs)
    for index, ax in enumerate(used):
        # Panels without a visible panel below carry their own date labels.
        if index + ncols >= len(panels):
            ax.xaxis.set_tick_params(labelbottom=True)
            ax.set_xlabel(_TIME_LABEL)
    if window is not None:
        _shade_outside(used, window)
    top = used[:ncols]
    number_rows = _event_number_rows(events, runs, ncols)
    for ax, panel in zip(used, panels):
        pad = 4 + (number_rows * _NUMBER_ROW_PT + 2 if ax in top else 0)
        ax.set_title(panel.title, loc="left", fontweight="bold", pad=pad)
    _draw_events(fig, used, top, events, ncols)
    _title(fig, runs, title, default_title)


def _draw_line_panel(ax: Axes, runs: Sequence[_Run], panel: _Panel, bands,
                     difference: bool) -> list:
    """Each run's line (and band) of one measure; returns the legend entries."""
    column = panel.column
    handles = []
    for run in runs:
        if column not in run.df.columns:
            continue
        band = _band(run, bands, column)
        if band is not None:
            ax.fill_between(run.x, band[0], band[1], color=run.color, alpha=0.16, lw=0)
        marker = "o" if len(run.x) == 1 else None
        # The wider lines of earlier runs are paler, so that a later run on top of
        # them reads as one line with a halo where the two coincide.
        alpha = 0.55 if run.width > 2 else 1.0
        (line,) = ax.plot(run.x, _values(run, column), color=run.color, lw=run.width,
                          marker=marker, alpha=alpha,
                          label=legend_label(panel.name, run.name, run.reference))
        handles.append(line)
    limits = value_limits(column)
    if difference:
        ax.axhline(0, color="black", lw=0.9, zorder=1.5)
        ax.set_ylim(*_difference_limits(runs, column, limits, bands))
    elif limits is not None:
        pad = 0.03 * (limits[1] - limits[0])
        ax.set_ylim(limits[0] - pad, limits[1] + pad)
        if limits[0] < 0 < limits[1]:
            ax.axhline(0, color="black", lw=0.6, alpha=0.5)
    elif _finite(runs, column).min(initial=0) >= 0:
        ax.set_ylim(bottom=0)  # amounts and indices: from zero, so gaps keep scale
    return handles


#: Smallest half-height of a difference panel, as a share of the measure's range
#: (bounded) or of the reference's largest value (unbounded): noise-sized
#: differences must not fill a panel.
DIFFERENCE_FLOOR = 0.05


def _difference_limits(runs: Sequence[_Run], column: str, limits, bands) -> tuple[float, float]:
    """A y range symmetric about zero that holds every difference and band."""
    values = [_finite(runs, column)]
    for run in runs:
        band = _band(run, bands, column)
        if band is not None:
            values += [b[np.isfinite(b)] for b in band]
    biggest = max((np.abs(v).max() for v in values if v.size), default=0.0)
    if limits is not None:
        floor = DIFFERENCE_FLOOR * (limits[1] - limits[0])
    else:
        levels = np.concatenate([pd.to_numeric(r.reference_df[column], errors="coerce")
                                 .to_numpy(float) for r in runs
                                 if r.reference_df is not None and column in r.reference_df])
        levels = np.abs(levels[np.isfinite(levels)])
        floor = DIFFERENCE_FLOOR * (levels.max() if levels.size and levels.max() > 0 else 1.0)
    half = 1.1 * max(biggest, floor)
    return -half, half


def _shade_outside(axes: Sequence[Axes], window) -> None:
    """Grey over the months outside the key numbers' window."""
    first, last = _month_starts(list(window))
    start = mdates.date2num(first) - 15
    end = mdates.date2num(last) + 15
    for ax in axes:
        lo, hi = ax.get_xlim()
        for a, b in ((lo, start), (end, hi)):
            if b > a:
                ax.axvspan(a, b, color="#bdbdbd", alpha=0.22, lw=0, zorder=0.5)


def _draw_tests_panel(ax: Axes, runs: Sequence[_Run]) -> list:
    """Pyongyang's missile and major tests: one row of markers per run."""
    kinds = (("missile test", 1, "^", 30), ("nuclear test or ICBM", 2, "*", 90))
    handles = []
    for row, run in enumerate(runs):
        if "pyongyang_provocation" not in run.df.columns:
            continue
        level = np.rint(_values(run, "pyongyang_provocation"))
        for name, value, marker, size in kinds:
            hit = level == value
            ax.scatter(run.x[hit], np.full(hit.sum(), -row), marker=marker, s=size, zorder=3,
                       color=run.color, edgecolors="none")
            handles.append(Line2D([], [], marker=marker, linestyle="none",
                                  markersize=np.sqrt(size), color=run.color,
                                  label=legend_label(name, run.name)))
    ax.set_ylim(-len(runs) + 0.4, 0.9 + 0.35 * len(runs))  # room above for the legend
    ax.set_yticks([-i for i in range(len(runs))], [r.name for r in runs], fontsize=7.5)
    ax.grid(False, axis="y")
    return handles


def _draw_annual_panel(ax: Axes, runs: Sequence[_Run], panel: _Panel, observed) -> list:
    """Each run's annual sums as flat yearly segments, observed values as markers."""
    series = panel.column[7:]
    handles = []
    tables = [_annual_table(r) for r in runs]
    for run, table in zip(runs, tables):
        if series not in table.columns:
            continue
        # NaN breaks between segments: an annual sum is a level for its year.
        xs = np.column_stack([table["start"], table["end"], np.full(len(table), np.nan)])
        ys = np.repeat(table[series].to_numpy(float)[:, None], 3, axis=1)
        (line,) = ax.plot(xs.ravel(), ys.ravel(), color=run.color, lw=run.width + 0.6,
                          solid_capstyle="butt", label=legend_label(panel.name, run.name))
        handles.append(line)
    obs = _clean_observed(observed, runs)
    obs = obs[obs["series"] == series]
    bases = sorted(obs["basis"].unique())
    for i, basis in enumerate(bases):
        rows = obs[obs["basis"] == basis]
        marker, x = _observed_marks(rows, i, len(bases))
        ax.scatter(x, rows["value_usd_m"], marker=marker, s=40, zorder=3, linewidths=0.9,
                   facecolors="white", edgecolors="black")
        handles.append(Line2D([], [], marker=marker, linestyle="none", markersize=7,
                              markerfacecolor="white", markeredgecolor="black",
                              label=f"observed, {basis}"))
    rows = -(-len(handles) // (2 if len(handles) > 3 else 1))
    ax.set_ylim(0, max(ax.get_ylim()[1], 1) * (1.15 + 0.14 * rows))
    _flag_partial_years(ax, tables)
    return handles
