"""Nothing silently ignored: every override takes effect in the model, or is refused.

Overrides come by three roads - ``--set PATH=VALUE`` (``run`` and the other
commands), ``compare --set N:PATH=VALUE`` and the notebook API's keywords - and the
app's controls take the first. All end in ``scenario.apply_overrides``. Each documented
path (every parameter of ``buffer-sim params``, every field of the scenario schema)
is set to a valid value by every road, and the value is read back from the *built*
Mesa model (its params, actors, state and spec), never from the manifest.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from buffer_sim import api
from buffer_sim.experiments import compare
from buffer_sim.agents import ACTORS
from buffer_sim.core.decision import RULES
from buffer_sim.core.errors import ScenarioError
from buffer_sim.model import BufferModel
from buffer_sim.core.months import month_str
from buffer_sim.core.params import Parameters
from buffer_sim.scenario.schema import (ActorSpec, ScenarioFile, apply_overrides, complete_priorities,
                                 load_scenario)
from buffer_sim.core.world import INSTRUMENTS, STATE_VARIABLES
from conftest import DEFAULT_SCENARIO, PROJECT_ROOT

REPLAY = DEFAULT_SCENARIO
NO_SUMMITS = PROJECT_ROOT / "scenarios" / "whatif" / "no_summits_2018.yaml"
BASE = load_scenario(REPLAY)


# --- the documented paths, each with a valid value and where the model reads it -----------------

def _between(lo, hi, default):
    """A value inside [lo, hi] other than the default (whole if the default is)."""
    hi = lo + 10 if hi is None or not math.isfinite(hi) else hi
    value = lo + 0.37 * (hi - lo)
    if isinstance(default, int):
        value = math.ceil(value)
        if value == default:
            value = value + 1 if value + 1 <= hi else value - 1
        return value
    value = round(value, 4)
    return value if value != default else round(lo + 0.61 * (hi - lo), 4)


def documented_paths():
    """(path, value, read) for every path ``buffer-sim params`` and the schema document.

    ``read(model)`` is the value as the built model holds it.
    """
    out = []
    for row in Parameters.describe():
        name = row["name"]
        lo, hi = row["range"]
        out.append((f"parameters.{name}", _between(lo, hi, row["default"]),
                    lambda m, n=name: getattr(m.params, n)))
    for name, (_, lo, hi, _) in STATE_VARIABLES.items():
        value = _between(lo, hi, BASE.initial_state[name])
        out.append((f"initial_state.{name}", value, lambda m, n=name: getattr(m.state, n)))
    for actor, cls in ACTORS.items():
        for name, (lo, hi, _) in INSTRUMENTS[actor].items():
            levels = cls.discrete.get(name)
            value = levels[-1] if levels else _between(lo, hi, None)
            out.append((f"{actor}.instruments.{name}", value,
                        lambda m, a=actor, n=name: m.actors[a].instruments[n]))
        for p in cls.default_priorities:
            out.append((f"{actor}.thresholds.{p}", 0.123,
                        lambda m, a=actor, n=p: m.actors[a].thresholds[n]))
        order = [*cls.default_priorities[1:], cls.default_priorities[0]]
        out.append((f"{actor}.priorities", order, lambda m, a=actor: m.actors[a].priorities))
        for rule in RULES:
            if rule != (getattr(BASE.actors.get(actor), "rule", None) or "lexicographic"):
                out.append((f"{actor}.rule", rule, lambda m, a=actor: m.actors[a].rule))
    after = list(reversed(ACTORS["pyongyang"].default_priorities_after_completion))
    out.append(("pyongyang.priorities_after_completion", after,
                lambda m: m.actors["pyongyang"].priorities_after_completion))
    out.append(("pyongyang.declared_against", 0.5,
                lambda m: m.actors["pyongyang"].declared_against))
    out += [
        ("name", "renamed", lambda m: m.spec.name),
        ("description", "Said otherwise.", lambda m: m.spec.description),
        ("seed", 77, lambda m: m._seed),
        ("period.start", "2008-06", lambda m: month_str(m.month + 1)),
        ("period.end", "2020-06", lambda m: month_str(m.spec.end)),
        ("events", [{"date": "2012-04", "kind": "resolution", "sanctions_scope": 0.5,
                     "label": "only event", "source": "a test"}],
         lambda m: [(month_str(e.month), e.label, e.sanctions_scope) for e in m.spec.events]),
        ("pins", [{"actor": "beijing", "instrument": "aid", "value": 0.5, "from": "2010-01",
                   "to": "2010-12", "reason": "a test"}],
         lambda m: [(p.actor, p.instrument, p.value, month_str(p.start), month_str(p.end))
                    for p in m.spec.pins]),
        ("drop_events", ["6th nuclear test"], lambda m: [e.label for e in m.spec.events]),
        ("drop_pins", ["seoul.alignment"],
         lambda m: [f"{p.actor}.{p.instrument}" for p in m.spec.pins]),
        ("uncertain", {"parameters.inertia": {"dist": "uniform", "low": 0.5, "high": 2.0}},
         lambda m: m.spec.uncertain),
    ]
    return out


PATHS = documented_paths()


def expected(path: str, value):
    """What the model should hold after ``path`` is set to ``value``."""
    if path.endswith(".rule"):
        return RULES[value]
    if path.endswith("priorities_after_completion"):
        return complete_priorities("pyongyang", value, after_completion=True)
    if path.endswith(".priorities"):
        return complete_priorities(path.split(".")[0], value)
    if path == "events":
        return [(value[0]["date"], value[0]["label"], value[0]["sanctions_scope"])]
    if path == "pins":
        p = value[0]
        return [(p["actor"], p["instrument"], p["value"], p["from"], p["to"])]
    if path == "drop_events":
        return [e.label for e in BASE.events if e.label not in value]
    if path == "drop_pins":
        return [f"{p.actor}.{p.instrument}" for p in BASE.pins
                if f"{p.actor}.{p.instrument}" not in value]
    if path == "uncertain":
        return {"parameters.inertia": {"dist": "uniform", "low": 0.5, "high": 2.0}}
    return value


def _text(path, value) -> str:
    """The override as a user types it after ``--set``."""
    return api.overrides_from({path: value})[0] if not isinstance(value, str) else \
        f"{path}={value}"


def _read(model, read, path):
    got = read(model)
    if path.endswith(".rule"):
        return type(got)
    if path == "uncertain":
        return {k: {kk: vv for kk, vv in v.items() if vv is not None} for k, v in got.items()}
    return list(got) if isinstance(got, tuple) else got


def built(scenario) -> BufferModel:
    return BufferModel(scenario, compiled=False)


def by_set(path, value):
    return built(load_scenario(REPLAY, [_text(path, value)]))


def by_compare(path, value):
    """``compare replay replay --set 2:PATH=VALUE``: the second scenario."""
    per = compare.assign_sets([str(REPLAY), str(REPLAY)], [BASE.name, BASE.name],
                              [f"2:{_text(path, value)}"])
    assert per[0] == []
    return built(load_scenario(REPLAY, per[1]))


def by_keyword(path, value):
    """``buffer_sim.run(..., beijing__thresholds__no_war=0.7)``: the keywords as
    ``api.run`` turns them into overrides."""
    texts = api.overrides_from(**{path.replace(".", "__"): value})
    return built(load_scenario(REPLAY, texts))


ROADS = {"set": by_set, "compare": by_compare, "keyword": by_keyword}


@pytest.mark.parametrize("road", ROADS)
@pytest.mark.slow
def test_every_documented_path_takes_effect_in_the_built_model(road):
    build = ROADS[road]
    wrong = []
    for path, value, read in PATHS:
        model = build(path, value)
        got, want = _read(model, read, path), expected(path, value)
        if got != want:
            wrong.append(f"{path}={value!r}: the model holds {got!r}, expected {want!r}")
    assert not wrong, "\n".join(wrong)


def test_the_walk_covers_every_documented_path():
    walked = {path for path, _, _ in PATHS}
    firsts = {p.split(".")[0] for p in walked}
    assert firsts - set(ACTORS) == set(ScenarioFile.model_fields) - {"actors", "extends"}
    for actor in ACTORS:
        fields = {p.split(".")[1] for p in walked if p.split(".")[0] == actor}
        own = set(ActorSpec.model_fields) - ({"priorities_after_completion",
                                               "declared_against"}
                                              if actor != "pyongyang" else set())
        assert fields == own, actor
        assert {p.split(".")[2] for p in walked if p.startswith(f"{actor}.instruments.")} \
            == set(INSTRUMENTS[actor])
    assert {p.split(".")[1] for p in walked if p.startswith("parameters.")} == \
        {r["name"] for r in Parameters.describe()}
    assert {p.split(".")[1] for p in walked if p.startswith("initial_state.")} == \
        set(STATE_VARIABLES)


def test_the_walk_sets_values_the_model_did_not_already_hold():
    same = [path for path, value, read in PATHS
            if _read(built(BASE), read, path) == expected(path, value)]
    assert not same


# --- refused, with the messages a file gets --------------------------------------------------------

@pytest.mark.parametrize("override,says", [
    ("drop_events=Nonexistent event", "no event is labelled 'Nonexistent event'"),
    ("drop_events=[6th nuclear tset]", "(did you mean '6th nuclear test'"),
    ("drop_events=6th nuclear test,IRBM over Jpan", "(did you mean 'IRBM over Japan'"),
    ("drop_pins=seoul.alignmnt", "(did you mean 'seoul.alignment'?)"),
    ("beijng.priorities=no_war", "(did you mean 'beijing'?)"),
    ("actors.beijng.thresholds.no_war=0.5", "unknown actor 'beijng' (did you mean 'beijing'?)"),
    ("beijing.priorities=no_war,no_nuke", "unknown priority 'no_nuke' (did you mean 'no_nukes'?)"),
    ("beijing.thresholds.no_warr=0.5", "(did you mean 'no_war'?)"),
    ("parameters.inertai=2", "unknown parameter 'inertai' (did you mean 'inertia'"),
    ("initial_state.tensoin=0.5", "(did you mean 'tension'?)"),
    ("beijing.instruments.enforcment=0.5", "(did you mean 'enforcement'?)"),
    ("beijing.rule=lexicografic", "(did you mean 'lexicographic'?)"),
    ("sed=3", "(did you mean 'seed'?)"),
    ("extends=other.yaml", "cannot be changed from the command line"),
])
def test_a_bad_override_is_refused_with_did_you_mean(override, says):
    with pytest.raises(ScenarioError) as err:
        load_scenario(REPLAY, [override])
    assert err.value.file == "--set"
    assert says in err.value.problem, str(err.value)


@pytest.mark.parametrize("override", ["parameters.inertia=nan", "parameters.inertia=.nan",
                                      "parameters.inertia=inf", "initial_state.tension=-.inf",
                                      "beijing.thresholds.no_war=Infinity"])
def test_a_non_finite_number_is_refused(override):
    with pytest.raises(ScenarioError, match="finite number"):
        load_scenario(REPLAY, [override])


def test_a_threshold_that_nothing_reads_is_refused():
    """Beijing never ranks Pyongyang's 'security': its threshold would never be read."""
    with pytest.raises(ScenarioError, match="beijing never ranks 'security'.*nothing would read"):
        load_scenario(REPLAY, ["beijing.thresholds.security=0.5"])
    # ranked by an administration event later on: read then, so accepted
    sc = load_scenario(REPLAY, ["seoul.thresholds.inter_korean=0.1"])
    assert sc.actors["seoul"].thresholds["inter_korean"] == 0.1


