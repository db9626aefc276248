"""The report's stylized facts, each a test on 20 seeds, at the report's own dates.

Each fact cites the passage of Daniel Wertz, *China-North Korea Relations* (NCNK) it
encodes and runs on a scenario where the actor under test is free: nothing of Beijing
is pinned in any of these scenarios, Pyongyang chooses freely from 2018-01 in the
replay, and in ``pressure_2016_2017`` its tests are not scripted at all. A fact must
hold in at least 80% of the seeds (the model is stochastic: whether a test comes off,
noise in trade). Windows follow the report's dates, so that a missed step cannot pass:
the February 2017 coal suspension is judged in February-April 2017 against 2016.

Each test names the instrument it judges; where an instrument could move without any
effect (visible enforcement above ``customs_full_enforcement`` stops nothing more),
the test also asks for the move in trade.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from buffer_sim.experiments.facts import REPLAY_FACTS
from buffer_sim.model import run_model, timeseries_rows
from buffer_sim.core.months import month_str
from buffer_sim.scenario.schema import load_scenario
from conftest import scenario_runs

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SEEDS = range(20)
REQUIRED_SHARE = 0.8
NUKES_FIRST = "beijing.priorities=no_nukes,no_war,no_instability,buffer,us_ties,border_trade"


def _runs(name: str, overrides=()) -> list[pd.DataFrame]:
    return scenario_runs(SCENARIOS / name, overrides, SEEDS)


@pytest.fixture(scope="module")
def replay():
    return _runs("replay_2009_2019.yaml")


@pytest.fixture(scope="module")
def pressure():
    return _runs("pressure_2016_2017.yaml")


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
    # Pyongyang's tests are history until the end of 2017; from 2018 it is free
    assert max(p.end for p in replay.pins if p.actor == "pyongyang") == replay.start + 107


# --- the replay's facts (``buffer_sim.experiments.facts``: each cites its passage and window) -------

#: facts short of the target at the defaults: name -> why, with the share measured
SHORT: dict[str, str] = {}


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=False, reason=f"issue 12: {SHORT[n]}"))
    if n in SHORT else n for n in REPLAY_FACTS])
@pytest.mark.slow
def test_the_replay_reproduces_the_fact(replay, name):
    fact = REPLAY_FACTS[name]
    share = _share(fact.holds(d) for d in replay)
    assert share >= REQUIRED_SHARE, f"{fact.says} ({fact.source}): {share:.0%} of seeds"


@pytest.mark.slow
def test_b5_also_without_the_summits():
    """The turn to diplomacy is Pyongyang's own choice, not the summits' scripted
    shocks: it holds in ``no_summits_2018`` too."""
    runs = _runs("whatif/no_summits_2018.yaml")
    assert _share(_mean(d, "pyongyang_outreach", "2018-01", "2018-12")
                  >= _mean(d, "pyongyang_outreach", "2017-01", "2017-12") + 0.2
                  for d in runs) >= REQUIRED_SHARE


@pytest.mark.slow
def test_c2_potential_leverage_is_what_a_cut_off_would_take(replay):
    """Potential leverage is measured by a counterfactual cut-off, not a constant: it
    is positive every month, and pressure applied never exceeds it."""
    for d in replay:
        assert (d["leverage_potential"] > 0).all()
        assert (d["pressure_applied"] <= d["leverage_potential"] + 1e-12).all()
        assert d.loc["2018-01":"2018-06", "pressure_applied"].max() > d.loc[
            "2010-01":"2012-12", "pressure_applied"].max()


@pytest.mark.slow
def test_c2_potential_influence_is_what_a_cut_off_would_buy(replay):
    """Realized influence is judged against a potential on its own scale: Pyongyang's
    choice under the same cut-off as potential leverage. Report §Introduction: leverage
    "has rarely translated into a commensurate level of influence". Before 2017 a
    cut-off would have made Pyongyang forgo a test in most months (mean above 0.5 of the
    influence scale); Beijing's own policy bought almost none of it (realized mean under
    0.05); once Pyongyang no longer wants to test (2019) a cut-off would buy little."""
    for d in replay:
        assert _mean(d, "influence_potential", "2009-01", "2015-12") > 0.5
        assert _mean(d, "influence_realized", "2009-01", "2015-12") < 0.05
        assert _mean(d, "influence_potential", "2019-01", "2019-12") < 0.1


@pytest.mark.slow
def test_c3_pressure_does_not_stop_the_2017_tests(pressure):
    """Report §The New Kim on the Block: pressure in 2017 met "more nuclear and missile
    tests". Pyongyang is free here: its tests are its own choices, and a major test
    comes in 2017."""
    assert _share((df.loc["2017-01":"2017-12", "pyongyang_provocation"] == 2).any()
                  for df in pressure) >= REQUIRED_SHARE


@pytest.mark.slow
def test_c4_free_pyongyang_completes_its_programme_in_2017_not_2016(pressure):
    """Report §The Rapid Return: the "historic cause of completing the state nuclear
    force" was declared at the end of 2017. Free to test, the programme is declared
    complete in 2017, and Beijing is not at full enforcement in 2016."""
    def holds(df):
        done = df.index[df["pyongyang_declared_complete"] > 0]
        return (len(done) > 0 and done[0].startswith("2017")
                and df.loc["2016-01":"2016-12", "beijing_enforcement"].max() < 1.0)

    def late(df):
        done = df.index[df["pyongyang_declared_complete"] > 0]
        return len(done) > 0 and "2017-07" <= done[0] <= "2017-12"
    assert _share(holds(df) for df in pressure) >= REQUIRED_SHARE
    # "late 2017 in most seeds" (issue 12): history declared in November
    assert _share(late(df) for df in pressure) > 0.5


def _major_test_months(df: pd.DataFrame) -> list[int]:
    return [i for i, level in enumerate(df["pyongyang_provocation"]) if level == 2]


@pytest.mark.slow
def test_c4_free_pyongyang_tests_by_readiness_not_on_a_timetable(pressure):
    """A major test needs a device or a launcher made ready, and how far a month's
    preparation gets is uncertain (``preparation_noise_sd``); missiles are a programme
    of their own. So free Pyongyang's major tests keep no fixed cycle (the months
    between them differ within a run, and the seeds do not all test in the same
    months), and it launches missiles in the months between (report §The New Kim on
    the Block: "more nuclear and missile tests")."""
    schedules = [_major_test_months(df) for df in pressure]
    uneven = [len(set(np.diff(m))) > 1 for m in schedules if len(m) >= 3]
    assert len(uneven) >= REQUIRED_SHARE * len(schedules)
    assert _share(uneven) >= REQUIRED_SHARE
    assert len({tuple(m) for m in schedules}) >= len(schedules) // 2
    assert _share((df.loc["2016-01":"2017-12", "pyongyang_provocation"] == 1).sum() >= 6
                  for df in pressure) >= REQUIRED_SHARE


def test_c5_a_deep_squeeze_makes_pyongyang_forgo_tests_it_is_ready_for():
    """Pyongyang's first priority is survival: it will not test when its economy is
    projected to fall more than ``survival`` allows in half a year (report §Cold War
    Relations: the 1990s famine). With a slow programme (major-test gain halved), still
    unfinished in 2018, the 2018 squeeze, not completion, is what stops its tests in
    some months: a test was possible, no option kept the economy above the survival
    floor, the tests were projected to cut deeper than holding off, and no test was
    made."""
    scenario = load_scenario(SCENARIOS / "replay_2009_2019.yaml",
                             ["parameters.nuclear_gain_major=0.025"])
    forgone = []
    for seed in range(5):
        model = run_model(scenario, seed=seed)
        df = pd.DataFrame(timeseries_rows(model)).set_index("date")
        assert (df.loc["2018-01":"2018-12", "pyongyang_declared_complete"] == 0).any()
        months = []
        for month, d in model.decisions:
            when = month_str(month)
            if d.actor != "pyongyang" or not "2018-01" <= when <= "2018-12":
                continue
            ev = d.evaluation
            if ev is None or ev.priorities[0] != "survival":
                continue
            survival, floor = ev.values[0], ev.thresholds[0]
            tests = [v for v, o in zip(survival, d.options) if o["provocation"] > 0]
            quiet = [v for v, o in zip(survival, d.options) if o["provocation"] == 0]
            if tests and max(survival) < floor and max(tests) < max(quiet):
                months.append(when)
        assert (df.loc[months, "pyongyang_provocation"] == 0).all()
        forgone.append(len(months))
    assert sum(n >= 1 for n in forgone) >= 4, forgone


# --- the order of priorities ------------------------------------------------------------

@pytest.mark.slow
def test_d1_nukes_first_beijing_presses_harder_from_the_2016_tests(replay):
    """Report §Introduction: the priorities are "ranked in that order of precedence"
    and "Denuclearization ranks as a tertiary priority". Put it first, and Beijing
    enforces from the 2016 tests on (2016 mean at least 0.2 higher) and reported imports
    of 2016-2017 are at least 15% lower. Same seeds (common random numbers), means."""
    first = _runs("replay_2009_2019.yaml", [NUKES_FIRST])
    def mean(runs, column, start, end):
        return np.mean([_mean(d, column, start, end) for d in runs])
    assert (mean(first, "beijing_enforcement", "2016-01", "2016-12")
            >= mean(replay, "beijing_enforcement", "2016-01", "2016-12") + 0.2)
    assert (mean(first, "cn_imports_reported", "2016-01", "2017-12")
            <= 0.85 * mean(replay, "cn_imports_reported", "2016-01", "2017-12"))


def _first_month(df: pd.DataFrame, level: float = 0.5) -> int:
    """Index of the first month Beijing's visible enforcement reaches ``level``; never
    counts as the month after the end."""
    above = np.flatnonzero(df["beijing_enforcement"].to_numpy() >= level)
    return int(above[0]) if above.size else len(df)


@pytest.mark.slow
def test_d2_a_more_war_averse_beijing_presses_earlier():
    """Report §Introduction: "no war" comes first. A Beijing that fears war sooner
    (no_war threshold 0.45) first reaches enforcement 0.5 at least 3 months earlier
    (median month) than one that tolerates more (0.8)."""
    averse = [_first_month(d) for d in _runs("replay_2009_2019.yaml",
                                             ["beijing.thresholds.no_war=0.45"])]
    tolerant = [_first_month(d) for d in _runs("replay_2009_2019.yaml",
                                               ["beijing.thresholds.no_war=0.8"])]
    assert np.median(tolerant) - np.median(averse) >= 3


def test_e2_moon_engages_the_north(replay):
    """Report §The Rapid Return: Pyeongchang and the inter-Korean summits under Moon
    Jae-in: Seoul's engagement in 2018 well above its 2016 level."""
    assert _share(_mean(d, "seoul_engagement", "2018-01", "2018-12")
                  > _mean(d, "seoul_engagement", "2016-01", "2016-12") + 0.3
                  for d in replay) >= REQUIRED_SHARE


