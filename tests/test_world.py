"""The world's transition: monotone effects, purity, batches."""

from __future__ import annotations


import numpy as np
import pytest

from buffer_sim.core.params import Parameters
from buffer_sim.scenario.schema import DEFAULT_INITIAL_STATE
from buffer_sim.core.decision import priority_row
from buffer_sim.core.world import (
    CUT_OFF, EXPECTED, STATE_VARIABLES, Actions, Projected, Shocks, State,
    draw_shocks, instrument_use, leverage, no_pressure, procurement_stopped, project,
    transition,
)

P = Parameters()


def world(**changes) -> State:
    return State(**{**DEFAULT_INITIAL_STATE, **changes})


def after(state=None, months=1, shocks=EXPECTED, params=P, **actions) -> State:
    return transition(state or world(), Actions(**actions), params, shocks, months)


def test_more_enforcement_means_less_reported_import_once_trade_is_banned():
    banned = world(sanctions_scope=0.8)
    flows = [after(banned, months=6, beijing_enforcement=e).cn_imports_reported
             for e in (0.0, 0.25, 0.5, 0.75, 1.0)]
    assert all(a > b for a, b in zip(flows[:4], flows[1:4]))
    # beyond customs_full_enforcement every banned good is already stopped at customs
    assert flows[4] <= flows[3]


def test_the_crackdown_not_visible_enforcement_governs_informal_trade():
    """Report §The Rapid Return: reported imports stayed under a tenth of earlier years
    while "smuggling and informal trade along the border appear to have largely
    resumed": two instruments, two flows."""
    banned = world(sanctions_scope=0.9, customs_blocked=0.9)
    strict = after(banned, months=6, beijing_enforcement=1.0, beijing_crackdown=1.0)
    tolerant = after(banned, months=6, beijing_enforcement=1.0, beijing_crackdown=0.0)
    assert tolerant.cn_imports_informal > 3 * strict.cn_imports_informal
    # ... while what customs report moves far less: only the capacity that can still
    # be sold informally rather than wither (``banned_capacity_loss_per_month``)
    assert (abs(tolerant.cn_imports_reported / strict.cn_imports_reported - 1)
            < 0.2 * (tolerant.cn_imports_informal / strict.cn_imports_informal - 1))
    # the visible instrument moves reported trade
    lax = after(banned, months=6, beijing_enforcement=0.25, beijing_crackdown=1.0)
    assert lax.cn_imports_reported > 1.5 * strict.cn_imports_reported


def test_secondary_sanctions_reach_the_banks_whatever_beijing_enforces():
    """Report §The New Kim on the Block: 'maximum pressure' against North Korea's foreign
    business partners. Beyond ordinary pressure, banks refuse the payments for reported
    trade of every kind, so Washington's reach does not vanish when Beijing's customs
    already stop every banned good; trade that needs no bank does not feel it."""
    banned = world(sanctions_scope=0.9, customs_blocked=0.9)
    def flows(pressure):
        return after(banned, months=1, beijing_enforcement=1.0, beijing_crackdown=0.0,
                     washington_pressure=pressure)
    ordinary, maximum = flows(P.ordinary_us_pressure), flows(1.0)
    cut = P.secondary_sanctions_reach * (1.0 - P.ordinary_us_pressure)
    assert maximum.cn_imports_reported == pytest.approx(ordinary.cn_imports_reported * (1 - cut))
    assert maximum.cn_exports_reported == pytest.approx(ordinary.cn_exports_reported * (1 - cut))
    assert maximum.cn_imports_informal == pytest.approx(ordinary.cn_imports_informal)
    # ordinary pressure names no Chinese bank
    assert flows(0.0).cn_imports_reported == pytest.approx(ordinary.cn_imports_reported)


def test_stopping_procurement_takes_the_crackdown_as_well_as_customs():
    """Components, like coal, divert to the informal routes Beijing tolerates: customs
    alone slow the programme less than customs and a crackdown."""
    s = world(nuclear=0.6)
    def progress(**instruments):
        return after(s, months=6, washington_pressure=0.0, **instruments).nuclear - s.nuclear
    open_border = progress(beijing_enforcement=0.0, beijing_crackdown=0.0)
    customs = progress(beijing_enforcement=1.0, beijing_crackdown=0.0)
    both = progress(beijing_enforcement=1.0, beijing_crackdown=1.0)
    assert open_border > customs > both
    assert (open_border - customs) < 0.75 * (open_border - both)


