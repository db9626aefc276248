"""The classroom web app: a page built from Mesa's SolaraViz parts for ``buffer-sim app``.

Choose a scenario (a shipped one, a what-if, or one of the class's own files), change
Beijing's priority order and any actor's thresholds, then Play / Step / Reset. The page
shows, month by month:

* four charts: Beijing's leverage (potential, pressure applied, potential and realized
  influence),
  China-DPRK trade (with the observed annual values as monthly averages at mid-year),
  tension, and the warmth of each pair of capitals. Behind the played run, faint, a
  *reference run*: by default the 2009-2019 replay (history), so a what-if is seen
  against what happened; any other scenario, or the played one as written, can be
  chosen instead;
* this month's events, every actor's decision with its reason, and a table of the
  main numbers beside the reference's.

Every value typed in is checked by the same validation as scenario files
(``scenario.load_scenario`` with ``--set``-style overrides): a bad value is refused with
the ``ScenarioError`` text and the run keeps its last valid settings. A valid change is
applied at once: the run is replayed from the start to the current month with the new
settings (same seed). A shorter priority list is completed with the actor's remaining
priorities in their default order, and the editor shows the whole list.

A what-if built with the controls downloads as a scenario file (``extends:`` the played
scenario, plus the changes) that ``buffer-sim run`` reproduces exactly, and the run's
numbers download as the ``timeseries.csv`` that ``buffer-sim run`` writes.

Run it with ``buffer-sim app`` (``solara run buffer_sim.app`` works too). The scenario
shown first is ``$BUFFER_SIM_APP_SCENARIO`` if set, else the 2009-2019 replay; the
class's own folder is ``$BUFFER_SIM_APP_SCENARIOS`` (``buffer-sim app --scenarios DIR``).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

import markdown
import pandas as pd
import solara
import yaml

# The charts first: they choose Matplotlib's headless backend before Mesa's
# visualisation imports pyplot.
from buffer_sim.output.charts.live import (CHARTS, ChartCanvas, add_totals,
                                           leverage_ylim, trade_ylim)
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from buffer_sim.agents import ACTORS
from buffer_sim.scenario.catalog import scenario_files, scenarios_dir, resolve_scenario
from buffer_sim.core.errors import ScenarioError
from buffer_sim.model import BufferModel, run_model, timeseries_rows
from buffer_sim.core.months import month_str
from buffer_sim.core.priorities import PRIORITIES
from buffer_sim.scenario.schema import Scenario, apply_overrides, load_scenario
from buffer_sim.core.world import INSTRUMENTS
from buffer_sim.experiments.runner import csv_text, timeseries_frame
from buffer_sim.scenario.observed import trade_annual
from buffer_sim.output.text import first_sentences

ENV_SCENARIO = "BUFFER_SIM_APP_SCENARIO"
#: The class's own folder of scenarios, listed after the shipped ones.
ENV_FOLDER = "BUFFER_SIM_APP_SCENARIOS"
DEFAULT_SCENARIO = "replay_2009_2019"
#: The reference run drawn faint by default: history, as the replay retells it.
DEFAULT_REFERENCE = "replay_2009_2019"
#: The reference choice meaning "the played scenario, without the changes".
AS_WRITTEN = "the played scenario as written"
TITLE = "China and North Korea, month by month"



# --- pure helpers (no Solara): scenarios, settings, validation ------------------------------

def scenario_folders() -> list[tuple[Path, str]]:
    """(folder, label prefix): the shipped ``scenarios/`` ("") and the class's own folder
    (``$BUFFER_SIM_APP_SCENARIOS``, prefixed by its name) unless it is the same folder."""
    out = []
    shipped = scenarios_dir()
    if shipped is not None:
        out.append((shipped.resolve(), ""))
    own = os.environ.get(ENV_FOLDER, "").strip()
    if own:
        folder = Path(own).expanduser().resolve()
        if folder.is_dir() and all(folder != f for f, _ in out):
            out.append((folder, f"{folder.name}/"))
    return out


def scenario_choices() -> dict[str, str]:
    """Runnable scenarios: label -> path. Shipped ones by name (``replay_2009_2019``,
    ``whatif/no_thaad_2016``), then the class's own (``my_folder/thaad_late``);
    fragments such as ``calibrated_parameters.yaml`` are left out."""
    out: dict[str, str] = {}
    seen: set[Path] = set()
    for folder, prefix in scenario_folders():
        for path in scenario_files(folder):
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            label = prefix + path.relative_to(folder).with_suffix("").as_posix()
            out[label if label not in out else str(resolved)] = str(resolved)
    return out


def initial_scenario() -> str:
    """The scenario file shown first: ``$BUFFER_SIM_APP_SCENARIO`` or the replay."""
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


def complete_priorities(given, actor: str = "beijing") -> list[str]:
    """A priority list made whole: the given order first, then the actor's default
    priorities not in it, in their default order (the rule scenario files follow).

    ``given`` is a list or comma-separated text; unknown or repeated names are kept
    (the scenario validation refuses them with its own message).
    """
    if isinstance(given, str):
        given = given.split(",")
    order = [p.strip() for p in given if p and p.strip()]
    return order + [p for p in ACTORS[actor].default_priorities if p not in order]


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
def _scenario_defaults(path: str, mtime_ns: int) -> Defaults:
    scenario = load_scenario(path)
    model = BufferModel(scenario, compiled=False)
    thresholds = {}
    for name, actor in model.actors.items():
        ranked = list(actor.priorities)
        ranked += [p for p in getattr(actor, "priorities_after_completion", []) if p not in ranked]
        thresholds[name] = {p: float(actor.thresholds[p]) for p in ranked}
    return Defaults(tuple(model.actors["beijing"].priorities), thresholds, scenario)


def _mtime(path: str) -> int:
    try:
        return Path(path).stat().st_mtime_ns
    except OSError:
        return 0


def scenario_defaults(path: str) -> Defaults:
    """The scenario's own settings (raises ``ScenarioError`` for a bad file); read again
    when the file changes (a teacher editing a scenario while the app runs)."""
    return _scenario_defaults(str(path), _mtime(path))


@dataclass(frozen=True)
class Settings:
    """What the user chose: a scenario file and the values typed in (as text).

    Attributes:
        scenario: path of the scenario file.
        priorities: Beijing's whole order ("no_nukes,no_war,..."); "" = the scenario's.
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
        words = ["buffer-sim", "run", scenario_argument(self.scenario)]
        for text in self.overrides():
            words += ["--set", text]
        return shlex.join(words)