def test_e3_cn_dprk_warmth_falls_after_defiance_but_recovers(replay):
    """Report §The New Kim on the Block: the 2012 launch "in defiance of a letter from
    Xi Jinping", the 2013 test and Jang Song Thaek's execution strained ties;
    §Cold War Relations: "a downturn in relations between Beijing and Pyongyang would
    never quite reach the breaking point, and would sooner or later be followed by a
    reversion to the mean." Breaking point: ``breaking_point_cn_dprk``.
    """
    from buffer_sim.core.params import Parameters

    breaking = Parameters().breaking_point_cn_dprk

    def holds(df):
        w = df["warmth_cn_dprk"]
        low = w.loc["2013-01":"2015-12"].min()
        return (low < w.loc["2012-06"] - 0.1
                and w.min() > breaking
                and w.loc["2015-12"] > low + 0.1)
    assert _share(holds(df) for df in replay) >= REQUIRED_SHARE


@pytest.mark.slow
def test_f_deep_engagement_trade_grows_despite_un_sanctions():
    """``deep_engagement_2009_2012``'s claims. Report §China's Deep Engagement: "Chinese
    trade and investment in North Korea also increased considerably during this period
    despite the adoption of UN sanctions resolutions"; China "took a minimal approach to
    interpreting and enforcing" them."""
    def holds(df):
        trade = {y: _annual(df, "cn_exports_reported", y) + _annual(df, "cn_imports_reported", y)
                 for y in (2009, 2012)}
        return (trade[2012] > 1.4 * trade[2009]
                and df["beijing_enforcement"].mean() < 0.3
                and df["sanctions_scope"].iloc[-1] > df["sanctions_scope"].iloc[0])
    assert _share(holds(df) for df in _runs("deep_engagement_2009_2012.yaml")) >= REQUIRED_SHARE


