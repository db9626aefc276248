"""What makes China's imports from the DPRK grow faster than its exports to it (issue 13,
held-back window): a catch-up that closes as the DPRK's export capacity nears what it
buys, and Chinese investment in the mines that follows world coal and iron-ore prices
(low prices stop it; they do not close mines already working). Judged one month at a
time on the world's own transition, with politics switched off so that only the
premium moves the import capacity."""

from __future__ import annotations

import pytest

from buffer_sim.core.params import Parameters
from buffer_sim.core.world import EXPECTED, Actions, State, mineral_price_index, transition
from buffer_sim.scenario.schema import DEFAULT_INITIAL_STATE

#: Politics off: no trend, no growth from warmth or engagement, no sanctions.
QUIET = Parameters().replace(trade_growth_base_per_month=0.0, trade_growth_from_warmth=0.0,
                             trade_growth_from_engagement=0.0)
REFERENCE = {"coal_price": QUIET.coal_reference_usd_t,
             "iron_ore_price": QUIET.iron_ore_reference_usd_t}


def world(**changes) -> State:
    return State(**{**DEFAULT_INITIAL_STATE, "sanctions_scope": 0.0, "customs_blocked": 0.0,
                    **REFERENCE, **changes})


def import_growth(state: State, params: Parameters) -> float:
    """Growth of the import capacity over one month."""
    new = transition(state, Actions(), params, EXPECTED, 1)
    return new.capacity_imports / state.capacity_imports - 1.0


def test_the_price_index_is_one_at_the_reference_prices_and_follows_them():
    assert mineral_price_index(world(), QUIET) == pytest.approx(1.0)
    assert mineral_price_index(world(coal_price=60.0, iron_ore_price=60.0), QUIET) < 1.0
    assert mineral_price_index(world(coal_price=130.0, iron_ore_price=170.0), QUIET) > 1.0


def test_the_catch_up_closes_with_the_gap_between_imports_and_exports():
    far = import_growth(world(capacity_imports=60.0, capacity_exports=180.0), QUIET)
    near = import_growth(world(capacity_imports=170.0, capacity_exports=180.0), QUIET)
    level = import_growth(world(capacity_imports=200.0, capacity_exports=180.0), QUIET)
    assert far > near > 0.0
    assert far == pytest.approx(QUIET.import_growth_premium_per_month * (1 - 60 / 180))
    assert level == pytest.approx(0.0, abs=1e-12)  # no gap, no premium


def test_investment_in_the_mines_follows_world_prices():
    params = QUIET.replace(import_growth_from_prices=0.05)
    state = dict(capacity_imports=60.0, capacity_exports=180.0)
    dear = import_growth(world(coal_price=130.0, iron_ore_price=170.0, **state), params)
    at_reference = import_growth(world(**state), params)
    cheap = import_growth(world(coal_price=80.0, iron_ore_price=100.0, **state), params)
    assert dear > at_reference > cheap
    # at the reference prices the price term adds nothing
    assert at_reference == pytest.approx(import_growth(world(**state), QUIET))


def test_low_prices_stop_the_premium_but_do_not_close_working_mines():
    params = QUIET.replace(import_growth_from_prices=0.2)
    slump = world(coal_price=30.0, iron_ore_price=30.0, capacity_imports=60.0,
                  capacity_exports=180.0)
    assert import_growth(slump, params) == pytest.approx(0.0, abs=1e-12)


def test_chinas_exports_to_the_dprk_have_no_premium_and_no_price_response():
    params = QUIET.replace(import_growth_from_prices=0.1)
    dear = transition(world(coal_price=130.0, iron_ore_price=170.0), Actions(), params,
                      EXPECTED, 1)
    cheap = transition(world(coal_price=60.0, iron_ore_price=60.0), Actions(), params,
                       EXPECTED, 1)
    assert dear.capacity_exports == cheap.capacity_exports == world().capacity_exports