def scenario_argument(path: str) -> str:
    """How to name the scenario on the command line: its bare name when ``buffer-sim``
    finds the same file by that name, else its path."""
    label = scenario_label(path)
    if resolve_scenario(label) == Path(path).resolve():
        return label
    return str(Path(path).resolve())


PRIORITY_FIELD = ("priorities",)


def threshold_field(actor: str, prio: str) -> tuple[str, str, str]:
    return ("thresholds", actor, prio)


def with_change(settings: Settings, field: tuple, text: str, defaults: Defaults) -> Settings:
    """``settings`` with one field set to ``text``; text equal to the scenario's own value
    (or empty) removes the change. A shorter priority list is completed
    (:func:`complete_priorities`)."""
    text = (text or "").strip()
    if field == PRIORITY_FIELD:
        order = complete_priorities(text)
        same = order == list(defaults.priorities)
        return dataclasses.replace(settings,
                                   priorities="" if (same or not text) else ",".join(order))
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


# --- keeping a what-if: the scenario file and the run's numbers --------------------------------

def whatif_name(settings: Settings) -> str:
    """The name (and output folder) of the what-if: ``<scenario>_whatif``, or the
    scenario's own name when nothing was changed."""
    name = scenario_defaults(settings.scenario).scenario.name
    if not settings.overrides():
        return name
    return f"{name[:73]}_whatif"


def whatif_yaml(settings: Settings) -> str:
    """The what-if as a scenario file: ``extends:`` the played scenario (by its full path,
    so the file runs from any folder) and sets what was changed, with the values as
    ``--set`` reads them. ``buffer-sim run`` on it reproduces the app's run exactly.

    Raises:
        ScenarioError: the settings are invalid (the app applies only valid ones).
    """
    validate(settings)
    base = scenario_defaults(settings.scenario).scenario
    changes = apply_overrides({}, settings.overrides())
    described = "; ".join(settings.overrides()) or "no changes"
    doc = {
        "name": whatif_name(settings),
        "description": f"A what-if built in the buffer-sim app from {base.name}: "
                       f"{described}.",
        "extends": str(Path(settings.scenario).resolve()),
        **changes,
    }
    header = (
        "# A what-if made with the buffer-sim app. Run it with:\n"
        "#   buffer-sim run THIS_FILE.yaml\n"
        "# Put it in your scenarios folder to see it in the app's list. It extends the\n"
        "# played scenario by its full path: on another computer, change 'extends:'.\n")
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=88)


