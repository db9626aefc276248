"""``validation.png`` (``buffer-sim validate``): the model's annual trade against the
observed years and two naive baselines, window by window, one panel per series.

The chart reads the validation's tables and windows as they are; it imports nothing of
the experiments (the windows and baselines are read through the attributes listed in
``JudgedWindow`` and ``Baseline``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from buffer_sim.output.charts.render import new_figure, png_bytes
from buffer_sim.output.charts.series import SERIES

#: Panel titles, by observed series.
TITLES = {"total": "Total China-DPRK trade", "cn_exports": "China's exports to the DPRK",
          "cn_imports": "China's imports from the DPRK"}
_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "h", "<", ">")
_PERSISTENCE_COLOR, _TREND_COLOR = "#7f7f7f", "#9467bd"
#: Shade of each window, by its name; another name is shaded light grey.
WINDOW_SHADES = {"fitted": "#eeeeee", "held back": "#fff2cc", "compared": "#eeeeee",
                 "before the fit": "#e8f0f8"}
_DPI, _WIDTH_PX, _HEIGHT_PX = 110, 1500, 1250
_STYLE: dict[Any, Any] = {"font.size": 9.5, "axes.titlesize": 10.5, "legend.fontsize": 8.5,
          "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
          "axes.spines.right": False, "lines.linewidth": 1.6}


class Baseline(Protocol):
    """A naive forecast of a window (``experiments.metrics.Baseline``)."""

    fitted_years: tuple[int, ...]
    in_period: bool

    def predict(self, years) -> np.ndarray: ...


class JudgedWindow(Protocol):
    """Years judged together (``cli.validate.Window``)."""

    name: str
    first: int
    last: int
    baselines: dict

    @property
    def span(self) -> str: ...


def validation_png(annual: pd.DataFrame, observed: pd.DataFrame,
                   windows: Sequence[JudgedWindow], series: Sequence[str],
                   score_lines: Mapping[str, str], title: str, *,
                   runs: Sequence[pd.DataFrame] = (), seed: int | None = None,
                   band: tuple[float, float] = (0.05, 0.95),
                   compared_years: Sequence[int] = ()) -> bytes:
    """``validation.png`` as bytes: one panel per series (reproducible: no metadata).

    Args:
        annual: the model's forecast, one row per calendar year (the index), a column
            per observed series and ``informal_<series>`` (drawn dotted, not compared).
        observed: observed rows: ``year``, ``series``, ``value_usd_m``, ``basis``.
        windows: the windows judged, in time order; each window's ``baselines`` map a
            series to ``{"persistence": Baseline, "trend": Baseline}``.
        series: the observed series to draw, one panel each (``total``, ``cn_exports``,
            ``cn_imports``).
        score_lines: series -> the line of scores under its panel's title.
        title: the figure's title.
        runs: each run's annual table (more than one: the band of ``band``).
        seed: the world seed of a single run (its legend entry).
        band: the quantiles of the band.
        compared_years: the observed years compared (filled markers); the other
            years a baseline uses are drawn hollow.
    """
    model_years = np.array([int(y) for y in annual.index])
    bases = sorted({str(b) for b in observed["basis"]})
    marker_of = {b: _MARKERS[i % len(_MARKERS)] for i, b in enumerate(bases)}
    ensemble = len(runs) > 1
    with matplotlib.rc_context(_STYLE):
        fig = new_figure((_WIDTH_PX / _DPI, _HEIGHT_PX / _DPI), dpi=_DPI)
        fig.set_layout_engine("constrained")
        axes = np.atleast_1d(fig.subplots(len(series), 1, sharex=True))
        for ax, name in zip(axes, series):
            color = SERIES[f"annual:{name}"].color
            handles: list = []
            # Windows first (behind everything), labelled at the top.
            for w in windows:
                ax.axvspan(w.first - 0.5, w.last + 0.5, zorder=0, linewidth=0,
                           color=WINDOW_SHADES.get(w.name, "#eeeeee"))
                ax.text((w.first + w.last) / 2, 0.98, f"{w.name} {w.span}",
                        transform=ax.get_xaxis_transform(), ha="center", va="top",
                        fontsize=8.5, color="#555555", zorder=6)
            # Model: band and median (ensemble) or the run; informal (not compared).
            if ensemble:
                stack = np.stack([r.loc[annual.index, name].to_numpy(float) for r in runs])
                lo, hi = np.quantile(stack, band, axis=0)
                ax.fill_between(model_years, lo, hi, color=color, alpha=0.18, linewidth=0,
                                zorder=1)
                handles.append(Patch(color=color, alpha=0.3,
                                     label=f"model, {band[0]:.0%}-{band[1]:.0%} band of "
                                           f"{len(runs)} runs"))
            ax.plot(model_years, annual[name], color=color, marker=".", zorder=3)
            handles.insert(0, Line2D([], [], color=color, marker=".",
                                     label="model, reported" + (
                                         f" (median of {len(runs)} runs)" if ensemble
                                         else f" (seed {seed})")))
            informal = f"informal_{name}"
            if informal in annual.columns:
                ax.plot(model_years, annual[informal], color=color, linestyle=":",
                        alpha=0.8)
                handles.append(Line2D([], [], color=color, linestyle=":", alpha=0.8,
                                      label="model, informal (not in customs data; "
                                            "not compared)"))
            handles += _draw_observed(ax, observed, windows, name, color, marker_of,
                                      compared_years)
            handles += _draw_baselines(ax, windows, name)
            ax.set_title(f"{TITLES[name]}, US$ million a year\n{score_lines[name]}",
                         loc="left")
            ax.set_ylabel("US$ million a year")
            ax.set_ylim(bottom=0)
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                      borderaxespad=0, frameon=False)
        axes[-1].set_xlabel("calendar year (complete years only; shaded: the windows judged)")
        axes[-1].xaxis.get_major_locator().set_params(integer=True)
        fig.suptitle(title)
        return png_bytes(fig, dpi=_DPI)


def _draw_observed(ax, observed, windows, name, color, marker_of, compared_years) -> list:
    """Observed rows: those compared filled, those that only feed baselines hollow."""
    handles: list = []
    rows = observed[observed["series"] == name]
    used: set = set()
    for w in windows:
        for b in w.baselines.get(name, {}).values():
            used |= set(b.fitted_years)
    compared = rows[rows["year"].isin(compared_years)]
    earlier = rows[rows["year"].isin(used - set(compared_years))]
    shown = sorted(set(compared["basis"]) | set(earlier["basis"]))
    for i, basis in enumerate(shown):
        nudge = (i - (len(shown) - 1) / 2) * 0.06
        marker = marker_of[str(basis)]
        mine = compared[compared["basis"] == basis]
        ax.scatter(mine["year"] + nudge, mine["value_usd_m"], marker=marker, s=46,
                   color=color, edgecolors="black", linewidths=0.8, zorder=5)
        old = earlier[earlier["basis"] == basis]
        ax.scatter(old["year"] + nudge, old["value_usd_m"], marker=marker, s=46,
                   facecolors="none", edgecolors=color, linewidths=1.0, zorder=5)
        handles.append(Line2D([], [], marker=marker, linestyle="none", markersize=7,
                              markerfacecolor="#d9d9d9", markeredgecolor="black",
                              label=f"observed, {basis}"))
    if len(earlier):
        handles.append(Line2D([], [], marker="o", linestyle="none", markersize=7,
                              markerfacecolor="none", markeredgecolor=color,
                              label="observed before a window (baselines only)"))
    return handles


def _draw_baselines(ax, windows, name) -> list:
    """Both baselines, window by window (each built from years before its window)."""
    handles = []
    for baseline, bcolor, dash in (("persistence", _PERSISTENCE_COLOR, (0, (5, 3))),
                                   ("trend", _TREND_COLOR, (0, (2, 2)))):
        sources = []
        for w in windows:
            b = w.baselines.get(name, {}).get(baseline)
            if b is None:
                continue
            span = np.arange(w.first, w.last + 1)
            ax.plot(span, b.predict(span), color=bcolor, linestyle=dash,
                    linewidth=1.4, marker="|", zorder=4)
            years = b.fitted_years
            src = (f"{years[0]}" if len(years) == 1 else f"{years[0]}-{years[-1]}")
            sources.append(f"{w.name} window from {src}"
                           + (" (in period)" if b.in_period else ""))
        handles.append(Line2D([], [], color=bcolor, linestyle=dash,
                              label=f"{baseline} baseline\n({'; '.join(sources)})"))
    return handles
