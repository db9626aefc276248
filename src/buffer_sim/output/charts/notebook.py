"""A quick Matplotlib ``Figure`` for a notebook (``buffer_sim.run(...).plot()``,
``buffer_sim.compare(...).plot()``): one panel per group of measures, lines named and
coloured by the series table (one run) or coloured by run (several)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from buffer_sim.output.charts.series import RUN_COLORS, series

#: The default panels of one run: (title, [column, ...]).
QUICK_PANELS = (
    ("Leverage (0..1; influence −1..1)", ["leverage_potential", "pressure_applied",
                                          "influence_potential", "influence_realized"]),
    ("China–DPRK trade, US$ million per month",
     ["cn_exports_reported", "cn_imports_reported", "cn_exports_informal",
      "cn_imports_informal"]),
    ("Security and Beijing's enforcement (0..1)", ["tension", "stability",
                                                   "beijing_enforcement"]),
)


def panels_of(columns: Sequence[str]) -> list[tuple[str, list[str]]]:
    """One panel per column, titled with the measure's name and unit."""
    out = []
    for column in columns:
        s = series(column)
        out.append((" · ".join(part for part in (s.title, s.unit) if part), [column]))
    return out


def quick_figure(runs: Mapping[str, pd.DataFrame], panels: Sequence[tuple[str, Sequence[str]]],
                 title: str) -> Figure:
    """A Figure with one axes per panel; one line per column (one run) or per run.

    Args:
        runs: run name -> time series (with ``date``).
        panels: ``(title, [column, ...])`` of each panel, top to bottom.
        title: the figure's title.
    """
    fig = Figure(figsize=(11, 2.6 * len(panels) + 0.6), layout="constrained")
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    several = len(runs) > 1
    for ax, (panel_title, columns) in zip(axes, panels):
        for i, (label, df) in enumerate(runs.items()):
            x = pd.to_datetime(df["date"].astype(str).str.slice(0, 7), format="%Y-%m")
            for column in columns:
                if column not in df.columns:
                    continue
                line = series(column)
                style: dict[str, Any]
                if several:
                    style = {"color": RUN_COLORS[i % len(RUN_COLORS)], "label": label}
                else:
                    style = {"color": line.color, "linestyle": line.style, "label": line.label}
                ax.plot(x, df[column], **style)
        ax.set_title(panel_title, loc="left", fontsize=10)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8, loc="best")
    axes[-1].set_xlabel("month")
    fig.suptitle(title)
    return fig
