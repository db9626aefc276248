"""The classroom web app: a Mesa SolaraViz page for ``buffer-sim app``.

Choose a shipped scenario (or a what-if), change Beijing's priority order and any
actor's thresholds, then Play / Step / Reset. The page shows, month by month:

* Beijing's leverage (potential, pressure applied, realized influence) and China-DPRK
  trade, with the *baseline* run (the chosen scenario as written, same seed) drawn
  faintly behind the current one, and the observed annual trade values shown as
  monthly averages (annual / 12) at mid-year;
* this month's events and every actor's decision with its reason.

Every value typed in is checked by the same validation as scenario files
(``scenario.load_scenario`` with ``--set``-style overrides): a bad value is refused with
the ``ScenarioError`` text and the run keeps its last valid settings. A valid change is
applied at once: the run is replayed from the start to the current month with the new
settings (same seed), so the two runs can be compared at the same month.

Run it with ``buffer-sim app`` (``solara run buffer_sim.app`` works too). The scenario
shown first is ``$BUFFER_SIM_APP_SCENARIO`` if set, else the 2009-2019 replay.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import os
import shlex
import threading
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import PIL.Image  # noqa: E402
import solara  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from buffer_sim.actors import ACTORS  # noqa: E402
from buffer_sim.errors import ScenarioError  # noqa: E402
from buffer_sim.model import BufferModel, run_model, timeseries_rows  # noqa: E402
from buffer_sim.months import month_str  # noqa: E402
from buffer_sim.priorities import PRIORITIES  # noqa: E402
from buffer_sim.scenario import Scenario, load_scenario  # noqa: E402

ENV_SCENARIO = "BUFFER_SIM_APP_SCENARIO"
DEFAULT_SCENARIO = "replay_2009_2019"
TITLE = "China and North Korea, month by month"

LEVERAGE_SERIES = (
    ("leverage_potential", "potential leverage", "#1f77b4"),
    ("pressure_applied", "pressure applied", "#ff7f0e"),
    ("influence_realized", "realized influence (< 0: backfired)", "#2ca02c"),
)
#: model column -> (legend label, colour, observed ``series`` of ``trade_annual()``)
TRADE_SERIES = (
    ("cn_exports_reported", "China exports to DPRK, reported", "#1f77b4", "cn_exports"),
    ("cn_imports_reported", "China imports from DPRK, reported", "#ff7f0e", "cn_imports"),
    ("total_reported", "total reported trade", "#333333", "total"),
    ("total_informal", "informal trade (smuggling), both ways", "#9467bd", None),
)
OBSERVED_LABEL = "observed: annual US$ m ÷ 12 (monthly average), at mid-year"
BASELINE_LABEL = "faint: baseline (scenario as written, same seed)"


# --- pure helpers (no Solara): scenarios, settings, validation ------------------------------

def scenario_choices() -> dict[str, str]:
    """Shipped scenarios: label (``replay_2009_2019``, ``whatif/no_thaad_2016``) -> path."""
    from buffer_sim.cli import scenarios_dir

    folder = scenarios_dir()
    out: dict[str, str] = {}
    if folder is None:
        return out
    for sub, prefix in ((folder, ""), (folder / "whatif", "whatif/")):
        if sub.is_dir():
            for path in sorted(sub.glob("*.yaml")):
                out[f"{prefix}{path.stem}"] = str(path.resolve())
    return out


def initial_scenario() -> str:
    """The scenario file shown first: ``$BUFFER_SIM_APP_SCENARIO`` or the replay."""
    from buffer_sim.cli import resolve_scenario

    return str(resolve_scenario(os.environ.get(ENV_SCENARIO) or DEFAULT_SCENARIO))


def scenario_label(path: str) -> str:
    """The label of a scenario file in :func:`scenario_choices` (else its file name)."""
    for label, p in scenario_choices().items():
        if Path(p) == Path(path).resolve():
            return label
    return Path(path).stem


def fmt(value: float) -> str:
    """A threshold as the text field shows it."""
    return f"{float(value):g}"


@dataclass(frozen=True)
class Defaults:
    """What a scenario sets before any change: shown in the controls, restored on demand.

    Attributes:
        priorities: Beijing's priority order.
        thresholds: actor -> priority -> threshold, for the priorities each actor ranks.
        scenario: the validated scenario.
    """

    priorities: tuple[str, ...]
    thresholds: dict[str, dict[str, float]]
    scenario: Scenario


@functools.lru_cache(maxsize=32)
def scenario_defaults(path: str) -> Defaults:
    """The scenario's own settings (raises ``ScenarioError`` for a bad file)."""
    scenario = load_scenario(path)
    model = BufferModel(scenario)
    thresholds = {}
    for name, actor in model.actors.items():
        ranked = list(actor.priorities)
        ranked += [p for p in getattr(actor, "priorities_after_completion", []) if p not in ranked]
        thresholds[name] = {p: float(actor.thresholds[p]) for p in ranked}
    return Defaults(tuple(model.actors["beijing"].priorities), thresholds, scenario)


