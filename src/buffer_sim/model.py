"""BufferModel: the Mesa model of Beijing, Pyongyang, Washington and Seoul.

Reference: Daniel Wertz, *China-North Korea Relations* (National Committee on North
Korea). The model asks the report's question — why China's large potential leverage
"has rarely translated into a commensurate level of influence" — and answers it with
ordered priorities: Beijing uses its leverage only when war and collapse are safe,
and Pyongyang finds obeying its patron costly.

One step is one calendar month. Each month: the scenario's events for the month fire
(Mesa scheduled events), every actor proposes candidates, all candidates are projected
together with the world's transition function, each actor chooses by its rule, the
counterfactuals "Beijing applies no pressure" and "Beijing cuts the DPRK off" are
evaluated for Pyongyang (realized and potential influence, on one scale), and the world
advances with this month's random draws.
"""

from __future__ import annotations

import bisect
import functools
import operator
import os
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from copy import deepcopy
from functools import partial
from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.datacollection import DataCollector

from buffer_sim.agents import ACTORS, PolicyActor
from buffer_sim.core.decision import (RULES, Candidates, Decision, Projection, build_batch,
                                      choose_all)
from buffer_sim.core.months import month_str, month_year, parse_month
from buffer_sim.scenario import catalog, observed
from buffer_sim.scenario.schema import ActorSpec, Event, Scenario, load_scenario, overrides_from
from buffer_sim.core.world import (
    ACTION_FIELDS, CUT_OFF, EXPECTED, INSTRUMENTS, STATE_VARIABLES, Actions, Projected, State,
    draw_shocks, influence, leverage, no_pressure, project_batch, transition,
)

_ECONOMY_ROW = Projected._fields.index("dprk_economy")

TRADE_COLUMNS = ["cn_exports_reported", "cn_imports_reported", "cn_exports_informal",
                 "cn_imports_informal"]


def output_columns() -> list[str]:
    """Columns of timeseries.csv after ``date``, in order."""
    inst = [f"{actor}_{name}" for actor, ins in INSTRUMENTS.items() for name in ins]
    return [*STATE_VARIABLES, *inst, "leverage_potential", "pressure_applied",
            "influence_realized", "influence_potential", "china_share", "pyongyang_declared_complete",
            "cn_exports_crude", "cn_exports_customs"]


# --- what the DataCollector collects ---------------------------------------------------
# Module-level functions (and partials of them), not lambdas, so that a model pickles
# (copy.deepcopy(model) branches a run). State and actions hold floats already.

#: China-DPRK trade of a world, the columns of TRADE_COLUMNS in their order
_TRADE_VALUES = operator.itemgetter(*(State._fields.index(c) for c in TRADE_COLUMNS))


def _date(model: BufferModel) -> str:
    return month_str(model.month)


def _state_value(index: int, model: BufferModel) -> float:
    return model.state[index]  # type: ignore[return-value]  # a month's state holds floats


def _action_value(index: int, model: BufferModel) -> float:
    return model.actions[index]


def _china_share(model: BufferModel) -> float:
    s = model.state
    cn = float(sum(_TRADE_VALUES(s)))
    return cn / max(cn + float(s.other_trade), 1e-9)


def _crude(model: BufferModel) -> float:
    """Crude oil is part of Beijing's supplies (aid), US$ million a month."""
    p = model.params
    return p.crude_share_of_aid_supplies * p.aid_supplies_usd_m_month * float(
        model.actions.beijing_aid)


def _exports_customs(model: BufferModel) -> float:
    # Chinese customs reported the crude until 2013 and not from 2014 (observed data
    # README): the exports customs show are commercial exports plus, until then, the crude.
    reported = month_year(model.month) < model.params.crude_unreported_from_year
    return float(model.state.cn_exports_reported) + (_crude(model) if reported else 0.0)


def _leverage_potential(model: BufferModel) -> float:
    return float(model.leverage[0])