def timeseries_csv(model: BufferModel) -> str:
    """The run so far as ``buffer-sim run`` writes ``timeseries.csv`` (same columns and
    number format), so the two files can be compared byte for byte."""
    return csv_text(timeseries_frame(model))


class AppModel(BufferModel):
    """The model the page runs: a ``BufferModel`` built from :class:`Settings`.

    Args:
        settings: the settings, or a Solara reactive holding them (how Mesa's Reset
            passes the current settings); None means the initial scenario unchanged.
        rng: seed; default the scenario's seed.
        strict: raise ``ScenarioError`` for bad settings; otherwise (Reset, which must
            not fail) fall back to the scenario as written.
        compiled: as for ``BufferModel``; by default numpy arrays (see below).
    """

    def __init__(self, settings=None, rng=None, *, strict: bool = False,
                 compiled: bool = False) -> None:
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
        super().__init__(scenario, rng=rng, compiled=compiled)

    @property
    def months_done(self) -> int:
        return self.month - self.spec.start + 1


def build_model(settings: Settings, months: int = 0) -> AppModel:
    """A model for ``settings`` advanced ``months`` months (raises ``ScenarioError``).
    Numpy arrays, not the compiler: the page steps a month at a time."""
    return run_model(settings, months=months, compiled=False,
                     model_class=functools.partial(AppModel, strict=True))


# --- the reference run ---------------------------------------------------------------------------

def default_reference() -> str | None:
    """The replay's file (history), if it can be found."""
    path = resolve_scenario(DEFAULT_REFERENCE)
    return str(path) if path.is_file() else None


def reference_path(settings: Settings, choice: str | None) -> str:
    """The file of the reference run: ``choice`` (a path), the played scenario as written
    (``AS_WRITTEN``), or by default the replay."""
    if choice == AS_WRITTEN:
        return settings.scenario
    if choice:
        return choice
    return default_reference() or settings.scenario


def reference_label(settings: Settings, choice: str | None) -> str:
    """How the charts and the table name the reference run."""
    path = reference_path(settings, choice)
    label = scenario_label(path)
    if choice == AS_WRITTEN:
        return f"{label} as written"
    return f"{label} (history)" if Path(path) == Path(default_reference() or "") else label


# --- pure helpers: data for the charts and the reasons panel --------------------------------

def frame(rows: list[dict]) -> pd.DataFrame:
    """Time series rows -> DataFrame with ``x`` (first day of each month) and the trade
    totals the trade chart draws (``charts.live.add_totals``)."""
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=["date", "x"])
    df["x"] = pd.to_datetime(df["date"] + "-01")
    return add_totals(df)


@functools.lru_cache(maxsize=32)
def _reference_frame(path: str, mtime_ns: int) -> pd.DataFrame:
    return frame(timeseries_rows(run_model(load_scenario(path), compiled=False)))


def reference_frame(path: str) -> pd.DataFrame:
    """The whole period of a scenario as written, with its own seed (raises
    ``ScenarioError`` for a bad file)."""
    return _reference_frame(str(path), _mtime(path))


@functools.lru_cache(maxsize=1)
def _observed_all() -> pd.DataFrame:
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
    ("warmth_cn_rok", "warmth China–ROK, −1..1", "{:+.2f}"),
    ("warmth_cn_dprk", "warmth China–DPRK, −1..1", "{:+.2f}"),
    ("stability", "DPRK stability, 0..1", "{:.2f}"),
    ("nuclear", "nuclear programme, 0..1", "{:.2f}"),
    ("dprk_economy", "DPRK economy, index", "{:.2f}"),
    ("sanctions_scope", "UN sanctions scope, share", "{:.2f}"),
    ("customs_blocked", "stopped at Chinese customs, share", "{:.2f}"),
    # every instrument of Beijing's, whatever the model gives it
    *((f"beijing_{name}", f"Beijing: {name.replace('_', ' ')}", "{:.2f}")
      for name in INSTRUMENTS["beijing"]),
    ("pyongyang_provocation", "Pyongyang: provocation (0, 1, 2)", "{:.0f}"),
    ("pyongyang_outreach", "Pyongyang: outreach", "{:.2f}"),
    ("washington_pressure", "Washington: sanctions pressure", "{:.2f}"),
    ("china_share", "China's share of DPRK trade", "{:.0%}"),
)


