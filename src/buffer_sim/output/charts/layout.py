"""What the charts of runs share: runs prepared for drawing, the monthly time axis,
titles, legends beside the panels, and lines drawn from the series table."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import ScaledTranslation

from buffer_sim.output.charts.series import RUN_COLORS, Series, series

TIME_LABEL = "month (one model step)"
#: Longest line of a figure title, in characters, before it wraps.
TITLE_CHARS = 100


@dataclass(frozen=True)
class Run:
    """One run prepared for drawing.

    Attributes:
        name: run name (empty for a single-run chart).
        df: the run's time series.
        months: first day of each row's month.
        x: ``months`` as Matplotlib date numbers (days).
        color: the run's colour, or None in single-run charts, where colours
            distinguish variables instead.
        width: line width of the run's lines.
        reference: in a difference chart, the run the difference is taken from.
        reference_df: that run's time series.
    """

    name: str
    df: pd.DataFrame
    months: pd.DatetimeIndex
    x: np.ndarray
    color: str | None
    width: float = 1.6
    reference: str | None = None
    reference_df: pd.DataFrame | None = None


def prepare_runs(runs: Mapping[str, pd.DataFrame], overlay: bool) -> list[Run]:
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
        months = month_starts(df["date"])
        color = RUN_COLORS[i % len(RUN_COLORS)] if overlay else None
        # Earlier runs are drawn wider, so a later run with identical values
        # leaves them visible as an outline instead of hiding them.
        width = 1.4 + 1.4 * (last - i) / last if overlay and len(runs) > 1 else 1.6
        prepared.append(Run(str(name), df.reset_index(drop=True), months,
                            mdates.date2num(months), color, width))
    return prepared


def month_starts(dates: Iterable) -> pd.DatetimeIndex:
    """Turn ``"YYYY-MM"`` (or ``"YYYY-MM-DD"``) strings into month starts."""
    text = pd.Series(list(dates), dtype=str).str.slice(0, 7)
    return pd.DatetimeIndex(pd.to_datetime(text, format="%Y-%m"))


def values(run: Run, column: str) -> np.ndarray:
    """A column as floats (NaN where missing or non-numeric)."""
    return pd.to_numeric(run.df[column], errors="coerce").to_numpy(dtype=float)


def finite(runs: Sequence[Run], column: str) -> np.ndarray:
    """All finite values of ``column`` across the runs that have it."""
    parts = [values(r, column) for r in runs if column in r.df.columns]
    found = np.concatenate(parts) if parts else np.array([])
    return found[np.isfinite(found)]


def period(runs: Sequence[Run]) -> str:
    """The months covered, e.g. "2016-01 to 2018-12"."""
    first = min(r.months.min() for r in runs).strftime("%Y-%m")
    last = max(r.months.max() for r in runs).strftime("%Y-%m")
    return first if first == last else f"{first} to {last}"


def set_title(fig: Figure, runs: Sequence[Run], title: str | None, default: str) -> None:
    """Set the given title, or the default with the period and run count."""
    if title is None:
        n = len(runs) + (runs[0].reference is not None)  # a difference chart's reference
        count = f", {n} runs" if runs[0].color is not None else ""
        title = f"{default} ({period(runs)}{count})"
    # Long titles (scenario names) wrap rather than run off the canvas.
    fig.suptitle(textwrap.fill(title, TITLE_CHARS), fontweight="bold")


def name_panel(ax: Axes, text: str, pad: float) -> None:
    """Name a panel in bold at its top left, ``pad`` points above the frame.

    Matplotlib keeps a title clear of the y axis's offset text (a "1e-5" above the
    axis) by measuring the whole axis, at each pass of constrained layout and again
    when drawing: a tenth of a compare chart's drawing time. Without an offset text
    (the usual case: our values are neither tiny nor huge) the title sits at the
    top of the frame, where it is placed at once; with one, Matplotlib places it.
    """
    ax.set_title(text, loc="left", fontweight="bold", pad=pad,
                 y=None if _y_offset_text(ax) else 1.0)


def _y_offset_text(ax: Axes) -> str:
    """The text the y axis will show above its ticks (e.g. "1e-5"; usually empty), for
    the axis's view as it stands: call it once the panel is drawn."""
    formatter = ax.yaxis.get_major_formatter()
    formatter.format_ticks(list(ax.yaxis.get_majorticklocs()))
    return formatter.get_offset()


