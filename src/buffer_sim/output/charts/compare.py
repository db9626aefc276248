"""Charts of several runs (``buffer-sim compare``): one panel per measure, one colour
per run.

Each panel's legend names measure and run ("reported imports - replay_2009_2019",
:func:`legend_label`). Bounded measures sit on their whole range (warmth -1..1, levels
and shares 0..1; ``series.value_limits``), so a small gap looks small; the difference
chart (``plot_compare(difference=True)``) shows it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from buffer_sim.core import world
from buffer_sim.output.charts.annual import (annual_table, clean_observed, flag_partial_years,
                                             observed_marks, year_segments)
from buffer_sim.output.charts.events import (NUMBER_ROW_PT, Event, draw_events,
                                             event_number_rows, key_height, prepare_events)
from buffer_sim.output.charts.layout import (TIME_LABEL, Run, finite, month_starts,
                                             name_panel, prepare_runs, set_title, time_axis,
                                             values)
from buffer_sim.output.charts.render import HEIGHT_PX, render
from buffer_sim.output.charts.series import (SERIES, TRADE_ANNUAL, TRADE_MONTHLY, WARMTH, Series,
                                             series, value_limits)

#: Panels of each overlay, by kind (see ``overlay_panels``).
OVERLAY_KINDS = ("leverage", "trade", "overview")
#: The panel of Pyongyang's tests (a row of markers per run, not a column's line).
_TESTS = Series("tests", "Pyongyang's tests", "")

#: Smallest half-height of a difference panel, as a share of the measure's range
#: (bounded) or of the reference's largest value (unbounded): noise-sized
#: differences must not fill a panel.
DIFFERENCE_FLOOR = 0.05


def plot_compare(runs: Mapping[str, pd.DataFrame], path, metrics: Sequence[str],
                 title: str | None = None, *, difference: bool = False, events=(),
                 bands: Mapping[str, pd.DataFrame] | None = None,
                 window: tuple[str, str] | None = None) -> Path:
    """Draw small multiples: one panel per metric, one colour per run.

    Panel titles are the measures' names (the series table); every panel has its own
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
    prepared = prepare_runs(runs, overlay=True)
    missing = [m for m in metrics if not any(m in r.df.columns for r in prepared)]
    if missing:
        raise ValueError(f"no run has the column(s) {', '.join(missing)}")
    if difference:
        if len(prepared) < 2:
            raise ValueError("a difference chart needs at least two runs")
        prepared = _difference_runs(prepared)
    panels = [_panel(m) for m in metrics]
    marks = prepare_events(events, prepared)
    ncols = 1 if len(panels) <= 3 else 2
    nrows = -(-len(panels) // ncols)
    height = max(HEIGHT_PX, 170 + 215 * nrows) + key_height(marks)
    default = ("Difference from " + next(iter(runs)) if difference else "Scenario comparison")
    return render(path, height, partial(
        _draw_grid, runs=prepared, panels=panels, ncols=ncols, events=marks, title=title,
        default_title=default, bands=bands, difference=difference, window=window))


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
        return [*TRADE_MONTHLY, *TRADE_ANNUAL]
    if kind == "overview":
        beijing = [f"beijing_{name}" for name in world.INSTRUMENTS["beijing"]]
        beijing += [c for c in columns if c.startswith("beijing_") and c not in beijing]
        return ["tension", "stability", "nuclear", "dprk_economy", "sanctions_scope",
                *WARMTH, *beijing, "washington_pressure", "washington_military", "tests"]
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
            ``plot_trade``), drawn in the annual panels; ignored otherwise.
        events: as for :func:`plot_compare`.
        bands: as for :func:`plot_compare`.
        title: figure title; a default names the chart, the period and the runs.

    Returns:
        The path written.

    Raises:
        ValueError: unknown ``kind`` or no runs.
    """
    prepared = prepare_runs(runs, overlay=True)
    columns = set().union(*(r.df.columns for r in prepared))
    names = overlay_panels(kind, sorted(columns))
    panels = [_panel(n) for n in names
              if n in columns or n == "tests" and "pyongyang_provocation" in columns
              or n.startswith("annual:") and set(series(n).sum_of) <= columns]
    if not panels:
        raise ValueError(f"no run has any column of the {kind} chart")
    marks = prepare_events(events, prepared)
    ncols = 1 if len(panels) <= 3 else 2
    nrows = -(-len(panels) // ncols)
    height = max(HEIGHT_PX, 170 + 200 * nrows) + key_height(marks)
    defaults = {"leverage": "Beijing's leverage: potential, pressure applied, influence realized",
                "trade": "China–DPRK trade", "overview": "Overview: security, relations, "
                "instruments"}
    return render(path, height, partial(
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
    name = SERIES[measure].name if measure in SERIES else measure
    return f"{name} - {run}" + (f" minus {reference}" if reference else "")


def panel_title(measure: str) -> str:
    """The title of a measure's panel in multi-run charts."""
    return _panel(measure).title