def test_customs_blocks_lapse_when_visible_enforcement_eases():
    banned = world(sanctions_scope=0.9, customs_blocked=0.9)
    assert P.customs_block_decay_per_month > 0
    eased = after(banned, months=6, beijing_enforcement=0.0)
    assert eased.customs_blocked < 0.9 * 0.75


def test_a_provocation_raises_tension_and_a_bigger_one_more():
    calm = world(test_readiness=1.0)
    levels = [after(calm, pyongyang_provocation=lvl).tension for lvl in (0, 1, 2)]
    assert levels[0] < levels[1] < levels[2]


def test_a_failed_test_raises_tension_less_than_a_successful_one():
    ready = world(test_readiness=1.0)
    ok = after(ready, shocks=Shocks(provocation_success=1.0), pyongyang_provocation=2)
    failed = after(ready, shocks=Shocks(provocation_success=0.0), pyongyang_provocation=2)
    assert failed.tension < ok.tension
    assert failed.nuclear < ok.nuclear


def test_a_major_test_needs_readiness_and_uses_it_up():
    unready = after(world(test_readiness=0.5), pyongyang_provocation=2)
    ready = after(world(test_readiness=1.0), pyongyang_provocation=2)
    assert ready.nuclear > unready.nuclear
    assert ready.test_readiness < 1.0


def test_missiles_do_not_use_up_a_major_tests_preparation():
    """Missile tests are a programme of their own (mobile launchers, not the test site
    or the long-range pad): they neither need nor spend a major test's readiness."""
    half = world(test_readiness=0.5)
    assert after(half, pyongyang_provocation=1).test_readiness == \
        pytest.approx(after(half).test_readiness)
    assert after(world(test_readiness=0.0), pyongyang_provocation=1).nuclear > \
        after(world(test_readiness=0.0)).nuclear


def test_a_months_preparation_is_uneven_but_its_mean_is_the_regeneration_rate():
    """How far a month's preparation gets is drawn (lognormal, mean 1): a major test
    keeps no timetable, while projections plan on the mean."""
    start = world(test_readiness=0.2)
    slow = after(start, shocks=Shocks(preparation=0.5)).test_readiness
    fast = after(start, shocks=Shocks(preparation=2.0)).test_readiness
    assert slow == pytest.approx(0.2 + 0.5 * P.readiness_regen_per_month)
    assert fast == pytest.approx(0.2 + 2.0 * P.readiness_regen_per_month)
    assert after(start).test_readiness == pytest.approx(0.2 + P.readiness_regen_per_month)
    streams = [np.random.default_rng(k) for k in range(3)]
    draws = np.array([draw_shocks(*streams, P, 0, 0.0).preparation for _ in range(4000)])
    assert draws.mean() == pytest.approx(1.0, abs=0.03)
    assert np.log(draws).std() == pytest.approx(P.preparation_noise_sd, rel=0.05)
    still = Parameters(preparation_noise_sd=0.0)
    assert {draw_shocks(*streams, still, 0, 0.0).preparation for _ in range(5)} == {1.0}


def test_un_resolutions_raise_scope_and_scope_is_what_customs_can_block():
    # scope is set by resolution events (model); the transition keeps it and blocks at most it
    s = after(world(sanctions_scope=0.4), months=24, beijing_enforcement=1.0)
    assert s.sanctions_scope == 0.4
    assert s.customs_blocked <= 0.4 + 1e-12


def test_us_military_signalling_raises_tension_and_chinese_enforcement_damps_it():
    loud = after(months=6, washington_military=1.0, beijing_enforcement=0.0).tension
    quiet = after(months=6, washington_military=0.0, beijing_enforcement=0.0).tension
    damped = after(months=6, washington_military=1.0, beijing_enforcement=1.0).tension
    assert quiet < damped < loud