def state_rows(model: BufferModel, reference: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(label, this run, reference) for the current month; "" before the first month or
    where the reference run has no such month."""
    row = model.row if model.month >= model.spec.start else {}
    ref = reference[reference["date"] == month_str(model.month)] if len(reference) else reference
    ref_row = ref.iloc[0].to_dict() if len(ref) else {}
    out = []
    for column, label, form in STATE_TABLE:
        now = form.format(row[column]) if column in row else ""
        then = form.format(ref_row[column]) if column in ref_row else ""
        out.append((label, now, then))
    return out


def priority_order_text(priorities) -> str:
    return " > ".join(PRIORITIES[p].label if p in PRIORITIES else p for p in priorities)


# --- the charts: drawn by ``buffer_sim.output.charts.live``; cached here per reference run -----

@functools.lru_cache(maxsize=24)
def _canvas(kind: str, reference: str, reference_name: str, start: int, end: int,
            ylim: tuple[float, float], mtime_ns: int) -> ChartCanvas:
    ref = reference_frame(reference)
    observed = observed_monthly(start // 12, end // 12) if kind == "trade" else None
    return ChartCanvas(CHARTS[kind], ref, reference_name, start, end, ylim, observed=observed)


def _ylim(kind: str, current: pd.DataFrame, reference: pd.DataFrame, spec: Scenario):
    chart = CHARTS[kind]
    if chart.ylim is not None:
        return chart.ylim
    if kind == "leverage":
        return leverage_ylim(current, reference)
    return trade_ylim(current, reference,
                      observed=observed_monthly(spec.start // 12, spec.end // 12))


def chart_png(kind: str, model: BufferModel, reference: str | None = None,
              reference_name: str | None = None) -> bytes:
    """One chart of the model's run so far over the reference run, as PNG bytes.

    Args:
        kind: a key of ``CHARTS`` (leverage, trade, tension, warmth).
        model: the played run.
        reference: the reference run's scenario file (default: the played scenario).
        reference_name: its name in the legend.
    """
    spec = model.spec
    settings = getattr(model, "settings", None)
    if reference is None:
        reference = settings.scenario if settings is not None else spec.path
        reference_name = reference_name or f"{spec.name} as written"
    reference = str(Path(reference).resolve())
    current = frame(timeseries_rows(model))
    ref = reference_frame(reference)
    ylim = _ylim(kind, current, ref, spec)
    canvas = _canvas(kind, reference, reference_name or scenario_label(reference),
                     spec.start, spec.end, ylim, _mtime(reference))
    now = model.month if model.month >= spec.start else None
    return canvas.png(current, now)


# --- the page (Solara) -------------------------------------------------------------------------

#: The settings the model runs (always valid). Solara keeps one value per browser session.
applied = solara.reactive(None)
#: Text typed into each field (field -> text) and the refusal of each bad one (field -> msg).
drafts = solara.reactive({})
errors = solara.reactive({})
#: The reference run chosen: None (the replay), ``AS_WRITTEN``, or a scenario file.
reference_choice = solara.reactive(None)
#: The pause between two months while playing, in milliseconds.
play_interval = solara.reactive(150)
#: Mesa's controller takes these as reactives: every month drawn, no extra thread.
_render_interval = solara.reactive(1)
_use_threads = solara.reactive(False)

#: Page layout: charts two by two beside the settings; one column on a narrow screen.
CSS = """
.bs-grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px;
           width: 100%; max-width: 100%; }
@media (max-width: 1100px) { .bs-grid { grid-template-columns: minmax(0, 1fr); } }
.bs-cell { background: white; border-radius: 4px; padding: 4px;
           box-shadow: 0 1px 3px rgba(0, 0, 0, 0.18); min-width: 0; }
