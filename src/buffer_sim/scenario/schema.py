"""Scenario files: YAML, validated, with ``extends:`` and command-line overrides.

A scenario replays a period: who the actors are (priority order, thresholds, rule,
starting instruments), the starting world, coefficients, dated events (each with a
``source:``) and pins (an instrument fixed over a date range). See
``scenarios/replay_2009_2019.yaml`` for a complete example and the README for the
field reference.

The pydantic models below are the schema and the scenario the model runs: one file as
written is a ``ScenarioFile`` (every field optional, ``extends:`` may supply it); the
files merged, overridden and resolved are a ``Scenario`` (frozen), built from the same
parts (``Period``, ``ActorSpec``, the ``Event`` kinds, ``Pin``). Names are literal
types (actors, priorities, decision rules, state variables), ranges come from the
tables that define them (``params.PARAMETER_RANGES``, ``world.INSTRUMENTS``,
``world.STATE_VARIABLES``), and the validators check what one field cannot (a
period's order, a pin's range and overlaps, an event inside the period).

Every problem raises ``ScenarioError`` naming the file, the field and the problem.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import json
import math
import re
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field,
                      InstanceOf, ValidationError, ValidationInfo,
                      field_validator, model_validator)

from buffer_sim.agents import ACTORS
from buffer_sim.core.decision import RULES
from buffer_sim.core.errors import ScenarioError
from buffer_sim.core.months import month_str, parse_month
from buffer_sim.core.params import PARAMETER_RANGES, Parameters
from buffer_sim.core.priorities import PRIORITIES
from buffer_sim.core.world import INSTRUMENTS, STATE_VARIABLES
from buffer_sim.scenario.names import (show, suggest, unknown, unknown_parameter_text,
                                       unknown_text)
from buffer_sim.scenario.uncertain_block import (THRESHOLD_RANGE, check_event_paths,
                                                 check_uncertain)

MAX_FILE_BYTES = 1_000_000
#: world prices a ``prices`` event can hold, US$/t
PRICE_NAMES = ("coal", "iron_ore")

#: January 2009, from the observed data (2008 GACC/KOTRA split of China-DPRK trade,
#: US$2.03bn exports and US$0.75bn imports a year) and the report's narrative.
DEFAULT_INITIAL_STATE: dict[str, float] = {
    "tension": 0.3, "nuclear": 0.3, "nuclear_pace": 0.002, "test_readiness": 1.0, "hostility": 0.1,
    "dprk_economy": 1.0, "stability": 0.6, "sanctions_scope": 0.03, "sanctions_exempt": 0.0,
    "customs_blocked": 0.0,
    # capacity_imports is a volume valued at the reference prices: 62 US$m/month at the
    # prices of 2009-01 (x0.845, model.world_prices) is 73.4 at the reference prices
    "capacity_imports": 73.4, "capacity_exports": 165.0,
    "cn_exports_reported": 165.0, "cn_imports_reported": 62.0,
    "cn_exports_informal": 12.0, "cn_imports_informal": 5.0, "other_trade": 60.0,
    "warmth_cn_dprk": 0.3, "warmth_us_dprk": -0.5, "warmth_rok_dprk": -0.3,
    "warmth_cn_rok": 0.3, "warmth_cn_us": 0.1,
    # set each month from the price series: these are the values of 2009-01
    "coal_price": 79.4, "iron_ore_price": 72.51,
}


# --- names and numbers ---------------------------------------------------------------------

# Literal types built from the tables that define the names: a new actor, priority or
# rule is known to the schema (and its messages) without touching this file.
ActorName = Literal[tuple(ACTORS)]  # type: ignore[valid-type]
PriorityName = Literal[tuple(PRIORITIES)]  # type: ignore[valid-type]
RuleName = Literal[tuple(RULES)]  # type: ignore[valid-type]
StateName = Literal[tuple(STATE_VARIABLES)]  # type: ignore[valid-type]
PriceName = Literal[PRICE_NAMES]  # type: ignore[valid-type]

#: what an unknown name of each set is called in messages ("unknown priority 'x'")
_NOUNS = {frozenset(ACTORS): "actor", frozenset(PRIORITIES): "priority",
          frozenset(RULES): "decision rule", frozenset(STATE_VARIABLES): "state variable",
          frozenset(PRICE_NAMES): "world price"}

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class _Problem(ValueError):
    """A validator's finding about one place at or below the field it validates.

    Args:
        where: the path from that field to the place ('.tension', '[2].date'; '' for
            the field itself), or from the top of the file when ``absolute``.
        problem: what is wrong, in the user's words.
    """

    def __init__(self, where: str, problem: str, absolute: bool = False) -> None:
        super().__init__(problem)
        self.where, self.problem, self.absolute = where, problem, absolute


def _out_of_range(value: float, lo, hi) -> str | None:
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        hi_txt = "inf" if hi is None else f"{hi:g}"
        return f"{value:g} is out of range [{lo:g}, {hi_txt}]"
    return None


def _within(lo: float, hi: float):
    """A validator: the number lies in [lo, hi]."""
    def check(value: float) -> float:
        problem = _out_of_range(value, lo, hi)
        if problem:
            raise _Problem("", problem)
        return value
    return check


Threshold = Annotated[Number, AfterValidator(_within(*THRESHOLD_RANGE))]
Share = Annotated[Number, AfterValidator(_within(0.0, 1.0))]
Shock = Annotated[Number, AfterValidator(_within(-2.0, 2.0))]
PricePerTonne = Annotated[Number, AfterValidator(_within(1.0, 1000.0))]


def _keyed_ranges(ranges: dict, lo_hi):
    """A validator of a mapping name -> number whose range depends on the name."""
    def check(values: dict) -> dict:
        for name, value in values.items():
            problem = _out_of_range(value, *lo_hi(ranges[name]))
            if problem:
                raise _Problem(f".{name}", problem)
        return values
    return check


def _known_parameters(values: dict) -> dict:
    """Every name is a coefficient of ``params.Parameters`` (the closest names are
    suggested, not all ~80 of them) and within the range the table declares."""
    for name in values:
        if name not in PARAMETER_RANGES:
            raise _Problem(f".{name}", unknown_parameter_text(name))
    return _keyed_ranges(PARAMETER_RANGES, lambda r: r)(values)


ParameterValues = Annotated[dict[str, Number], AfterValidator(_known_parameters)]
StateValues = Annotated[dict[StateName, Number],
                        AfterValidator(_keyed_ranges(STATE_VARIABLES, lambda v: (v[1], v[2])))]


def _month_text(value) -> str:
    """A month 'YYYY-MM' or a day 'YYYY-MM-DD' (text or a YAML date) -> its text."""
    if isinstance(value, _dt.datetime):  # YAML reads '2016-03-01 10:00:00' as one
        raise ValueError(f"expected a month YYYY-MM or a date YYYY-MM-DD, got a date "
                         f"with a time ({value.isoformat(sep=' ')})")
    if isinstance(value, _dt.date):
        value = value.isoformat()
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(f"expected a month as YYYY-MM (or a date YYYY-MM-DD), "
                         f"got {show(value)}")
    parse_month(value)
    return value


#: a month as written (its text is kept: it is part of the content hash)
Month = Annotated[str, BeforeValidator(_month_text)]


def _priority_order(order: tuple) -> tuple:
    if not order:
        raise _Problem("", "needs at least one priority")
    for i, p in enumerate(order):
        if p in order[:i]:
            raise _Problem(f"[{i}]", f"duplicate priority '{p}'")
    return order


PriorityOrder = Annotated[tuple[PriorityName, ...], AfterValidator(_priority_order)]


def _instrument_problem(actor: str, name: str, value: float) -> str | None:
    """Why ``value`` cannot be ``actor``'s instrument ``name`` (None when it can)."""
    if name not in INSTRUMENTS[actor]:
        return unknown_text(name, INSTRUMENTS[actor], f"instrument of {actor}")
    lo, hi, meaning = INSTRUMENTS[actor][name]
    problem = _out_of_range(value, lo, hi)
    if problem:
        return problem
    levels = ACTORS[actor].discrete.get(name)
    if levels is not None and value not in levels:
        words = ", ".join(f"{v:g}" for v in levels[:-1]) + f" or {levels[-1]:g}"
        return f"must be {words} ({meaning}), got {value:g}"
    return None


