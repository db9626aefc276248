"""The scenario is its pydantic schema: one frozen model, names and ranges from the
tables that define them, events typed by their kind.

The messages users see for bad files are specified in ``test_bad_scenarios.py``;
these tests specify the model a program receives from ``load_scenario``.
"""

from __future__ import annotations

import typing
from pathlib import Path

import pydantic
import pytest

from buffer_sim.agents import ACTORS
from buffer_sim.core.errors import ScenarioError
from buffer_sim.core.params import PARAMETER_RANGES
from buffer_sim.core.priorities import PRIORITIES
from buffer_sim.scenario.schema import (EVENT_FIELDS, EVENT_TYPES, ActorSpec, ActorName, Period, Pin,
                                 PriorityName, Scenario, _load_mapping, load_scenario)

ROOT = Path(__file__).resolve().parents[1]
REPLAY = ROOT / "scenarios" / "replay_2009_2019.yaml"
BASE = {"name": "t", "period": {"start": "2016-01", "end": "2016-12"}}


def load(**fields) -> Scenario:
    return _load_mapping({**BASE, **fields}, "t.yaml")


def problem(**fields) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load(**fields)
    return caught.value


def test_load_scenario_returns_the_schema_model_itself():
    scenario = load_scenario(REPLAY)
    assert isinstance(scenario, pydantic.BaseModel) and isinstance(scenario, Scenario)
    assert isinstance(scenario.period, Period)
    assert all(isinstance(spec, ActorSpec) for spec in scenario.actors.values())
    assert all(isinstance(pin, Pin) for pin in scenario.pins)
    assert {type(e) for e in scenario.events} <= set(EVENT_TYPES.values())


def test_the_scenario_and_its_parts_are_frozen():
    scenario = load_scenario(REPLAY)
    for obj, field in [(scenario, "seed"), (scenario.period, "end"),
                       (scenario.events[0], "label"), (scenario.pins[0], "value")]:
        with pytest.raises(pydantic.ValidationError, match="frozen"):
            setattr(obj, field, getattr(obj, field))


def test_a_changed_scenario_is_a_copy():
    scenario = load_scenario(REPLAY)
    other = scenario.with_seed(scenario.seed + 1)
    assert other.seed == scenario.seed + 1 and scenario.seed != other.seed
    assert other.content_hash != scenario.content_hash
    assert (other.start, other.end, other.events) == (scenario.start, scenario.end,
                                                       scenario.events)


def test_names_are_literal_types_built_from_the_tables():
    assert set(typing.get_args(ActorName)) == set(ACTORS)
    assert set(typing.get_args(PriorityName)) == set(PRIORITIES)


def test_each_kind_of_event_is_its_own_model_with_only_the_fields_it_reads():
    for kind, cls in EVENT_TYPES.items():
        needs, optional = EVENT_FIELDS[kind]
        assert set(cls.model_fields) == {"date", "kind", "label", "source", *needs, *optional}
    scenario = load_scenario(REPLAY)
    resolution = next(e for e in scenario.events if e.kind == "resolution")
    assert resolution.actor is None and resolution.set is None  # not its fields: None
    with pytest.raises(AttributeError):
        resolution.no_such_field  # noqa: B018 - a typo is still an AttributeError


def test_months_are_read_from_the_text_as_written():
    scenario = load(events=[{"date": "2016-03-15", "kind": "resolution", "label": "r",
                             "source": "abc", "sanctions_scope": 0.5}],
                    pins=[{"actor": "seoul", "instrument": "alignment", "value": 0.5,
                           "from": "2016-02", "to": "2016-04", "reason": "abc"}])
    assert scenario.start == 2016 * 12 and scenario.end == 2016 * 12 + 11
    assert scenario.months == 12
    assert scenario.events[0].month == 2016 * 12 + 2
    assert (scenario.pins[0].start, scenario.pins[0].end) == (2016 * 12 + 1, 2016 * 12 + 3)
    # the text is kept as written: it is what the content hash is of
    assert scenario.resolved["events"][0]["date"] == "2016-03-15"


@pytest.mark.parametrize("name", ["inertia", "tie_tolerance", "lookahead_months"])
def test_parameter_ranges_come_from_the_parameter_table(name):
    lo, hi = PARAMETER_RANGES[name]
    assert getattr(load(parameters={name: hi}).parameters, name) == hi
    err = problem(parameters={name: hi + 1})
    assert err.field == f"parameters.{name}"
    assert err.problem == f"{hi + 1:g} is out of range [{lo:g}, {hi:g}]"


def test_the_same_ranges_hold_inside_a_parameter_change_event():
    lo, hi = PARAMETER_RANGES["inertia"]
    err = problem(events=[{"date": "2016-03", "kind": "parameter_change", "label": "p",
                           "source": "abc", "parameters": {"inertia": hi * 2}}])
    assert (err.field, err.problem) == ("events[0].parameters.inertia",
                                        f"{hi * 2:g} is out of range [{lo:g}, {hi:g}]")


@pytest.mark.parametrize("event, field, says", [
    ({"date": "2016-03", "label": "x", "source": "abc"}, "events[0].kind", "missing"),
    ({"date": "2016-03", "kind": "prices", "label": "x", "source": "abc", "prices": {}},
     "events[0].prices", "names no price"),
    ({"date": "2016-03", "kind": "prices", "label": "x", "source": "abc",
      "prices": {"gold": 3}}, "events[0].prices.gold", "unknown world price 'gold'"),
    ({"date": "2016-03", "kind": "resolution", "label": "x", "source": "abc",
      "sanctions_scope": 0.5, "set": {"aid": 1}}, "events[0].set",
     "a resolution event does not read 'set'"),
    ({"date": "2016-03", "kind": "administration", "actor": "beijing", "label": "x",
      "source": "abc"}, "events[0]", "changes at least one of"),
])
def test_an_event_is_checked_by_the_model_of_its_kind(event, field, says):
    err = problem(events=[event])
    assert err.field == field and says in err.problem, str(err)


def test_validators_check_the_period_and_the_pins():
    assert problem(period={"start": "2016-05", "end": "2016-01"}).field == "period.end"
    pin = {"actor": "seoul", "instrument": "alignment", "value": 0.5, "reason": "abc"}
    err = problem(pins=[{**pin, "from": "2016-05", "to": "2016-02"}])
    assert (err.field, err.problem) == ("pins[0].to", "2016-02 is before from 2016-05")
    err = problem(pins=[{**pin, "from": "2016-01", "to": "2016-06"},
                        {**pin, "from": "2016-06", "to": "2016-08"}])
    assert err.field == "pins[1]" and "overlaps pins[0]" in err.problem