.bs-cell img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
.bs-sidebar { width: 376px; max-width: 376px; }
.bs-sidebar .v-card { margin-bottom: 10px; }
.bs-sidebar .v-label, .bs-sidebar label { white-space: normal; }
.bs-sidebar .v-btn-toggle { flex-wrap: wrap; max-width: 100%; }
.bs-sidebar .v-btn-toggle > .v-btn.v-btn { padding: 0 8px !important; min-width: 0; }
"""


def current_settings() -> Settings:
    """The applied settings of this session (the initial scenario until a change)."""
    return applied.value or Settings(initial_scenario())


def _tagged(testid: str, children, **attrs):
    """A div with ``data-testid`` (and data attributes) the browser test finds."""
    attributes = {"data-testid": testid, **{f"data-{k}": str(v) for k, v in attrs.items()}}
    return solara.v.Html(tag="div", attributes=attributes, children=children,
                         style_="width: 100%").key(testid)


def _el(tag: str, children=(), style: str = "", key: str | None = None, **attrs):
    """A plain HTML element (text children are shown as text, never as markup).

    ``key`` names the element within its component: without one, reacton reuses the
    element at the same place for a new one, and the browser keeps the old tag.
    """
    attributes = {f"data-{k}": str(v) for k, v in attrs.items()}
    el = solara.v.Html(tag=tag, children=list(children), style_=style,
                       attributes=attributes or None)
    return el.key(key or f"{tag}-{attrs.get('testid', '')}")


def _reference() -> tuple[str, str]:
    """This session's reference run: (scenario file, name in the legends)."""
    settings = current_settings()
    choice = reference_choice.value
    return reference_path(settings, choice), reference_label(settings, choice)


@solara.component
def Chart(kind: str, model: BufferModel):
    """One chart of the played run over the faint reference run."""
    update_counter.get()
    path, name = _reference()
    try:
        png = chart_png(kind, model, reference=path, reference_name=name)
    except ScenarioError as err:  # the reference file broke after it was chosen
        return _tagged(f"{kind}-chart", [solara.Error(f"Reference refused: {err}")])
    digest = hashlib.sha256(png).hexdigest()[:16]
    image = solara.Image(png, width="100%")
    return _tagged(f"{kind}-chart", [image], digest=digest, month=month_str(model.month))


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
                         style_="width: 100%; font-size: 15px; line-height: 1.4; "
                                "padding: 4px 8px")


@solara.component
def StatePanel(model: BufferModel):
    """The world and the main instruments this month, next to the reference run's."""
    update_counter.get()
    path, name = _reference()
    try:
        reference = reference_frame(path)
    except ScenarioError:
        reference = frame([])
    rows = []
    for label, now, then in state_rows(model, reference):
        differs = now and then and now != then
        rows.append(_el("tr", [
            _el("td", [label], "padding: 1px 8px 1px 0", key=f"l-{label}"),
            _el("td", [now], "text-align: right; padding: 1px 8px;"
                + (" font-weight: bold" if differs else ""), key=f"n-{label}"),
            _el("td", [then], "text-align: right; padding: 1px 0 1px 8px; color: #777777",
                key=f"b-{label}"),
        ], key=f"r-{label}"))
    month = month_str(model.month) if model.month >= model.spec.start else "not started"
    head = _el("tr", [_el("th", [f"This month ({month})"], "text-align: left", key="h1"),
                      _el("th", ["this run"], "text-align: right; padding: 0 8px", key="h2"),
                      _el("th", ["reference"], "text-align: right; color: #777777",
                          key="h3")],
               key="head")
    table = _el("table", [head, *rows], "border-collapse: collapse; font-size: 14px",
                key="table")
    note = _el("p", [f"Reference: {name}. Bold: this run differs from it in the same "
                     "month."], "font-size: 13px; color: #555555; margin: 6px 0 0 0",
               key="note")
    return solara.v.Html(tag="div", children=[table, note],
                         attributes={"data-testid": "state"},
                         style_="width: 100%; padding: 4px 8px")


@solara.component
def MonthShown(model: BufferModel):
    """The month the run has reached, as YYYY-MM (Mesa shows a step count)."""
    update_counter.get()
    spec = model.spec
    if model.month < spec.start:
        text = f"Month: not started (first month {month_str(spec.start)})"
    else:
        text = (f"Month: {month_str(model.month)} "
                f"({model.month - spec.start + 1} of {spec.months})")
    return _tagged("month-shown", [_el("span", [text], "font-size: 15px", key="month")],
                   month=month_str(model.month))