def test_a_threshold_becomes_read_when_the_priority_is_ranked():
    sc = load_scenario(REPLAY, ["beijing.priorities=security,no_war",
                                "beijing.thresholds.security=0.5"])
    model = built(sc)
    assert model.actors["beijing"].priorities[0] == "security"
    assert model.actors["beijing"].thresholds["security"] == 0.5


def test_an_event_field_its_kind_does_not_read_is_refused(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nperiod: {start: 2010-01, end: 2010-12}\nevents:\n"
                    "  - {date: 2010-03, kind: resolution, sanctions_scope: 0.3, actor: beijing,"
                    " label: a resolution, source: a test}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.field == "events[0].actor"
    assert "a resolution event does not read 'actor'" in err.value.problem


# --- lists: the comma form and the bracket form ----------------------------------------------------

@pytest.mark.parametrize("text", [
    "drop_events=6th nuclear test,IRBM over Japan",
    "drop_events=[6th nuclear test, IRBM over Japan]",
    "drop_events=6th nuclear test, 'IRBM over Japan'",
])
def test_drop_events_reads_the_comma_and_the_bracket_forms(text):
    labels = [e.label for e in built(load_scenario(REPLAY, [text])).spec.events]
    assert "6th nuclear test" not in labels and "IRBM over Japan" not in labels
    assert len(labels) == len(BASE.events) - 2


def test_a_label_that_holds_a_comma_is_one_name():
    label = next(e.label for e in BASE.events if "," in e.label)
    for text in (f"drop_events={label},6th nuclear test", f"drop_events=[{label}]",
                 *api.overrides_from(drop_events=[label])):
        labels = [e.label for e in load_scenario(REPLAY, [text]).events]
        assert label not in labels, text


def test_priorities_read_the_comma_and_the_bracket_forms():
    a = load_scenario(REPLAY, ["beijing.priorities=no_nukes,no_war"])
    b = load_scenario(REPLAY, ["beijing.priorities=[no_nukes, no_war]"])
    assert a.actors["beijing"].priorities == b.actors["beijing"].priorities
    assert a.content_hash == b.content_hash


def test_the_reported_bug_compare_set_2_drop_events_removes_the_test():
    """``compare replay replay --set "2:drop_events=[6th nuclear test]"``: the test no
    longer happens in the second run."""
    per = compare.assign_sets(["replay_2009_2019"] * 2, [BASE.name] * 2,
                              ["2:drop_events=[6th nuclear test]"])
    result = compare.run_comparison([(REPLAY, per[0]), (REPLAY, per[1])])
    first, second = result.results.values()
    assert "6th nuclear test" in [label for _, label, _ in first.events]
    assert "6th nuclear test" not in [label for _, label, _ in second.events]
    month = next(e.month for e in BASE.events if e.label == "6th nuclear test")
    forced = {(m, d.actor): d.deciding for m, d in first.model.decisions}
    assert forced[(month, "pyongyang")] == "forced"
    forced = {(m, d.actor): d.deciding for m, d in second.model.decisions}
    assert forced[(month, "pyongyang")] != "forced"


def test_the_cli_refuses_an_unknown_event_name_in_compare(cli, tmp_path):
    result = cli("compare", "replay_2009_2019", "replay_2009_2019", "--out", tmp_path / "out",
                 "--set", "2:drop_events=Nonexistent event")
    assert result.code == 2
    assert "no event is labelled 'Nonexistent event'" in result.err
    assert not (tmp_path / "out").exists()


# --- a shorter priority list is completed ----------------------------------------------------------

def test_a_shorter_priority_list_keeps_the_other_priorities_in_their_default_order():
    model = built(load_scenario(REPLAY, ["beijing.priorities=no_nukes,no_war,no_instability"]))
    default = list(ACTORS["beijing"].default_priorities)
    got = model.actors["beijing"].priorities
    assert got[:3] == ["no_nukes", "no_war", "no_instability"]
    assert got[3:] == [p for p in default if p not in got[:3]]
    assert sorted(got) == sorted(default)


def test_a_full_length_order_is_taken_as_written():
    """Moon Jae-in's Seoul ranks inter_korean instead of alliance: three of three."""
    assert complete_priorities("seoul", ["no_war", "inter_korean", "china_ties"]) == \
        ["no_war", "inter_korean", "china_ties"]
    assert complete_priorities("seoul", ["inter_korean"]) == \
        ["inter_korean", "no_war", "alliance", "china_ties"]


def test_an_administration_event_s_shorter_list_is_completed_too():
    sc = load_scenario(REPLAY, ["events=[{date: 2012-01, kind: administration, actor: beijing, "
                                "priorities: [no_nukes], label: x, source: a test}]"])
    model = built(sc)
    model.run()
    assert model.actors["beijing"].priorities == complete_priorities("beijing", ["no_nukes"])


def test_the_rule_is_documented_in_help_and_readme(cli):
    from buffer_sim.cli import build_parser

    helptext = build_parser("run")._subparsers._group_actions[0].choices["run"].format_help()
    assert "default order" in " ".join(helptext.split())
    readme = " ".join((PROJECT_ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "remaining priorities" in readme


def test_apply_overrides_leaves_its_input_alone():
    raw = {"name": "x", "events": [{"label": "a"}], "parameters": {"inertia": 1.0}}
    out = apply_overrides(raw, ["drop_events=a", "parameters.inertia=2"])
    assert raw == {"name": "x", "events": [{"label": "a"}], "parameters": {"inertia": 1.0}}
    assert out["events"] == [] and out["parameters"]["inertia"] == 2


# --- forced actions: set a level or move it ---------------------------------------------------------

def _one_forced(tmp_path, event: str):
    path = tmp_path / "f.yaml"
    path.write_text("name: f\nperiod: {start: 2010-01, end: 2010-06}\nactors:\n"
                    "  washington: {instruments: {military: 0.3}}\n"
                    f"events:\n  - {{date: 2010-03, kind: forced_action, actor: washington, "
                    f"{event + ', ' if event else ''}label: forced, source: a test}}\n",
                    encoding="utf-8")
    return path


def _military_in_march(path):
    model = built(load_scenario(path))
    model.run()
    before = next(d.previous for m, d in model.decisions
                  if d.actor == "washington" and month_str(m) == "2010-03")
    chosen = next(d for m, d in model.decisions
                  if d.actor == "washington" and month_str(m) == "2010-03")
    return before["military"], chosen


def test_change_moves_from_the_month_before(tmp_path):
    before, decision = _military_in_march(_one_forced(tmp_path, "change: {military: -0.25}"))
    assert decision.deciding == "forced"
    assert decision.choice["military"] == pytest.approx(max(before - 0.25, 0.0))


def test_set_gives_the_level_whatever_came_before(tmp_path):
    _, decision = _military_in_march(_one_forced(tmp_path, "set: {military: 0.25}"))
    assert decision.choice["military"] == 0.25


def test_a_move_is_clipped_to_the_instrument_range(tmp_path):
    lo, hi, _ = INSTRUMENTS["washington"]["military"]
    _, decision = _military_in_march(_one_forced(tmp_path, f"change: {{military: {hi - lo}}}"))
    assert decision.choice["military"] == hi


@pytest.mark.parametrize("event,says", [
    ("set: {military: 0.2}, change: {military: 0.1}", "not both"),
    ("", "give one of them"),
    ("rule: weighted", "a forced_action event does not read 'rule'"),
    ("change: {militray: 0.1}", "did you mean 'military'"),
    ("change: {military: 5}", "out of range"),
])
def test_a_forced_action_either_sets_or_moves(tmp_path, event, says):
    with pytest.raises(ScenarioError, match=says):
        load_scenario(_one_forced(tmp_path, event))


def test_a_test_is_a_level_not_a_move(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("name: t\nperiod: {start: 2010-01, end: 2010-06}\nevents:\n"
                    "  - {date: 2010-03, kind: forced_action, actor: pyongyang, "
                    "change: {provocation: 1}, label: t, source: a test}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="takes levels .* use set:"):
        load_scenario(path)


def test_the_singapore_pledge_lowers_washington_s_signalling_and_goes_with_the_summit():
    pledge = next(e for e in BASE.events if e.label.startswith("Trump pledges to end"))
    assert pledge.set is None and pledge.change["military"] < 0
    model = built(BASE)
    model.run()
    decision = next(d for m, d in model.decisions
                    if m == pledge.month and d.actor == "washington")
    assert decision.deciding == "forced"
    assert decision.choice["military"] < decision.previous["military"]

    labels = [e.label for e in load_scenario(NO_SUMMITS).events]
    assert "Singapore summit" not in labels and pledge.label not in labels


def test_explain_reports_where_a_move_landed():
    from buffer_sim.experiments import runner
    from buffer_sim.output.explain import decision_table

    pledge = next(e for e in BASE.events if e.label.startswith("Trump pledges to end"))
    table = decision_table(runner.run(REPLAY))
    row = table[(table.month == month_str(pledge.month)) & (table.actor == "washington")].iloc[0]
    assert row["event"] == pledge.label
    assert row["forced"]["military"] == pytest.approx(row["choice"]["military"])
    assert np.isfinite(row["forced"]["military"])


# --- the app's controls: the same road ------------------------------------------------------------

def test_the_app_s_edits_go_through_the_same_overrides():
    app = pytest.importorskip("buffer_sim.app")
    settings = app.Settings(str(REPLAY), priorities="no_nukes,no_war",
                            thresholds=(("beijing", "no_war", "0.7"),))
    model = built(app.validate(settings))
    assert model.actors["beijing"].priorities == complete_priorities("beijing",
                                                                     ["no_nukes", "no_war"])
    assert model.actors["beijing"].thresholds["no_war"] == 0.7
    with pytest.raises(ScenarioError, match="did you mean 'no_nukes'"):
        app.validate(app.Settings(str(REPLAY), priorities="no_nuke,no_war"))


# --- one setting, two ways: refused rather than one silently winning -------------------------------

def test_seed_given_twice_is_refused(cli, tmp_path):
    result = cli("run", "--seed", "3", "--set", "seed=5", "--out", tmp_path / "out")
    assert result.code == 2
    assert "--seed" in result.err and "seed=5" in result.err
    assert not (tmp_path / "out").exists()
    with pytest.raises(ScenarioError, match="give the seed once"):
        api.run(REPLAY, seed=3, set={"seed": 5})


def test_every_parameter_is_read_by_some_code():
    """A parameter ``buffer-sim params`` documents must be read somewhere besides its
    declaration: otherwise ``--set parameters.NAME=...`` takes effect in
    ``model.params`` and changes nothing (a setting that nothing reads)."""
    import re

    src = PROJECT_ROOT / "src" / "buffer_sim"
    code = "\n".join(p.read_text(encoding="utf-8") for p in src.rglob("*.py")
                     if p.name != "params.py")
    unread = [r["name"] for r in Parameters.describe()
              if not re.search(rf"\b{re.escape(r['name'])}\b", code)]
    assert not unread, f"documented but read by nothing: {unread}"