def _pressure_applied(model: BufferModel) -> float:
    return float(model.leverage[1])


def _influence_realized(model: BufferModel) -> float:
    return float(model.influence)


def _influence_potential(model: BufferModel) -> float:
    return float(model.influence_potential)


def _declared_complete(model: BufferModel) -> float:
    return float(model.actors["pyongyang"].declared_complete)


def _actor_name(actor: PolicyActor) -> str:
    return actor.name


#: Each actor's instruments as a named tuple (``BeijingInstruments(enforcement=0.1,
#: crackdown=0.1, aid=0.5, engagement=0.6)``): immutable, so collected without a
#: copy. Module attributes, so that collected values pickle.
INSTRUMENT_TUPLES: dict[str, Any] = {actor: namedtuple(f"{actor.title()}Instruments", names, module=__name__)
                     for actor, names in INSTRUMENTS.items()}
globals().update({cls.__name__: cls for cls in INSTRUMENT_TUPLES.values()})


def _instruments(actor: PolicyActor) -> tuple:
    return INSTRUMENT_TUPLES[actor.name](**actor.instruments)


_DERIVED: dict[str, Callable[[BufferModel], float]] = {
    "leverage_potential": _leverage_potential,
    "pressure_applied": _pressure_applied,
    "influence_realized": _influence_realized,
    "influence_potential": _influence_potential,
    "china_share": _china_share,
    "pyongyang_declared_complete": _declared_complete,
    "cn_exports_crude": _crude,
    "cn_exports_customs": _exports_customs,
}


def _model_reporters() -> dict[str, Callable[[BufferModel], float | str]]:
    """One reporter per column of timeseries.csv, in its order (a column without a
    reporter fails here, at import)."""
    out: dict[str, Callable] = {"date": _date}
    for column in output_columns():
        if column in State._fields:
            out[column] = partial(_state_value, State._fields.index(column))
        elif column in ACTION_FIELDS:
            out[column] = partial(_action_value, ACTION_FIELDS.index(column))
        else:
            out[column] = _DERIVED[column]
    return out


#: Mesa model reporters: ``date`` then every column of ``output_columns()``.
MODEL_REPORTERS = _model_reporters()
#: Mesa agent reporters: the actor's name and its instruments (a named tuple; see
#: ``instruments_frame`` for one column per instrument). A reporter per instrument
#: name instead (NaN where an actor has none) would make 44 calls a month, not 8:
#: measured 24.3x an empty Mesa step against 23.4x, too close to the 25x target.
AGENT_REPORTERS: dict[str, Callable[[PolicyActor], object]] = {
    "actor": _actor_name,
    "instruments": _instruments,
}
#: Values that cannot change once collected (Mesa's own list for agent reporters,
#: the most frequent first).
_IMMUTABLE = (float, str, int, bool, tuple)


def _kept(value):
    """A collected value as it is kept: a copy only of what could change later."""
    return value if isinstance(value, _IMMUTABLE) else deepcopy(value)