def complete_priorities(actor: str, given, after_completion: bool = False) -> list[str]:
    """A priority order, completed: a list shorter than the actor's default order is
    followed by the default priorities it leaves out, in their default order.

    Typing ``beijing.priorities=no_nukes,no_war,no_instability`` moves three priorities
    to the front; Beijing keeps the other three (buffer, us_ties, border_trade) after
    them instead of dropping them. A list as long as the default (or longer) is the
    whole order as given: it may replace a priority (Moon Jae-in's Seoul ranks
    inter_korean where its predecessors ranked alliance).

    Args:
        actor: the actor's name (``beijing``, ...).
        given: the priorities as written, most important first.
        after_completion: complete Pyongyang's order after it declares its programme
            complete (``priorities_after_completion``) instead.

    Returns:
        The order the model uses.
    """
    cls = ACTORS[actor]
    default = (cls.default_priorities_after_completion if after_completion
               else cls.default_priorities)
    given = list(given)
    if len(given) >= len(default):
        return given
    return given + [p for p in default if p not in given]


# --- the parts of a scenario -----------------------------------------------------------------

class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Frozen):
    """The months a scenario runs, first and last included."""

    start: Month
    end: Month

    @model_validator(mode="after")
    def _in_order(self) -> Period:
        if self.last < self.first:
            raise _Problem(".end", f"{self.end} is before the start {self.start}")
        if self.last - self.first + 1 > 12 * 60:
            raise _Problem("", "longer than 60 years")
        return self

    # cached: read every month by the model, at the cost of a plain attribute
    @cached_property
    def first(self) -> int:
        """The first month (``months.parse_month``)."""
        return parse_month(self.start)

    @cached_property
    def last(self) -> int:
        """The last month."""
        return parse_month(self.end)


class ActorSpec(_Frozen):
    """What a scenario says about one actor (everything else is the actor's default).
    Which instruments an actor has depends on the actor: ``Actors`` checks them."""

    priorities: PriorityOrder | None = None
    priorities_after_completion: PriorityOrder | None = None
    thresholds: dict[PriorityName, Threshold] | None = None
    rule: RuleName | None = None
    instruments: dict[str, Number] | None = None
    #: Pyongyang only: a period that starts after Kim declared his force complete says
    #: so with Washington's military signalling he declared it against (the bound of
    #: the moratorium, ``Pyongyang.declared_against``)
    declared_against: Share | None = None


#: the fields of ``ActorSpec`` only Pyongyang has -> the error for any other actor
_PYONGYANG_ONLY = {
    "priorities_after_completion": "only pyongyang has a post-completion order",
    "declared_against": "only pyongyang declares its nuclear force complete",
}


def _actors(actors: dict[str, ActorSpec]) -> dict[str, ActorSpec]:
    """Each actor's instruments are its own and in range; its orders are completed
    (``complete_priorities``), so two ways of writing one order are one scenario."""
    out = {}
    for actor, spec in actors.items():
        for key, problem in _PYONGYANG_ONLY.items():
            if getattr(spec, key) is not None and actor != "pyongyang":
                raise _Problem(f".{actor}.{key}", problem)
        for name, value in (spec.instruments or {}).items():
            problem = _instrument_problem(actor, name, value)
            if problem:
                raise _Problem(f".{actor}.instruments.{name}", problem)
        completed = {key: tuple(complete_priorities(actor, order, key != "priorities"))
                     for key in ("priorities", "priorities_after_completion")
                     if (order := getattr(spec, key))}
        out[actor] = spec.model_copy(update=completed) if completed else spec
    return out


Actors = Annotated[dict[ActorName, ActorSpec], AfterValidator(_actors)]

#: an event's fields every kind has
_EVENT_COMMON = ("date", "kind", "label", "source")


class _Event(_Frozen):
    """What every dated event has. A field its kind does not read is an error, not
    ignored; reading it from Python gives None (``event.actor`` of a resolution)."""

    date: Month
    kind: str
    label: str = Field(min_length=1)
    source: str = Field(min_length=3)

    @cached_property
    def month(self) -> int:
        """The month it fires (``months.parse_month``), before that month's step."""
        return parse_month(self.date)

    def __getattr__(self, name: str):
        if name in _EVENT_ATTRIBUTES:
            return None
        return super().__getattr__(name)  # type: ignore[misc]


class ForcedAction(_Event):
    """An actor's instruments forced for the month, as the source describes: either
    levels (``set: {provocation: 2}``) or moves from where they stand (``change:
    {military: -0.25}``, clipped to the instrument's range when it fires).

    A forced test may state its ``outcome`` as observed (``success``: a nuclear test
    the seismographs recorded, a launch that reached orbit; ``failure``: a launch
    that broke up). Without it, whether the test comes off is drawn
    (``p_success_major``, ``p_success_missile``), as for a test Pyongyang chooses.
    """

    kind: Literal["forced_action"]
    actor: ActorName
    set: dict[str, Number] | None = None
    change: dict[str, Number] | None = None
    outcome: Literal["success", "failure"] | None = None

    @model_validator(mode="after")
    def _levels_or_moves(self) -> ForcedAction:
        if (self.set is None) == (self.change is None):
            raise _Problem(".set", "a forced_action event either sets levels (set: "
                                   "{instrument: level}) or moves them (change: {instrument: "
                                   "signed step}); "
                                   + ("give one of them" if self.set is None else "not both"))
        given = self.set if self.set is not None else self.change
        field = "set" if self.set is not None else "change"
        if not given:
            raise _Problem(f".{field}", "names no instrument")
        for name, value in given.items():
            where = f".{field}.{name}"
            if self.set is not None:
                problem = _instrument_problem(self.actor, name, value)
            elif name not in INSTRUMENTS[self.actor]:
                problem = unknown_text(name, INSTRUMENTS[self.actor],
                                        f"instrument of {self.actor}")
            elif name in ACTORS[self.actor].discrete:
                levels = ACTORS[self.actor].discrete[name]
                problem = (f"{name} takes levels ({', '.join(f'{v:g}' for v in levels)}), "
                           "not moves: use set:")
            else:  # a move no larger than the instrument's range
                lo, hi, _ = INSTRUMENTS[self.actor][name]
                problem = _out_of_range(value, -(hi - lo), hi - lo)
            if problem:
                raise _Problem(where, problem)
        if self.outcome is not None and not (
                self.actor == "pyongyang" and (self.set or {}).get("provocation", 0) >= 1):
            raise _Problem(".outcome", "only a test has an outcome: give it on a pyongyang "
                                       "event that sets provocation to 1 or 2")
        return self


