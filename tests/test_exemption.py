"""A resolution's exemption is Beijing's to read, and a ban is announced whole.

Report §The New Kim on the Block: UNSCR 2270 "for the first time targeted North Korea's
lucrative coal exports", "though Beijing's generous interpretation of a 'livelihoods'
exemption to the coal ban significantly softened its impact". The exempt share
(``sanctions_exempt``) is stopped at customs exactly as strictly as Beijing enforces;
what changes is the cost: letting it through is no breach Washington or the UN Panel of
Experts can pin on Beijing. Visible enforcement may rise by two steps in a month
(``enforcement_largest_raise``), and falls by one.
"""

from __future__ import annotations

import pytest

from buffer_sim.core.months import month_str
from buffer_sim.core.world import State
from buffer_sim.model import BufferModel
from buffer_sim.scenario.schema import DEFAULT_INITIAL_STATE, load_scenario
from conftest import PROJECT_ROOT
from test_world import after, world
REPLAY = PROJECT_ROOT / "scenarios" / "replay_2009_2019.yaml"


def _after(exempt: float, enforcement: float) -> State:
    return after(world(sanctions_scope=0.5, sanctions_exempt=exempt), months=6,
                 beijing_enforcement=enforcement)


def test_customs_stop_the_exempt_share_as_strictly_as_beijing_enforces():
    for enforcement in (0.1, 0.6):
        read, strict = _after(0.25, enforcement), _after(0.0, enforcement)
        assert read.customs_blocked == pytest.approx(strict.customs_blocked)
        assert read.cn_imports_reported == pytest.approx(strict.cn_imports_reported)
    assert _after(0.25, 0.6).customs_blocked > 3 * _after(0.25, 0.1).customs_blocked


def test_letting_the_exempt_share_through_costs_less_with_washington():
    # with half of the ban exempt, a lax Beijing loses half as much CN-US warmth to
    # visible non-compliance as without the exemption
    lax_read, lax_strict = _after(0.25, 0.1), _after(0.0, 0.1)
    start = DEFAULT_INITIAL_STATE["warmth_cn_us"]
    assert lax_read.warmth_cn_us > lax_strict.warmth_cn_us
    assert start - lax_read.warmth_cn_us < start - lax_strict.warmth_cn_us
    # a Beijing that enforces fully has nothing to hide: the exemption changes nothing
    assert _after(0.25, 1.0).warmth_cn_us == pytest.approx(_after(0.0, 1.0).warmth_cn_us)


def test_2270_leaves_its_exemption_to_beijing_and_2321_closes_it():
    model = BufferModel(load_scenario(REPLAY), rng=1)
    seen = {}
    while model.running:
        model.step()
        seen[month_str(model.month)] = (float(model.state.sanctions_scope),
                                   float(model.state.sanctions_exempt))
    assert seen["2016-02"][1] == 0.0
    assert seen["2016-06"] == (0.5, 0.25)
    assert seen["2016-12"] == (0.55, 0.0)
    assert seen["2018-06"][1] == 0.0


def test_beijing_may_raise_enforcement_two_steps_at_once_and_lower_it_one():
    model = BufferModel(load_scenario(REPLAY), rng=1)
    beijing = model.actors["beijing"]
    beijing.instruments["enforcement"] = 0.25
    beijing.candidates(model.state, model.params)
    options = beijing.options({}, 0.25)
    levels = sorted({o["enforcement"] for o in options})
    assert levels == [0.0, 0.25, 0.5, 0.75]
    # every other instrument moves a step
    assert {o["aid"] for o in options} == {0.25, 0.5, 0.75}
    # at one step, as every other actor
    beijing.largest_raise = {"enforcement": 0.25}
    assert sorted({o["enforcement"] for o in beijing.options({}, 0.25)}) == [0.0, 0.25, 0.5]