@solara.component
def RunControls(model: solara.Reactive):
    """Reset / Play / Step (Mesa's controller), the speed, and the month reached."""
    with solara.Card("Run", margin=0):
        ModelController(model, model_parameters={"settings": applied},
                        play_interval=play_interval, render_interval=_render_interval,
                        use_threads=_use_threads)
        MonthShown(model.value)
        solara.SliderInt("Pause when playing (ms)", value=play_interval,
                         min=50, max=1000, step=50)


@solara.component
def SettingsPanel(model: solara.Reactive):
    """Scenario and reference choice, Beijing's priority order, every actor's thresholds
    and the downloads that keep a what-if."""
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
            replace_model(Settings(path), 0)
        except ScenarioError as err:
            errors.value = {**errors.value, ("scenario",): f"Refused: {err}"}
            return
        drafts.value = {}
        errors.value = {}

    reference_values = [AS_WRITTEN, *choices]
    shown_reference = reference_choice.value
    if shown_reference is None:
        path = default_reference()
        shown_reference = scenario_label(path) if path else AS_WRITTEN
    elif shown_reference != AS_WRITTEN:
        shown_reference = scenario_label(shown_reference)

    def on_reference(label):
        if label == AS_WRITTEN:
            reference_choice.value = AS_WRITTEN
            return
        path = choices.get(label)
        if path is None:
            return
        try:
            reference_frame(path)
        except ScenarioError as err:
            errors.value = {**errors.value, ("reference",): f"Refused: {err}"}
            return
        errors.value = {k: v for k, v in errors.value.items() if k != ("reference",)}
        reference_choice.value = path

    def on_field(field, text):
        drafts.value = {**drafts.value, field: text}
        candidate = with_change(current_settings(), field, text, defaults)
        try:
            replace_model(candidate, model.value.months_done)
        except ScenarioError as err:
            errors.value = {**errors.value, field: f"Refused: {err}"}
            return
        errors.value = {k: v for k, v in errors.value.items() if k != field}
        # the field shows the value applied: a short priority list, completed
        drafts.value = {k: v for k, v in drafts.value.items() if k != field}

    def restore():
        drafts.value = {}
        errors.value = {}
        replace_model(Settings(settings.scenario), model.value.months_done)

    def field_text(field, default_text):
        return drafts.value.get(field, default_text)

    order = (complete_priorities(settings.priorities) if settings.priorities
             else list(defaults.priorities))

    def move_up(i):
        new = order[:i - 1] + [order[i], order[i - 1]] + order[i + 1:]
        on_field(PRIORITY_FIELD, ",".join(new))

    with solara.Card("Scenario and comparison", margin=0):
        solara.Select("Scenario played", values=list(choices), value=current_label,
                      on_value=on_scenario, classes=["bs-scenario"])
        sc = defaults.scenario
        _el("p", [f"{month_str(sc.start)} to {month_str(sc.end)}, seed {sc.seed}. "
                  f"{_first_sentence(sc.description)}"], "font-size: 14px; margin: 0 0 8px 0",
            key="about")
        solara.Select("Reference run, drawn faint", values=reference_values,
                      value=shown_reference, on_value=on_reference, classes=["bs-reference"])
        _el("p", ["Compare with history (the replay, the default), another scenario, or "
                  "the played scenario without your changes."],
            "font-size: 13px; color: #555555; margin: 0", key="reference-help")
        if errors.value:
            with _tagged("input-error", []):
                for message in errors.value.values():
                    solara.Error(message, dense=True)
                solara.Text("The run keeps its last valid settings.",
                            style={"font-size": "13px"})

    with solara.Card("Beijing's priorities", margin=0):
        solara.InputText(
            "Most important first, separated by commas (Enter applies)",
            value=field_text(PRIORITY_FIELD, ",".join(order)),
            on_value=lambda text: on_field(PRIORITY_FIELD, text),
            error=bool(errors.value.get(PRIORITY_FIELD)), continuous_update=False,
            classes=["bs-priorities"]).key("priorities")
        with _tagged("priority-list", [], count=len(order), order=",".join(order)):
            with solara.Column(gap="0px"):
                for i, p in enumerate(order):
                    with solara.Row(gap="4px", style={"align-items": "center"}):
                        solara.Button("↑", on_click=functools.partial(move_up, i), text=True,
                                      disabled=i == 0, color="primary", classes=[f"bs-up-{i}"],
                                      style={"min-width": "28px", "padding": "0"})
                        label = PRIORITIES[p].label if p in PRIORITIES else p
                        solara.Text(f"{i + 1}. {label}", style={"font-size": "14px"})

    with solara.Card("Thresholds", margin=0):
        _el("p", ["Each actor's thresholds (Enter applies a value):"],
            "font-size: 14px; margin: 0 0 2px 0", key="thresholds")
        solara.ToggleButtonsSingle(value=actor_shown, values=list(ACTORS),
                                   on_value=set_actor_shown, dense=True)
        for prio, value in defaults.thresholds.get(actor_shown, {}).items():
            field = threshold_field(actor_shown, prio)
            typed = settings.threshold_text(actor_shown, prio)
            p = PRIORITIES[prio]
            sign = "≤" if p.at_most else "≥"
            name = f"{actor_shown}-{prio}"
            solara.InputText(
                f"{p.label}: {p.measure_for(actor_shown)} {sign}",
                value=field_text(field, typed if typed is not None else fmt(value)),
                on_value=functools.partial(on_field, field),
                error=bool(errors.value.get(field)), continuous_update=False,
                classes=[f"bs-threshold-{name}"]).key(f"threshold-{name}")

    with solara.Card("Keep this run", margin=0):
        changed = settings.overrides()
        name = whatif_name(settings)
        if changed:
            _el("p", ["Same run from the command line:"], "font-size: 13px; margin: 0",
                key="same-run")
            _el("code", [settings.command_line()], "font-size: 12px; word-break: break-all",
                testid="command-line")
            with _tagged("download-whatif", []):
                solara.FileDownload(lambda: whatif_yaml(current_settings()),
                                    filename=f"{name}.yaml", mime_type="text/yaml",
                                    label="Download the what-if (YAML)")
        with _tagged("download-timeseries", []):
            solara.FileDownload(lambda: timeseries_csv(model.value),
                                filename=f"{name}-timeseries.csv", mime_type="text/csv",
                                label="Download the numbers (CSV)")
        if changed:
            solara.Button("Restore the scenario's settings", on_click=restore, text=True,
                          color="primary")


