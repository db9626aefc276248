"""Start states that cannot go stale: ``buffer-sim start-state`` and the generated files.

The sub-period scenarios that claim to start where the replay leaves off extend a
generated file in ``scenarios/start_states/``; these tests regenerate every such file
and fail when one no longer matches (run ``make start-states``).
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from buffer_sim.experiments import runner, start_state
from buffer_sim.cli.start_state import regenerate_text
from buffer_sim.core.months import parse_month
from buffer_sim.scenario.schema import load_scenario
from buffer_sim.core.world import INSTRUMENTS, STATE_VARIABLES
from conftest import DEFAULT_SCENARIO, PROJECT_ROOT

SCENARIOS = PROJECT_ROOT / "scenarios"
GENERATED = start_state.generated_files(PROJECT_ROOT)
#: sub-period scenario -> (its generated start, state variables it sets from observed data)
SUB_PERIODS = {
    "chill_2012_2015.yaml": ("end_2011.yaml", {"cn_exports_reported", "cn_imports_reported",
                                               "capacity_exports", "capacity_imports"}),
    "pressure_2016_2017.yaml": ("end_2015.yaml", {"cn_exports_reported", "cn_imports_reported",
                                                  "capacity_exports", "capacity_imports"}),
    "rapprochement_2018_2019.yaml": ("end_2017.yaml", set()),
}


def test_every_sub_period_scenario_has_its_generated_start():
    assert {p.name for p in GENERATED} >= {start for start, _ in SUB_PERIODS.values()}


@pytest.mark.parametrize("path", GENERATED, ids=lambda p: p.name)
@pytest.mark.slow
def test_generated_file_matches_what_the_command_generates_now(path):
    diffs = start_state.differences(path.read_text(encoding="utf-8"), regenerate_text(path))
    assert not diffs, (f"{path.name} is stale; run 'make start-states':\n  "
                       + "\n  ".join(diffs))


@pytest.mark.parametrize("name", sorted(SUB_PERIODS))
def test_sub_period_starts_from_the_generated_world_except_observed_facts(name):
    start_name, observed = SUB_PERIODS[name]
    scenario = load_scenario(SCENARIOS / name)
    generated = yaml.safe_load((SCENARIOS / "start_states" / start_name).read_text())
    own = yaml.safe_load((SCENARIOS / name).read_text())
    assert own["extends"] == f"start_states/{start_name}"
    # The file's own initial_state holds only the observed facts; the rest is generated.
    assert set(own.get("initial_state") or {}) == observed
    for variable, value in generated["initial_state"].items():
        expected = own["initial_state"][variable] if variable in observed else value
        assert scenario.initial_state[variable] == pytest.approx(expected), variable
    # Instruments and administrations come from the generated file.
    for actor, spec in generated["actors"].items():
        mine = scenario.actors[actor]
        assert mine.instruments == pytest.approx(spec["instruments"])
        if "priorities" in spec:
            assert list(mine.priorities) == spec["priorities"]
    # It starts the month after the generated one.
    at = parse_month(start_name[4:8] + "-12")
    assert scenario.start == at + 1


def test_generated_values_are_the_mean_over_the_seeds_of_the_replay_at_that_month():
    from buffer_sim.experiments.calibration import simulate

    scenario = runner.load(DEFAULT_SCENARIO)
    at = parse_month("2010-06")
    seeds = [5, 6, 9]
    result = start_state.generate(scenario, at, seeds)
    rows = [simulate(scenario, seed, at - scenario.start + 1).iloc[-1] for seed in seeds]
    assert all(row["date"] == "2010-06" for row in rows)
    for variable in STATE_VARIABLES:
        assert result.state[variable] == pytest.approx(np.mean([r[variable] for r in rows]))
    for actor, names in INSTRUMENTS.items():
        for instrument in names:
            if instrument == "provocation":
                continue  # a discrete level: the most common, checked below
            column = f"{actor}_{instrument}"
            assert result.instruments[actor][instrument] == pytest.approx(
                np.mean([r[column] for r in rows])), column
    levels = [r["pyongyang_provocation"] for r in rows]
    assert result.instruments["pyongyang"]["provocation"] in levels


def test_administrations_and_parameter_changes_in_force_are_carried_over():
    scenario = runner.load(DEFAULT_SCENARIO)
    at = parse_month("2017-12")
    result = start_state.generate(scenario, at, [scenario.seed])
    last = {}
    for event in scenario.events:
        if event.month <= at and event.kind == "administration" and event.priorities:
            last[event.actor] = list(event.priorities)
    assert last, "the replay changes administrations before 2018"
    for actor, priorities in last.items():
        assert result.administrations[actor]["priorities"] == priorities
    changed = {name: value for event in scenario.events
               if event.month <= at and event.kind == "parameter_change"
               for name, value in event.parameters.items()}
    assert result.parameters == pytest.approx(changed)


def test_a_declaration_made_by_then_is_carried_over_and_the_next_period_begins_declared():
    """Report §The Rapid Return: the 2018-2019 period begins after Kim has declared his
    force complete; the first version began it undeclared, so for half a year Pyongyang
    ranked completing its force first again."""
    scenario = runner.load(DEFAULT_SCENARIO)
    seeds = [scenario.seed, scenario.seed + 1, scenario.seed + 2]
    before = start_state.generate(scenario, parse_month("2015-12"), seeds)
    assert before.declared_against is None
    after = start_state.generate(scenario, parse_month("2017-12"), seeds)
    assert after.declared_against is not None and 0.0 <= after.declared_against <= 1.0
    written = yaml.safe_load((SCENARIOS / "start_states" / "end_2017.yaml").read_text())
    assert written["actors"]["pyongyang"]["declared_against"] == pytest.approx(
        after.declared_against, abs=1e-3)
    model = runner.run(SCENARIOS / "rapprochement_2018_2019.yaml", compiled=True)
    declared = model.timeseries["pyongyang_declared_complete"]
    assert (declared == 1).all()


def test_only_pyongyang_declares_its_force_complete(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {DEFAULT_SCENARIO}\nactors:\n  beijing:\n    declared_against: 0.5\n")
    with pytest.raises(Exception, match="beijing.declared_against.*only pyongyang"):
        load_scenario(bad)


def test_a_changed_number_is_reported_as_stale():
    path = SCENARIOS / "start_states" / "end_2017.yaml"
    text = path.read_text(encoding="utf-8")
    assert start_state.differences(text, text) == []
    tampered = text.replace("\n  tension: ", "\n  tension: 0.0123 #", 1)
    diffs = start_state.differences(tampered, text)
    assert len(diffs) == 1 and diffs[0].startswith("initial_state.tension: 0.0123")
    extra = text + "  newcomer: 1.0\n"  # under parameters: or actors: - either way a change
    assert start_state.differences(extra, text)


def test_the_command_writes_a_loadable_reproducible_file(cli, tmp_path):
    a, b = tmp_path / "a" / "s.yaml", tmp_path / "b" / "s.yaml"
    for out in (a, b):
        out.parent.mkdir()
        result = cli("start-state", "replay_2009_2019", "--at", "2010-03", "--seeds", "0..1",
                     "--out", out, "--quiet")
        assert result.code == 0, result.err
        assert result.out.strip() == str(out)
    assert a.read_bytes() == b.read_bytes()
    text = a.read_text()
    assert start_state.is_generated(a)
    words = start_state.recorded_command(a)
    assert words[:3] == ["buffer-sim", "start-state", "replay_2009_2019"]
    assert words[words.index("--seeds") + 1] == "0..1"
    assert str(tmp_path) not in text.splitlines()[2]  # no absolute path in the command
    child = tmp_path / "child.yaml"
    child.write_text(f"name: child\nperiod: {{start: 2010-04, end: 2010-12}}\nextends: {a}\n")
    scenario = load_scenario(child)
    generated = yaml.safe_load(text)
    assert scenario.initial_state["tension"] == pytest.approx(generated["initial_state"]["tension"])


@pytest.mark.parametrize("argv, words", [
    (["replay_2009_2019", "--at", "2030-01"], "--at"),
    (["replay_2009_2019", "--at", "soon"], "--at"),
    (["replay_2009_2019", "--at", "2012-12", "--seeds", "7..3"], "--seeds"),
    (["replay_2009_2019", "--at", "2012-12", "--seeds", "a,b"], "--seeds"),
    (["replay_2009_2019", "--seeds", "1"], "--at"),
    (["replay_2009_2019", "--at", "2012-12", "--check"], "--check"),
])
def test_bad_arguments_are_one_line_errors_and_write_nothing(cli, tmp_path, argv, words):
    out = tmp_path / "s.yaml"
    result = cli("start-state", *argv, "--out", out)
    assert result.code == 2
    assert words in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err
    assert not out.exists()
