"""Decision rules: what satisficing in order of precedence means."""

from __future__ import annotations

from pathlib import Path

import pytest

from buffer_sim.core.decision import Evaluation, Lexicographic, Weighted
from buffer_sim.model import BufferModel
from buffer_sim.scenario.schema import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TOL, INERTIA = 0.05, 6.0


def evaluation(values, thresholds, priorities=("no_war", "no_instability", "border_trade"),
               change=None, hold=0):
    n = len(values[0])
    return Evaluation(list(priorities), [list(v) for v in values], list(thresholds),
                      change or [0.0] * n, hold)


def test_lexicographic_prefers_the_candidate_that_satisfies_the_first_priority():
    # candidate 1 keeps tension under 0.6 but hurts stability; candidate 2 the reverse
    ev = evaluation(values=[[0.70, 0.55, 0.80],      # peak tension (at most 0.6)
                            [0.00, -0.05, 0.01],      # change in stability (at least -0.01)
                            [1.00, 0.90, 1.10]],      # trade ratio
                    thresholds=[0.6, -0.01, 1.0])
    chosen, deciding = Lexicographic().choose(ev, TOL, INERTIA)
    assert chosen == 1
    assert ev.priorities[deciding] == "no_war"


def test_lexicographic_takes_the_least_bad_when_no_candidate_satisfies():
    ev = evaluation(values=[[0.90, 0.80, 0.85], [0, 0, 0], [1, 1, 1]],
                    thresholds=[0.6, -0.01, 1.0])
    chosen, _ = Lexicographic().choose(ev, TOL, INERTIA)
    assert chosen == 1


def test_lexicographic_keeps_course_when_nothing_is_projected_to_go_wrong():
    ev = evaluation(values=[[0.3, 0.2], [0.0, 0.0], [1.05, 1.30]],
                    thresholds=[0.6, -0.01, 1.0], change=[0.0, 0.25])
    chosen, deciding = Lexicographic().choose(ev, TOL, INERTIA)
    assert chosen == 0 and deciding is None


def test_lower_priorities_only_break_ties_left_by_higher_ones():
    # both satisfy no war; only candidate 2 keeps stability; trade would favour 1
    ev = evaluation(values=[[0.7, 0.5, 0.5], [0.0, -0.05, 0.0], [1.0, 1.5, 1.1]],
                    thresholds=[0.6, -0.01, 1.0], change=[0, 0.25, 0.25])
    chosen, deciding = Lexicographic().choose(ev, TOL, INERTIA)
    assert chosen == 2


def test_an_unmet_least_concern_moves_policy_only_for_a_real_gain():
    # Everything above holds either way; trade (the last priority, scale 0.1) is short
    # of its threshold for every candidate. A step that gains a sliver of its scale
    # leaves the actor where it is; one that gains more than ``least_gain`` moves it.
    sliver = evaluation(values=[[0.3, 0.3], [0.0, 0.0], [0.900, 0.908]],
                        thresholds=[0.6, -0.01, 1.0], change=[0.0, 0.25])
    assert Lexicographic().choose(sliver, TOL, INERTIA, least_gain=0.2) == (0, None)
    assert Lexicographic().choose(sliver, TOL, INERTIA, least_gain=0.0)[0] == 1
    real = evaluation(values=[[0.3, 0.3], [0.0, 0.0], [0.90, 0.95]],
                      thresholds=[0.6, -0.01, 1.0], change=[0.0, 0.25])
    chosen, deciding = Lexicographic().choose(real, TOL, INERTIA, least_gain=0.2)
    assert chosen == 1 and real.priorities[deciding] == "border_trade"


def test_least_gain_does_not_hold_back_a_move_a_higher_priority_demands():
    # no war fails at the hold: the move it demands is made, whatever trade gains
    ev = evaluation(values=[[0.7, 0.5], [0.0, 0.0], [0.90, 0.90]],
                    thresholds=[0.6, -0.01, 1.0], change=[0.0, 0.25])
    chosen, deciding = Lexicographic().choose(ev, TOL, INERTIA, least_gain=5.0)
    assert chosen == 1 and ev.priorities[deciding] == "no_war"


def test_weighted_trades_a_small_loss_on_the_first_priority_for_a_big_gain_below():
    ev = evaluation(values=[[0.59, 0.61], [-0.2, 0.05], [1.0, 1.0]],
                    thresholds=[0.6, -0.01, 1.0], change=[0.0, 0.0])
    assert Lexicographic().choose(ev, TOL, 0.0)[0] == 0
    assert Weighted().choose(ev, TOL, 0.0)[0] == 1


@pytest.fixture(scope="module")
def replay_model():
    model = BufferModel(load_scenario(SCENARIOS / "replay_2009_2019.yaml"))
    model.run()
    return model


def test_every_month_every_actor_records_a_choice_and_its_reason(replay_model):
    months = replay_model.spec.months
    assert len(replay_model.decisions) == 4 * months
    for _, d in replay_model.decisions:
        assert d.reason and d.deciding
        assert d.reason.startswith(d.actor.capitalize())


def test_reasons_name_the_projected_value_and_the_threshold(replay_model):
    decided = [d for _, d in replay_model.decisions
               if d.actor == "beijing" and d.deciding == "no_war"]
    assert decided, "Beijing never acted for no war in the replay"
    assert "threshold" in decided[0].reason and "tension" in decided[0].reason
    assert decided[0].projected["no_war"] > 0


def test_the_weighted_rule_can_be_chosen_per_actor():
    scenario = load_scenario(SCENARIOS / "rapprochement_2018_2019.yaml",
                             ["beijing.rule=weighted"])
    model = BufferModel(scenario)
    assert type(model.actors["beijing"].rule).__name__ == "Weighted"
    assert type(model.actors["seoul"].rule).__name__ == "Lexicographic"
    model.run()


def test_the_compiled_loop_chooses_what_the_rule_chooses(replay_model):
    """``choose_all`` runs the lexicographic rule of every group at once; each recorded
    decision is what the rule picks from that decision's own evaluation."""
    params = replay_model.params
    for _, d in replay_model.decisions:
        rule = Lexicographic()
        index, deciding = rule.choose(d.evaluation, params.tie_tolerance, params.inertia,
                                      params.least_gain)
        assert index == d.index
        if d.deciding not in ("forced", "inertia"):
            assert d.evaluation.priorities[deciding] == d.deciding


@pytest.mark.parametrize("compiled", [False, True])
def test_weighted_and_lexicographic_actors_mix_in_one_month(compiled):
    scenario = load_scenario(SCENARIOS / "rapprochement_2018_2019.yaml",
                             ["beijing.rule=weighted", "seoul.rule=weighted"])
    model = BufferModel(scenario, compiled=compiled)
    model.run()
    for _, d in model.decisions:
        actor = model.actors[d.actor]
        index, _ = actor.rule.choose(d.evaluation, model.params.tie_tolerance,
                                     model.params.inertia, model.params.least_gain)
        assert index == d.index, (d.actor, d.reason)