class Collector(DataCollector):
    """Mesa's DataCollector, without a deep copy of each number it collects.

    ``DataCollector.collect`` deep-copies every model reporter's value, in case it is
    an object the model goes on changing (as it does for agent reporters, it could
    skip the copy of an immutable value). Every model reporter here returns a float
    or a str, which cannot change: the copies protect nothing and cost a tenth of a
    month's step (the replay, measured as benchmarks/bench_model.py does: 26.2x an
    empty Mesa step with Mesa's collect, over the 25x target; 23.7x with this one;
    20.2x collecting nothing). After the first collect, which is Mesa's own (it
    also validates the reporters), this one fills the same fields as Mesa 3.5.1's
    (the version is pinned in pyproject.toml) in the same way, but copies only
    values that could change. The reporters of the world's variables and of the
    instruments (36 of 45 columns) read a field of one tuple: that field is read
    here without the call (``_state_value``, ``_action_value``), what a reporter
    returns otherwise.
    """

    def collect(self, model: mesa.Model) -> None:
        if not self._validated:
            super().collect(model)
            return
        if self._columns is None:
            self._columns = self._sort_columns()
        state_fields, action_fields, others = self._columns
        self._collection_steps.append(model.time)
        state, actions = model.state, model.actions
        for append, index in state_fields:
            append(state[index])
        for append, index in action_fields:
            append(actions[index])
        for append, reporter in others:
            append(_kept(reporter(model)))
        if self.agent_reporters:
            # Mesa's _record_agents, reading the model's time once, not once per agent
            time, reporters = model.time, self.agent_reporters.values()
            self._agent_records[time] = [
                (time, agent.unique_id, *[_kept(rep(agent)) for rep in reporters])
                for agent in model.agents]

    def _sort_columns(self) -> tuple[list, list, list]:
        """Each column's ``list.append`` with what fills it: the index of a world's
        variable, of an instrument, or else the reporter."""
        state_fields, action_fields, others = [], [], []
        for name, reporter in self.model_reporters.items():
            append = self.model_vars[name].append
            func = getattr(reporter, "func", None)
            if func is _state_value:
                state_fields.append((append, *reporter.args))
            elif func is _action_value:
                action_fields.append((append, *reporter.args))
            else:
                others.append((append, reporter))
        return state_fields, action_fields, others

    #: (world's variables, instruments, other columns), see ``_sort_columns``
    _columns: tuple[list, list, list] | None = None

    def __getstate__(self) -> dict:
        # copy.deepcopy would share the cached list.append methods (it does not copy
        # builtin methods), so that a copied model appended to the original's lists:
        # the cache is left out and rebuilt.
        return {k: v for k, v in self.__dict__.items() if k != "_columns"}


#: The scenario a model runs when none is named.
DEFAULT_SCENARIO = "replay_2009_2019"

#: What names a scenario: a loaded ``Scenario``, a YAML file, or a name from
#: ``buffer-sim list`` (``"replay_2009_2019"``, ``"no_thaad_2016"``).
ScenarioLike = Scenario | str | os.PathLike
#: ``--set`` overrides in Python form: ``{"beijing.thresholds.no_war": 0.9}`` or
#: ``["beijing.thresholds.no_war=0.9"]``.
Overrides = Mapping[str, object] | Iterable[str]


def scenario_of(scenario: ScenarioLike, overrides: Iterable[str] = ()) -> Scenario:
    """A resolved scenario from a ``Scenario``, a file or a shipped scenario's name.

    Args:
        scenario: what names the scenario (``ScenarioLike``).
        overrides: "PATH=VALUE" strings, as ``--set``; only for a file or a name (they
            apply to the file before validation, which a loaded ``Scenario`` is past).

    Raises:
        ScenarioError: the file is missing or invalid, or an override is.
        ValueError: overrides given with a loaded ``Scenario``.
    """
    overrides = list(overrides)
    if isinstance(scenario, Scenario):
        if overrides:
            raise ValueError("overrides need a scenario file or name; pass the path instead "
                             "of a loaded Scenario (or load it with load_scenario(path, "
                             "overrides))")
        return scenario
    return load_scenario(catalog.resolve_scenario(os.fspath(scenario)), overrides=overrides)