class Resolution(_Event):
    """A UN Security Council resolution: the sanctions' scope rises to at least this.

    ``sanctions_exempt`` is the share of DPRK exports, within the scope, that the
    resolution's exemptions leave to the enforcer's reading (UNSCR 2270's trade
    "exclusively for livelihood purposes"); each resolution states its own, none by
    default. Customs stop it as strictly as Beijing enforces; letting it through is
    no breach Washington or the UN Panel can pin on Beijing.
    """

    kind: Literal["resolution"]
    sanctions_scope: Share
    sanctions_exempt: Share = 0.0

    @model_validator(mode="after")
    def _exempt_within_scope(self) -> Resolution:
        if self.sanctions_exempt > self.sanctions_scope:
            raise _Problem(".sanctions_exempt",
                           f"{self.sanctions_exempt:g} is more than the resolution's "
                           f"sanctions_scope ({self.sanctions_scope:g}): an exemption is a "
                           "share of what the resolution bans")
        return self


class Administration(_Event):
    """A new government or doctrine: an actor's priorities, thresholds or rule change.
    A shorter priority list is completed (``complete_priorities``)."""

    kind: Literal["administration"]
    actor: ActorName
    priorities: PriorityOrder | None = None
    thresholds: dict[PriorityName, Threshold] | None = None
    rule: RuleName | None = None

    @field_validator("priorities")
    @classmethod
    def _complete(cls, order, info: ValidationInfo):
        actor = info.data.get("actor")
        return tuple(complete_priorities(actor, order)) if order and actor else order

    @model_validator(mode="after")
    def _changes_something(self) -> Administration:
        if not (self.priorities or self.thresholds or self.rule):
            raise _Problem("", "an administration event changes at least one of "
                               "priorities, thresholds or rule")
        return self


class ParameterChange(_Event):
    """Coefficients change from this month on (``buffer-sim params`` lists them)."""

    kind: Literal["parameter_change"]
    parameters: ParameterValues


class DiplomaticShock(_Event):
    """State variables jump (clipped to their ranges when it fires)."""

    kind: Literal["diplomatic_shock"]
    effects: dict[StateName, Shock]


def _names_a_price(prices: dict) -> dict:
    if not prices:
        raise _Problem("", "names no price")
    return prices


class Prices(_Event):
    """World prices (US$/t) held from this month on, instead of the observed series."""

    kind: Literal["prices"]
    prices: Annotated[dict[PriceName, PricePerTonne], AfterValidator(_names_a_price)]


#: kind -> its model
EVENT_TYPES: dict[str, type[_Event]] = {
    cls.model_fields["kind"].annotation.__args__[0]: cls  # type: ignore[union-attr]
    for cls in (ForcedAction, Resolution, Administration, ParameterChange, DiplomaticShock,
                Prices)}
EVENT_KINDS = tuple(EVENT_TYPES)
#: one dated event, its model chosen by ``kind``
Event = Annotated[Union[ForcedAction, Resolution, Administration, ParameterChange,
                        DiplomaticShock, Prices], Field(discriminator="kind")]
#: what each kind of event reads, besides date, kind, label and source: (required
#: fields, optional fields); ``set``/``change`` of a forced action: exactly one
EVENT_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    kind: (tuple(n for n, f in cls.model_fields.items()
                 if n not in _EVENT_COMMON and f.is_required()),
           tuple(n for n, f in cls.model_fields.items()
                 if n not in _EVENT_COMMON and not f.is_required()))
    for kind, cls in EVENT_TYPES.items()}
_EVENT_ATTRIBUTES = frozenset(n for cls in EVENT_TYPES.values() for n in cls.model_fields)


class Pin(_Frozen):
    """An instrument held at one value from one month to another (``from``/``to``)."""

    actor: ActorName
    instrument: str
    value: Number
    from_: Month = Field(alias="from")
    to: Month
    reason: str = Field(min_length=3)

    @model_validator(mode="after")
    def _valid(self) -> Pin:
        if self.instrument not in INSTRUMENTS[self.actor]:
            raise _Problem(".instrument", unknown_text(
                self.instrument, INSTRUMENTS[self.actor], f"instrument of {self.actor}"))
        problem = _instrument_problem(self.actor, self.instrument, self.value)
        if problem:
            raise _Problem(".value", problem)
        if self.end < self.start:
            raise _Problem(".to", f"{self.to} is before from {self.from_}")
        return self

    # cached: the model reads them every month
    @cached_property
    def start(self) -> int:
        """The first month it holds."""
        return parse_month(self.from_)

    @cached_property
    def end(self) -> int:
        """The last month it holds."""
        return parse_month(self.to)


class UncertainSpec(_Frozen):
    """One uncertain parameter (``uncertain:``), checked by ``uncertain_block.check_uncertain``."""

    dist: Literal["uniform", "normal", "triangular"]
    low: Number | None = None
    high: Number | None = None
    mean: Number | None = None
    sd: Number | None = None
    mode: Number | None = None


# it names the output folder: not '.', '..' or hidden
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,79}$")]
Seed = Annotated[int, Field(strict=True, ge=0, le=2**63 - 1)]


class ScenarioFile(_Frozen):
    """One file as written (everything optional: ``extends:`` may supply it)."""

    name: Name | None = None
    description: str | None = None
    period: Period | None = None
    seed: Seed | None = None
    extends: str | None = None
    actors: Actors | None = None
    initial_state: StateValues | None = None
    parameters: ParameterValues | None = None
    events: list[Event] | None = None
    drop_events: list[str] | None = None
    drop_pins: list[str] | None = None
    pins: list[Pin] | None = None
    uncertain: dict[str, UncertainSpec] | None = None


# --- the scenario the model runs -------------------------------------------------------------

def _as_parameters(values) -> Parameters:
    """The written coefficients over the defaults."""
    if isinstance(values, Parameters):
        return values
    return Parameters().replace(**{k: float(v) for k, v in _known_parameters(values).items()})


