"""Pyongyang: the client that will not be a pliant ally.

Source: Daniel Wertz, *China-North Korea Relations* (NCNK). Introduction: the Kim
dynasty defined Juche "in opposition to ... sadaejuui or 'serving the great'", and
"to be a pliant ally ... would be anathema". §The New Kim on the Block: the 2012
launch "in defiance of a letter from Xi Jinping"; 2017 state media attacks on China.
§The Rapid Return: after "completing the state nuclear force" Kim "intended to ease
tensions ... and prioritize economic development" (note 68).
"""

from __future__ import annotations

from collections import deque

from buffer_sim.agents.base import PolicyActor
from buffer_sim.core.params import Parameters
from buffer_sim.core.world import RATE_MONTHS, State


class Pyongyang(PolicyActor):
    """North Korea's leadership: survival first, then completing its nuclear force,
    autonomy, the economy.

    Before the declaration, outreach is not free: talks would put the programme itself
    on the table (in 2018 Pyongyang showed its "willingness to negotiate over 'the
    denuclearization of the Korean Peninsula'", report §The Rapid Return), so the
    ``completion`` priority counts outreach as resolve given up. Kim Jong Un "did not
    meet with his Chinese counterpart for his first six years in power" and reached out
    once he had declared the force complete (ibid.); the economy's small gains from
    outreach no longer draw Pyongyang into talks before then.

    Survival is a floor, not a goal: no test or posture is worth a fall of the economy
    deeper than ``survival`` allows in half a year (the 1990s famine, report §Cold War
    Relations). Under a squeeze that deep Pyongyang forgoes tests it is ready for,
    completed programme or not: the channel of realized influence.

    Completion is a declaration, not a level: Kim declares the state nuclear force
    complete once the programme is a credible deterrent (``nuclear_complete_level``)
    *and* it has cost what the regime can bear - the economy has fallen over the last
    half-year as far as its ``survival`` threshold allows. Then the order switches to
    ``priorities_after_completion``: the economy first, then security, then easing
    tensions, then autonomy ("he now intended to ease tensions on the Peninsula and
    prioritize economic development", report §The Rapid Return, note 68). Easing
    tensions aims at the quiet of the armistice (tension at its baseline), so it stays
    unmet while the standoff lasts: among the options security and the economy leave
    open, Kim takes the one that calms the peninsula most - talks over a test - instead
    of a missile test to show his patron he is no 'flunkey'. A faster programme does not
    declare earlier by itself: the squeeze sets the date, so the turn does not hang on
    the pace of an invented programme scale.

    The declaration carries a moratorium on nuclear and long-range tests ("North
    Korea's unilateral announcement of a moratorium on nuclear and long-range missile
    tests", report §The Rapid Return): Pyongyang's half of the freeze-for-freeze. It
    lapses if Washington's military signalling climbs above what it was when Kim
    declared, the threat the completed force was declared against; short-range missile
    tests stay open. Its security threshold lies above the completion level (a
    deterrent can always be made more credible), so after the declaration a missile
    test is still wanted whenever the economy can bear it: whether pressure makes the
    economy unable to bear it is what realized influence measures.

    A declaration is kept by not testing: a nuclear or long-range test after it (one
    history makes in a replay, or Pyongyang's own once the moratorium has lapsed) ends
    it, and the order goes back to completing the force until Kim declares again. A
    force "completed" and then tested again was not complete: the declaration and the
    moratorium are one act (report §The Rapid Return).
    """

    name = "pyongyang"
    label = "Pyongyang"
    default_priorities = ("survival", "completion", "autonomy", "economy")
    default_priorities_after_completion = ("economy", "security", "calm", "autonomy")
    default_thresholds = {
        # the fall of the economy in half a year it will not risk for its programme: a
        # squeeze that deep is what starved the regime in the 1990s
        "survival": 0.95,
        # the deterrent it wants: above the completion level, less when US exercises stop
        "security": 0.95,
        # the same deterrent before the declaration, talks counted as resolve given up
        "completion": 0.95,
        "autonomy": 0.8,
        # the tension it aims to bring the peninsula down to once the force is declared:
        # the armistice with no provocations and no signalling (``tension_baseline``)
        "calm": 0.2,
        # growth it wants over the lookahead: 'economic development' is a goal, not
        # survival (a 2% rise in half a year)
        "economy": 1.02,
    }
    default_instruments = {"provocation": 0, "outreach": 0.2}
    discrete: dict[str, tuple[float, ...]] = {"provocation": (0, 1, 2)}

    def __init__(self, model, priorities=None, thresholds=None, rule="lexicographic",
                 instruments=None, priorities_after_completion=None,
                 declared_against=None) -> None:
        super().__init__(model, priorities, thresholds, rule, instruments)
        self.priorities_after_completion = list(priorities_after_completion
                                                or self.default_priorities_after_completion)
        #: Washington's military signalling when Kim declared (the moratorium's bound);
        #: None until he declares (a period that starts after the declaration sets it)
        self.declared_against: float | None = (None if declared_against is None
                                               else float(declared_against))
        #: the economy of the last ``RATE_MONTHS`` + 1 months, oldest first
        self._economy_memory: deque[float] = deque(maxlen=int(RATE_MONTHS) + 1)

    def observe(self, state: State, params: Parameters) -> None:
        """Remember the month's economy; withdraw a declaration that last month's
        major test broke; declare completion when the deterrent is credible and the
        last half-year's fall of the economy has reached the floor ``survival`` sets:
        the programme has cost what the regime can bear."""
        memory = self._economy_memory
        memory.append(float(state.dprk_economy))
        if self.declared_complete and self.instruments["provocation"] >= 2:
            # last month's major test broke the moratorium the declaration carried
            self.declared_against = None
        if (not self.declared_complete and len(memory) == memory.maxlen
                and float(state.nuclear) >= params.nuclear_complete_level
                and memory[-1] <= self.thresholds["survival"] * memory[0]):
            self.declared_against = self._us_military()

    @property
    def declared_complete(self) -> bool:
        """Whether Kim has declared the state nuclear force complete."""
        return self.declared_against is not None

    def _us_military(self) -> float:
        return float(self.model.actors["washington"].instruments["military"])

    def moratorium(self) -> bool:
        """Whether the declared moratorium on nuclear and long-range tests holds."""
        return (self.declared_against is not None
                and self._us_military() <= self.declared_against + 1e-9)

    def active_priorities(self, state: State) -> list[str]:
        return self.priorities_after_completion if self.declared_complete else self.priorities

    def candidates(self, state: State, params: Parameters):
        # A test is an act, not a setting: keeping course means no test this month.
        if "provocation" not in self.forced and "provocation" not in self.pinned:
            self.instruments = {**self.instruments, "provocation": 0}
        ready = float(state.test_readiness)
        levels = (0, 1, 2) if ready >= 1.0 else (0, 1)
        if 2 in levels and self.moratorium():
            levels = (0, 1)
        self.discrete = {"provocation": levels}
        return super().candidates(state, params)
