"""The charts of an ensemble (``buffer-sim ensemble``): each measure's median month by
month with the bands of 50% and 90% of the runs, names and colours from the series
table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.patches import Patch

from buffer_sim.output.charts.render import new_figure, write_png
from buffer_sim.output.charts.series import series

#: Colours of measures the series table leaves to the runs' colours.
_SPARE = ("#1f5a99", "#c0392b", "#2e8b57", "#8e44ad")


def band_chart(quantiles, panels, path, title: str = "") -> Path:
    """Median with 50% and 90% bands for each variable, one panel per group.

    Args:
        quantiles: a table like ensemble.csv (``date, variable, q05 .. q95``).
        panels: ``[(heading, unit, [column, ...]), ...]``; columns the table lacks are
            skipped.
        path: the PNG to write (atomically; same data give the same bytes).
        title: the figure's title.
    """
    height = 1.6 + 2.4 * len(panels)
    fig = new_figure((12.7, height))
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (heading, unit, columns) in zip(axes, panels):
        for k, column in enumerate(columns):
            rows = quantiles[quantiles["variable"] == column]
            if rows.empty:
                continue
            line = series(column)
            x = np.array([np.datetime64(d, "M") for d in rows["date"]]).astype("datetime64[D]")
            colour = line.color or _SPARE[k % len(_SPARE)]
            ax.fill_between(x, rows["q05"], rows["q95"], color=colour, alpha=0.14, lw=0)
            ax.fill_between(x, rows["q25"], rows["q75"], color=colour, alpha=0.32, lw=0)
            ax.plot(x, rows["q50"], color=colour, lw=1.6, ls=line.style,
                    label=f"{line.name}, median")
        ax.set_title(heading, loc="left", fontsize=10)
        ax.set_ylabel(unit, fontsize=9)
        ax.grid(True, alpha=0.3)
        handles, labels = ax.get_legend_handles_labels()
        handles += [Patch(color="grey", alpha=0.45, lw=0), Patch(color="grey", alpha=0.16, lw=0)]
        labels += ["50% of runs", "90% of runs"]
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8,
                  frameon=False)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return write_png(fig, path)


def facts_chart(shares, runs: int, target: float, path, title: str = "") -> Path:
    """The share of runs in which each of the report's stylized facts holds: one bar
    per fact in the report's order, the target share as a line, bars under it red.

    Args:
        shares: fact name -> share of runs (0..1), in the order to draw.
        runs: how many runs the shares are of (for the axis label).
        target: the share a fact should reach (drawn as a dashed line).
        path: the PNG to write (atomically; same data give the same bytes).
        title: the figure's title.
    """
    names = list(shares)
    values = np.array([shares[n] for n in names]) * 100
    fig = new_figure((12.7, 1.4 + 0.42 * len(names)))
    ax = fig.subplots()
    y = np.arange(len(names))[::-1]
    short = values < target * 100
    ax.barh(y, values, color=np.where(short, "#c0392b", "#1f5a99"), height=0.62)
    # inside the bar's end, so that no share is read against the target line; two
    # decimals, as the summary prints them (79.75% is not 80%)
    for yi, v in zip(y, values):
        inside = v >= 12
        ax.text(v - 0.8 if inside else v + 0.8, yi, f"{v:.2f}%", va="center",
                ha="right" if inside else "left", fontsize=8.5,
                color="white" if inside else "black")
    ax.axvline(target * 100, color="#333333", ls="--", lw=1.2,
               label=f"target: {target:.0%} of runs")
    ax.set_yticks(y, [n.replace("_", " ") for n in names], fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"share of the {runs} runs in which the fact holds (%)", fontsize=9)
    ax.grid(True, axis="x", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()  # the target line
    ax.legend(handles=[Patch(color="#1f5a99"), Patch(color="#c0392b"), *handles],
              labels=["holds in the target share", "short of it", *labels],
              loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return write_png(fig, path)
