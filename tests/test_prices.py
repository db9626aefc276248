"""World prices drive the value of DPRK exports (issue 13, item 1): capacity is a
volume, what China pays moves with the coal and iron-ore prices of the month (the
volume follows them only slowly, through investment in mines), and a scenario can hold
a price (a ``prices`` event)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from buffer_sim.scenario import observed
from buffer_sim.core.errors import ScenarioError
from buffer_sim.model import BufferModel, timeseries_rows
from buffer_sim.core.params import Parameters
from buffer_sim.scenario.schema import DEFAULT_INITIAL_STATE, load_scenario
from buffer_sim.core.world import EXPECTED, Actions, State, transition
from conftest import PROJECT_ROOT

P = Parameters()
REPLAY = PROJECT_ROOT / "scenarios" / "replay_2009_2019.yaml"
WHATIF = PROJECT_ROOT / "scenarios" / "whatif" / "coal_at_2011_price.yaml"


def world(**changes) -> State:
    return State(**{**DEFAULT_INITIAL_STATE, **changes})


def test_the_value_of_imports_moves_with_prices_and_the_volume_only_through_investment():
    # the volume answers prices only through investment in mines
    # (import_growth_from_prices); without it, only the value moves
    still = P.replace(import_growth_from_prices=0.0)
    cheap = transition(world(coal_price=60.0, iron_ore_price=60.0), Actions(), still,
                       EXPECTED, 1)
    dear = transition(world(coal_price=120.0, iron_ore_price=160.0), Actions(), still,
                      EXPECTED, 1)
    assert dear.capacity_imports == cheap.capacity_imports  # the volume
    invest = P.replace(import_growth_from_prices=0.1)
    cheap_i = transition(world(coal_price=60.0, iron_ore_price=60.0), Actions(), invest,
                         EXPECTED, 1)
    dear_i = transition(world(coal_price=120.0, iron_ore_price=160.0), Actions(), invest,
                        EXPECTED, 1)
    assert dear_i.capacity_imports > cheap_i.capacity_imports
    def factor(c, o):
        rest = 1 - P.coal_share_of_exports - P.iron_ore_share_of_exports
        return (rest + P.coal_share_of_exports * c / P.coal_reference_usd_t
                + P.iron_ore_share_of_exports * o / P.iron_ore_reference_usd_t)
    assert dear.cn_imports_reported / cheap.cn_imports_reported == pytest.approx(
        factor(120, 160) / factor(60, 60))
    # China's exports to the DPRK are not priced this way
    assert dear.cn_exports_reported == pytest.approx(cheap.cn_exports_reported)


@pytest.fixture(scope="module")
def runs():
    out = {}
    for name, path in (("replay", REPLAY), ("whatif", WHATIF)):
        model = BufferModel(load_scenario(path), rng=3)
        model.run()
        out[name] = pd.DataFrame(timeseries_rows(model)).set_index("date")
    return out


def test_each_month_takes_the_world_bank_prices(runs):
    coal, ore = observed.coal_price_monthly(), observed.iron_ore_price_monthly()
    df = runs["replay"]
    for month in ("2009-01", "2011-06", "2014-12", "2015-12", "2019-12"):
        assert df.loc[month, "coal_price"] == coal[month]
        assert df.loc[month, "iron_ore_price"] == ore[month]


def test_a_held_price_replaces_the_series_from_its_month(runs):
    df = runs["whatif"]
    assert df.loc["2011-12", "coal_price"] == observed.coal_price_monthly()["2011-12"]
    assert (df.loc["2012-01":, "coal_price"] == 121.4).all()
    assert (df["iron_ore_price"] == runs["replay"]["iron_ore_price"]).all()


def test_the_2014_2015_fall_in_value_is_the_price_a_class_can_see(runs):
    """Coal at its 2011 price: reported imports of 2014-2015 at least 10% higher (coal
    is about 45% of them, and its price fell by half)."""
    base = runs["replay"].loc["2014-01":"2015-12", "cn_imports_reported"].mean()
    held = runs["whatif"].loc["2014-01":"2015-12", "cn_imports_reported"].mean()
    assert held >= 1.1 * base


@pytest.mark.parametrize("prices, field, says", [
    ({"coal": 121.4, "copper": 5000}, "prices.copper", "unknown world price 'copper'"),
    ({"coal": 0.0}, "prices.coal", "out of range"),
    ({}, "prices", "names no price"),
])
def test_a_bad_prices_event_is_refused_naming_the_field(tmp_path, prices, field, says):
    body = {"name": "x", "extends": str(REPLAY), "events": [
        {"date": "2012-01", "kind": "prices", "prices": prices, "label": "p", "source": "src"}]}
    path = tmp_path / "bad.yaml"
    import yaml

    path.write_text(yaml.safe_dump(body))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert field in str(err.value) and says in str(err.value)


def test_reported_exports_carry_the_crude_oil_until_customs_stopped_reporting_it(runs):
    """Issue 13, item 5: Chinese customs stopped reporting crude-oil exports to the DPRK
    from 2014 (KOTRA adds an estimate). The model's crude oil is part of Beijing's
    supplies (``aid``), modelled once; what it compares with customs data
    (``cn_exports_customs``) includes it through 2013 and not after."""
    df = runs["replay"]
    assert (df["cn_exports_crude"] > 0).all()
    before, after = df.loc[:"2013-12"], df.loc["2014-01":]
    np.testing.assert_allclose(before["cn_exports_customs"],
                               before["cn_exports_reported"] + before["cn_exports_crude"])
    np.testing.assert_array_equal(after["cn_exports_customs"], after["cn_exports_reported"])
