"""Event markers: thin vertical lines coloured by kind, numbered in date order above the
top panel(s), and a key below the chart that lists every event whole
("17  2016-03  UNSCR 2270 (coal, iron; livelihood exemption)")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.dates as mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import ScaledTranslation, blended_transform_factory

from buffer_sim.output.charts.layout import Run, month_starts
from buffer_sim.output.charts.render import DPI, EVENT_KEY_GID, WIDTH_PX

EVENT_FONT_SIZE = 7.5

#: Event kind -> (colour, legend name). Dark tones so labels read on white.
EVENT_KINDS: dict[str, tuple[str, str]] = {
    "forced_action": ("#b2182b", "forced action"),
    "resolution": ("#2166ac", "UN resolution"),
    "administration": ("#1b7837", "new administration"),
    "parameter_change": ("#737373", "parameter change"),
    "diplomatic_shock": ("#762a83", "diplomatic shock"),
}
_OTHER_EVENT_COLOR = "#525252"
#: Colour -> its name in the event key's title.
_COLOUR_NAMES = {"#b2182b": "red", "#2166ac": "blue", "#1b7837": "green", "#737373": "grey",
                 "#762a83": "purple", _OTHER_EVENT_COLOR: "dark grey"}

_MAX_NUMBER_ROWS = 5
#: Height of one row of event numbers, in points.
NUMBER_ROW_PT = EVENT_FONT_SIZE * 1.35


@dataclass(frozen=True)
class Event:
    """An event to mark: a line at its month, its number above, its name in the key.

    Attributes:
        number: position in date order, from 1 (the number at the marker).
        x: date number of its month.
        date: its month, 'YYYY-MM'.
        label: its name, whole.
        kind: its kind (the colour).
        note: "only in ..." when not every run has it, else empty.
    """

    number: int
    x: float
    date: str
    label: str
    kind: str
    note: str = ""

    @property
    def key(self) -> str:
        """Its entry in the event key, e.g. "17  2016-03  UNSCR 2270 (coal, iron; ...)"."""
        note = f" ({self.note})" if self.note else ""
        return f"{self.number}  {self.date}  {self.label}{note}"


def prepare_events(events, runs: Sequence[Run]) -> list[Event]:
    """Number the events inside the runs' months, in date order.

    Args:
        events: ``(date, label, kind)`` tuples, or run name -> such tuples; an event
            (same month and name) missing from some runs is noted "only in ...".
        runs: prepared runs, for the months covered.

    Returns:
        The events to mark, numbered among all events given; those outside every
        run are dropped (their numbers stay unused).
    """
    if isinstance(events, Mapping):
        per_run = {str(name): [tuple(e) for e in evs] for name, evs in events.items()}
    else:
        per_run = {"": [tuple(e) for e in events]}
    seen: dict[tuple[str, str], list] = {}
    for name, evs in per_run.items():
        for event in evs:
            month = str(event[0])[:7]
            entry = seen.setdefault((month, " ".join(str(event[1]).split())),
                                    [str(event[2]), []])
            if name not in entry[1]:
                entry[1].append(name)
    if not seen:
        return []
    lo = min(float(r.x.min()) for r in runs)
    hi = max(float(r.x.max()) for r in runs)
    named = [n for n in per_run if n]
    items = []
    # the months converted at once: one pandas conversion per event took a tenth of
    # the drawing calls' time
    xs = mdates.date2num(month_starts([month for month, _ in seen]))
    for x, ((month, label), (kind, names)) in zip(xs, seen.items()):
        x = float(x)
        note = "only in " + ", ".join(names) if named and len(names) < len(named) else ""
        items.append((x, month, label, kind, note))
    # Stable sort: events of one month keep the order the caller gave. Numbers count
    # every event given, so that a chart showing fewer months (the difference chart)
    # keeps the numbers of the others.
    items.sort(key=lambda item: item[0])
    return [Event(i + 1, *item) for i, item in enumerate(items) if lo <= item[0] <= hi]


def event_color(kind: str) -> str:
    return EVENT_KINDS.get(kind, (_OTHER_EVENT_COLOR, kind))[0]


def _key_columns(events: Sequence[Event]) -> int:
    """Columns of the event key: as many as the longest entry leaves room for."""
    longest = max(len(e.key) for e in events)
    column_px = longest * EVENT_FONT_SIZE * 0.5 / 72 * DPI + 45  # DejaVu Sans, mixed case
    return int(max(1, min(4, (0.96 * WIDTH_PX) // column_px)))


def key_height(events: Sequence[Event]) -> int:
    """Pixels the event key adds below a chart (0 without events)."""
    if not events:
        return 0
    rows = -(-len(events) // _key_columns(events))
    return int(60 + rows * EVENT_FONT_SIZE * 1.75 / 72 * DPI)


def _marker_groups(events: Sequence[Event]) -> list[tuple[float, str, str]]:
    """One number text per month: (x, "3" or "3–5", kind of the first)."""
    groups: list[list] = []
    for e in events:
        if groups and groups[-1][0] == e.x:
            groups[-1][2] = e.number
        else:
            groups.append([e.x, e.number, e.number, e.kind])
    return [(x, str(a) if a == b else f"{a}–{b}", kind) for x, a, b, kind in groups]


def _number_rows(groups, lo: float, hi: float, axes_px: float) -> list[int]:
    """The row (0 = lowest) of each marker number, so that no two overlap."""
    per_day = axes_px / max(hi - lo, 1)
    char_px = EVENT_FONT_SIZE * 0.68 / 72 * DPI  # bold digits, with air
    ends: list[float] = []  # right edge of the last number in each row
    rows = []
    for x, text, _ in groups:
        half = len(text) * char_px / 2 + 3
        centre = (x - lo) * per_day
        row = next((r for r, end in enumerate(ends) if centre - half > end), None)
        if row is None:
            if len(ends) < _MAX_NUMBER_ROWS:
                ends.append(-np.inf)
                row = len(ends) - 1
            else:  # crowded beyond the rows: the row whose last number ends first
                row = int(np.argmin(ends))
        ends[row] = centre + half
        rows.append(row)
    return rows


def _axes_px(ncols: int) -> float:
    """Rough width of a panel in pixels: a single-run chart keeps a third of the width
    for its legends; a grid splits the width between its columns."""
    return 0.62 * WIDTH_PX if ncols == 0 else 0.86 * WIDTH_PX / ncols


def event_number_rows(events: Sequence[Event], runs: Sequence[Run], ncols: int) -> int:
    """How many rows of numbers the events need above a top panel."""
    if not events:
        return 0
    lo = min(float(r.x.min()) for r in runs) - 15
    hi = max(float(r.x.max()) for r in runs) + 15
    return max(_number_rows(_marker_groups(events), lo, hi, _axes_px(ncols))) + 1


def draw_events(fig: Figure, axes: Sequence[Axes], top: Sequence[Axes],
                events: Sequence[Event], ncols: int = 0) -> None:
    """Event lines on every panel, their numbers above the top panels, the key below.

    Names are never cut: the key lists every event whole, in date order, in as many
    columns as fit.

    Args:
        fig: the figure (for the key).
        axes: every panel sharing the time axis.
        top: the panels above which the numbers go.
        events: from ``prepare_events``.
        ncols: panels side by side in a grid, 0 for a single-run chart (for the
            room each number has).
    """
    if not events:
        return
    # One collection per panel rather than a line per event: every artist costs
    # time in constrained layout.
    xs = [e.x for e in events]
    colors = [event_color(e.kind) for e in events]
    for ax in axes:
        ax.vlines(xs, 0, 1, transform=ax.get_xaxis_transform(), colors=colors, lw=0.8,
                  alpha=0.55, zorder=0.8)
    groups = _marker_groups(events)
    lo, hi = axes[0].get_xlim()
    rows = _number_rows(groups, lo, hi, _axes_px(ncols))
    for ax in top:
        base = blended_transform_factory(ax.transData, ax.transAxes)
        for (x, text, kind), row in zip(groups, rows):
            lift = ScaledTranslation(0, (2 + row * NUMBER_ROW_PT) / 72, fig.dpi_scale_trans)
            ax.text(x, 1.0, text, transform=base + lift, ha="center", va="bottom",
                    fontsize=EVENT_FONT_SIZE, fontweight="bold", color=event_color(kind),
                    clip_on=False)
    present = []
    for e in events:
        if e.kind not in present:
            present.append(e.kind)
    colours = ", ".join(f"{EVENT_KINDS.get(k, (None, k.replace('_', ' ')))[1]} "
                        f"{_COLOUR_NAMES.get(event_color(k), 'dark grey')}" for k in present)
    handles = [Line2D([], [], color=event_color(e.kind), lw=2.2, label=e.key) for e in events]
    key = fig.legend(handles=handles, loc="outside lower center", ncols=_key_columns(events),
                     frameon=False, handlelength=1.2, fontsize=EVENT_FONT_SIZE,
                     title=f"Events: the number above the marker lines, the month, the name "
                           f"(line colour: {colours})",
                     title_fontproperties={"weight": "bold", "size": EVENT_FONT_SIZE + 0.5},
                     alignment="left")
    key.set_gid(EVENT_KEY_GID)
