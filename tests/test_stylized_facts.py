"""The report's stylized facts, each a test on 20 seeds, at the report's own dates.

Each fact cites the passage of Daniel Wertz, *China-North Korea Relations* (NCNK) it
encodes and runs on a scenario where the actor under test is free: nothing of Beijing
is pinned in any of these scenarios, Pyongyang chooses freely from 2018-01 in the
replay, and in ``pressure_2016_2017`` its tests are not scripted at all. A fact must
hold in at least 80% of the seeds (the model is stochastic: whether a test comes off,
noise in trade). Windows follow the report's dates, so that a missed step cannot pass:
the February 2017 coal suspension is judged in February-April 2017 against 2016.

Facts the mechanism does not yet produce in 80% of seeds are marked ``xfail`` with
the share measured when the marker was set (issue 12 tracks them); they still run, and
the marker goes when the mechanism carries them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from buffer_sim.model import run_model, timeseries_rows
from buffer_sim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SEEDS = range(20)
REQUIRED_SHARE = 0.8
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


def _mean(df, column, start, end) -> float:
    return float(df.loc[start:end, column].mean())


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
    replay = load_scenario(SCENARIOS / "replay_2009_2019.yaml")
    assert all(p.end <= replay.start + 107 for p in replay.pins if p.actor == "pyongyang")


# --- 2016-2017: pressure, on the report's dates ----------------------------------------

def test_a1_beijing_steps_up_visible_enforcement_in_february_2017(replay):
    """Report §The New Kim on the Block: after the 2016 tests, another nuclear test and
    Kim Jong Nam's assassination, "In February 2017, China announced that it would
    suspend all coal imports from North Korea". Instrument judged: visible enforcement,
    February-April 2017 against its 2016 mean, by at least 0.2."""
    assert _share(_mean(d, "beijing_enforcement", "2017-02", "2017-04")
                  >= _mean(d, "beijing_enforcement", "2016-01", "2016-12") + 0.2
                  for d in replay) >= REQUIRED_SHARE


@pytest.mark.xfail(reason="issue 12: 70% of 10 seeds when set", strict=False)
def test_a2_further_steps_as_tensions_peak_in_the_second_half_of_2017(replay):
    """Report §The New Kim on the Block: "China took further action to enforce sanctions
    as tensions between the U.S. and North Korea peaked later that year ... cracked down
    on cross-border smuggling." Instruments judged: visible enforcement or the crackdown,
    whose peak in July-December 2017 is at least 0.2 above February-April 2017."""
    def holds(d):
        step = max(d.loc["2017-07":"2017-12", "beijing_enforcement"].max()
                   - _mean(d, "beijing_enforcement", "2017-02", "2017-04"),
                   d.loc["2017-07":"2017-12", "beijing_crackdown"].max()
                   - _mean(d, "beijing_crackdown", "2017-02", "2017-04"))
        return step >= 0.2
    assert _share(holds(d) for d in replay) >= REQUIRED_SHARE


def test_a3_reported_imports_fall_in_2017(replay):
    """Report §The New Kim on the Block: "Reported Chinese imports from North Korea
    declined precipitously"."""
    assert _share(_annual(d, "cn_imports_reported", 2017) < _annual(d, "cn_imports_reported", 2016)
                  for d in replay) >= REQUIRED_SHARE


# --- 2018-2019: the rapid return ------------------------------------------------------

def test_b1_reported_imports_stay_under_a_tenth_of_2016(replay):
    """Report §The Rapid Return: "reported Chinese imports from North Korea since the
    start of 2018 have been less than a tenth of the value reported only a few years
    previously" - because visible enforcement stays high (next test)."""
    assert _share(max(_annual(d, "cn_imports_reported", 2018),
                      _annual(d, "cn_imports_reported", 2019))
                  < 0.1 * _annual(d, "cn_imports_reported", 2016)
                  for d in replay) >= REQUIRED_SHARE


def test_b2_visible_enforcement_stays_high_for_standing_with_washington(replay):
    """Report §The Rapid Return: "Wide-ranging sanctions have remained on the books".
    Instrument judged: visible enforcement, mean of 2018-07..2019-12 at least 0.6."""
    assert _share(_mean(d, "beijing_enforcement", "2018-07", "2019-12") >= 0.6
                  for d in replay) >= REQUIRED_SHARE


