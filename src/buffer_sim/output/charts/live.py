"""The web app's charts (``buffer-sim app``), drawn month by month as a class plays a run.

A chart's fixed part (axes, legend, the faint reference run, observed values) is drawn
once per reference, period and y range; each month only the current run's lines, the
month marker and the title are drawn over a copy of it (blitting), which keeps Play
smooth. Names, colours and dashes come from the series table, as in every other chart.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass

import matplotlib

# Headless: the app sends PNG bytes to the browser; no window ever opens. Before any
# other Matplotlib import (Mesa's visualisation imports pyplot).
matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import PIL.Image
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from buffer_sim.core.months import month_str
from buffer_sim.output.charts.run import leverage_floor
from buffer_sim.output.charts.series import LEVERAGE, SERIES, WARMTH, Series

#: inches at 100 dpi: the width of half the page beside the settings at 1280 px, so the
#: browser shows the picture at about its own size (text stays sharp on a projector)
CHART_SIZE = (4.3, 3.75)
OBSERVED_LABEL = "observed (annual ÷ 12)"
_NOT_YET = pd.Timestamp("1900-01-01")


@dataclass(frozen=True)
class ChartSpec:
    """What one chart draws.

    Attributes:
        title: the title (the month is added to it).
        ylabel: the y axis label (its unit or scale).
        columns: the measures drawn, keys of the series table (legend: their short
            names; colours and dashes: theirs).
        ylim: fixed y range, or None for one that grows to show every value.
    """

    title: str
    ylabel: str
    columns: tuple[str, ...]
    ylim: tuple[float, float] | None = None

    @property
    def series(self) -> tuple[Series, ...]:
        return tuple(SERIES[c] for c in self.columns)


CHARTS: dict[str, ChartSpec] = {
    "leverage": ChartSpec("Beijing's leverage", "0..1 (influence −1..1)", LEVERAGE),
    "trade": ChartSpec("China–DPRK trade", "US$ million per month",
                       ("cn_exports_reported", "cn_imports_reported", "total_reported",
                        "informal_trade")),
    "tension": ChartSpec("Tension on the peninsula", "0 (calm) .. 1 (war risk)", ("tension",),
                         ylim=(-0.02, 1.02)),
    "warmth": ChartSpec("Warmth of relations", "−1 (hostile) .. 1 (warm)", WARMTH,
                        ylim=(-1.05, 1.05)),
}


def add_totals(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the totals of the series table (``Series.sum_of``) its columns allow,
    e.g. ``total_reported`` = reported exports + reported imports."""
    for s in SERIES.values():
        if s.sum_of and not s.column.startswith("annual:") and set(s.sum_of) <= set(df.columns):
            df[s.column] = sum(df[c] for c in s.sum_of)
    return df


@dataclass
class ChartArtists:
    """The parts of a chart that change month by month.

    Attributes:
        ax: the axes.
        lines: model column -> the current run's line.
        now: the vertical line at the current month.
        title: the title (it names the month).
        on_top: artists drawn again over the current lines (observed markers).
        name: the title without the month.
    """

    ax: Axes
    lines: dict[str, Line2D]
    now: Line2D
    title: Text
    on_top: list
    name: str


def month_x(month: int) -> pd.Timestamp:
    return pd.Timestamp(month_str(month) + "-01")