def _ranked(actors: dict[str, ActorSpec], events) -> dict[str, set[str]]:
    """Every priority each actor ranks at some time in the scenario (its thresholds for
    other priorities would never be read)."""
    out = {}
    for name, cls in ACTORS.items():
        spec = actors.get(name) or ActorSpec()
        ranked = set(spec.priorities or cls.default_priorities)
        if hasattr(cls, "default_priorities_after_completion"):
            ranked |= set(spec.priorities_after_completion
                          or cls.default_priorities_after_completion)
        out[name] = ranked
    for e in events:
        if e.kind == "administration" and e.priorities:
            out[e.actor] |= set(e.priorities)
    return out


class Scenario(_Frozen):
    """A validated, fully resolved scenario: the files merged (``extends:``), the
    overrides applied, the defaults filled in. Frozen: a changed scenario is a copy
    (``model_copy(update=...)``, ``with_seed``).

    Besides the fields of a file it holds where it came from: ``path`` (the file
    named), ``files`` (every file it is built from, the parents first) and
    ``resolved`` (the merged content as written, which the content hash is of).
    """

    name: Name
    description: str = ""
    period: Period
    seed: Seed = 0
    actors: Actors = Field(default_factory=dict)
    initial_state: StateValues = Field(default_factory=lambda: dict(DEFAULT_INITIAL_STATE))
    parameters: Annotated[InstanceOf[Parameters], BeforeValidator(_as_parameters)] = Field(
        default_factory=Parameters)
    #: in date order (events of one month in the order written); validated even when
    #: absent, for the actors' thresholds (``_in_period``)
    events: tuple[Event, ...] = Field(default=(), validate_default=True)
    pins: tuple[Pin, ...] = ()
    #: path -> distribution (``uncertain_block.check_uncertain``)
    uncertain: dict[str, dict] = Field(default_factory=dict)
    path: str = ""
    files: tuple[str, ...] = ()
    resolved: dict = Field(default_factory=dict)

    @field_validator("description")
    @classmethod
    def _strip(cls, text: str) -> str:
        return text.strip()

    @field_validator("initial_state")
    @classmethod
    def _defaults(cls, given: dict) -> dict[str, float]:
        return {**DEFAULT_INITIAL_STATE, **{k: float(v) for k, v in given.items()}}

    @field_validator("events")
    @classmethod
    def _in_period(cls, events: tuple, info: ValidationInfo) -> tuple:
        period = info.data.get("period")
        if period is not None:
            for i, e in enumerate(events):
                if not period.first <= e.month <= period.last:
                    raise _Problem(f"[{i}].date", f"{e.date} is outside the period "
                                                  f"{month_str(period.first)}.."
                                                  f"{month_str(period.last)}")
        # a threshold for a priority the actor never ranks: nothing would read it
        actors = info.data.get("actors") or {}
        ranked = _ranked(actors, events)
        found = [(f"actors.{a}.thresholds.{p}", a, p) for a, spec in actors.items()
                 for p in (spec.thresholds or {})]
        found += [(f"events[{i}].thresholds.{p}", e.actor, p) for i, e in enumerate(events)
                  if e.kind == "administration" for p in (e.thresholds or {})]
        for field, actor, p in found:
            if p not in ranked[actor]:
                raise _Problem(field, f"{actor} never ranks '{p}' in this scenario (it ranks: "
                                      f"{', '.join(sorted(ranked[actor]))}), so nothing would "
                                      f"read this threshold; add '{p}' to its priorities or "
                                      "remove the threshold", absolute=True)
        return tuple(sorted(events, key=lambda e: e.month))  # stable: file order kept

    @field_validator("pins")
    @classmethod
    def _no_overlap(cls, pins: tuple, info: ValidationInfo) -> tuple:
        period = info.data.get("period")
        for i, pin in enumerate(pins):
            if period is not None and (pin.start < period.first or pin.end > period.last):
                raise _Problem(f"[{i}].from", f"{pin.from_}..{pin.to} is outside the period "
                                              f"{month_str(period.first)}.."
                                              f"{month_str(period.last)}")
            for j, other in enumerate(pins[:i]):
                if (other.actor, other.instrument) == (pin.actor, pin.instrument) \
                        and pin.start <= other.end and other.start <= pin.end:
                    raise _Problem(f"[{i}]", f"{month_str(pin.start)}..{month_str(pin.end)} "
                                             f"overlaps pins[{j}] ({month_str(other.start)}.."
                                             f"{month_str(other.end)}) on "
                                             f"{pin.actor}.{pin.instrument}")
        return pins

    # cached (the model reads them every month); a copy with another period would need
    # a new Scenario, not ``model_copy``
    @cached_property
    def start(self) -> int:
        """The first month (``months.parse_month``)."""
        return self.period.first

    @cached_property
    def end(self) -> int:
        """The last month."""
        return self.period.last

    @cached_property
    def months(self) -> int:
        return self.end - self.start + 1

    @property
    def content_hash(self) -> str:
        text = json.dumps(self.resolved, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def with_seed(self, seed: int) -> Scenario:
        return self.model_copy(update={"seed": seed, "resolved": {**self.resolved, "seed": seed}})


# --- loading ---------------------------------------------------------------------------------

class _Strict:
    """PyYAML's SafeLoader (plain data only: no tag ever constructs an object), stricter:

    * a key given twice in one mapping is an error (with its line), not a silent overwrite;
    * a value the standard constructors cannot build (``!!int abc``, ``2016-02-30``) is an
      error with its line, or for an impossible date the text itself (so that validation
      names the field).
    """

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # unhashable: the base class reports it
                    continue
                if first is not None:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {show(key)} (first given on line "
                                    f"{first.line + 1})", key_node.start_mark)
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


class _Loader(_Strict, yaml.SafeLoader):
    """The pure-Python reader: its errors carry the messages users see."""


# libyaml's parser reads a scenario ~10x faster; a document it rejects is read again
# by ``_Loader``, whose messages the error tests specify.
_FastLoader = type("_FastLoader", (_Strict, getattr(yaml, "CSafeLoader", yaml.SafeLoader)),
                   {"__doc__": "The same reader on libyaml's parser (when installed)."})


def _timestamp_or_text(loader, node):
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, TypeError, AttributeError):
        return loader.construct_scalar(node)


def _guarded(constructor):
    def construct(loader, node):
        try:
            return constructor(loader, node)
        except yaml.YAMLError:
            raise
        except Exception as err:  # noqa: BLE001 - any failure is a value it cannot read
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {node.tag.replace('tag:yaml.org,2002:', '!!')} "
                            f"value ({err})", node.start_mark) from None
    return construct