@pytest.mark.xfail(reason="issue 12: 50% of 10 seeds when set", strict=False)
def test_b3_beijing_relaxes_through_its_tolerance_of_informal_trade(replay):
    """Report §The Rapid Return: "a weakening Chinese commitment to sanctions
    enforcement ... smuggling and informal trade along the border appear to have
    largely resumed". Instrument judged: the crackdown, 2019 mean at least 0.25 below
    its peak of 2017-10..2018-03; and the move shows in trade: informal imports in 2019
    at least 1.5 times those of 2017-10..12."""
    def holds(d):
        eased = (_mean(d, "beijing_crackdown", "2019-01", "2019-12")
                 <= d.loc["2017-10":"2018-03", "beijing_crackdown"].max() - 0.25)
        resumed = (_mean(d, "cn_imports_informal", "2019-01", "2019-12")
                   > 1.5 * _mean(d, "cn_imports_informal", "2017-10", "2017-12"))
        return eased and resumed
    assert _share(holds(d) for d in replay) >= REQUIRED_SHARE


def test_b4_tension_falls_and_the_economy_stays_stable(replay):
    """Report §The Rapid Return: the moratorium and summits; "key indicators of the
    DPRK's macroeconomic health ... have remained relatively stable"."""
    def holds(d):
        return (_mean(d, "tension", "2019-01", "2019-12") < _mean(d, "tension", "2017-07", "2017-12")
                and d.loc["2018-01":"2019-12", "dprk_economy"].min()
                > 0.85 * d.loc["2017-12", "dprk_economy"])
    assert _share(holds(d) for d in replay) >= REQUIRED_SHARE


@pytest.mark.xfail(reason="issue 12: 70% of 10 seeds when set", strict=False)
def test_b5_pyongyang_turns_to_diplomacy_by_its_own_choice(replay):
    """Report §The Rapid Return: after "completing the state nuclear force", Kim "intended
    to ease tensions on the Peninsula and prioritize economic development". Pyongyang is
    free from 2018-01: its 2018 outreach at least 0.2 above 2017's."""
    assert _share(_mean(d, "pyongyang_outreach", "2018-01", "2018-12")
                  >= _mean(d, "pyongyang_outreach", "2017-01", "2017-12") + 0.2
                  for d in replay) >= REQUIRED_SHARE


# --- leverage and influence ---------------------------------------------------------------

@pytest.mark.xfail(reason="issue 12: 60% of 10 seeds when set", strict=False)
def test_c1_influence_appears_when_pyongyang_forgoes_a_test_under_pressure(replay):
    """Realized influence above 0 in at least 3 months of 2017-10..2018-06 (a test the
    counterfactual without pressure makes and the real Pyongyang forgoes), and yet a
    small share of potential over the decade: report §Introduction, leverage "has rarely
    translated into a commensurate level of influence"."""
    def holds(d):
        months = (d.loc["2017-10":"2018-06", "influence_realized"] > 0).sum()
        return months >= 3 and d["influence_realized"].mean() < 0.25 * d["leverage_potential"].mean()
    assert _share(holds(d) for d in replay) >= REQUIRED_SHARE


def test_c2_pressure_does_not_stop_the_2017_tests(pressure):
    """Report §The New Kim on the Block: pressure in 2017 met "more nuclear and missile
    tests". Pyongyang is free here: its tests are its own choices."""
    def holds(df):
        year = df.loc["2017-01":"2017-12"]
        return (year["pressure_applied"].max() > 0
                and df["influence_realized"].mean() < 0.1
                and (year["pyongyang_provocation"] == 2).sum() >= 1)
    assert _share(holds(df) for df in pressure) >= REQUIRED_SHARE


def test_d_nukes_first_beijing_presses_harder_in_2016(replay, nukes_first):
    """Report §Introduction: the priorities are "ranked in that order of precedence"
    and "Denuclearization ranks as a tertiary priority". Put it first, and Beijing
    presses harder from the 2016 tests on. Same seed for both runs."""
    def holds(base, what_if):
        return (_mean(what_if, "beijing_enforcement", "2016-01", "2016-12")
                > _mean(base, "beijing_enforcement", "2016-01", "2016-12"))
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
