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