@dataclass(frozen=True)
class Settings:
    """What the user chose: a scenario file and the values typed in (as text).

    Attributes:
        scenario: path of the scenario file.
        priorities: Beijing's order as typed ("no_nukes,no_war,..."); "" = the scenario's.
        thresholds: ``(actor, priority, text)`` for each threshold the user changed.
    """

    scenario: str
    priorities: str = ""
    thresholds: tuple[tuple[str, str, str], ...] = ()

    def overrides(self) -> list[str]:
        """The changes as ``--set`` strings, e.g. ``beijing.thresholds.no_war=0.7``."""
        out = []
        if self.priorities.strip():
            out.append(f"beijing.priorities={self.priorities.strip()}")
        out += [f"{actor}.thresholds.{prio}={text.strip()}"
                for actor, prio, text in self.thresholds]
        return out

    def threshold_text(self, actor: str, prio: str) -> str | None:
        for a, p, text in self.thresholds:
            if (a, p) == (actor, prio):
                return text
        return None

    def command_line(self) -> str:
        """The same run from the command line."""
        words = ["buffer-sim", "run", scenario_label(self.scenario)]
        for text in self.overrides():
            words += ["--set", text]
        return shlex.join(words)


PRIORITY_FIELD = ("priorities",)


def threshold_field(actor: str, prio: str) -> tuple[str, str, str]:
    return ("thresholds", actor, prio)


def with_change(settings: Settings, field: tuple, text: str, defaults: Defaults) -> Settings:
    """``settings`` with one field set to ``text``; text equal to the scenario's own value
    (or empty) removes the change."""
    text = (text or "").strip()
    if field == PRIORITY_FIELD:
        same = [p.strip() for p in text.split(",")] == list(defaults.priorities)
        return dataclasses.replace(settings, priorities="" if (same or not text) else text)
    _, actor, prio = field
    rest = tuple(t for t in settings.thresholds if (t[0], t[1]) != (actor, prio))
    default = defaults.thresholds.get(actor, {}).get(prio)
    if not text or (default is not None and text == fmt(default)):
        return dataclasses.replace(settings, thresholds=rest)
    return dataclasses.replace(settings, thresholds=(*rest, (actor, prio, text)))


def validate(settings: Settings) -> Scenario:
    """The scenario with the user's changes, checked as scenario files are.

    Raises:
        ScenarioError: the one-line message of the first problem.
    """
    return load_scenario(settings.scenario, settings.overrides())


class AppModel(BufferModel):
    """The model the page runs: a ``BufferModel`` built from :class:`Settings`.

    Args:
        settings: the settings, or a Solara reactive holding them (how SolaraViz's Reset
            passes the current settings); None means the initial scenario unchanged.
        rng: seed; default the scenario's seed (as the baseline).
        strict: raise ``ScenarioError`` for bad settings; otherwise (Reset, which must
            not fail) fall back to the scenario as written.
    """

    def __init__(self, settings=None, rng=None, *, strict: bool = False) -> None:
        if isinstance(settings, solara.Reactive):
            settings = settings.value
        if settings is None:
            settings = Settings(initial_scenario())
        try:
            scenario = validate(settings)
        except ScenarioError:
            if strict:
                raise
            settings = Settings(settings.scenario)
            scenario = load_scenario(settings.scenario)
        self.settings = settings
        # A class steps a month at a time: the equations on numpy arrays answer at once,
        # with no compiler to load (the same bits as compiled).
        super().__init__(scenario, rng=rng, compiled=False)

    @property
    def months_done(self) -> int:
        return self.month - self.spec.start + 1