def test_warmth_reverts_to_its_mean():
    cold = world(warmth_cn_dprk=-0.6)
    later = after(cold, months=24, beijing_engagement=0.5, pyongyang_outreach=0.5,
                  beijing_enforcement=0.0)
    assert later.warmth_cn_dprk > -0.2


def test_supplies_feed_the_economy_and_a_cut_off_bites():
    assert (after(months=6, beijing_aid=1.0).dprk_economy
            > after(months=6, beijing_aid=0.0).dprk_economy)
    banned = world(sanctions_scope=0.9)
    free = after(banned, months=6, **no_pressure(Actions(), P))
    cut = after(banned, months=6, **CUT_OFF)
    # a full cut-off takes a tenth or more of DPRK economic activity within half a year
    assert cut.dprk_economy < 0.9 * free.dprk_economy
    assert cut.stability < free.stability


def test_pressure_applied_is_a_share_of_potential_leverage():
    potential, applied = leverage(1.2, 0.9, 1.1)
    assert potential == pytest.approx(0.25)
    assert applied == pytest.approx(1 - 1.1 / 1.2)
    assert leverage(1.2, 0.9, 1.3) == (pytest.approx(0.25), 0.0)   # no pressure, no share
    assert leverage(1.2, 0.9, 0.5)[1] == pytest.approx(0.25)       # never above potential


def test_leverage_is_stated_per_half_year_whatever_the_lookahead():
    # A cut-off that takes a quarter in half a year takes about 44% in a year; an actor
    # looking a year ahead must not see a Beijing with more leverage because of it.
    half_year = leverage(1.0, 0.75, 0.9, months=6)
    year = leverage(1.0, 0.75 ** 2, 0.9 ** 2, months=12)
    quarter = leverage(1.0, 0.75 ** 0.5, 0.9 ** 0.5, months=3)
    for other in (year, quarter):
        assert other == (pytest.approx(half_year[0]), pytest.approx(half_year[1]))
    assert half_year == (pytest.approx(0.25), pytest.approx(0.1))
    assert instrument_use(Actions(beijing_enforcement=0.0, beijing_crackdown=0.0,
                                  beijing_aid=P.aid_normal), P) == 0
    assert instrument_use(Actions(**CUT_OFF), P) == pytest.approx(1.0)


def test_transition_is_pure():
    s, a = world(), Actions()
    before = s.as_dict()
    assert transition(s, a, P) == transition(s, a, P)
    assert s.as_dict() == before


def test_a_batch_projects_each_candidate_like_a_single_call():
    s = world(sanctions_scope=0.5)
    enforcement = np.array([0.0, 0.5, 1.0])
    batch = transition(s, Actions(beijing_enforcement=enforcement), P, EXPECTED, months=6)
    for i, e in enumerate(enforcement):
        single = transition(s, Actions(beijing_enforcement=float(e)), P, EXPECTED, months=6)
        for name in STATE_VARIABLES:
            # The same equations run for each candidate: equal to the last bit.
            assert getattr(batch, name)[i] == getattr(single, name), name


def test_every_variable_stays_in_range_under_extreme_instruments():
    s = world()
    extremes = dict(beijing_enforcement=1.0, beijing_crackdown=1.0, beijing_aid=0.0, beijing_engagement=0.0,
                    pyongyang_provocation=2, washington_pressure=1.0, washington_military=1.0,
                    seoul_alignment=1.0)
    for _ in range(60):
        s = transition(s, Actions(**extremes), P, Shocks(1.0, 0.5, -0.5, 0.5, -0.5))
        for name, (_, lo, hi, _) in STATE_VARIABLES.items():
            value = getattr(s, name)
            assert lo <= value and (hi is None or value <= hi), (name, value)


