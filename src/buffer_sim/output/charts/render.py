"""A chart's life: the house style, the figure's size, and the PNG written from it.

Every PNG is reproducible (fixed size and dpi, no software or date metadata: the same
data give the same bytes) and written atomically. The charts of runs also carry their
words as text (:func:`figure_text`, read back with :func:`chart_text`), so that a
worksheet can be checked against the picture it cites.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

# Headless backend: charts are written by the CLI, batch runs and tests, never
# shown in a window. Must precede the pyplot import.
matplotlib.use("Agg")

import matplotlib.pyplot as plt

from buffer_sim.output.files import atomic_write_bytes

#: Output resolution (dots per inch); fixed so that output is reproducible.
DPI = 110
#: Width of every chart of a run in pixels; heights vary with the number of panels.
WIDTH_PX = 1400
HEIGHT_PX = 900
OVERVIEW_HEIGHT_PX = 1150

# Applied only while a chart is built and saved (rc_context), so nothing leaks
# into the caller's matplotlib settings.
STYLE: dict[Any, Any] = {
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
    # Glyph outlines unhinted: the TrueType hinting program ran for every glyph of every
    # text, a sixth of a chart's CPU time (the replay's three charts: 1.57 s hinted,
    # 1.30 s unhinted, laid out once); at 110 dpi the letters read the same.
    "text.hinting": "no_hinting",
}

#: PNG text key under which every chart of a run carries its ``ChartText`` as JSON.
TEXT_KEY = "buffer_sim chart text"
#: The ``gid`` of the event key's legend (not a panel's legend).
EVENT_KEY_GID = "event-key"


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


def figure_text(fig: Figure) -> ChartText:
    """Panel titles, legend entries and event key of a drawn figure."""
    legends: list[str] = []
    events: list[str] = []
    for legend in [*(ax.get_legend() for ax in fig.axes), *fig.legends]:
        if legend is None:
            continue
        texts = [t.get_text() for t in legend.get_texts()]
        (events if legend.get_gid() == EVENT_KEY_GID else legends).extend(texts)
    panels = []
    for ax in fig.axes:
        legend = ax.get_legend()
        # Single-run charts name their panels in the legend's title.
        name = (ax.get_title(loc="left") or ax.get_title()
                or (legend.get_title().get_text() if legend is not None else ""))
        if ax.get_visible() and name:
            panels.append(" ".join(name.split()))
    title = " ".join(fig.get_suptitle().split())
    return ChartText(title, tuple(panels), tuple(legends), tuple(events))


def chart_text(path) -> ChartText:
    """The ``ChartText`` a chart of a run wrote into its PNG file.

    Raises:
        ValueError: the file carries no chart text (not drawn by this package).
    """
    from PIL import Image

    with Image.open(path) as image:
        raw = image.text.get(TEXT_KEY)  # type: ignore[attr-defined]
    if raw is None:
        raise ValueError(f"{path}: no chart text (was it drawn by buffer_sim.output.charts?)")
    data = json.loads(raw)
    return ChartText(data["title"], tuple(data["panels"]), tuple(data["legend"]),
                     tuple(data["events"]))


def render(path, height_px: int, draw: Callable[[Figure], None]) -> Path:
    """Create a figure of a run's chart, let ``draw`` fill it, write it atomically, close it.

    Args:
        path: PNG file to write.
        height_px: figure height in pixels (width is ``WIDTH_PX``).
        draw: fills the empty figure.

    Returns:
        The path written.
    """
    with plt.rc_context(STYLE):
        # Constrained layout keeps outside legends and event labels in the canvas.
        fig = plt.figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI,
                         layout="constrained")
        try:
            draw(fig)
            lay_out_once(fig)
            return save_png(fig, path)
        finally:
            plt.close(fig)


def lay_out_once(fig: Figure) -> None:
    """Run the figure's layout engine now, then fix the positions it found.

    ``savefig`` of a figure with a layout engine draws the whole figure twice: a dry
    draw that lays it out, then the real one, which lays it out again. Laid out once
    and the engine removed, the figure is drawn once, in the same places (measured on
    the replay's three charts: 1.80 s of CPU before, 1.57 s after).
    """
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
        fig.set_layout_engine(None)


def save_png(fig: Figure, path) -> Path:
    """Write ``fig`` as PNG atomically, creating the folder if needed.

    The PNG carries the chart's words (``figure_text``) as JSON under ``TEXT_KEY``,
    so that a test can check what a worksheet cites against the file itself
    (``chart_text``). No "Software" tag: it holds the Matplotlib version, and the
    same data must give the same bytes. zlib level 1: level 6 took a third of a
    chart's drawing time for files only ~20% smaller.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = dataclasses.asdict(figure_text(fig))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI,
                metadata={"Software": None, TEXT_KEY: json.dumps(text, ensure_ascii=False)},
                pil_kwargs={"compress_level": 1})
    return atomic_write_bytes(path, buffer.getvalue())


def new_figure(figsize, dpi: float = 110) -> Figure:
    """A Matplotlib figure on the Agg canvas, independent of pyplot's global state."""
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Figure, dpi: float | None = None) -> bytes:
    """``fig`` encoded as PNG, without the "Software" tag (it carries the Matplotlib
    version), so identical data give identical bytes.

    zlib level 1: encoding at the default level 6 took a third of the drawing time of
    a chart for files only ~20% smaller.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi or fig.dpi, metadata={"Software": None},
                pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def write_png(fig: Figure, path, dpi: float | None = None) -> Path:
    """Write ``fig`` as PNG atomically (see :func:`png_bytes`)."""
    return atomic_write_bytes(path, png_bytes(fig, dpi))
