"""BufferModel: the Mesa model of Beijing, Pyongyang, Washington and Seoul.

Reference: Daniel Wertz, *China-North Korea Relations* (National Committee on North
Korea). The model asks the report's question — why China's large potential leverage
"has rarely translated into a commensurate level of influence" — and answers it with
ordered priorities: Beijing uses its leverage only when war and collapse are safe,
and Pyongyang finds obeying its patron costly.

One step is one calendar month. Each month: the scenario's events for the month fire
(Mesa scheduled events), every actor proposes candidates, all candidates are projected
together with the world's transition function, each actor chooses by its rule, the
counterfactual "Beijing applies no pressure" is evaluated for Pyongyang (realized
influence), and the world advances with this month's random draws.
"""

from __future__ import annotations

import bisect
import functools
from functools import partial

import mesa
from mesa.datacollection import DataCollector

from buffer_sim.agents import ACTORS, PolicyActor
from buffer_sim.core.decision import Decision, Projection, build_batch, choose_all
from buffer_sim.core.months import month_str, month_year, parse_month
from buffer_sim.scenario.schema import Event, Scenario
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
            "influence_realized", "china_share", "pyongyang_declared_complete",
            "cn_exports_crude", "cn_exports_customs"]


class BufferModel(mesa.Model):
    """The four-actor patron-client model.

    Args:
        scenario: a resolved scenario (``scenario.load_scenario``).
        rng: seed or generator; defaults to the scenario's seed.
        compiled: project the candidates with the compiled equations (fast once
            Numba is loaded, ~0.3 s) or on numpy arrays (no start-up cost, best for a
            single run). Both give byte-identical runs.

    Attributes:
        state: the world this month (``world.State``).
        month: the current calendar month index (``months.parse_month``).
        decisions: every actor's decision, month by month.
        datacollector: Mesa's DataCollector; its ``timeseries`` table has one row per
            month (``date`` and every output column).
    """

    def __init__(self, scenario: Scenario, rng=None, compiled: bool = True) -> None:
        super().__init__(rng=scenario.seed if rng is None else rng)
        self.compiled = compiled
        self.spec = scenario
        self.params = scenario.parameters
        self.state = State(**{k: float(v) for k, v in scenario.initial_state.items()})
        self.month = scenario.start - 1
        self.decisions: list[tuple[int, Decision]] = []
        self.influence = 0.0
        self.leverage = (0.0, 0.0)
        # One random stream per source (whether a test comes off; noise in trade), so
        # that a what-if that changes one test does not reshuffle every later trade
        # shock: compared runs share their random numbers (common random numbers).
        self.test_rng, self.trade_rng = self.rng.spawn(2)
        #: world prices a ``prices`` event holds (US$/t), instead of the observed series
        self.held_prices: dict[str, float] = {}
        self.actors: dict[str, PolicyActor] = {}
        for name, cls in ACTORS.items():
            spec = scenario.actors.get(name, {})
            kwargs = dict(priorities=spec.get("priorities"), thresholds=spec.get("thresholds"),
                          rule=spec.get("rule", "lexicographic"),
                          instruments=spec.get("instruments"))
            if name == "pyongyang":
                kwargs["priorities_after_completion"] = spec.get("priorities_after_completion")
            self.actors[name] = cls(self, **kwargs)
        #: (actor, instrument) behind each field of Actions, in order
        self._instrument_of = [(self.actors[a], name) for a, ins in INSTRUMENTS.items()
                               for name in ins]
        self.actions = self._current_actions()
        self.event_log: list[tuple[int, Event]] = []
        # Events of month m fire at time (m - start) + 0.5, just before that month's step.
        # Mesa holds event callbacks weakly: keep them alive here.
        self._callbacks = [partial(self._fire, event) for event in scenario.events]
        for event, callback in zip(scenario.events, self._callbacks):
            self.schedule_event(callback, at=event.month - scenario.start + 0.5)
        self.datacollector = DataCollector(tables={"timeseries": ["date", *output_columns()]})
        self.row: dict[str, float] = {}

    # --- events and pins -----------------------------------------------------------
    def _fire(self, event: Event) -> None:
        self.event_log.append((self.month + 1, event))
        if event.kind == "forced_action":
            actor = self.actors[event.actor]
            if event.set is not None:
                levels = event.set
            else:
                # a move from where the actor stands now, kept inside the instrument's range
                levels = {}
                for name, delta in event.change.items():
                    lo, hi, _ = INSTRUMENTS[event.actor][name]
                    start = actor.forced.get(name, actor.instruments[name])
                    levels[name] = round(min(max(start + delta, lo), hi), 6)
            actor.forced.update(levels)
            actor.forced_label = event.label
            if event.actor == "pyongyang" and levels.get("provocation", 0) >= 1:
                # The test happened, so the programme was ready for it.
                self.state = self.state.replace(test_readiness=1.0)
        elif event.kind == "resolution":
            self.state = self.state.replace(
                sanctions_scope=max(self.state.sanctions_scope, event.sanctions_scope))
        elif event.kind == "administration":
            actor = self.actors[event.actor]
            if event.priorities:
                actor.priorities = list(event.priorities)
            if event.thresholds:
                actor.thresholds = {**actor.thresholds, **event.thresholds}
            if event.rule:
                from buffer_sim.core.decision import RULES
                actor.rule = RULES[event.rule]()
        elif event.kind == "parameter_change":
            self.params = self.params.replace(**event.parameters)
        elif event.kind == "prices":
            self.held_prices.update(event.prices)
        elif event.kind == "diplomatic_shock":
            changes = {}
            for name, delta in event.effects.items():
                _, lo, hi, _ = STATE_VARIABLES[name]
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
        cands = {name: actor.candidates(now, params) for name, actor in self.actors.items()}
        groups = [(name, cands[name], {}) for name in self.actors]
        # Realized influence compares Pyongyang's own choice (even in months whose act
        # the scenario takes from history) with and without Beijing's pressure.
        pyongyang = self.actors["pyongyang"]
        free = pyongyang.free_candidates(now, params)
        if free is not cands["pyongyang"]:
            groups.append(("pyongyang", free, {}))
        unpressed = no_pressure(self.actions, params)
        groups.append(("pyongyang", free, unpressed))
        # Potential leverage compares two counterfactuals of the month, each one
        # projection shared by all candidates: Beijing applying no pressure (in this
        # batch), and Beijing cutting the DPRK off - buying nothing, enforcing every
        # export ban, cracking down on smuggling, stopping crude oil and food (a world
        # where everything is banned, projected apart).
        keep = cands["beijing"].keep_course()
        batch, ranges = build_batch(self.actions, groups + [("beijing", keep, unpressed)])
        free_row = ranges[-1].start
        ranges = ranges[:len(groups)]
        cut_batch, _ = build_batch(self.actions, [("beijing", keep, CUT_OFF)])
        economy_cut = project_batch(now.replace(sanctions_scope=1.0), cut_batch, params,
                                    EXPECTED, params.lookahead_months,
                                    self.compiled)[_ECONOMY_ROW, 0]
        projection = Projection(project_batch(now, batch, params, EXPECTED,
                                              params.lookahead_months, self.compiled), now)

        picks = choose_all([(self.actors[name], candidates, rows)
                            for (name, candidates, _), rows in zip(groups, ranges)],
                           projection, params, self.compiled)
        economy = projection.matrix[_ECONOMY_ROW]
        chosen_row = ranges[0].start + picks[0][0]  # Beijing's group is the first
        self.leverage = leverage(economy[free_row], economy_cut, economy[chosen_row])
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
        self.actions = self._current_actions()
        shocks = draw_shocks(self.test_rng, self.trade_rng, params, int(chosen["provocation"]),
                             now.test_readiness)
        self.state = transition(now, self.actions, params, shocks, 1, self.compiled)
        self._record()
        if self.month >= self.spec.end:
            self.running = False

    def _record(self) -> None:
        """Add this month's row to the DataCollector's ``timeseries`` table."""
        s, a, p = self.state, self.actions, self.params
        row = {"date": month_str(self.month)}
        row.update(zip(State._fields, map(float, s)))
        row.update(zip(ACTION_FIELDS, map(float, a)))
        cn = sum(row[c] for c in TRADE_COLUMNS)
        row["leverage_potential"], row["pressure_applied"] = map(float, self.leverage)
        row["influence_realized"] = self.influence
        row["china_share"] = cn / max(cn + row["other_trade"], 1e-9)
        row["pyongyang_declared_complete"] = float(self.actors["pyongyang"].declared_complete)
        # Crude oil is part of Beijing's supplies (aid); Chinese customs reported it until
        # 2013 and not from 2014 (observed data README): the exports customs show are
        # commercial exports plus, until then, the crude.
        crude = p.crude_share_of_aid_supplies * p.aid_supplies_usd_m_month * float(
            a.beijing_aid)
        row["cn_exports_crude"] = crude
        reported = month_year(self.month) < p.crude_unreported_from_year
        row["cn_exports_customs"] = row["cn_exports_reported"] + (crude if reported else 0.0)
        self.row = row
        self.datacollector.add_table_row("timeseries", row)

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
    from buffer_sim.scenario import observed

    out = {}
    for name, series in (("coal", observed.coal_price_monthly()),
                         ("iron_ore", observed.iron_ore_price_monthly())):
        out[name] = ([parse_month(m) for m in series.index], [float(v) for v in series])
    return out


def run_model(scenario: Scenario, seed: int | None = None, compiled: bool = True
              ) -> BufferModel:
    """Build and run a model for the scenario's whole period."""
    model = BufferModel(scenario, rng=scenario.seed if seed is None else seed,
                        compiled=compiled)
    model.run()
    return model


def timeseries_rows(model: BufferModel) -> list[dict]:
    """One dict per month: ``date`` then every output column."""
    table = model.datacollector.tables["timeseries"]
    return [dict(zip(table, values)) for values in zip(*table.values())]