def build_model(settings: Settings, months: int = 0) -> AppModel:
    """A model for ``settings`` advanced ``months`` months (raises ``ScenarioError``)."""
    model = AppModel(settings, strict=True)
    for _ in range(min(months, model.spec.months)):
        model.step()
    return model


# --- pure helpers: data for the charts and the reasons panel --------------------------------

def frame(rows: list[dict]) -> pd.DataFrame:
    """Time series rows -> DataFrame with ``x`` (first day of each month) and the trade
    totals the trade chart draws."""
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=["date", "x"])
    df["x"] = pd.to_datetime(df["date"] + "-01")
    df["total_reported"] = df["cn_exports_reported"] + df["cn_imports_reported"]
    df["total_informal"] = df["cn_exports_informal"] + df["cn_imports_informal"]
    return df


@functools.lru_cache(maxsize=32)
def baseline_frame(path: str, seed: int | None = None) -> pd.DataFrame:
    """The whole period of the scenario as written (its own seed unless given)."""
    scenario = load_scenario(path)
    return frame(timeseries_rows(run_model(scenario, seed, compiled=False)))


@functools.lru_cache(maxsize=1)
def _observed_all() -> pd.DataFrame:
    from buffer_sim.observed import trade_annual

    return trade_annual()


def observed_monthly(start_year: int, end_year: int) -> pd.DataFrame:
    """Observed annual China-DPRK trade as monthly averages at mid-year.

    Returns:
        Columns ``year``, ``series`` (cn_exports, cn_imports, total), ``basis``,
        ``value_usd_m`` (annual, US$ million), ``monthly`` (annual / 12) and ``x``
        (1 July of the year), for the years in ``start_year..end_year``.
    """
    obs = _observed_all()
    obs = obs[(obs["year"] >= start_year) & (obs["year"] <= end_year)].copy()
    obs["monthly"] = obs["value_usd_m"] / 12.0
    obs["x"] = pd.to_datetime(obs["year"].astype(str) + "-07-01")
    return obs.reset_index(drop=True)


def events_this_month(model: BufferModel) -> list[str]:
    """Labels of the scenario events that fired for the current month."""
    return [f"{event.label} ({event.kind.replace('_', ' ')})"
            for month, event in model.event_log if month == model.month]


def decisions_this_month(model: BufferModel) -> list[dict]:
    """The current month's decisions: actor label, deciding priority, reason, changed."""
    out = []
    for month, d in model.decisions:
        if month != model.month:
            continue
        deciding = PRIORITIES[d.deciding].label if d.deciding in PRIORITIES else d.deciding
        out.append({"actor": d.actor, "label": ACTORS[d.actor].label, "deciding": deciding,
                    "reason": d.reason, "changed": d.changed})
    return out


#: (column, label, number format) of the "this month" table
STATE_TABLE = (
    ("tension", "tension (war-risk proxy), 0..1", "{:.2f}"),
    ("stability", "DPRK stability, 0..1", "{:.2f}"),
    ("nuclear", "nuclear programme, 0..1", "{:.2f}"),
    ("dprk_economy", "DPRK economy, index", "{:.2f}"),
    ("sanctions_scope", "UN sanctions scope, share", "{:.2f}"),
    ("customs_blocked", "stopped at Chinese customs, share", "{:.2f}"),
    ("beijing_enforcement", "Beijing: sanctions enforcement", "{:.2f}"),
    ("beijing_aid", "Beijing: aid", "{:.2f}"),
    ("beijing_engagement", "Beijing: engagement", "{:.2f}"),
    ("pyongyang_provocation", "Pyongyang: provocation (0, 1, 2)", "{:.0f}"),
    ("pyongyang_outreach", "Pyongyang: outreach", "{:.2f}"),
    ("washington_pressure", "Washington: sanctions pressure", "{:.2f}"),
    ("china_share", "China's share of DPRK trade", "{:.0%}"),
)