class BufferModel(mesa.Model):
    """The four-actor patron-client model.

    Build it from a scenario's name, file or loaded ``Scenario``, change fields as
    ``--set`` does, and read the results with Mesa's own tools::

        model = BufferModel("replay_2009_2019", rng=1,
                            overrides={"beijing.thresholds.no_war": 0.9})
        model.run()
        model.datacollector.get_model_vars_dataframe()  # = timeseries.csv
        model.datacollector.get_agent_vars_dataframe()  # each actor's instruments

    or many at once: ``mesa.batch_run(BufferModel, parameters={"scenario":
    ["replay_2009_2019", "no_thaad_2016"], "parameters.inertia": [1, 2]}, rng=[1, 2],
    max_steps=200)``. Without ``rng`` every run uses its scenario's ``seed:``, so
    ``iterations=N`` repeats one run N times: give ``rng=[...]`` to vary the seed.

    Args:
        scenario: a scenario's name (``buffer-sim list``), its YAML file, or a loaded
            ``Scenario``.
        rng: seed or generator; defaults to the scenario's seed.
        overrides: fields to change, as ``--set`` does: a dict of dotted paths
            (``{"beijing.thresholds.no_war": 0.9, "parameters.inertia": 2}``) or a list
            of "PATH=VALUE" strings. Not with a loaded ``Scenario``.
        compiled: project the candidates with the compiled equations (fast once
            Numba is loaded, ~0.3 s) or on numpy arrays (no start-up cost, best for a
            single run). Both give byte-identical runs.
        **more_overrides: further overrides as keywords, path parts joined by dots or
            ``__`` (``beijing__thresholds__no_war=0.9``), after ``overrides``: what lets
            ``mesa.batch_run`` sweep a field.

    Raises:
        ScenarioError: the scenario or an override is invalid (one line naming the file
            or ``--set``, the field and the problem).

    Attributes:
        spec: the resolved scenario (``self.scenario`` is Mesa's own, which holds the seed).
        state: the world this month (``world.State``).
        month: the current calendar month index (``months.parse_month``).
        decisions: every actor's decision, month by month.
        datacollector: Mesa's DataCollector. Its model reporters are the columns of
            ``timeseries.csv`` (``date`` and ``output_columns()``), one row per month;
            its agent reporters are each actor's name and instruments.
    """

    def __init__(self, scenario: ScenarioLike = DEFAULT_SCENARIO, rng=None,
                 overrides: Overrides | None = None, compiled: bool = True,
                 **more_overrides) -> None:
        scenario = scenario_of(scenario, overrides_from(overrides, **more_overrides))
        super().__init__(rng=scenario.seed if rng is None else rng)
        self.compiled = compiled
        self.spec = scenario
        self.params = scenario.parameters
        self.state = State(**{k: float(v) for k, v in scenario.initial_state.items()})
        self.month = scenario.start - 1
        self.decisions: list[tuple[int, Decision]] = []
        self.influence = 0.0
        self.influence_potential = 0.0
        self.leverage = (0.0, 0.0)
        # One random stream per source (whether a test comes off; noise in trade; how
        # far a major test's preparation gets), so that a what-if that changes one test
        # does not reshuffle every later trade shock: compared runs share their random
        # numbers (common random numbers).
        self.test_rng, self.trade_rng, self.preparation_rng = self.rng.spawn(3)
        #: world prices a ``prices`` event holds (US$/t), instead of the observed series
        self.held_prices: dict[str, float] = {}
        self.actors: dict[str, PolicyActor] = {}
        for name, cls in ACTORS.items():
            spec = scenario.actors.get(name) or ActorSpec()
            kwargs: dict[str, Any] = dict(priorities=spec.priorities, thresholds=spec.thresholds,
                                          rule=spec.rule or "lexicographic",
                                          instruments=spec.instruments)
            if name == "pyongyang":
                kwargs["priorities_after_completion"] = spec.priorities_after_completion
                kwargs["declared_against"] = spec.declared_against
            self.actors[name] = cls(self, **kwargs)
        # only actors that keep a memory or make declarations look before choosing
        self._observers = [actor for actor in self.actors.values()
                           if type(actor).observe is not PolicyActor.observe]
        #: (actor, instrument) behind each field of Actions, in order
        self._instrument_of = [(self.actors[a], name) for a, ins in INSTRUMENTS.items()
                               for name in ins]
        self.actions = self._current_actions()
        self.event_log: list[tuple[int, Event]] = []
        #: a forced test's observed outcome this month ("success", "failure"), or None
        self.test_outcome: str | None = None
        # Events of month m fire at time (m - start) + 0.5, just before that month's step.
        # Mesa holds event callbacks weakly: keep them alive here.
        self._callbacks = [partial(self._fire, event) for event in scenario.events]
        for event, callback in zip(scenario.events, self._callbacks):
            self.schedule_event(callback, at=event.month - scenario.start + 0.5)
        self.datacollector = Collector(model_reporters=MODEL_REPORTERS,
                                       agent_reporters=AGENT_REPORTERS)

    # --- events and pins -----------------------------------------------------------
    def _fire(self, event: Event) -> None:
        # The type: ignore comments below: an Event's per-kind fields are optional until
        # events are a union keyed on kind (issue 14, item 4); then mypy narrows by kind.
        self.event_log.append((self.month + 1, event))
        if event.kind == "forced_action":
            actor = self.actors[event.actor]
            if event.set is not None:
                levels = event.set
            else:
                # a move from where the actor stands now, kept inside the instrument's range
                levels = {}
                for name, delta in event.change.items():  # type: ignore[union-attr]
                    lo, hi, _ = INSTRUMENTS[event.actor][name]
                    start = actor.forced.get(name, actor.instruments[name])
                    levels[name] = round(min(max(start + delta, lo), hi), 6)
            actor.forced.update(levels)
            actor.forced_label = event.label
            if event.actor == "pyongyang" and levels.get("provocation", 0) >= 1:
                # The test happened, so the programme was ready for it.
                self.state = self.state.replace(test_readiness=1.0)
                self.test_outcome = event.outcome
        elif event.kind == "resolution":
            # The bans only widen; the exemption is the latest resolution's own (within
            # its scope, so within the bans: the schema checks it).
            self.state = self.state.replace(
                sanctions_scope=max(float(self.state.sanctions_scope), event.sanctions_scope),
                sanctions_exempt=event.sanctions_exempt)
        elif event.kind == "administration":
            actor = self.actors[event.actor]
            if event.priorities:
                actor.priorities = list(event.priorities)
            if event.thresholds:
                actor.thresholds = {**actor.thresholds, **event.thresholds}
            if event.rule:
                actor.rule = RULES[event.rule]()
        elif event.kind == "parameter_change":
            self.params = self.params.replace(**event.parameters)
        elif event.kind == "prices":
            self.held_prices.update(event.prices)
        elif event.kind == "diplomatic_shock":
            changes = {}
            for name, delta in event.effects.items():
                _, lo, hi, _ = STATE_VARIABLES[name]  # type: ignore[assignment]
                value = getattr(self.state, name) + delta
                changes[name] = min(max(value, lo), hi if hi is not None else value)
            self.state = self.state.replace(**changes)

    def _apply_pins(self) -> None:
        for actor in self.actors.values():
            actor.pinned = {}
        for pin in self.spec.pins:
            if pin.start <= self.month <= pin.end:
                self.actors[pin.actor].pinned[pin.instrument] = pin.value

    def _current_actions(self) -> Actions:
        return Actions(*[float(actor.instruments[name]) for actor, name in self._instrument_of])

    # --- one month ---------------------------------------------------------------------
    def step(self) -> None:
        """Advance one month (events of the month have already fired)."""
        self.month += 1
        self._apply_pins()
        self.state = self.state.replace(**world_prices(self.month, self.held_prices))
        now = self.state
        params = self.params
        for actor in self._observers:
            actor.observe(now, params)
        cands = {name: actor.candidates(now, params) for name, actor in self.actors.items()}
        groups: list[tuple[str, Candidates, dict]] = [(name, cands[name], {}) for name in self.actors]
        # Realized influence compares Pyongyang's own choice (even in months whose act
        # the scenario takes from history) with and without Beijing's pressure.
        pyongyang = self.actors["pyongyang"]
        free = pyongyang.free_candidates(now, params)
        if free is not cands["pyongyang"]:
            groups.append(("pyongyang", free, {}))
        unpressed = no_pressure(self.actions, params)
        groups.append(("pyongyang", free, unpressed))
        # Two counterfactuals of the month, each one projection shared by all
        # candidates: Beijing applying no pressure (in this batch), and Beijing cutting
        # the DPRK off - buying nothing, enforcing every export ban, cracking down on
        # smuggling, stopping crude oil and food (a world where everything is banned,
        # projected apart). Potential leverage compares the economy in the two;
        # potential influence, Pyongyang's own choice in the two, so that realized
        # influence has a potential on its own scale (report §Introduction: leverage
        # "has rarely translated into a commensurate level of influence").
        # One batch, the cut-off's two groups last: they are projected from the world
        # where everything is banned, the rest from this month's.
        keep = cands["beijing"].keep_course()
        batch, ranges = build_batch(self.actions, groups + [("beijing", keep, unpressed),
                                                            ("pyongyang", free, CUT_OFF),
                                                            ("beijing", keep, CUT_OFF)])
        free_row, cut_rows, cut_row = ranges[-3].start, ranges[-2], ranges[-1].start
        cut_matrix = project_batch(now.replace(sanctions_scope=1.0, sanctions_exempt=0.0),
                                   batch[cut_rows.start:], params, EXPECTED,
                                   params.lookahead_months, self.compiled)
        # (this month's world last: the month's transition starts from it again)
        matrix = project_batch(now, batch[:cut_rows.start], params, EXPECTED,
                               params.lookahead_months, self.compiled)
        projection = Projection(np.concatenate((matrix, cut_matrix), axis=1), now)
        # Every choice of the month in one compiled call; Pyongyang's choice under the
        # cut-off comes last, read from the cut-off's columns.
        ranges = ranges[:len(groups)]
        picks = choose_all([(self.actors[name], candidates, rows) for (name, candidates, _), rows
                            in zip(groups, ranges)]
                           + [(pyongyang, free, cut_rows)], projection, params, self.compiled)
        cut = free[picks.pop()[0]]
        economy = projection.matrix[_ECONOMY_ROW]
        chosen_row = ranges[0].start + picks[0][0]  # Beijing's group is the first
        self.leverage = leverage(float(economy[free_row]), float(economy[cut_row]),
                                 float(economy[chosen_row]), params.lookahead_months)
        without = free[picks[-1][0]]
        with_ = free[picks[-2][0]] if free is not cands["pyongyang"] else None
        for (name, actor), rows, pick in zip(self.actors.items(), ranges, picks):
            decision = actor.adopt(cands[name], *pick, projection, rows)
            self.decisions.append((self.month, decision))
        for actor in self.actors.values():
            actor.forced = {}
        chosen = pyongyang.instruments
        with_ = with_ or chosen
        self.influence = influence((with_["provocation"], with_["outreach"]),
                                   (without["provocation"], without["outreach"]), params)
        self.influence_potential = influence((cut["provocation"], cut["outreach"]),
                                             (without["provocation"], without["outreach"]), params)
        self.actions = self._current_actions()
        observed = None if self.test_outcome is None else self.test_outcome == "success"
        self.test_outcome = None
        shocks = draw_shocks(self.test_rng, self.trade_rng, self.preparation_rng, params,
                             int(chosen["provocation"]),
                             float(now.test_readiness), observed)
        self.state = transition(now, self.actions, params, shocks, 1, self.compiled)
        self.datacollector.collect(self)
        if self.month >= self.spec.end:
            self.running = False

    def run(self) -> None:
        """Run the whole scenario period."""
        for _ in range(self.spec.months):
            self.step()

    def dispose(self) -> None:
        """Let go of everything the model holds, once its results have been read.

        A Mesa model is a web of reference cycles (its agents and scheduled events
        point back to it), so a finished model is freed only by Python's cyclic
        garbage collector, which scans every live object each time. An ensemble runs
        thousands of models: emptying each one as soon as it is done frees its memory
        at once (measured: 25 -> 18 ms a run of the replay). The model is unusable
        afterwards.
        """
        self.__dict__.clear()

    @property
    def dates(self) -> list[str]:
        return [month_str(m) for m in range(self.spec.start, self.month + 1)]

    @property
    def row(self) -> dict[str, float | str]:
        """The last month collected: ``date`` and every output column (empty before
        the first step)."""
        return {name: values[-1] for name, values in self.datacollector.model_vars.items()
                if values}