for _loader in (_Loader, _FastLoader):
    # YAML 1.2 reads 1e-3 as a number; PyYAML (YAML 1.1) would read it as text.
    _loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789"))
    for _tag, _constructor in list(yaml.SafeLoader.yaml_constructors.items()):
        if _tag is not None:
            _loader.add_constructor(_tag, _guarded(_constructor))
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def _yaml_error(err: yaml.YAMLError, text: str) -> str:
    """The problem and where it is, in one line."""
    mark = getattr(err, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    if isinstance(err, yaml.reader.ReaderError):
        line = text.count("\n", 0, err.position) + 1
        char = err.character
        char = f"#x{char:04x}" if isinstance(char, int) else repr(char)
        return f"YAML syntax error at line {line}: character {char} is not allowed in YAML text"
    message = str(err)
    problem = getattr(err, "problem", None) or (message.splitlines() or ["unreadable"])[0]
    if "\t" in message or "\\t" in message or "tab character" in message:
        return f"YAML syntax error at {where}tab character; indent with spaces, not tabs"
    if problem.startswith("could not determine a constructor for the tag"):
        tag = getattr(err, "problem", "").partition("tag ")[2].strip("'")
        tag = tag.replace("tag:yaml.org,2002:", "!!")
        return (f"YAML tag {tag!r} at {where.removesuffix(': ')} is not allowed; "
                "a scenario file holds plain data only")
    context, start = getattr(err, "context", None), getattr(err, "context_mark", None)
    if context and start is not None and mark is not None and start.line != mark.line:
        problem += f" ({context} started on line {start.line + 1})"
    return f"YAML syntax error at {where}{problem}"


def _load_yaml(text: str):
    """The document's data; libyaml first, the Python reader for a document it rejects."""
    try:
        return yaml.load(text, Loader=_FastLoader)  # noqa: S506 - a SafeLoader
    except Exception:  # noqa: BLE001 - read again for the precise message
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader


def _parse_yaml(data: bytes, name: str):
    """Bytes of a scenario file -> its top-level mapping (or ScenarioError)."""
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(name, "", f"file is {len(data)} bytes; scenario files are limited "
                                      f"to {MAX_FILE_BYTES} bytes")
    if b"\x00" in data:
        raise ScenarioError(name, "", "binary content (NUL bytes); expected a YAML text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ScenarioError(name, "", f"not UTF-8 text (byte {err.start}, line {line}); "
                                      "save the file as UTF-8") from None
    try:
        raw = _load_yaml(text)
    except yaml.YAMLError as err:
        raise ScenarioError(name, "", _yaml_error(err, text)) from None
    except RecursionError:
        raise ScenarioError(name, "", "YAML nested too deeply") from None
    except Exception as err:  # noqa: BLE001 - a reader bug must still be one line, exit 2
        reason = (str(err).splitlines() or [type(err).__name__])[0]
        raise ScenarioError(name, "", f"unreadable YAML: {reason}") from None
    if raw is None:
        raise ScenarioError(name, "", "empty file; a scenario needs at least name and period")
    if not isinstance(raw, dict):
        raise ScenarioError(name, "", f"expected a mapping of fields at the top level, "
                                      f"got a {type(raw).__name__}")
    return raw


#: content hash -> parsed mapping: a parent named by several scenarios is parsed once.
_PARSED: dict[str, dict] = {}


def _read_yaml(path: Path, name: str | None = None) -> dict:
    name = str(path) if name is None else name
    if not path.exists():
        raise ScenarioError(name, "", "file not found")
    if path.is_dir():
        raise ScenarioError(name, "", "is a folder, not a scenario file")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(name, "", f"file is {size} bytes; scenario files are limited "
                                          f"to {MAX_FILE_BYTES} bytes")
        data = path.read_bytes()
    except OSError as err:
        raise ScenarioError(name, "", f"cannot read the file: {err.strerror or err}") from None
    key = hashlib.sha256(data).hexdigest()
    raw = _PARSED.get(key)
    if raw is None:
        raw = _parse_yaml(data, name)
        if len(_PARSED) >= 32:
            _PARSED.clear()
        _PARSED[key] = raw
    return copy.deepcopy(raw)  # callers may change what they get




def _loc(loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


#: how a pydantic error type reads to a user; ``{got}`` is the bad value
_TYPE_WORDS = {
    "float_type": "expected a number", "float_parsing": "expected a number",
    "int_type": "expected a whole number", "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "string_type": "expected text", "list_type": "expected a list",
    "tuple_type": "expected a list",
    "dict_type": "expected a mapping of fields", "model_type": "expected a mapping of fields",
    "model_attributes_type": "expected a mapping of fields",
}


def _error_order(error: dict) -> int:
    """A misspelt field explains the 'missing' errors beside it: report it first."""
    return 0 if error["type"] == "extra_forbidden" else 1


def _structure(file, raw: dict) -> ScenarioFile:
    """Validate one file's mapping (or the merged files'), in the user's words."""
    if not isinstance(raw, dict):
        raise ScenarioError(str(file), "", f"expected a mapping of fields at the top level, "
                                           f"got a {type(raw).__name__}")
    _check_actor_names(file, raw)
    return _validated(file, ScenarioFile, raw)


def _validated(file, model: type[BaseModel], data: dict):
    try:
        return model.model_validate(data)
    except ValidationError as err:
        errors = sorted(err.errors(), key=_error_order)  # stable: pydantic's order otherwise
        raise _describe(file, errors[0]) from None
    except RecursionError:
        raise ScenarioError(str(file), "", "nested too deeply") from None


def _check_actor_names(file, raw: dict) -> None:
    """An unknown actor is reported before anything inside it."""
    actors = raw.get("actors")
    if isinstance(actors, dict):
        for actor in actors:
            if actor not in ACTORS:
                raise unknown(str(file), f"actors.{actor}", actor, ACTORS, "actor")


def _event_kind(loc: list) -> str | None:
    """The kind of event an error is about, taken out of ``loc`` (pydantic puts the
    tag of the union's member after the event's index: events, 3, resolution, ...)."""
    if len(loc) >= 3 and loc[0] == "events" and isinstance(loc[1], int) \
            and loc[2] in EVENT_TYPES:
        return loc.pop(2)
    return None


def _literal_options(error: dict) -> list[str]:
    options = error.get("ctx", {}).get("expected", "") or error.get("ctx", {}).get(
        "expected_tags", "")
    return [o.strip(" '") for o in options.replace(" or ", ", ").split(",")]


def _describe(file, error: dict) -> ScenarioError:
    loc, kind, got = list(error["loc"]), error["type"], show(error.get("input"))
    event_kind = _event_kind(loc)
    problem = error["msg"]
    # a key of a mapping (a name): pydantic puts '[key]' after it
    name_key = (kind in ("literal_error", "string_type") and len(loc) >= 2
                and loc[-1] == "[key]")
    # a key that is not text
    key_error = kind == "invalid_key" or (name_key and not isinstance(error.get("input"), str))
    if key_error and (parts := loc if kind == "invalid_key" else loc[:-1]):
        field = f"{_loc(parts[:-1])}.{parts[-1]}".lstrip(".")
        return ScenarioError(str(file), field, f"field names must be text, got {show(parts[-1])}")
    if name_key:
        loc = loc[:-1]
    if kind == "extra_forbidden" and event_kind and loc[-1] in _EVENT_ATTRIBUTES:
        needs, optional = EVENT_FIELDS[event_kind]
        problem = (f"a {event_kind} event does not read '{loc[-1]}' "
                   f"(it reads: {', '.join((*needs, *optional))})")
    elif kind == "extra_forbidden":
        options = _fields_at(loc[:-1], event_kind)
        problem = f"unknown field {show(loc[-1])}{suggest(loc[-1], options)}"
        if options:
            problem += f"; expected one of: {', '.join(options)}"
    elif kind == "missing" and event_kind and loc[-1] in EVENT_FIELDS[event_kind][0]:
        problem = f"missing (required for a {event_kind} event)"
    elif kind in ("missing", "union_tag_not_found"):
        problem = "missing (required)"
        if kind == "union_tag_not_found":
            loc.append("kind")
    elif kind in ("literal_error", "union_tag_invalid"):
        options = _literal_options(error)
        word = error.get("input") if kind == "literal_error" else error["ctx"]["tag"]
        noun = _NOUNS.get(frozenset(options))
        if kind == "union_tag_invalid":
            loc.append("kind")
            got = show(word)
        if noun:
            problem = unknown_text(word, options, noun)
        else:
            problem = (f"unknown value {got}{suggest(word, options)}; expected "
                       f"one of: {', '.join(options)}")
    elif kind == "value_error":
        found = error.get("ctx", {}).get("error")
        if isinstance(found, _Problem):
            field = found.where if found.absolute else _loc(loc) + found.where
            return ScenarioError(str(file), field.lstrip("."), found.problem)
        problem = problem.removeprefix("Value error, ")
    elif kind == "finite_number":
        problem = f"must be a finite number (not NaN or infinity), got {got}"
    elif kind in _TYPE_WORDS:
        problem = f"{_TYPE_WORDS[kind]}, got {got}"
    elif kind == "string_too_short":
        problem = (f"too short, got {got} (at least "
                   f"{error.get('ctx', {}).get('min_length', 1)} characters)")
    elif kind == "string_pattern_mismatch" and str(error.get("input")).startswith("."):
        problem = f"{got} cannot name an output folder; start it with a letter or digit"
    elif kind == "string_pattern_mismatch":
        problem = (f"{got} is not a valid name: use 1 to 80 letters, digits, '_', '.' "
                   "or '-'")
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        problem = f"must be {problem.removeprefix('Input should be ')}, got {got}"
    else:
        problem = f"{problem}, got {got}"
    return ScenarioError(str(file), _loc(loc), problem)


def _fields_at(loc, event_kind: str | None = None) -> list[str]:
    """The field names allowed at ``loc`` (a path into the file), for suggestions."""
    nested: dict[Any, dict[str, tuple[bool, Any]]] = {
        ScenarioFile: {"period": (False, Period), "actors": (True, ActorSpec),
                       "events": (True, EVENT_TYPES.get(event_kind or "", _Event)),
                       "pins": (True, Pin), "uncertain": (True, UncertainSpec)},
    }
    model: type[BaseModel] = ScenarioFile
    parts = list(loc)
    while parts:
        step = nested.get(model, {}).get(parts.pop(0))
        if step is None:
            return []
        keyed, model = step
        if keyed:  # an actor name or a list index comes next
            if not parts:
                return []
            parts.pop(0)
    return [f.alias or name for name, f in model.model_fields.items()]


def _merge(parent: dict, child: dict, top: bool = True) -> dict:
    """The child's fields over the parent's; at the top level, events and pins add up."""
    out = copy.deepcopy(parent)
    for key, value in child.items():
        if top and key in ("extends", "drop_events", "drop_pins"):
            continue
        if top and key == "events":
            out["events"] = list(out.get("events") or []) + list(value or [])
        elif top and key == "pins":
            out["pins"] = list(out.get("pins") or []) + list(value or [])
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, top=False)
        else:
            out[key] = copy.deepcopy(value)
    if not top:
        return out
    drops = child.get("drop_events") or []
    if drops:
        out["events"] = [e for e in out.get("events") or [] if e.get("label") not in drops]
    freed = child.get("drop_pins") or []
    if freed:
        n_parent = len(parent.get("pins") or [])
        out["pins"] = [p for i, p in enumerate(out.get("pins") or [])
                       if i >= n_parent or f"{p.get('actor')}.{p.get('instrument')}" not in freed]
    return out


def _fit_inherited(merged: dict, parent: dict, file: str) -> dict:
    """Keep the inherited events and pins that fall inside the child's period.

    A child that narrows the period (``deep_engagement_2009_2012`` extends the whole
    replay) inherits only the history of its own years; inherited pins are cut to it.
    The child's own events are still checked against the period.
    """
    period = merged.get("period")
    if not isinstance(period, dict):
        return merged
    try:
        start, end = parse_month(period.get("start")), parse_month(period.get("end"))
    except (ValueError, TypeError):
        return merged  # reported by validation with the right field
    n_events = len(parent.get("events") or [])
    events = merged.get("events") or []
    kept = []
    for i, event in enumerate(events):
        if i < n_events:
            try:
                month = parse_month(event.get("date"))
            except (ValueError, TypeError, AttributeError):
                month = start
            if not start <= month <= end:
                continue
        kept.append(event)
    if events:
        merged["events"] = kept
    n_pins = len(parent.get("pins") or [])
    pins = []
    for i, pin in enumerate(merged.get("pins") or []):
        if i < n_pins and isinstance(pin, dict):
            try:
                a, b = parse_month(pin.get("from")), parse_month(pin.get("to"))
            except (ValueError, TypeError):
                pins.append(pin)
                continue
            if b < start or a > end:
                continue
            pin = {**pin, "from": month_str(max(a, start)), "to": month_str(min(b, end))}
        pins.append(pin)
    if merged.get("pins"):
        merged["pins"] = pins
    return merged


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a name too long, or with a NUL byte
        return False


def _resolve_raw(path: Path, chain: tuple[Path, ...], name: str | None = None,
                 raw: dict | None = None) -> tuple[dict, list[str]]:
    """One file with everything it extends, merged; ``name`` is how errors call it.

    ``raw``, if given, is the file's content already read (the file need not exist;
    ``extends:`` is looked up beside ``path``).
    """
    name = str(path) if name is None else name
    if raw is None:
        if not _exists(path):
            raise ScenarioError(name, "", "file not found")
        path = path.resolve()
        if path in chain:
            cycle = " -> ".join(p.name for p in (*chain, path))
            raise ScenarioError(name, "extends", f"cyclic extends: {cycle}")
        raw = _read_yaml(path, name)
    else:
        path = path.absolute()
    spec = _structure(name, raw)
    files = [str(path)]
    if spec.extends:
        parent_path = path.parent / spec.extends
        if not _exists(parent_path) or not spec.extends.strip():
            raise ScenarioError(name, "extends", f"file {show(spec.extends)} not found "
                                                 f"(looked in {path.parent})")
        parent_name = str(Path(name).parent / spec.extends)
        if parent_path.resolve() in (*chain, path):
            cycle = " -> ".join(p.name for p in (*chain, path, parent_path.resolve()))
            raise ScenarioError(name, "extends", f"cyclic extends: {cycle}")
        parent, parent_files = _resolve_raw(parent_path, (*chain, path), parent_name)
        labels = {e.get("label") for e in parent.get("events") or []}
        for i, label in enumerate(spec.drop_events or []):
            if label not in labels:
                raise ScenarioError(name, f"drop_events[{i}]",
                                    f"no inherited event is labelled {show(label)}"
                                    f"{suggest(label, labels)}")
        pin_keys = {f"{p.get('actor')}.{p.get('instrument')}" for p in parent.get("pins") or []}
        for i, key in enumerate(spec.drop_pins or []):
            if key not in pin_keys:
                raise ScenarioError(name, f"drop_pins[{i}]",
                                    f"no inherited pin on {show(key)}{suggest(key, pin_keys)}")
        if spec.drop_pins:
            parent = {**parent, "pins": [p for p in parent.get("pins") or []
                                         if f"{p.get('actor')}.{p.get('instrument')}"
                                         not in spec.drop_pins]}
            raw = {k: v for k, v in raw.items() if k != "drop_pins"}
        raw = _fit_inherited(_merge(parent, raw), parent, name)
        files = parent_files + files
    elif spec.drop_events or spec.drop_pins:
        field = "drop_events" if spec.drop_events else "drop_pins"
        raise ScenarioError(name, field, "only a scenario that extends another can drop "
                                         "inherited events or pins")
    else:
        raw = {k: v for k, v in raw.items() if k not in ("drop_events", "drop_pins")}
    raw.pop("extends", None)
    return raw, files


def _as_typed(text: str) -> str:
    """Command-line text as it was typed, or quoted when it would not read as one line."""
    return text if text.isprintable() and len(text) <= 100 else show(text)


#: fields whose value is a list of names: besides a YAML list ``[a, b]``, the comma
#: form ``a,b`` reads as one
NAME_LISTS = ("priorities", "priorities_after_completion", "drop_events", "drop_pins")


class _CommaList(list):
    """Names typed as ``a,b,c``: the pieces as typed (an event label may itself hold a
    comma, so ``drop_events`` joins pieces back where together they name an event)."""

    joiner = ","


class _FlowList(list):
    """Names typed as a YAML list ``[a, b]`` (YAML splits a label at its comma too)."""

    joiner = ", "


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _names(value_text: str, value) -> list:
    """The value of a list-of-names field: '[a, b]' (read as YAML) or 'a,b' -> the names."""
    text = value_text.strip()
    if text.startswith("[") and isinstance(value, list):
        return _FlowList(value)
    if not text:
        return []
    return _CommaList(_unquote(p) if p.strip()[:1] in ("'", '"') else p
                      for p in text.split(","))


def parse_override(text: str) -> tuple[list[str], Any]:
    """'beijing.priorities=no_nukes,no_war' -> (['actors','beijing','priorities'], [...]).

    The one reader of every override: ``--set``, ``compare --set N:``, the notebook
    API's keywords and the app's controls all arrive here as "PATH=VALUE" text.
    """
    if "=" not in text:
        raise ScenarioError("--set", _as_typed(text), "expected PATH=VALUE, e.g. "
                                                      "beijing.thresholds.no_war=0.7")
    key, _, value_text = text.partition("=")
    parts = [p.strip() for p in key.strip().split(".")]
    if not key.strip() or any(not p for p in parts):
        raise ScenarioError("--set", _as_typed(text), "empty path; expected PATH=VALUE")
    if parts[0] in ACTORS:
        parts = ["actors", *parts]
    top = set(ScenarioFile.model_fields) - {"extends"}
    if parts[0] == "extends":
        raise ScenarioError("--set", _as_typed(key), "a scenario's extends: cannot be changed "
                                                     "from the command line; write a scenario "
                                                     "file that extends the one you want")
    if parts[0] not in top:
        raise ScenarioError("--set", _as_typed(key),
                            f"unknown path{suggest(parts[0], top | set(ACTORS))}; start with "
                            f"an actor ({', '.join(ACTORS)}) or one of: {', '.join(sorted(top))}")
    if parts[0] == "actors" and len(parts) > 1 and parts[1] not in ACTORS:
        raise unknown("--set", _as_typed(key), parts[1], ACTORS, "actor")
    try:
        value = yaml.load(value_text, Loader=_Loader) if value_text.strip() else ""  # noqa: S506
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError):
        value = value_text
    if (isinstance(value, float) and not math.isfinite(value)) or (
            isinstance(value, str) and value.strip().lower().lstrip("+-")
            in ("nan", "inf", "infinity")):
        raise ScenarioError("--set", ".".join(parts), f"must be a finite number (not NaN or "
                                                     f"infinity), got {value_text.strip()}")
    if parts[-1] in NAME_LISTS:
        value = _names(value_text, value)
        if parts[-1] != "drop_events":  # names without commas: the pieces are the names
            value = [v.strip() if isinstance(v, str) else v for v in value
                     if not isinstance(v, str) or v.strip()]
    if parts[0] in ("drop_events", "drop_pins") and len(parts) > 1:
        raise ScenarioError("--set", _as_typed(key), f"{parts[0]} is a list of names; "
                                                     f"give {parts[0]}=NAME,NAME")
    return parts, value


