"""The priorities actors rank, each a measurable projection of the world.

A priority reads one number of a projected world (after ``lookahead_months``): a
State variable or one of ``world.MEASURES``, declared as data, and says which side of
a threshold is acceptable. Actors rank priorities (lexicographic
rule) or weigh them by rank (weighted rule); see ``decision.py``.

Beijing's three headline priorities come from the report's Introduction: Chinese
officials describe their policy as "no war, no instability, and no nuclear weapons";
"in practice, it is clear that those priorities are ranked in that order of
precedence" (note 4).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Priority:
    """One goal an actor can rank.

    Attributes:
        name: identifier used in scenario files.
        label: words for narratives ("no war").
        measure: what the number is ("projected tension").
        at_most: True if the value must stay at or below the threshold.
        scale: a meaningful difference in the value (for ties and weights).
        metric: the ``world.Projected`` field that measures it (a State variable or
            one of ``world.MEASURES``).
        citation: where the priority comes from.
        readings: (actor, metric, measure) for an actor that measures the same goal
            its own way, with its reason; the others read ``metric``.
    """

    name: str
    label: str
    measure: str
    at_most: bool
    scale: float
    metric: str
    citation: str
    readings: tuple[tuple[str, str, str], ...] = ()

    def satisfied(self, value, threshold):
        return value <= threshold if self.at_most else value >= threshold

    def metric_for(self, actor: str) -> str:
        """The ``world.Projected`` field that measures the priority for ``actor``."""
        return next((m for a, m, _ in self.readings if a == actor), self.metric)

    def measure_for(self, actor: str) -> str:
        """What the number is, in words, for ``actor``."""
        return next((w for a, _, w in self.readings if a == actor), self.measure)


PRIORITIES: dict[str, Priority] = {
    p.name: p for p in [
        Priority("no_war", "no war", "war risk (the tension the standoff is heading to)", True, 0.05,
                 "war_risk",
                 "report §Introduction: 'no war, no instability, and no nuclear weapons', "
                 "ranked in that order (note 4)",
                 # Next door, Beijing counts part of a crisis's peak as well: it acted "as
                 # tensions between the U.S. and North Korea peaked" (report §The New Kim
                 # on the Block); Washington judges the course of the standoff
                 readings=(("beijing", "war_danger",
                            "war danger (the tension the standoff is heading to, and part "
                            "of a crisis's peak)"),)),
        Priority("no_instability", "no instability", "projected change in DPRK stability",
                 False, 0.005, "stability_change",
                 "report §Introduction: collapse and 'a massive refugee crisis along its "
                 "1,400 kilometer-long border'"),
        Priority("no_nukes", "no nuclear weapons", "projected nuclear threat growth",
                 True, 0.0005, "threat_growth",
                 "report §Introduction: 'Denuclearization ranks as a tertiary priority'; "
                 "§The Rapid Return: 2017 pressure served 'modest goals' (freeze-for-freeze)"),
        Priority("buffer", "the buffer", "projected CN-DPRK less US-DPRK warmth", False, 0.05,
                 "alignment_gap",
                 "report §Introduction: North Korea 'has served as a strategic buffer'; "
                 "§The Rapid Return: guarding against a DPRK realignment"),
        Priority("us_ties", "ties with Washington", "course of CN-US warmth", False, 0.05,
                 "cn_us_course",
                 "report §Introduction: leverage 'in its dealing with the United States'"),
        Priority("border_trade", "border trade", "projected China-DPRK trade (ratio to now)",
                 False, 0.1, "trade_ratio",
                 "report §Deep Engagement: border provinces' firms and infrastructure"),
        Priority("security", "regime security", "projected nuclear deterrent against US signalling",
                 False, 0.004, "deterrent",
                 "report §The Rapid Return: 'completing the state nuclear force' (note 68)"),
        Priority("completion", "completing the nuclear force",
                 "projected nuclear deterrent against US signalling, less the resolve outreach "
                 "gives up", False, 0.004, "deterrent_unbargained",
                 "report §The Rapid Return: 'completing the state nuclear force' (note 68), "
                 "then 'willingness to negotiate over the denuclearization'"),
        Priority("calm", "easing tensions", "projected tension on the peninsula", True, 0.05,
                 "tension",
                 "report §The Rapid Return: Kim 'now intended to ease tensions on the "
                 "Peninsula and prioritize economic development' (note 68)"),
        Priority("autonomy", "autonomy", "projected autonomy from the patron", False, 0.05,
                 "autonomy",
                 "report §Introduction: Juche against sadaejuui, 'flunkeyism'; §The New Kim: "
                 "2017 attacks on the 'big neighbor'"),
        Priority("survival", "regime survival", "projected DPRK economy, ratio to now per half-year",
                 False, 0.005, "economy_ratio",
                 "report §Cold War Relations: the 1990s famine after Soviet supplies ended; "
                 "§The New Kim on the Block: 'climbing fuel prices' under China's 2017 squeeze"),
        Priority("economy", "the economy", "projected growth of the DPRK economy (ratio to now)",
                 False, 0.005, "economy_ratio",
                 "report §The Rapid Return: 'economic development would now be the "
                 "country's top priority'"),
        Priority("denuclearisation", "denuclearisation", "projected pace of the nuclear programme",
                 True, 0.001, "nuclear_pace",
                 "report §China's Deep Engagement: the U.S. pressed China to pressure Pyongyang"),
        Priority("sanctions_bite", "sanctions that bite",
                 "projected DPRK economy, ratio to now per half-year", True, 0.005,
                 "economy_ratio",
                 "report §The New Kim on the Block: 'a U.S.-led \"maximum pressure\" "
                 "campaign of sanctions enforcement against North Korea's foreign business "
                 "partners'"),
        Priority("alliance", "alliance security", "projected deterrence balance", False, 0.05,
                 "deterrence_balance",
                 "report §The New Kim on the Block: THAAD, 'maximum pressure', threats"),
        Priority("inter_korean", "inter-Korean engagement", "projected ROK-DPRK warmth",
                 False, 0.05, "warmth_rok_dprk",
                 "report §The Rapid Return: Pyeongchang, the 2018 inter-Korean summits"),
        Priority("china_ties", "ties with Beijing", "projected CN-ROK warmth", False, 0.05,
                 "warmth_cn_rok",
                 "report §The New Kim on the Block: Park-Xi state visits, then THAAD"),
    ]
}

#: Threshold used when an actor ranks a priority its class does not set one for.
DEFAULT_THRESHOLDS: dict[str, float] = {
    "no_war": 0.6, "no_instability": 0.0, "no_nukes": 0.005, "buffer": 0.6,
    "us_ties": -0.2, "border_trade": 1.0, "security": 0.95, "completion": 0.95, "autonomy": 0.8,
    "economy": 1.0, "calm": 0.2, "survival": 0.95, "sanctions_bite": 0.95, "denuclearisation": 0.003,
    "alliance": 0.45, "inter_korean": 0.0, "china_ties": 0.2,
}