def world_prices(month: int, held: dict[str, float]) -> dict[str, float]:
    """The world prices of a month (US$/t): the World Bank monthly series shipped in
    ``data/observed`` (the last month carried on beyond it), or what a ``prices`` event
    holds. Exogenous, like the UN resolutions."""
    series = _price_series()
    out = {}
    for name, column in (("coal", "coal_price"), ("iron_ore", "iron_ore_price")):
        if name in held:
            out[column] = float(held[name])
        else:
            dates, values = series[name]
            k = min(max(bisect.bisect_right(dates, month) - 1, 0), len(values) - 1)
            out[column] = values[k]
    return out


@functools.cache
def _price_series() -> dict[str, tuple[list[int], list[float]]]:
    out = {}
    for name, series in (("coal", observed.coal_price_monthly()),
                         ("iron_ore", observed.iron_ore_price_monthly())):
        out[name] = ([parse_month(m) for m in series.index], [float(v) for v in series])
    return out


def run_model(scenario: ScenarioLike = DEFAULT_SCENARIO, seed=None,
              overrides: Overrides | None = None, *, months: int | None = None,
              compiled: bool = True, progress: Callable[[int, int], None] | None = None,
              model_class: Callable[..., BufferModel] | None = None) -> BufferModel:
    """Build a model and run it: the one place a run is made (the command line, the
    notebook API, ensembles and sweeps, calibration, start states and the app all come
    here).

    Args:
        scenario: a scenario's name, its file or a loaded ``Scenario``.
        seed: the world's seed (or a generator); None uses the scenario's ``seed:``.
        overrides: fields to change, as ``--set`` (see ``BufferModel``).
        months: months to step; None runs the whole period (more stops at its end).
        compiled: the compiled equations or numpy arrays (``BufferModel``).
        progress: called as ``progress(months_done, months_total)`` after each month.
        model_class: the class to build, called as ``model_class(scenario, rng=seed,
            compiled=compiled)`` (plus ``overrides=`` when given); default
            ``BufferModel``.

    Returns:
        The model after its last month (its results in ``model.datacollector``).
    """
    kwargs = {} if overrides is None else {"overrides": overrides}
    model = (model_class or BufferModel)(scenario, rng=seed, compiled=compiled, **kwargs)
    total = model.spec.months if months is None else max(min(months, model.spec.months), 0)
    for done in range(1, total + 1):
        model.step()
        if progress is not None:
            progress(done, total)
    return model


def timeseries_rows(model: BufferModel) -> list[dict]:
    """One dict per month: ``date`` then every output column."""
    columns = model.datacollector.model_vars
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


def instruments_frame(model: BufferModel) -> pd.DataFrame:
    """The agent reporters' instruments, one column per actor and instrument.

    Returns:
        One row per month (index ``date``), columns ``beijing_enforcement`` ...
        ``seoul_china_ties`` as in ``timeseries.csv``, read from
        ``model.datacollector.get_agent_vars_dataframe()``.
    """
    agents = model.datacollector.get_agent_vars_dataframe()
    dates = model.datacollector.model_vars["date"]
    columns = {}
    for actor, rows in agents.groupby("actor", sort=False)["instruments"]:
        for name, values in zip(INSTRUMENT_TUPLES[actor]._fields, zip(*rows)):
            columns[f"{actor}_{name}"] = list(values)
    return pd.DataFrame(columns, index=pd.Index(dates, name="date"))