def line_style(run: Run, line: Series) -> dict:
    """Colour and dash of one variable in a single-run chart, from the series table
    (multi-run charts give each measure its own panel instead)."""
    return {"color": line.color, "linestyle": line.style, "linewidth": run.width}


def legend_line(runs: Sequence[Run], line: Series) -> Line2D:
    """Legend entry of a variable of a single-run chart: its colour and dash."""
    style = line_style(runs[0], line) | {"linewidth": 1.6}
    return Line2D([], [], label=line.label, **style)


def plot_series(ax: Axes, runs: Sequence[Run], columns: Sequence[str]) -> list[Line2D]:
    """Draw each present column of every run; return the variables' legend entries.

    Args:
        ax: target axes.
        runs: prepared runs.
        columns: candidate columns (keys of the series table); those no run has are
            skipped.

    Returns:
        One legend handle per drawn variable.
    """
    shown = [series(c) for c in columns if any(c in r.df.columns for r in runs)]
    for run in runs:
        # A single month has no line to draw; a marker keeps it visible.
        marker = "o" if len(run.x) == 1 else None
        for s in shown:
            if s.column in run.df.columns:
                ax.plot(run.x, values(run, s.column), marker=marker, **line_style(run, s))
    return [legend_line(runs, s) for s in shown]


def legend_right(ax: Axes, handles: Sequence, offset_pt: float = 8, title: str | None = None,
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


def time_axis(axes: Sequence[Axes], runs: Sequence[Run]) -> None:
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
    locator = MonthLocator(minticks=4, maxticks=14)
    axes[-1].xaxis.set_major_locator(locator)
    axes[-1].xaxis.set_major_formatter(MonthFormatter(locator))
    axes[-1].set_xlabel(TIME_LABEL)


class MonthLocator(mdates.AutoDateLocator):
    """``AutoDateLocator`` that works out the ticks of a view once.

    Matplotlib asks for the ticks whenever it measures an axis: for each panel
    sharing the time axis, for its spines and title, in each pass of constrained
    layout and again when drawing, always for the same view (about 240 times for a
    compare chart). Each answer walked a calendar rule (dateutil's rrule) and the
    labels were formatted anew: a tenth of the drawing time. Same view, same ticks.
    """

    _view: tuple[float, ...] = ()
    _ticks: np.ndarray | None = None

    def __call__(self):
        if self.axis is None:
            return super().__call__()
        view = tuple(float(v) for v in self.axis.get_view_interval())
        if self._ticks is None or self._view != view:
            self._ticks = np.asarray(super().__call__())
            self._view = view
        return self._ticks.copy()


#: Where ConciseDateFormatter keeps the offset text its get_offset returns: Matplotlib
#: 3.11 renamed it, and pyproject.toml allows 3.8 on (3.10.9 measured: every chart
#: failed on the new name).
_OFFSET_ATTRIBUTE = ("_offset_string"
                     if hasattr(mdates.ConciseDateFormatter(mdates.AutoDateLocator()),
                                "_offset_string") else "offset_string")


class MonthFormatter(mdates.ConciseDateFormatter):
    """``ConciseDateFormatter`` that labels the same ticks once (see ``MonthLocator``)."""

    _values: tuple[float, ...] | None = None
    _labels: list[str] = []
    _offset: str = ""

    def format_ticks(self, values):
        key = tuple(float(v) for v in values)
        if self._values != key:
            self._labels = super().format_ticks(values)
            self._offset = self.get_offset()
            self._values = key
        setattr(self, _OFFSET_ATTRIBUTE, self._offset)
        return list(self._labels)
