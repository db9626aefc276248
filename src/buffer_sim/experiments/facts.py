"""The report's stylized facts of the replay, as predicates on one run's time series.

Source: Daniel Wertz, *China-North Korea Relations* (NCNK). Each fact names the passage
it encodes, the window it is judged in (the report's own dates, so that a missed step
cannot pass) and the instrument it judges; where an instrument could move without
effect (visible enforcement above ``customs_full_enforcement``), the fact also asks
for the move in trade. ``tests/test_stylized_facts.py`` asserts them over seeds, and
``tests/test_robustness.py`` over settings of the model's own assumptions
(``scenarios/replay_2009_2019_robust.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from buffer_sim.core.months import month_year


def _mean(df: pd.DataFrame, column: str, start: str, end: str) -> float:
    return float(df.loc[start:end, column].mean())


def _annual(df: pd.DataFrame, column: str, year: int) -> float:
    return float(df.loc[f"{year}-01":f"{year}-12", column].sum())


@dataclass(frozen=True)
class Fact:
    """One stylized fact: what it says, where the report says it, how it is judged."""

    says: str
    source: str
    holds: Callable[[pd.DataFrame], bool]


def _february_2017_step(d: pd.DataFrame) -> bool:
    return (_mean(d, "beijing_enforcement", "2017-02", "2017-04")
            >= _mean(d, "beijing_enforcement", "2016-01", "2016-12") + 0.2)


def _second_half_2017_steps(d: pd.DataFrame) -> bool:
    step = max(d.loc["2017-07":"2017-12", "beijing_enforcement"].max()
               - _mean(d, "beijing_enforcement", "2017-02", "2017-04"),
               d.loc["2017-07":"2017-12", "beijing_crackdown"].max()
               - _mean(d, "beijing_crackdown", "2017-02", "2017-04"))
    imports = d["cn_imports_reported"] + d["cn_imports_informal"]
    return step >= 0.2 and (imports.loc["2017-10":"2017-12"].mean()
                            < imports.loc["2017-02":"2017-04"].mean())


def _imports_fall_2017(d: pd.DataFrame) -> bool:
    return _annual(d, "cn_imports_reported", 2017) < _annual(d, "cn_imports_reported", 2016)


def _imports_under_a_tenth(d: pd.DataFrame) -> bool:
    return (max(_annual(d, "cn_imports_reported", 2018), _annual(d, "cn_imports_reported", 2019))
            < 0.1 * _annual(d, "cn_imports_reported", 2016))


def _visible_enforcement_stays(d: pd.DataFrame) -> bool:
    return _mean(d, "beijing_enforcement", "2018-07", "2019-12") >= 0.6


def _relaxes_through_the_crackdown(d: pd.DataFrame) -> bool:
    window = d.loc["2017-10":"2018-03"]
    peak = window["beijing_crackdown"].idxmax()
    eased = (_mean(d, "beijing_crackdown", "2019-01", "2019-12")
             <= window["beijing_crackdown"].max() - 0.25)
    resumed = (_mean(d, "cn_imports_informal", "2019-01", "2019-12")
               > 1.5 * d.loc[peak, "cn_imports_informal"])
    return bool(eased and resumed)


def _tension_falls_economy_holds(d: pd.DataFrame) -> bool:
    return (_mean(d, "tension", "2019-01", "2019-12") < _mean(d, "tension", "2017-07", "2017-12")
            and d.loc["2018-01":"2019-12", "dprk_economy"].min()
            > 0.85 * d.loc["2017-12", "dprk_economy"])


def _pyongyang_turns_to_diplomacy(d: pd.DataFrame) -> bool:
    return bool(_mean(d, "pyongyang_outreach", "2018-01", "2018-12")
                >= _mean(d, "pyongyang_outreach", "2017-01", "2017-12") + 0.2
                and (d.loc["2018-01":"2018-12", "pyongyang_provocation"] < 2).all())


def _influence_from_forgone_tests(d: pd.DataFrame) -> bool:
    # "Commensurate" compares like with like: realized influence against the influence
    # a cut-off would have bought (both Pyongyang's choice, -1..1, counted alike each
    # month), not against potential leverage, a share of the economy whose size
    # depends on the time unit it is stated in.
    months = int((d.loc["2017-10":"2018-06", "influence_realized"] > 0).sum())
    return (months >= 3
            and d["influence_realized"].mean() < 0.25 * d["influence_potential"].mean())


def _park_courts_and_thaad_ends_it(d: pd.DataFrame) -> bool:
    return bool(_mean(d, "seoul_china_ties", "2014-01", "2015-12")
                > _mean(d, "seoul_china_ties", "2012-01", "2012-12") + 0.2
                and d.loc["2015-12", "warmth_cn_rok"] > d.loc["2012-12", "warmth_cn_rok"] + 0.1
                and d.loc["2017-12", "warmth_cn_rok"] < d.loc["2016-06", "warmth_cn_rok"] - 0.2)


#: name -> fact, in the report's order of events.
REPLAY_FACTS: dict[str, Fact] = {
    "february_2017_step": Fact(
        "Beijing's visible enforcement in Feb-Apr 2017 at least 0.2 above its 2016 mean",
        "§The New Kim on the Block: 'In February 2017, China announced that it would "
        "suspend all coal imports'", _february_2017_step),
    "second_half_2017_steps": Fact(
        "visible enforcement or crackdown peaks in Jul-Dec 2017 at least 0.2 above Feb-Apr, "
        "and imports (reported + informal) of Oct-Dec below Feb-Apr",
        "§The New Kim on the Block: 'further action ... as tensions ... peaked later that year'",
        _second_half_2017_steps),
    "imports_fall_2017": Fact(
        "reported imports of 2017 below 2016's",
        "§The New Kim on the Block: 'Reported Chinese imports ... declined precipitously'",
        _imports_fall_2017),
    "imports_under_a_tenth": Fact(
        "reported imports of 2018 and of 2019 under a tenth of 2016's",
        "§The Rapid Return: 'less than a tenth of the value reported only a few years "
        "previously'", _imports_under_a_tenth),
    "visible_enforcement_stays": Fact(
        "visible enforcement 2018-07..2019-12 at least 0.6 on average",
        "§The Rapid Return: 'Wide-ranging sanctions have remained on the books'",
        _visible_enforcement_stays),
    "relaxes_through_the_crackdown": Fact(
        "the crackdown in 2019 at least 0.25 below its late-2017 peak and informal imports "
        "1.5 times their level at that peak",
        "§The Rapid Return: 'smuggling and informal trade ... appear to have largely resumed'",
        _relaxes_through_the_crackdown),
    "tension_falls_economy_holds": Fact(
        "tension of 2019 below Jul-Dec 2017 and the DPRK economy above 85% of Dec 2017",
        "§The Rapid Return: 'key indicators ... have remained relatively stable'",
        _tension_falls_economy_holds),
    "pyongyang_turns_to_diplomacy": Fact(
        "Pyongyang's 2018 outreach at least 0.2 above 2017's by its own choice, no major test",
        "§The Rapid Return: 'ease tensions ... and prioritize economic development'",
        _pyongyang_turns_to_diplomacy),
    "influence_from_forgone_tests": Fact(
        "realized influence above 0 in 3+ months of 2017-10..2018-06, and under a quarter "
        "of the influence a cut-off would have bought over the decade",
        "§Introduction: leverage 'has rarely translated into a commensurate level of "
        "influence'", _influence_from_forgone_tests),
    "park_courts_and_thaad_ends_it": Fact(
        "Seoul's China ties and CN-ROK warmth rise 2013-2015; warmth falls after July 2016",
        "§The New Kim on the Block: THAAD 'quickly ended the diplomatic courtship'",
        _park_courts_and_thaad_ends_it),
}


#: The calendar years the facts are judged in: Park's courtship from 2012 to the
#: relaxation of 2019. A run must cover them all to be judged.
FACT_YEARS = (2012, 2019)


def judged_in(scenario) -> bool:
    """Whether a scenario's period covers every year of ``FACT_YEARS``."""
    return (month_year(scenario.start) <= FACT_YEARS[0]
            and month_year(scenario.end) >= FACT_YEARS[1])


def judge(df: pd.DataFrame) -> dict[str, bool]:
    """Which replay facts hold in one run (``timeseries`` indexed by ``date``)."""
    return {name: bool(fact.holds(df)) for name, fact in REPLAY_FACTS.items()}
