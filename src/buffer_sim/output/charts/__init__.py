"""Every chart buffer_sim draws, one module per job, all reading one series table.

Modules (a newcomer starts with ``series``):
    series       the one series table: each measure's name, unit, colour, dash, range
                 and observed counterpart (pure data, no Matplotlib; the web app reads
                 it too)
    render       the house style, figure sizes, reproducible and atomic PNG writing,
                 the words a chart carries (``chart_text``)
    layout       what run charts share: runs prepared for drawing, the monthly time
                 axis, titles, legends beside the panels
    events       event markers: lines, numbers above the panels, the key below
    annual       calendar-year sums of trade and the observed values beside them
    run          the charts of one run: leverage, trade, overview (``buffer-sim run``)
    compare      several runs: overlays, small multiples, differences (``compare``)
    live         the web app's month-by-month charts (``buffer-sim app``)
    bands        what each chart of an ensemble shows (pure data, no Matplotlib)
    ensemble     median and bands of many runs (``buffer-sim ensemble``)
    validation   model against observed trade and baselines (``buffer-sim validate``)
    experiments  sweep, sensitivity indices, PRIM boxes (``sweep``, ``sensitivity``,
                 ``discover``)
    notebook     a quick Figure for a notebook (``buffer_sim.run(...).plot()``)

Conventions shared by the charts of runs:
    * A month is drawn at its first day; the x axis is a real date axis.
    * Single-run charts give every variable its own colour (the series table).
      Multi-run charts give every measure its own panel and every run its own colour;
      each panel's legend names measure and run ("reported imports -
      replay_2009_2019", :func:`legend_label`).
    * Bounded measures sit on their whole range in multi-run charts (warmth -1..1,
      levels and shares 0..1; :func:`value_limits`), so a small gap looks small; the
      difference chart (``plot_compare(difference=True)``) shows it.
    * Events are thin vertical lines coloured by kind, numbered in date order above
      the top panel(s); a key below the chart lists every event whole.
    * Columns a chart knows about but the frame lacks are skipped, so older
      ``timeseries.csv`` files still plot.
    * Every PNG carries its title, panel titles, legend entries and event key as text
      (:func:`chart_text`), so worksheets can be checked against it.
    * Output is reproducible: fixed size and dpi, no software/date metadata, so the
      same data give byte-identical PNGs, written atomically.

Callers pass data (DataFrames, arrays, words) and get a PNG: no chart module imports
the experiments or the command line. ``from buffer_sim.output.charts import plot_trade``
works for every public name; the drawing modules (and Matplotlib) load on first use, so
importing ``buffer_sim.output.charts.series`` for a measure's name stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: The module that defines each public name (loaded on first use); ``__all__`` lists
#: the same names.
_HOMES = {
    "series": ("METRICS", "RUN_COLORS", "SERIES", "Series", "value_limits"),
    "render": ("DPI", "WIDTH_PX", "HEIGHT_PX", "TEXT_KEY", "ChartText", "chart_text",
               "figure_text", "new_figure", "png_bytes", "write_png"),
    "events": ("EVENT_KINDS",),
    "run": ("plot_leverage", "plot_trade", "plot_overview"),
    "compare": ("DIFFERENCE_FLOOR", "OVERLAY_KINDS", "legend_label", "overlay",
                "overlay_panels", "panel_title", "plot_compare"),
    "bands": ("BAND_CHARTS",),
    "ensemble": ("band_chart", "facts_chart"),
    "validation": ("validation_png",),
    "experiments": ("indices_chart", "prim_chart", "sweep_chart"),
    "notebook": ("QUICK_PANELS", "panels_of", "quick_figure"),
}
_WHERE = {name: module for module, names in _HOMES.items() for name in names}
_MODULES = (*_HOMES, "layout", "annual", "live")

__all__ = [
    "BAND_CHARTS", "ChartText", "DIFFERENCE_FLOOR", "DPI", "EVENT_KINDS", "HEIGHT_PX",
    "METRICS", "OVERLAY_KINDS", "QUICK_PANELS", "RUN_COLORS", "SERIES", "Series",
    "TEXT_KEY", "WIDTH_PX", "band_chart", "chart_text", "facts_chart", "figure_text",
    "indices_chart",
    "legend_label", "new_figure", "overlay", "overlay_panels", "panel_title",
    "panels_of", "plot_compare", "plot_leverage", "plot_overview", "plot_trade",
    "png_bytes", "prim_chart", "quick_figure", "sweep_chart", "validation_png",
    "value_limits", "write_png",
]

if TYPE_CHECKING:
    from buffer_sim.output.charts.compare import (DIFFERENCE_FLOOR, OVERLAY_KINDS, legend_label,
                                                  overlay, overlay_panels, panel_title,
                                                  plot_compare)
    from buffer_sim.output.charts.bands import BAND_CHARTS
    from buffer_sim.output.charts.ensemble import band_chart
    from buffer_sim.output.charts.events import EVENT_KINDS
    from buffer_sim.output.charts.experiments import indices_chart, prim_chart, sweep_chart
    from buffer_sim.output.charts.notebook import QUICK_PANELS, panels_of, quick_figure
    from buffer_sim.output.charts.render import (DPI, HEIGHT_PX, TEXT_KEY, WIDTH_PX, ChartText,
                                                 chart_text, figure_text, new_figure,
                                                 png_bytes, write_png)
    from buffer_sim.output.charts.run import plot_leverage, plot_overview, plot_trade
    from buffer_sim.output.charts.series import (METRICS, RUN_COLORS, SERIES, Series,
                                                 value_limits)
    from buffer_sim.output.charts.validation import validation_png


def matplotlib_version() -> str:
    """Matplotlib's version, for a manifest: from the package metadata, because importing
    Matplotlib for it would cost a process that leaves the drawing to workers a fifth of
    a second."""
    from importlib import metadata

    try:
        return metadata.version("matplotlib")
    except metadata.PackageNotFoundError:  # e.g. a vendored copy
        import matplotlib

        return matplotlib.__version__


def __getattr__(name: str) -> Any:
    """Load a public name's module on first use (PEP 562), or a submodule by name."""
    if name in _WHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE, *_MODULES})