def _match_labels(items: list, labels: list[str], text: str) -> list[str]:
    """The event labels ``items`` name; pieces that only together name a label (it holds
    a comma) are joined back. An item naming no event is an error with a suggestion."""
    joiner = getattr(items, "joiner", ", ")
    pieces = [str(i) for i in items]
    known = {label.strip(): label for label in labels if isinstance(label, str)}
    out, i = [], 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):  # the longest run of pieces naming a label
            name = joiner.join(pieces[i:j]).strip()
            if name in known:
                out.append(known[name])
                i = j
                break
        else:
            word = pieces[i].strip()
            raise ScenarioError("--set", _as_typed(text),
                                f"no event is labelled {show(word)}"
                                f"{suggest(word, list(known), n=2)}; an event's name is "
                                "its label: in the scenario's events:")
    return out


def _drop(out: dict, parts: list[str], value, text: str) -> None:
    """``drop_events`` / ``drop_pins`` given on the command line: take them out now
    (a file's own are applied when it extends another, before any override)."""
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise ScenarioError("--set", _as_typed(text), f"expected a list of names, e.g. "
                                                      f"{parts[0]}=NAME,NAME")
    if parts[0] == "drop_events":
        events = [e for e in out.get("events") or [] if isinstance(e, dict)]
        gone = set(_match_labels(value, [e.get("label") for e in events], text))
        out["events"] = [e for e in out.get("events") or []
                         if not (isinstance(e, dict) and e.get("label") in gone)]
        return
    pins = [p for p in out.get("pins") or [] if isinstance(p, dict)]
    keys = {f"{p.get('actor')}.{p.get('instrument')}" for p in pins}
    for name in (str(v).strip() for v in value):
        if name not in keys:
            raise ScenarioError("--set", _as_typed(text),
                                f"no pin on {show(name)}{suggest(name, keys)}; the pins "
                                f"are on: {', '.join(sorted(keys)) or 'nothing'}")
    gone = {str(v).strip() for v in value}
    out["pins"] = [p for p in out.get("pins") or []
                   if not (isinstance(p, dict)
                           and f"{p.get('actor')}.{p.get('instrument')}" in gone)]