def state_rows(model: BufferModel, baseline: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(label, this run, baseline) for the current month; "" before the first month."""
    row = model.row if model.month >= model.spec.start else {}
    base = baseline[baseline["date"] == month_str(model.month)] if len(baseline) else baseline
    base_row = base.iloc[0].to_dict() if len(base) else {}
    out = []
    for column, label, form in STATE_TABLE:
        now = form.format(row[column]) if column in row else ""
        then = form.format(base_row[column]) if column in base_row else ""
        out.append((label, now, then))
    return out


def priority_order_text(priorities) -> str:
    return " > ".join(PRIORITIES[p].label if p in PRIORITIES else p for p in priorities)


# --- pure helpers: the charts (matplotlib, no pyplot) ----------------------------------------
#
# A chart's fixed part (axes, legend, baseline, observed values) is drawn once per scenario
# and y range; each month only the current run's lines, the month marker and the title are
# drawn over a copy of it (blitting), which keeps Play smooth.

CHART_SIZE = (4.8, 4.0)  # inches at 100 dpi: about the size of a SolaraViz grid cell
_NOT_YET = pd.Timestamp("1900-01-01")


@dataclass
class ChartArtists:
    """The parts of a chart that change month by month.

    Attributes:
        ax: the axes.
        lines: model column -> the current run's line.
        now: the vertical line at the current month.
        title: the title (it names the month).
        on_top: artists drawn again over the current lines (observed markers).
        name: the title without the month.
    """

    ax: object
    lines: dict
    now: object
    title: object
    on_top: list
    name: str


def month_x(month: int) -> pd.Timestamp:
    return pd.Timestamp(month_str(month) + "-01")


def _axes_frame(ax, start: int, end: int) -> None:
    ax.set_xlim(month_x(start), month_x(end) + pd.offsets.MonthBegin(1))
    years = max(1, (end - start + 1) // 12)
    ax.xaxis.set_major_locator(mdates.YearLocator(1 if years <= 6 else 2))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.grid(alpha=0.3, lw=0.6)
    ax.tick_params(labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _legend(ax, handles) -> None:
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(-0.02, -0.08),
              fontsize=7.5, frameon=False, handlelength=2.2, borderaxespad=0,
              labelspacing=0.3)


def _current_artists(ax, series, name: str) -> ChartArtists:
    lines = {column: ax.plot([], [], color=color, lw=2.0, ls=style, animated=True)[0]
             for column, color, style in series}
    now = ax.axvline(_NOT_YET, color="#777777", lw=0.8, ls=":", animated=True)
    title = ax.set_title(name, fontsize=10)
    title.set_animated(True)
    return ChartArtists(ax, lines, now, title, [], name)


def leverage_ylim(*frames: pd.DataFrame) -> tuple[float, float]:
    """Just below zero, or below the most negative realized influence (to -1.05)."""
    lows = [float(f["influence_realized"].min()) for f in frames
            if "influence_realized" in f and len(f)]
    low = min([0.0, *lows])
    if low >= -0.0:
        return (-0.05, 1.05)
    return (max(-1.05, float(np.floor((low - 0.05) * 10) / 10)), 1.05)


def trade_ylim(*frames: pd.DataFrame, observed: pd.DataFrame | None = None) -> tuple[float, float]:
    """Zero to a round number above every flow drawn (model and observed)."""
    highs = [float(f[c].max()) for f in frames for c, *_ in TRADE_SERIES if c in f and len(f)]
    if observed is not None and len(observed):
        highs.append(float(observed["monthly"].max()))
    top = max([100.0, *highs]) * 1.06
    return (0.0, float(np.ceil(top / 50.0) * 50.0))


def draw_leverage(fig: Figure, baseline: pd.DataFrame, start: int, end: int,
                  ylim: tuple[float, float]) -> ChartArtists:
    """The fixed part of the leverage chart; returns the artists of the current run."""
    ax = fig.subplots()
    handles = []
    for column, label, color in LEVERAGE_SERIES:
        if column in baseline:
            ax.plot(baseline["x"], baseline[column], color=color, lw=1.1, alpha=0.28)
        handles.append(Line2D([], [], color=color, lw=2.0, label=label))
    handles.append(Line2D([], [], color="#999999", lw=1.1, alpha=0.5, label=BASELINE_LABEL))
    ax.axhline(0, color="black", lw=0.7)
    ax.set_ylim(*ylim)
    ax.set_ylabel("0..1 (influence −1..1)", fontsize=8)
    _axes_frame(ax, start, end)
    _legend(ax, handles)
    return _current_artists(ax, [(c, color, "-") for c, _, color in LEVERAGE_SERIES],
                            "Beijing's leverage")


def draw_trade(fig: Figure, baseline: pd.DataFrame, observed: pd.DataFrame, start: int,
               end: int, ylim: tuple[float, float]) -> ChartArtists:
    """The fixed part of the trade chart: baseline faint, observed annual / 12 at mid-year."""
    ax = fig.subplots()
    handles, markers = [], []
    for column, label, color, obs_series in TRADE_SERIES:
        style = "--" if obs_series is None else "-"
        if column in baseline:
            ax.plot(baseline["x"], baseline[column], color=color, lw=1.1, alpha=0.28, ls=style)
        handles.append(Line2D([], [], color=color, lw=2.0, ls=style, label=label))
        if obs_series is not None and len(observed):
            rows = observed[observed["series"] == obs_series]
            if len(rows):
                markers.append(ax.scatter(rows["x"], rows["monthly"], color=color, s=30,
                                          edgecolors="black", linewidths=0.7, zorder=3))
    if markers:
        handles.append(Line2D([], [], marker="o", ls="none", markerfacecolor="#d9d9d9",
                              markeredgecolor="black", markersize=6, label=OBSERVED_LABEL))
    handles.append(Line2D([], [], color="#999999", lw=1.1, alpha=0.5, label=BASELINE_LABEL))
    ax.set_ylim(*ylim)
    ax.set_ylabel("US$ million per month", fontsize=8)
    _axes_frame(ax, start, end)
    _legend(ax, handles)
    artists = _current_artists(
        ax, [(c, color, "--" if obs is None else "-") for c, _, color, obs in TRADE_SERIES],
        "China–DPRK trade")
    artists.on_top = markers
    return artists


class ChartCanvas:
    """A chart whose fixed part is drawn once; :meth:`png` draws a month over it."""

    def __init__(self, draw, *args) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.fig = Figure(figsize=CHART_SIZE, dpi=100)
        self.canvas = FigureCanvasAgg(self.fig)
        self.artists: ChartArtists = draw(self.fig, *args)
        self.fig.subplots_adjust(left=0.13, right=0.97, top=0.92, bottom=0.36)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.lock = threading.Lock()

    def png(self, current: pd.DataFrame, now: int | None) -> bytes:
        """The chart with the current run drawn up to month ``now``, as PNG bytes."""
        a = self.artists
        with self.lock:
            self.canvas.restore_region(self.background)
            for column, line in a.lines.items():
                if column in current and len(current):
                    line.set_data(current["x"], current[column])
                else:
                    line.set_data([], [])
                a.ax.draw_artist(line)
            for artist in a.on_top:
                a.ax.draw_artist(artist)
            if now is not None:
                a.now.set_xdata([month_x(now)] * 2)
                a.ax.draw_artist(a.now)
            a.title.set_text(f"{a.name} — {month_str(now)}" if now is not None else a.name)
            a.ax.draw_artist(a.title)
            rgba = np.asarray(self.canvas.buffer_rgba())
            out = io.BytesIO()
            PIL.Image.fromarray(rgba).save(out, format="png", compress_level=3)
        return out.getvalue()


@functools.lru_cache(maxsize=16)
def _canvas(kind: str, path: str, seed: int, ylim: tuple[float, float]) -> ChartCanvas:
    scenario = scenario_defaults(path).scenario
    baseline = baseline_frame(path, seed)
    if kind == "leverage":
        return ChartCanvas(draw_leverage, baseline, scenario.start, scenario.end, ylim)
    observed = observed_monthly(scenario.start // 12, scenario.end // 12)
    return ChartCanvas(draw_trade, baseline, observed, scenario.start, scenario.end, ylim)


def _chart_data(model: BufferModel):
    spec = model.spec
    settings = getattr(model, "settings", None)
    path = str(Path(settings.scenario if settings is not None else spec.path).resolve())
    current = frame(timeseries_rows(model))
    baseline = baseline_frame(path, spec.seed)
    now = model.month if model.month >= spec.start else None
    return path, current, baseline, now


def leverage_png(model: BufferModel) -> bytes:
    """The leverage chart of the model's run so far over the baseline, as PNG bytes."""
    path, current, baseline, now = _chart_data(model)
    ylim = leverage_ylim(current, baseline)
    return _canvas("leverage", path, model.spec.seed, ylim).png(current, now)


def trade_png(model: BufferModel) -> bytes:
    """The trade chart of the model's run so far, baseline and observed, as PNG bytes."""
    path, current, baseline, now = _chart_data(model)
    spec = model.spec
    ylim = trade_ylim(current, baseline,
                      observed=observed_monthly(spec.start // 12, spec.end // 12))
    return _canvas("trade", path, spec.seed, ylim).png(current, now)


# --- the page (Solara) -------------------------------------------------------------------------

#: The settings the model runs (always valid). Solara keeps one value per browser session.
applied = solara.reactive(None)
#: Text typed into each field (field -> text) and the refusal of each bad one (field -> msg).
drafts = solara.reactive({})
errors = solara.reactive({})


def current_settings() -> Settings:
    """The applied settings of this session (the initial scenario until a change)."""
    return applied.value or Settings(initial_scenario())


def _tagged(testid: str, children, **attrs):
    """A div with ``data-testid`` (and data attributes) the browser test finds."""
    attributes = {"data-testid": testid, **{f"data-{k}": str(v) for k, v in attrs.items()}}
    return solara.v.Html(tag="div", attributes=attributes, children=children,
                         style_="width: 100%").key(testid)


@solara.component
def ChartImage(testid: str, png: bytes, model: BufferModel):
    digest = hashlib.sha256(png).hexdigest()[:16]
    image = solara.Image(png, width="100%")
    return _tagged(testid, [image], digest=digest, month=month_str(model.month))


@solara.component
def TradeChart(model: BufferModel):
    """China-DPRK trade, observed values as monthly averages, baseline faint."""
    update_counter.get()
    ChartImage("trade-chart", trade_png(model), model)


@solara.component
def LeverageChart(model: BufferModel):
    """Beijing's leverage, current run over the faint baseline."""
    update_counter.get()
    ChartImage("leverage-chart", leverage_png(model), model)


def _el(tag: str, children=(), style: str = "", key: str | None = None, **attrs):
    """A plain HTML element (text children are shown as text, never as markup).

    ``key`` names the element within its component: without one, reacton reuses the
    element at the same place for a new one, and the browser keeps the old tag.
    """
    attributes = {f"data-{k}": str(v) for k, v in attrs.items()}
    el = solara.v.Html(tag=tag, children=list(children), style_=style,
                       attributes=attributes or None)
    return el.key(key or f"{tag}-{attrs.get('testid', '')}")


def reasons_children(model: BufferModel) -> list:
    """The reasons panel's content as (unrendered) elements, built bottom-up."""
    spec = model.spec
    out = []
    if model.month < spec.start:
        out.append(_el("h3", [f"Next: {month_str(spec.start)}"], "margin: 0 0 6px 0",
                       key="next"))
        out.append(_el("p", ["Press Step (one month) or ▶ (play) to run the model. Every "
                             "actor's decision and its reason appear here, month by month."],
                       key="intro"))
    else:
        end = "" if model.running else " (the scenario's last month)"
        out.append(_el("h3", [f"Decisions in {month_str(model.month)}{end}"],
                       "margin: 0 0 6px 0", key="month"))
        events = events_this_month(model)
        if events:
            out.append(_el("p", [_el("b", ["Events: "], key="events-b"), "; ".join(events)],
                           "margin: 0 0 6px 0", testid="events"))
        items = []
        for d in decisions_this_month(model):
            mark = "changed policy" if d["changed"] else "kept course"
            deciding = "" if d["deciding"] == "inertia" else f"; decided by {d['deciding']}"
            items.append(_el("li", [_el("b", [d["label"]], key=f"b-{d['actor']}"),
                                    f" ({mark}{deciding}): {d['reason']}"],
                             "margin-bottom: 4px", testid=f"reason-{d['actor']}"))
        out.append(_el("ul", items, "margin: 0; padding-left: 18px"))
    out.append(_el("p", [_el("i", ["Beijing's priorities now: "], key="order-i"),
                         priority_order_text(model.actors["beijing"].priorities)],
                   "margin: 6px 0 0 0; color: #555555", testid="beijing-order"))
    return out


@solara.component
def ReasonsPanel(model: BufferModel):
    """This month's events, and every actor's decision with its reason."""
    update_counter.get()
    return solara.v.Html(tag="div", children=reasons_children(model),
                         attributes={"data-testid": "reasons",
                                     "data-month": month_str(model.month)},
                         style_="width: 100%; height: 100%; overflow-y: auto; "
                                "font-size: 14px; line-height: 1.35; padding: 4px 8px")


@solara.component
def StatePanel(model: BufferModel):
    """The world and the main instruments this month, next to the baseline's."""
    update_counter.get()
    _, _, baseline, _ = _chart_data(model)
    rows = []
    for label, now, then in state_rows(model, baseline):
        differs = now and then and now != then
        rows.append(_el("tr", [
            _el("td", [label], "padding: 1px 8px 1px 0", key=f"l-{label}"),
            _el("td", [now], "text-align: right; padding: 1px 8px;"
                + (" font-weight: bold" if differs else ""), key=f"n-{label}"),
            _el("td", [then], "text-align: right; padding: 1px 0 1px 8px; color: #888888",
                key=f"b-{label}"),
        ], key=f"r-{label}"))
    month = month_str(model.month) if model.month >= model.spec.start else "not started"
    head = _el("tr", [_el("th", [f"This month ({month})"], "text-align: left", key="h1"),
                      _el("th", ["this run"], "text-align: right; padding: 0 8px", key="h2"),
                      _el("th", ["baseline"], "text-align: right; color: #888888", key="h3")],
               key="head")
    table = _el("table", [head, *rows], "border-collapse: collapse; font-size: 13px",
                key="table")
    note = _el("p", ["Bold: differs from the baseline (the scenario as written, same "
                     "seed) in the same month."], "font-size: 12px; color: #555555; "
                                                   "margin: 6px 0 0 0", key="note")
    return solara.v.Html(tag="div", children=[table, note],
                         attributes={"data-testid": "state"},
                         style_="width: 100%; height: 100%; overflow-y: auto; "
                                "padding: 4px 8px")


@solara.component
def SettingsPanel(model: solara.Reactive):
    """Scenario choice, Beijing's priority order and every actor's thresholds."""
    settings = current_settings()
    actor_shown, set_actor_shown = solara.use_state("beijing")
    try:
        defaults = scenario_defaults(settings.scenario)
    except ScenarioError as err:  # the file changed on disk after it was chosen
        solara.Error(f"Refused: {err}")
        return
    choices = scenario_choices()
    current_label = scenario_label(settings.scenario)

    def replace_model(new_settings: Settings, months: int):
        model.value = build_model(new_settings, months)
        applied.value = new_settings

    def on_scenario(label):
        path = choices.get(label)
        if path is None or label == current_label:
            return
        try:
            scenario_defaults(path)
            new = Settings(path)
            replace_model(new, 0)
        except ScenarioError as err:
            errors.value = {**errors.value, ("scenario",): f"Refused: {err}"}
            return
        drafts.value = {}
        errors.value = {}

    def on_field(field, text):
        drafts.value = {**drafts.value, field: text}
        candidate = with_change(current_settings(), field, text, defaults)
        try:
            replace_model(candidate, model.value.months_done)
        except ScenarioError as err:
            errors.value = {**errors.value, field: f"Refused: {err}"}
            return
        errors.value = {k: v for k, v in errors.value.items() if k != field}

    def restore():
        drafts.value = {}
        errors.value = {}
        replace_model(Settings(settings.scenario), model.value.months_done)

    def field_text(field, default_text):
        return drafts.value.get(field, default_text)

    order = list(settings.priorities.split(",")) if settings.priorities else list(
        defaults.priorities)
    order = [p.strip() for p in order]

    def move_up(i):
        new = order[:i - 1] + [order[i], order[i - 1]] + order[i + 1:]
        on_field(PRIORITY_FIELD, ",".join(new))

    with solara.Card("Scenario and priorities", margin=0):
        solara.Select("Scenario", values=list(choices), value=current_label,
                      on_value=on_scenario, classes=["bs-scenario"])
        sc = defaults.scenario
        _el("p", [f"{month_str(sc.start)} to {month_str(sc.end)}, seed {sc.seed}. "
                  f"{_first_sentence(sc.description)}"], "font-size: 13px; margin: 0",
            key="about")
        if errors.value:
            with _tagged("input-error", []):
                for message in errors.value.values():
                    solara.Error(message, dense=True)
                solara.Text("The run keeps its last valid settings.",
                            style={"font-size": "12px"})
        solara.InputText(
            "Beijing's priorities, most important first",
            value=field_text(PRIORITY_FIELD, ",".join(order)),
            on_value=lambda text: on_field(PRIORITY_FIELD, text),
            error=bool(errors.value.get(PRIORITY_FIELD)), continuous_update=False,
            classes=["bs-priorities"]).key("priorities")
        with solara.Column(gap="0px"):
            for i, p in enumerate(order):
                with solara.Row(gap="4px", style={"align-items": "center"}):
                    solara.Button("↑", on_click=functools.partial(move_up, i), text=True,
                                  disabled=i == 0, color="primary", classes=[f"bs-up-{i}"],
                                  style={"min-width": "28px", "padding": "0"})
                    label = PRIORITIES[p].label if p in PRIORITIES else p
                    solara.Text(f"{i + 1}. {label}", style={"font-size": "13px"})
        _el("p", ["Thresholds of each actor (Enter applies a value):"],
            "font-size: 13px; margin: 8px 0 2px 0", key="thresholds")
        solara.ToggleButtonsSingle(value=actor_shown, values=list(ACTORS),
                                   on_value=set_actor_shown, dense=True)
        for prio, value in defaults.thresholds.get(actor_shown, {}).items():
            field = threshold_field(actor_shown, prio)
            typed = settings.threshold_text(actor_shown, prio)
            p = PRIORITIES[prio]
            sign = "≤" if p.at_most else "≥"
            name = f"{actor_shown}-{prio}"
            solara.InputText(
                f"{p.label}: {p.measure} {sign}",
                value=field_text(field, typed if typed is not None else fmt(value)),
                on_value=functools.partial(on_field, field),
                error=bool(errors.value.get(field)), continuous_update=False,
                classes=[f"bs-threshold-{name}"]).key(f"threshold-{name}")
        changed = settings.overrides()
        if changed:
            _el("p", ["Same run from the command line:"], "font-size: 12px; margin: 6px 0 0 0",
                key="same-run")
            _el("code", [settings.command_line()], "font-size: 11px; word-break: break-all",
                testid="command-line")
            solara.Button("Restore the scenario's settings", on_click=restore, text=True,
                          color="primary")


def _first_sentence(text: str) -> str:
    from buffer_sim.cli import first_sentences

    return first_sentences(text or "", min_chars=60)


@solara.component
def SettingsSidebar(model: solara.Reactive):
    with solara.Sidebar():
        SettingsPanel(model)


@solara.component
def SettingsHost(model: solara.Reactive, levels: int = 3):
    """Adds the settings to the sidebar from ``levels`` components further down.

    Solara orders sidebar content by how deep in the page it is added, and SolaraViz adds
    its Play / Step / Reset card a few levels below the page: adding the settings deeper
    puts them under the controls.
    """
    if levels > 0:
        SettingsHost(model, levels - 1)
    else:
        SettingsSidebar(model)


@solara.component
def Page():
    """One browser session: its own model and settings."""
    settings = current_settings()
    initial = solara.use_memo(lambda: build_model(settings), [])
    model = solara.use_reactive(initial)
    SettingsHost(model)
    solara.Title("buffer_sim")
    # A new scenario mounts a new SolaraViz (fresh Play / Step state, even if the last
    # run had ended): for one render there is none, then the effect shows the new one.
    shown, set_shown = solara.use_state(settings.scenario)
    solara.use_effect(lambda: set_shown(settings.scenario), [settings.scenario])
    if shown != settings.scenario:
        solara.Text("Loading the scenario…")
        return
    SolaraViz(
        model,
        components=[LeverageChart, TradeChart, ReasonsPanel, StatePanel],
        # Reset builds AppModel(settings=applied): the current valid settings.
        model_params={"settings": applied},
        name=f"{TITLE}: {scenario_label(settings.scenario)}",
        play_interval=150,
    )
