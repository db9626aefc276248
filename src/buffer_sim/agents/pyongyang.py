"""Pyongyang: the client that will not be a pliant ally.

Source: Daniel Wertz, *China-North Korea Relations* (NCNK). Introduction: the Kim
dynasty defined Juche "in opposition to ... sadaejuui or 'serving the great'", and
"to be a pliant ally ... would be anathema". §The New Kim on the Block: the 2012
launch "in defiance of a letter from Xi Jinping"; 2017 state media attacks on China.
§The Rapid Return: after "completing the state nuclear force" Kim "intended to ease
tensions ... and prioritize economic development" (note 68).
"""

from __future__ import annotations


from buffer_sim.agents.base import PolicyActor
from buffer_sim.core.params import Parameters
from buffer_sim.core.world import State


class Pyongyang(PolicyActor):
    """North Korea's leadership: survival first, then security, autonomy, the economy.

    Survival is a floor, not a goal: no test or posture is worth a fall of the economy
    deeper than ``survival`` allows in half a year (the 1990s famine, report §Cold War
    Relations). Under a squeeze that deep Pyongyang forgoes tests it is ready for,
    completed programme or not: the channel of realized influence.

    Once the programme reaches ``nuclear_complete_level`` (a parameter) Kim declares
    the state nuclear force complete and the order switches to
    ``priorities_after_completion``: the economy first, then security, then autonomy
    ("economic development would now be the country's top priority", report §The
    Rapid Return, note 73). The declaration is an outcome of the programme, not a
    scripted date. Its security threshold lies above the completion level (a
    deterrent can always be made more credible), so after the declaration a test is
    still wanted whenever the economy can bear it: whether pressure makes the economy
    unable to bear it is what realized influence measures.
    """

    name = "pyongyang"
    label = "Pyongyang"
    default_priorities = ("survival", "security", "autonomy", "economy")
    default_priorities_after_completion = ("economy", "security", "autonomy")
    default_thresholds = {
        # the fall of the economy in half a year it will not risk for its programme: a
        # squeeze that deep is what starved the regime in the 1990s
        "survival": 0.95,
        # the deterrent it wants: above the completion level, less when US exercises stop
        "security": 0.95,
        "autonomy": 0.8,
        # growth it wants over the lookahead: 'economic development' is a goal, not
        # survival (a 2% rise in half a year)
        "economy": 1.02,
    }
    default_instruments = {"provocation": 0, "outreach": 0.2}
    discrete: dict[str, tuple[float, ...]] = {"provocation": (0, 1, 2)}

    def __init__(self, model, priorities=None, thresholds=None, rule="lexicographic",
                 instruments=None, priorities_after_completion=None) -> None:
        super().__init__(model, priorities, thresholds, rule, instruments)
        self.priorities_after_completion = list(priorities_after_completion
                                                or self.default_priorities_after_completion)
        self.declared_complete = False

    def active_priorities(self, state: State) -> list[str]:
        if float(state.nuclear) >= self.model.params.nuclear_complete_level:
            self.declared_complete = True
        return self.priorities_after_completion if self.declared_complete else self.priorities

    def candidates(self, state: State, params: Parameters):
        # A test is an act, not a setting: keeping course means no test this month.
        if "provocation" not in self.forced and "provocation" not in self.pinned:
            self.instruments = {**self.instruments, "provocation": 0}
        ready = float(state.test_readiness)
        levels = (0, 1, 2) if ready >= 1.0 else (0, 1) if ready >= params.missile_readiness_cost else (0,)
        self.discrete = {"provocation": levels}
        return super().candidates(state, params)