def apply_overrides(raw: dict, overrides) -> dict:
    """``raw`` (a scenario merged with what it extends) with "PATH=VALUE" overrides.

    Every override either changes what the model reads or is refused: paths are
    checked here and values by the validation that follows, with the messages a file
    gets. ``drop_events`` / ``drop_pins`` take the events or pins out (each name must
    match one); priority lists are completed later (``complete_priorities``).
    """
    out = copy.deepcopy(raw)
    for text in overrides or ():
        parts, value = parse_override(text)
        if parts[0] in ("drop_events", "drop_pins"):
            _drop(out, parts, value, text)
            continue
        node = out
        for part in parts[:-1]:
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            if not isinstance(nxt, dict):
                raise ScenarioError("--set", _as_typed(text),
                                    f"{show(part)} is not a group of fields")
            node = nxt
        node[parts[-1]] = list(value) if isinstance(value, list) else value
    return out


def _value_text(value) -> str:
    """A Python value as the text after '=' in ``--set`` (read back as YAML)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"override values must be finite numbers, got {value!r}")
    if isinstance(value, (list, tuple)):
        value = list(value)
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9)
    return text.removesuffix("\n...\n").strip()


def _plain(value):
    """Mappings and sequences as dicts and lists (what ``yaml.safe_dump`` writes)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"override values must be finite numbers, got {value!r}")
    return value