def _axes_frame(ax, start: int, end: int) -> None:
    ax.set_xlim(month_x(start), month_x(end) + pd.offsets.MonthBegin(1))
    months = end - start + 1
    if months <= 36:  # a short period: a tick each half year, none past the last month
        ticks = [month_x(m) for m in range(start, end + 1) if m % 6 == 0]
        ax.xaxis.set_major_locator(mticker.FixedLocator(mdates.date2num(ticks)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    else:
        ax.xaxis.set_major_locator(mdates.YearLocator(1 if months <= 72 else 2))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.grid(alpha=0.3, lw=0.6)
    ax.tick_params(labelsize=9)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _legend(ax, handles) -> None:
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(-0.12, -0.09), ncols=2,
              fontsize=8.5, frameon=False, handlelength=1.8, borderaxespad=0,
              labelspacing=0.3, columnspacing=1.0)


def leverage_ylim(*frames: pd.DataFrame) -> tuple[float, float]:
    """Just below zero, or below the most negative realized influence (to -1.05)."""
    lows = [float(f["influence_realized"].min()) for f in frames
            if "influence_realized" in f and len(f)]
    return (leverage_floor(min([0.0, *lows])), 1.05)


def trade_ylim(*frames: pd.DataFrame, observed: pd.DataFrame | None = None) -> tuple[float, float]:
    """Zero to a round number above every flow drawn (model and observed)."""
    highs = [float(f[c].max()) for f in frames for c in CHARTS["trade"].columns
             if c in f and len(f)]
    if observed is not None and len(observed):
        highs.append(float(observed["monthly"].max()))
    top = max([100.0, *highs]) * 1.06
    return (0.0, float(np.ceil(top / 50.0) * 50.0))


def draw_chart(fig: Figure, spec: ChartSpec, reference: pd.DataFrame, reference_name: str,
               start: int, end: int, ylim: tuple[float, float],
               observed: pd.DataFrame | None = None) -> ChartArtists:
    """The fixed part of a chart: the reference run faint, the observed trade (annual / 12
    at mid-year, ``observed["monthly"]`` at ``observed["x"]``) as dots; returns the
    artists of the played run."""
    ax = fig.subplots()
    handles, markers = [], []
    for s in spec.series:
        if s.column in reference:
            ax.plot(reference["x"], reference[s.column], color=s.color, lw=1.2, alpha=0.3,
                    ls=s.style)
        handles.append(Line2D([], [], color=s.color, lw=2.0, ls=s.style, label=s.name))
        if observed is not None and s.observed is not None and len(observed):
            rows = observed[observed["series"] == s.observed]
            if len(rows):
                markers.append(ax.scatter(rows["x"], rows["monthly"], color=s.color, s=30,
                                          edgecolors="black", linewidths=0.7, zorder=3))
    if markers:
        handles.append(Line2D([], [], marker="o", ls="none", markerfacecolor="#d9d9d9",
                              markeredgecolor="black", markersize=6, label=OBSERVED_LABEL))
    fig.text(0.01, 0.012, f"Faint: {reference_name}", fontsize=8.5, color="#555555")
    if spec.ylim is None or spec.ylim[0] < 0:
        ax.axhline(0, color="black", lw=0.7)
    ax.set_ylim(*ylim)
    ax.set_ylabel(spec.ylabel, fontsize=9)
    _axes_frame(ax, start, end)
    _legend(ax, handles)
    lines = {s.column: ax.plot([], [], color=s.color, lw=2.0, ls=s.style, animated=True)[0]
             for s in spec.series}
    now = ax.axvline(_NOT_YET, color="#777777", lw=0.8, ls=":", animated=True)
    title = ax.set_title(spec.title, fontsize=11)
    title.set_animated(True)
    return ChartArtists(ax, lines, now, title, markers, spec.title)


class ChartCanvas:
    """A chart whose fixed part is drawn once; :meth:`png` draws a month over it.

    Takes the arguments of :func:`draw_chart` after the figure.
    """

    def __init__(self, *args, **kwargs) -> None:
        self.fig = Figure(figsize=CHART_SIZE, dpi=100)
        self.canvas = FigureCanvasAgg(self.fig)
        self.artists: ChartArtists = draw_chart(self.fig, *args, **kwargs)
        self.fig.subplots_adjust(left=0.14, right=0.95, top=0.92, bottom=0.34)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.lock = threading.Lock()

    def png(self, current: pd.DataFrame, now: int | None) -> bytes:
        """The chart with the current run drawn up to month ``now``, as PNG bytes."""
        a = self.artists
        with self.lock:
            self.canvas.restore_region(self.background)
            for column, line in a.lines.items():
                if column in current and len(current):
                    line.set_data(current["x"], current[column])
                else:
                    line.set_data([], [])
                a.ax.draw_artist(line)
            for artist in a.on_top:
                a.ax.draw_artist(artist)
            if now is not None:
                a.now.set_xdata([month_x(now)] * 2)
                a.ax.draw_artist(a.now)
            a.title.set_text(f"{a.name} — {month_str(now)}" if now is not None else a.name)
            a.ax.draw_artist(a.title)
            rgba = np.asarray(self.canvas.buffer_rgba())
            out = io.BytesIO()
            PIL.Image.fromarray(rgba).save(out, format="png", compress_level=3)
        return out.getvalue()
