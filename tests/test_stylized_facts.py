"""The report's stylized facts, each as a test on 50 seeds.

Each fact cites the passage of Daniel Wertz, *China-North Korea Relations* (NCNK) it
encodes and runs on a scenario where the actor under test is free: nothing of Beijing
is pinned in any of these scenarios, and for the fact about Pyongyang's tests
(``pressure_2016_2017``) Pyongyang's tests are not scripted either. A fact must hold in
at least 90% of the seeds: the model is stochastic (whether a test comes off, noise in
trade), and a mechanism that explains history should not hinge on one draw.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from buffer_sim.model import run_model, timeseries_rows
from buffer_sim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SEEDS = range(50)
REQUIRED_SHARE = 0.9
NUKES_FIRST = "beijing.priorities=no_nukes,no_war,no_instability,buffer,us_ties,border_trade"


def _runs(name: str, overrides=()) -> list[pd.DataFrame]:
    scenario = load_scenario(SCENARIOS / name, overrides)
    return [pd.DataFrame(timeseries_rows(run_model(scenario, seed=s))).set_index("date")
            for s in SEEDS]


@pytest.fixture(scope="module")
def replay():
    return _runs("replay_2009_2019.yaml")


@pytest.fixture(scope="module")
def nukes_first():
    return _runs("replay_2009_2019.yaml", [NUKES_FIRST])


@pytest.fixture(scope="module")
def pressure():
    return _runs("pressure_2016_2017.yaml")


@pytest.fixture(scope="module")
def deep_engagement():
    return _runs("deep_engagement_2009_2012.yaml")


def _share(results) -> float:
    results = list(results)
    return sum(bool(r) for r in results) / len(results)


def _annual(df: pd.DataFrame, column: str, year: int) -> float:
    return float(df.loc[f"{year}-01":f"{year}-12", column].sum())


def test_nothing_of_beijing_is_pinned_in_the_fact_scenarios():
    for name in ("replay_2009_2019.yaml", "pressure_2016_2017.yaml",
                 "deep_engagement_2009_2012.yaml", "chill_2012_2015.yaml",
                 "rapprochement_2018_2019.yaml"):
        scenario = load_scenario(SCENARIOS / name)
        assert not [p for p in scenario.pins if p.actor == "beijing"], name
        assert not [e for e in scenario.events if e.actor == "beijing"], name
    free = load_scenario(SCENARIOS / "pressure_2016_2017.yaml")
    assert not [p for p in free.pins if p.actor == "pyongyang"]
    assert not [e for e in free.events if e.actor == "pyongyang"]


def test_a_beijing_enforces_in_2017_and_reported_imports_collapse(replay):
    """Report §The New Kim on the Block: "China took further action to enforce sanctions
    as tensions between the U.S. and North Korea peaked later that year ... Reported
    Chinese imports from North Korea declined precipitously."
    """
    def holds(df):
        rise = (df.loc["2017-07":"2017-12", "beijing_enforcement"].max()
                - df.loc["2017-01":"2017-06", "beijing_enforcement"].mean())
        imports_2016 = df.loc["2016-01":"2016-12", "cn_imports_reported"].mean()
        imports_2018 = df.loc["2018-01":"2018-06", "cn_imports_reported"].mean()
        return rise >= 0.5 and imports_2018 < 0.3 * imports_2016
    assert _share(holds(df) for df in replay) >= REQUIRED_SHARE


@pytest.mark.parametrize("part", ["tension falls", "enforcement relaxes",
                                  "informal trade recovers", "economy stays stable",
                                  "reported imports stay under a tenth of 2016"])
def test_b_rapprochement_relaxes_enforcement_but_not_the_bans(replay, part):
    """Report §The Rapid Return: "These strengthened ties were also accompanied by a
    weakening Chinese commitment to sanctions enforcement. Wide-ranging sanctions have
    remained on the books, and reported Chinese imports from North Korea since the start
    of 2018 have been less than a tenth of the value reported only a few years
    previously. Yet smuggling and informal trade along the border appear to have largely
    resumed ... key indicators of the DPRK's macroeconomic health ... have remained
    relatively stable."
    """
    checks = {
        "tension falls": lambda d: (d.loc["2019-01":"2019-12", "tension"].mean()
                                    < d.loc["2017-07":"2017-12", "tension"].mean()),
        "enforcement relaxes": lambda d: (
            d.loc["2019-01":"2019-12", "beijing_enforcement"].mean()
            < d.loc["2017-07":"2018-03", "beijing_enforcement"].max() - 0.3),
        "informal trade recovers": lambda d: (
            d.loc["2019-01":"2019-12", "cn_imports_informal"].mean()
            > 1.5 * d.loc["2017-10":"2017-12", "cn_imports_informal"].mean()),
        "economy stays stable": lambda d: (
            d.loc["2018-01":"2019-12", "dprk_economy"].min()
            > 0.9 * d.loc["2017-12", "dprk_economy"]),
        "reported imports stay under a tenth of 2016": lambda d: (
            max(_annual(d, "cn_imports_reported", 2018), _annual(d, "cn_imports_reported", 2019))
            < 0.1 * _annual(d, "cn_imports_reported", 2016)),
    }
    assert _share(checks[part](df) for df in replay) >= REQUIRED_SHARE


@pytest.mark.xfail(strict=False, reason=(
    "issue 12/13: since pressure_2016_2017 starts from the replay's own end-2015 world "
    "(generated start state: stability 0.90, economy 1.32 instead of the hand-copied 0.75 "
    "and 1.15), free Pyongyang makes a major test in 2017 in about 12% of seeds, not 90%: "
    "the old mechanism's fact rested on a stale start state; the mechanism issue must "
    "carry it"))
def test_c_leverage_high_influence_low_and_the_tests_go_on(pressure):
    """Report §Introduction: Beijing "has held considerable economic and political
    leverage over Pyongyang, [but] it has rarely translated into a commensurate level of
    influence"; §The New Kim on the Block: pressure in 2017 met "more nuclear and
    missile tests". Pyongyang is free here: its tests are its own choices.
    """
    def holds(df):
        year = df.loc["2017-01":"2017-12"]
        return (df["leverage_potential"].mean() > 0.7
                and df["influence_realized"].mean() < 0.1
                and year["pressure_applied"].max() > 0.3
                and (year["pyongyang_provocation"] == 2).sum() >= 1)
    assert _share(holds(df) for df in pressure) >= REQUIRED_SHARE


def test_d_nukes_first_beijing_presses_harder_and_destabilises_more(replay, nukes_first):
    """Report §Introduction: the priorities are "ranked in that order of precedence"
    and "Denuclearization ranks as a tertiary priority". Put it first, and Beijing
    presses harder, the DPRK economy falls further and instability risk rises.
    Same seed for both runs (common random numbers).
    """
    def holds(base, what_if):
        window = slice("2016-01", "2019-12")
        return (what_if.loc[window, "pressure_applied"].mean()
                > base.loc[window, "pressure_applied"].mean()
                and what_if.loc[window, "dprk_economy"].min()
                < base.loc[window, "dprk_economy"].min()
                and (1 - what_if.loc[window, "stability"]).max()
                > (1 - base.loc[window, "stability"]).max())
    assert _share(holds(b, w) for b, w in zip(replay, nukes_first)) >= REQUIRED_SHARE


def test_e_cn_dprk_warmth_falls_after_defiance_but_recovers(replay):
    """Report §The New Kim on the Block: the 2012 launch "in defiance of a letter from
    Xi Jinping", the 2013 test and Jang Song Thaek's execution strained ties;
    §Cold War Relations: "a downturn in relations between Beijing and Pyongyang would
    never quite reach the breaking point, and would sooner or later be followed by a
    reversion to the mean." Breaking point: -0.5 (``breaking_point_cn_dprk``).
    """
    def holds(df):
        w = df["warmth_cn_dprk"]
        low = w.loc["2013-01":"2015-12"].min()
        return (low < w.loc["2012-06"] - 0.1
                and w.min() > -0.5
                and w.loc["2015-12"] > low + 0.1)
    assert _share(holds(df) for df in replay) >= REQUIRED_SHARE


def test_f_deep_engagement_trade_grows_despite_un_sanctions(deep_engagement):
    """Report §China's Deep Engagement: "Chinese trade and investment in North Korea also
    increased considerably during this period despite the adoption of UN sanctions
    resolutions"; China "took a minimal approach to interpreting and enforcing" them.
    """
    def holds(df):
        trade = {y: _annual(df, "cn_exports_reported", y) + _annual(df, "cn_imports_reported", y)
                 for y in (2009, 2012)}
        return (trade[2012] > 1.4 * trade[2009]
                and df["beijing_enforcement"].mean() < 0.3
                and df["sanctions_scope"].iloc[-1] > df["sanctions_scope"].iloc[0])
    assert _share(holds(df) for df in deep_engagement) >= REQUIRED_SHARE