def _flatten(prefix: str, value, out: list[str]) -> None:
    """Nested dicts become dotted paths, one override per leaf (so that
    ``{"initial_state": {"tension": 0.5}}`` changes one value, not the whole group)."""
    if isinstance(value, Mapping) and prefix and any("." in str(k) for k in value):
        # keys that are paths themselves (``uncertain: {parameters.inertia: ...}``):
        # the mapping is one value
        out.append(f"{prefix}={_value_text(_plain(value))}")
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    else:
        out.append(f"{prefix}={_value_text(value)}")


def overrides_from(set=None, **keywords) -> list[str]:  # noqa: A002 - mirrors --set
    """Turn Python overrides into ``--set`` strings.

    Args:
        set: a dict ``{"beijing.thresholds.no_war": 0.9}`` (nested dicts are joined
            with dots) or a list of "PATH=VALUE" strings.
        **keywords: ``beijing__priorities=["no_nukes", "no_war"]``: double underscores
            become dots.

    Returns:
        "PATH=VALUE" strings, ``set`` first, then the keywords in order.

    Example:
        >>> overrides_from({"parameters.inertia": 2}, beijing__priorities=["no_nukes", "no_war"])
        ['parameters.inertia=2', 'beijing.priorities=[no_nukes, no_war]']
    """
    out: list[str] = []
    if set is None:
        pass
    elif isinstance(set, str):
        out.append(set)
    elif isinstance(set, Mapping):
        for path, value in set.items():
            _flatten(str(path), value, out)
    else:
        out.extend(str(s) for s in set)
    for key, value in keywords.items():
        _flatten(key.replace("__", "."), value, out)
    return out


def _path_parts(field: str) -> list[str]:
    """'events[3].set.provocation' -> ['events', '3', 'set', 'provocation']."""
    return [p for p in field.replace("[", ".").replace("]", "").split(".") if p]


def _blame(err: ScenarioError, overrides) -> ScenarioError:
    """An error caused by a ``--set`` override names ``--set``, not the scenario file."""
    field = _path_parts(err.field)
    for text in overrides:
        path = parse_override(text)[0]
        n = min(len(field), len(path))
        if field and field[:n] == path[:n]:
            return ScenarioError("--set", err.field, err.problem)
        if field[:1] == path[:1] == ["period"]:  # end before start, period too long
            return ScenarioError("--set", err.field, err.problem)
    for text in overrides:
        if parse_override(text)[0][:1] == ["period"] and "outside the period" in err.problem:
            return ScenarioError(err.file, err.field, f"{err.problem} (period changed by "
                                                      f"--set {text})")
    return err


def load_scenario(path, overrides=()) -> Scenario:
    """Read, merge, override and validate a scenario file.

    Args:
        path: the YAML file.
        overrides: "PATH=VALUE" strings (``--set``), applied after ``extends:``.

    Raises:
        ScenarioError: on any problem, naming the file (or ``--set`` when an override
            caused it), the field and the problem.
    """
    path = Path(path)
    try:
        raw, files = _resolve_raw(path, ())
        return _from_raw(raw, str(path), files, overrides)
    except ScenarioError as err:
        raise _one_line(err) from None


def _printable(text: str) -> str:
    """Control characters (a newline in a field name) escaped: the message stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def _one_line(err: ScenarioError) -> ScenarioError:
    return ScenarioError(_printable(err.file), _printable(err.field), _printable(err.problem))


def _load_mapping(raw: dict, path, overrides=()) -> Scenario:
    """``load_scenario`` for content already read: ``raw`` as if it were the file ``path``.

    For tests (the fuzz test validates thousands of documents without writing files)
    and for callers that build scenarios in memory.
    """
    path = Path(path)
    try:
        raw, files = _resolve_raw(path, (), raw=copy.deepcopy(raw))
        return _from_raw(raw, str(path), files, overrides)
    except ScenarioError as err:
        raise _one_line(err) from None


def _from_raw(raw: dict, file: str, files=(), overrides=()) -> Scenario:
    """Validate an in-memory scenario mapping (already merged with what it extends)."""
    overrides = list(overrides or ())
    if overrides:
        raw = apply_overrides(raw, overrides)
    try:
        if overrides:  # the file alone passed; a new problem of shape comes from --set
            try:
                _structure(file, raw)
            except ScenarioError as err:
                blamed = _blame(err, overrides)
                raise ScenarioError("--set", blamed.field, blamed.problem) from None
        return _resolve(file, raw, list(files or [file]))
    except ScenarioError as err:
        raise _blame(err, overrides) from None



def _resolve(file: str, raw: dict, files: list[str]) -> Scenario:
    """The merged, overridden mapping -> the ``Scenario`` (or ScenarioError)."""
    for key in ("name", "period"):
        if raw.get(key) is None:
            raise ScenarioError(file, key, "missing (required)")
    spec = _structure(file, raw)
    # the content as written (orders completed: two ways of writing one order are one
    # scenario, with one content hash)
    resolved = spec.model_dump(mode="json", exclude_none=True, by_alias=True)
    fields = {name: getattr(spec, name) for name in Scenario.model_fields
              if name in ScenarioFile.model_fields and name != "uncertain"
              and getattr(spec, name) is not None}
    scenario = _validated(file, Scenario, {**fields, "path": file, "files": tuple(files),
                                           "resolved": resolved})
    uncertain = check_uncertain(file, {k: v.model_dump(exclude_none=True)
                                       for k, v in (spec.uncertain or {}).items()})
    check_event_paths(file, uncertain, scenario.events)
    return scenario.model_copy(update={"uncertain": uncertain}) if uncertain else scenario