def _panel(column: str) -> Series:
    return _TESTS if column == "tests" else series(column)


def _difference_runs(runs: Sequence[Run]) -> list[Run]:
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
        months = month_starts(diff["date"])
        out.append(dataclasses.replace(run, df=diff, months=months, x=mdates.date2num(months),
                                       reference=ref.name, reference_df=ref.df))
    return out


def _band(run: Run, bands, column: str):
    """The run's (q05, q95) arrays of ``column``, aligned with its months, or None."""
    if not bands or run.name not in bands:
        return None
    frame = bands[run.name]
    lo, hi = f"{column} q05", f"{column} q95"
    if lo not in frame.columns or hi not in frame.columns:
        return None
    aligned = run.df[["date"]].merge(frame[["date", lo, hi]], on="date", how="left")
    return aligned[lo].to_numpy(float), aligned[hi].to_numpy(float)


def _draw_grid(fig: Figure, runs: Sequence[Run], panels: Sequence[Series], ncols: int,
               events: Sequence[Event], title: str | None, default_title: str,
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
    time_axis(used, runs)
    for index, ax in enumerate(used):
        # Panels without a visible panel below carry their own date labels.
        if index + ncols >= len(panels):
            ax.xaxis.set_tick_params(labelbottom=True)
            ax.set_xlabel(TIME_LABEL)
    if window is not None:
        _shade_outside(used, window)
    top = used[:ncols]
    number_rows = event_number_rows(events, runs, ncols)
    for ax, panel in zip(used, panels):
        pad = 4 + (number_rows * NUMBER_ROW_PT + 2 if ax in top else 0)
        name_panel(ax, panel.title, pad)
    draw_events(fig, used, top, events, ncols)
    set_title(fig, runs, title, default_title)


def _draw_line_panel(ax: Axes, runs: Sequence[Run], panel: Series, bands,
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
        (line,) = ax.plot(run.x, values(run, column), color=run.color, lw=run.width,
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
    elif finite(runs, column).min(initial=0) >= 0:
        ax.set_ylim(bottom=0)  # amounts and indices: from zero, so gaps keep scale
    return handles


def _difference_limits(runs: Sequence[Run], column: str, limits, bands) -> tuple[float, float]:
    """A y range symmetric about zero that holds every difference and band."""
    found = [finite(runs, column)]
    for run in runs:
        band = _band(run, bands, column)
        if band is not None:
            found += [b[np.isfinite(b)] for b in band]
    biggest = max((np.abs(v).max() for v in found if v.size), default=0.0)
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
    first, last = month_starts(list(window))
    start = mdates.date2num(first) - 15
    end = mdates.date2num(last) + 15
    for ax in axes:
        lo, hi = ax.get_xlim()
        for a, b in ((lo, start), (end, hi)):
            if b > a:
                ax.axvspan(a, b, color="#bdbdbd", alpha=0.22, lw=0, zorder=0.5)


def _draw_tests_panel(ax: Axes, runs: Sequence[Run]) -> list:
    """Pyongyang's missile and major tests: one row of markers per run."""
    kinds = (("missile test", 1, "^", 30), ("nuclear test or ICBM", 2, "*", 90))
    handles = []
    for row, run in enumerate(runs):
        if "pyongyang_provocation" not in run.df.columns:
            continue
        level = np.rint(values(run, "pyongyang_provocation"))
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


def _draw_annual_panel(ax: Axes, runs: Sequence[Run], panel: Series, observed) -> list:
    """Each run's annual sums as flat yearly segments, observed values as markers."""
    observed_series = str(panel.observed)
    handles = []
    tables = [annual_table(r) for r in runs]
    for run, table in zip(runs, tables):
        if observed_series not in table.columns:
            continue
        (line,) = ax.plot(*year_segments(table, observed_series), color=run.color,
                          lw=run.width + 0.6, solid_capstyle="butt",
                          label=legend_label(panel.name, run.name))
        handles.append(line)
    obs = clean_observed(observed, runs)
    obs = obs[obs["series"] == observed_series]
    bases = sorted(obs["basis"].unique())
    for i, basis in enumerate(bases):
        rows = obs[obs["basis"] == basis]
        marker, x = observed_marks(rows, i, len(bases))
        ax.scatter(x, rows["value_usd_m"], marker=marker, s=40, zorder=3, linewidths=0.9,
                   facecolors="white", edgecolors="black")
        handles.append(Line2D([], [], marker=marker, linestyle="none", markersize=7,
                              markerfacecolor="white", markeredgecolor="black",
                              label=f"observed, {basis}"))
    rows = -(-len(handles) // (2 if len(handles) > 3 else 1))
    ax.set_ylim(0, max(ax.get_ylim()[1], 1) * (1.15 + 0.14 * rows))
    flag_partial_years(ax, tables)
    return handles