def test_a_projection_is_the_transition_plus_the_war_risk_beijing_can_change():
    s = world(tension=0.7, test_readiness=1.0, hostility=0.3)
    actions = Actions(washington_military=1.0,
                      beijing_enforcement=np.array([0.0, 0.5, 1.0]),
                      beijing_crackdown=np.array([0.0, 0.5, 1.0]))
    projected = project(s, actions, P, months=6)
    plain = transition(s, actions, P, EXPECTED, months=6)
    for name in STATE_VARIABLES:
        np.testing.assert_allclose(getattr(projected, name), getattr(plain, name), rtol=1e-12)
    # War risk is where the standoff is heading: Chinese pressure gives Washington a
    # path other than force, so it falls with pressure while US signalling runs high ...
    assert projected.war_risk[0] > projected.war_risk[1] > projected.war_risk[2]
    # ... and a test already made is a passing spike in tension, not in the war risk
    test = project(world(tension=0.3, test_readiness=1.0),
                   Actions(pyongyang_provocation=np.array([0.0, 2.0])), P, months=6)
    assert test.tension[1] - test.tension[0] > test.war_risk[1] - test.war_risk[0]
    # ... but next door a crisis is a danger while it lasts: Beijing's war danger counts
    # part of the peak (report §The New Kim on the Block: China acted "as tensions ...
    # peaked"), Washington's war risk does not
    assert test.war_danger[1] - test.war_danger[0] > test.war_risk[1] - test.war_risk[0]
    assert Projected._fields[priority_row("beijing", "no_war")] == "war_danger"
    assert Projected._fields[priority_row("washington", "no_war")] == "war_risk"


def test_every_priority_names_a_field_of_the_projection():
    from buffer_sim.core.priorities import PRIORITIES
    from buffer_sim.core.world import MEASURES

    assert set(Projected._fields) == set(STATE_VARIABLES) | set(MEASURES)
    for priority in PRIORITIES.values():
        assert priority.metric in Projected._fields, priority.name
        for actor, metric, _ in priority.readings:
            assert metric in Projected._fields, (priority.name, actor)


def test_the_measures_of_a_projection_are_what_they_say():
    s = world(tension=0.3, test_readiness=1.0, nuclear=0.5, hostility=0.4)
    actions = Actions(pyongyang_provocation=np.array([0.0, 1.0, 2.0]),
                      beijing_enforcement=np.array([0.0, 0.5, 1.0]))
    for compiled in (False, True):
        q = project(s, actions, P, months=6, compiled=compiled)
        np.testing.assert_array_equal(q.stability_change, q.stability - s.stability)
        stopped = procurement_stopped(actions, P)
        np.testing.assert_allclose(q.threat_growth, 0.5 * (s.nuclear_pace + q.nuclear_pace)
                                   * q.nuclear ** 2 * (1.0 - P.procurement_drag * stopped),
                                   rtol=1e-12)
        # Beijing's war danger: the course, and war_peak_weight of the peak above it
        np.testing.assert_allclose(q.war_danger, q.war_risk + P.war_peak_weight
                                   * np.maximum(q.tension - q.war_risk, 0.0), rtol=1e-12)
        np.testing.assert_array_equal(q.economy_ratio, q.dprk_economy / s.dprk_economy)
        for i in range(3):
            one = State(*(getattr(q, f)[i] for f in State._fields))
            a = Actions(*(np.asarray(v, dtype=float).reshape(-1)[i if np.ndim(v) else 0]
                          for v in actions))
            assert q.instrument_use[i] == instrument_use(a, P)
            assert q.alignment_gap[i] == one.warmth_cn_dprk - one.warmth_us_dprk


@pytest.mark.parametrize("seed", range(40))
def test_compiled_and_numpy_projections_agree_to_the_last_bit(seed):
    """The equations run compiled (ensembles) or on numpy arrays (a single run): both
    must give the same bits, or a single run and run 0 of an ensemble could differ."""
    rng = np.random.default_rng(seed)
    s = world(tension=rng.uniform(0, 1), test_readiness=rng.uniform(0, 1),
              sanctions_scope=rng.uniform(0, 1), customs_blocked=rng.uniform(0, 1),
              dprk_economy=rng.uniform(0.5, 1.5), nuclear=rng.uniform(0, 1))
    actions = Actions(*(rng.uniform(0, 1, 40) if f != "pyongyang_provocation"
                        else rng.integers(0, 3, 40).astype(float) for f in Actions._fields))
    months = float(rng.choice([1, 3, 6, 12]))
    a = project(s, actions, P, months=months, compiled=False)
    b = project(s, actions, P, months=months, compiled=True)
    for name in a._fields:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