@pytest.mark.slow
def test_g_the_chill_warmth_falls_and_recovers_while_trade_grows():
    """``chill_2012_2015``'s claims: CN-DPRK warmth falls after defiance and recovers
    without the breaking point; Beijing courts Seoul; trade keeps growing."""
    def holds(df):
        w = df["warmth_cn_dprk"]
        trade = {y: _annual(df, "cn_exports_reported", y) + _annual(df, "cn_imports_reported", y)
                 for y in (2012, 2015)}
        return (w.loc["2013-01":"2015-12"].min() < w.loc["2012-06"] - 0.1
                and w.loc["2015-12"] > w.loc["2013-01":"2015-12"].min() + 0.05
                and df.loc["2015-12", "warmth_cn_rok"] > df.loc["2012-12", "warmth_cn_rok"]
                and trade[2015] > trade[2012])
    assert _share(holds(df) for df in _runs("chill_2012_2015.yaml")) >= REQUIRED_SHARE


def test_h_the_rapprochement_from_the_end_2017_world():
    """``rapprochement_2018_2019``'s claims: everyone free from the end-2017 world;
    Beijing relaxes (the crackdown eases and informal trade comes back) while reported
    imports stay near zero and the DPRK economy holds."""
    def holds(df):
        return (_mean(df, "beijing_crackdown", "2019-01", "2019-12")
                < df.loc["2018-01":"2018-06", "beijing_crackdown"].max()
                and _mean(df, "cn_imports_informal", "2019-01", "2019-12")
                > _mean(df, "cn_imports_informal", "2018-01", "2018-03")
                and df["cn_imports_reported"].mean() < 0.25 * df["cn_imports_informal"].mean()
                and df["dprk_economy"].min() > 0.85 * df["dprk_economy"].iloc[0])
    assert _share(holds(df) for df in _runs("rapprochement_2018_2019.yaml")) >= REQUIRED_SHARE
