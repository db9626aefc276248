"""The three charts of one run (``buffer-sim run``): Beijing's leverage, China-DPRK
trade against the observed years, and the overview (security, relations, instruments).

Single-run charts give every variable its own colour and dash, from the series table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from buffer_sim.core.params import Parameters
from buffer_sim.output.charts.annual import (annual_table, clean_observed, flag_partial_years,
                                             observed_marks, year_segments)
from buffer_sim.output.charts.events import Event, draw_events, key_height, prepare_events
from buffer_sim.output.charts.layout import (Run, finite, legend_line, legend_right,
                                             line_style, plot_series, prepare_runs, set_title,
                                             time_axis, values)
from buffer_sim.output.charts.render import HEIGHT_PX, OVERVIEW_HEIGHT_PX, render
from buffer_sim.output.charts.series import (ECONOMY, INSTRUMENTS, LEVERAGE, OBSERVED_NAMES,
                                             SECURITY, SERIES, TRADE_ANNUAL, TRADE_MONTHLY,
                                             WARMTH)


def plot_leverage(df: pd.DataFrame, path, events: Iterable = (), title: str | None = None) -> Path:
    """Draw potential leverage, pressure applied, and potential and realized influence.

    Leverage is a share of the DPRK economy, influence a change of Pyongyang's choice;
    the shaded band is the gap on the influence scale, between what a cut-off would
    have bought (potential influence) and what Beijing's policy bought (realized).

    Args:
        df: one run's time series with ``date`` and the leverage columns.
        path: PNG file to write (parent directories are created).
        events: ``(date "YYYY-MM", label, kind)`` tuples.
        title: figure title; a default names the chart and the period.

    Returns:
        The path written.
    """
    return _single_run(df, path, events, HEIGHT_PX, _draw_leverage, title=title)


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
    return _single_run(df, path, events, HEIGHT_PX, _draw_trade, observed=observed, title=title)


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
    return _single_run(df, path, events, OVERVIEW_HEIGHT_PX, _draw_overview, title=title)


def _single_run(df: pd.DataFrame, path, events: Iterable, height_px: int, draw: Callable,
                **kwargs) -> Path:
    """Prepare one run and its events, and render ``draw`` (a ``_draw_*`` below) into a
    figure as tall as ``height_px`` plus the event key."""
    runs = prepare_runs({"": df}, overlay=False)
    marks = prepare_events(events, runs)
    return render(path, height_px + key_height(marks),
                  partial(draw, runs=runs, events=marks, **kwargs))


# --- leverage ----------------------------------------------------------------------------------

def _draw_leverage(fig: Figure, runs: Sequence[Run], events: Sequence[Event],
                   title: str | None) -> None:
    """Fill ``fig`` with the leverage chart (see :func:`plot_leverage`)."""
    ax = fig.subplots()
    has_band = {"influence_potential", "influence_realized"}
    for run in runs:
        if has_band <= set(run.df.columns):
            ax.fill_between(run.x, values(run, "influence_realized"),
                            values(run, "influence_potential"), color=run.color or "#2ca02c",
                            alpha=0.12 if run.color is None else 0.07, lw=0)
    handles: list = plot_series(ax, runs, LEVERAGE)
    if any(has_band <= set(r.df.columns) for r in runs):
        # In overlays each run shades in its own colour; the key stays neutral.
        handles.append(Patch(color="#2ca02c" if runs[0].color is None else "#999999",
                             alpha=0.25, label="gap: potential − realized influence"))
    ax.axhline(0, color="black", lw=0.9, zorder=1.5)
    influence = finite(runs, "influence_realized")
    ax.set_ylim(leverage_floor(influence.min() if influence.size else 0.0), 1.05)
    ax.set_ylabel("leverage and influence (unitless: 0..1; influence −1..1)")
    legend_right(ax, handles)
    time_axis([ax], runs)
    draw_events(fig, [ax], [ax], events)
    set_title(fig, runs, title, "Beijing's leverage: potential, pressure applied, influence realized")


def leverage_floor(lowest: float) -> float:
    """Lower y limit of a leverage chart (here and in the app): just below zero, or below
    the most negative realized influence ``lowest``, at most -1.05."""
    if lowest >= 0:
        return -0.05
    return float(max(-1.05, np.floor((lowest - 0.05) * 10) / 10))


# --- trade -------------------------------------------------------------------------------------

def _draw_trade(fig: Figure, runs: Sequence[Run], events: Sequence[Event],
                observed: pd.DataFrame | None, title: str | None) -> None:
    """Fill ``fig`` with the trade chart (see :func:`plot_trade`)."""
    monthly, annual = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    handles = plot_series(monthly, runs, TRADE_MONTHLY)
    monthly.set_ylabel("US$ million per month")
    monthly.set_ylim(bottom=0)
    legend_right(monthly, handles, title="Monthly flows")

    handles = _draw_annual(annual, runs)
    handles += _draw_observed(annual, observed, runs)
    annual.set_ylabel("US$ million per year")
    # Headroom for the partial-year notes along the top edge.
    annual.set_ylim(0, annual.get_ylim()[1] * 1.12)
    legend_right(annual, handles, title="Annual sums of reported flows\nmodel vs observed")

    time_axis([monthly, annual], runs)
    draw_events(fig, [monthly, annual], [monthly], events)
    set_title(fig, runs, title, "China–DPRK trade")


def _draw_annual(ax: Axes, runs: Sequence[Run]) -> list:
    """Annual sums as one flat segment per year; partial years are flagged.

    Returns:
        Legend handles.
    """
    tables = [annual_table(r) for r in runs]
    shown = [SERIES[c] for c in TRADE_ANNUAL
             if any(SERIES[c].observed in t.columns for t in tables)]
    for run, table in zip(runs, tables):
        for s in shown:
            if s.observed not in table.columns:
                continue
            style = line_style(run, s)
            style["linewidth"] += 0.6  # level segments read better a little heavier
            ax.plot(*year_segments(table, str(s.observed)), solid_capstyle="butt", **style)
    flag_partial_years(ax, tables)
    return [legend_line(runs, s) for s in shown]


def _draw_observed(ax: Axes, observed: pd.DataFrame | None, runs: Sequence[Run]) -> list:
    """Observed annual values as markers: shape by source, colour by series.

    Args:
        ax: the annual axes.
        observed: observations (see :func:`plot_trade`), or None.
        runs: prepared runs; only their years are drawn.

    Returns:
        Legend handles (one per source; in overlays also one per series colour).
    """
    obs = clean_observed(observed, runs)
    if obs.empty:
        return []
    colors = {str(SERIES[c].observed): str(SERIES[c].color) for c in TRADE_ANNUAL}
    bases = sorted(obs["basis"].unique())
    handles: list = []
    for i, basis in enumerate(bases):
        rows = obs[obs["basis"] == basis]
        marker, x = observed_marks(rows, i, len(bases))
        ax.scatter(x, rows["value_usd_m"], marker=marker, s=42, zorder=3, linewidths=0.8,
                   c=[colors[s] for s in rows["series"]], edgecolors="black")
        handles.append(Line2D([], [], marker=marker, linestyle="none", markersize=7,
                              markerfacecolor="#d9d9d9", markeredgecolor="black",
                              label=f"observed, {basis}"))
    if runs[0].color is not None:
        # Overlays colour lines by run, so say what the marker colours mean.
        handles += [Patch(color=colors[s], label=f"observed {OBSERVED_NAMES[s]}")
                    for s in colors if s in set(obs["series"])]
    return handles


# --- overview ----------------------------------------------------------------------------------

# Overview legends sit beyond the economy's right-hand axis labels; the same
# offset on all panels keeps the three legends aligned.
_OVERVIEW_LEGEND_OFFSET_PT = 62


def _draw_overview(fig: Figure, runs: Sequence[Run], events: Sequence[Event],
                   title: str | None) -> None:
    """Fill ``fig`` with the three-panel overview (see :func:`plot_overview`)."""
    state_ax, warmth_ax, tools_ax = fig.subplots(3, 1, sharex=True)
    _draw_state_panel(state_ax, runs)
    _draw_warmth_panel(warmth_ax, runs)
    _draw_instrument_panel(tools_ax, runs)
    time_axis([state_ax, warmth_ax, tools_ax], runs)
    draw_events(fig, [state_ax, warmth_ax, tools_ax], [state_ax], events)
    set_title(fig, runs, title, "Overview: security, relations, instruments")


def _draw_state_panel(ax: Axes, runs: Sequence[Run]) -> None:
    """Tension, stability, nuclear progress, sanctions; the economy on a twin axis."""
    handles = plot_series(ax, runs, SECURITY)
    ax.set_ylim(-0.03, 1.03)
    ax.set_ylabel("level (0..1)")
    economy = SERIES[ECONOMY]
    if any(ECONOMY in r.df.columns for r in runs):
        econ_ax = ax.twinx()
        econ_ax.grid(False)
        econ_ax.spines["right"].set_visible(True)
        handles += plot_series(econ_ax, runs, [ECONOMY])
        # Room above the index keeps it off the 0..1 lines near the top.
        found = finite(runs, ECONOMY)
        econ_ax.set_ylim(0, max(1.5, 1.2 * found.max()) if found.size else 1.5)
        econ_ax.set_ylabel(f"{economy.title} ({economy.unit})", color=economy.color)
        econ_ax.tick_params(axis="y", colors=economy.color)
    legend_right(ax, handles, offset_pt=_OVERVIEW_LEGEND_OFFSET_PT, title="Security and the DPRK")


def _draw_warmth_panel(ax: Axes, runs: Sequence[Run]) -> None:
    """Warmth of the five relationships, with the breaking point marked."""
    handles = plot_series(ax, runs, WARMTH)
    ax.axhline(0, color="black", lw=0.6, alpha=0.5)
    breaking_point = Parameters().breaking_point_cn_dprk
    ax.axhline(breaking_point, color="black", lw=1.0, linestyle="--", alpha=0.7)
    ax.text(0.005, breaking_point, "breaking point", va="center", ha="left", fontsize=8,
            transform=blended_transform_factory(ax.transAxes, ax.transData), zorder=4,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5})
    ax.set_ylim(-1.05, 1.05)
    ax.set_ylabel("warmth (−1 hostile .. 1 close)")
    legend_right(ax, handles, offset_pt=_OVERVIEW_LEGEND_OFFSET_PT, title="Warmth of relations")


# Tests are drawn in a strip above the instrument levels (which end at 1).
_TEST_STRIP_Y = 1.12
_TEST_STRIP_STEP = 0.08


def _draw_instrument_panel(ax: Axes, runs: Sequence[Run]) -> None:
    """Beijing's and Washington's instruments, Pyongyang's tests as markers."""
    handles = plot_series(ax, runs, INSTRUMENTS)
    handles += _draw_tests(ax, runs)
    top = _TEST_STRIP_Y + _TEST_STRIP_STEP * len(runs)
    ax.set_ylim(-0.03, top)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1])
    ax.set_ylabel("instrument level (0..1)")
    legend_right(ax, handles, offset_pt=_OVERVIEW_LEGEND_OFFSET_PT,
                 title="Instruments\n(markers above the lines: Pyongyang's tests)")


def _draw_tests(ax: Axes, runs: Sequence[Run]) -> list[Line2D]:
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
        level = np.rint(values(run, "pyongyang_provocation"))
        y = _TEST_STRIP_Y + _TEST_STRIP_STEP * row
        for _, value, marker, size, color in kinds:
            hit = level == value
            ax.scatter(run.x[hit], np.full(hit.sum(), y), marker=marker, s=size, zorder=3,
                       color=run.color or color, edgecolors="none", clip_on=False)
    return [Line2D([], [], marker=marker, linestyle="none", markersize=np.sqrt(size),
                   color="black" if runs[0].color else color, label=label)
            for label, _, marker, size, color in kinds]