def _first_sentence(text: str) -> str:
    return first_sentences(text or "", min_chars=60)


#: the glossary of the project (docs/glossary.md): what each scale and measure means
GLOSSARY = Path(__file__).resolve().parents[2] / "docs" / "glossary.md"


def glossary_text() -> str:
    """The glossary in Markdown, or "" where the project's docs are not at hand (an
    installed package without its repository)."""
    try:
        return GLOSSARY.read_text(encoding="utf-8")
    except OSError:
        return ""


@functools.cache
def glossary_html(text: str) -> str:
    """The glossary's Markdown as HTML, converted here: ``solara.Markdown`` loads its
    diagram and formula libraries (mermaid, KaTeX) from a CDN in the browser, which an
    offline classroom cannot reach."""
    return markdown.markdown(text, extensions=["tables"])


@solara.component
def GlossaryPanel():
    """What the numbers mean, in plain words, folded away until asked for."""
    text = glossary_text()
    if not text:
        return
    with _tagged("glossary", []):
        solara.Details("What the numbers mean (glossary)",
                       children=[solara.HTML(unsafe_innerHTML=glossary_html(text),
                                             classes=["solara-markdown", "rendered_html",
                                                      "jp-RenderedHTMLCommon"])],
                       expand=False)


@solara.component
def MainView(model: BufferModel):
    """The charts two by two, then the reasons and the numbers."""
    with solara.v.Html(tag="div", class_="bs-grid", attributes={"data-testid": "main"}):
        for kind in CHARTS:
            with solara.v.Html(tag="div", class_="bs-cell"):
                Chart(kind, model)
        with solara.v.Html(tag="div", class_="bs-cell"):
            ReasonsPanel(model)
        with solara.v.Html(tag="div", class_="bs-cell"):
            StatePanel(model)


@solara.component
def Page():
    """One browser session: its own model and settings."""
    settings = current_settings()
    initial = solara.use_memo(lambda: build_model(settings), [])
    model = solara.use_reactive(initial)
    solara.Title("buffer_sim")
    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle(f"{TITLE}: {scenario_label(settings.scenario)}")
    with solara.Sidebar():
        with solara.Column(classes=["bs-sidebar"], gap="10px"):
            # A new scenario mounts a new controller (fresh Play / Step state, even if
            # the last run had ended).
            RunControls(model).key(f"controls-{settings.scenario}")
            SettingsPanel(model)
            GlossaryPanel()
    MainView(model.value)
