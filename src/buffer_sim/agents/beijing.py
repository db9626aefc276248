"""Beijing: the patron that ranks no war over no instability over no nuclear weapons.

Source: Daniel Wertz, *China-North Korea Relations* (NCNK). Introduction: Chinese
policy is "no war, no instability, and no nuclear weapons", "ranked in that order of
precedence" (note 4); North Korea is "a strategic buffer"; denuclearization "ranks as
a tertiary priority". §China's Deep Engagement: "a minimal approach to interpreting
and enforcing the resolutions". §The New Kim on the Block: enforcement in 2017 "as
tensions between the U.S. and North Korea peaked". §The Rapid Return: "a weakening
Chinese commitment to sanctions enforcement" once Pyongyang turned to diplomacy.
"""

from __future__ import annotations

from buffer_sim.agents.base import PolicyActor
from buffer_sim.core.decision import Candidates, Decision
from buffer_sim.core.months import month_str
from buffer_sim.core.world import INSTRUMENTS


class Beijing(PolicyActor):
    """China's leadership. Uses its leverage only when war and collapse are safe.

    Priorities (default order): no_war, no_instability, no_nukes, buffer, us_ties,
    border_trade. Instruments: enforcement, crackdown, aid, engagement (UN resolutions
    are scenario events: Beijing voted for every one of them in 2006-2017). A raise of
    visible enforcement is published and stands ``enforcement_commitment_months``
    before Beijing may lower it; the crackdown on informal trade is never announced and
    stays free (report §The Rapid Return: officials "not proactively stopping"
    smuggling). A visible measure is announced whole, so enforcement may rise by up to
    ``enforcement_largest_raise`` in a month (a step a month down).
    """

    name = "beijing"
    label = "Beijing"
    default_priorities = ("no_war", "no_instability", "no_nukes", "buffer", "us_ties",
                          "border_trade")
    default_thresholds = {
        # tension above which a war is judged a real risk
        "no_war": 0.6,
        # fall of stability over the lookahead that Beijing will not cause or allow:
        # none. It fears destabilising change (collapse, refugees) whatever the level,
        # so the priority binds whenever pressure would shake the regime at all, and
        # Beijing presses for its third priority only with what stability can bear
        "no_instability": 0.0,
        # threat growth (pace x level) Beijing tolerates before pressing for a freeze
        "no_nukes": 0.005,
        # Pyongyang clearly closer to Beijing than to Washington (warmth gap)
        "buffer": 0.6,
        # CN-US warmth Beijing will not let fall below: a chill, not a rupture
        "us_ties": -0.2,
        "border_trade": 1.0,
    }
    default_instruments = {"enforcement": 0.1, "crackdown": 0.1, "aid": 0.5, "engagement": 0.6}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: first month in which a raise of visible enforcement may be undone
        self.enforcement_committed_until = -1

    def candidates(self, state, params) -> Candidates:
        """The usual candidates, with none lowering visible enforcement while a raise
        stands (``enforcement_commitment_months``): a published measure is not
        withdrawn within weeks; and raises of it by whole steps up to
        ``enforcement_largest_raise``: a ban is announced whole. The crackdown on
        informal trade is not bound, and a scenario's pins and forced values still set
        enforcement where they fix it."""
        committed = self.model.month < self.enforcement_committed_until
        now = self.instruments["enforcement"]
        self.floors = {"enforcement": now} if committed else {}
        self.largest_raise = {"enforcement": params.enforcement_largest_raise}
        ruled_out = (committed and now > INSTRUMENTS[self.name]["enforcement"][0] + 1e-9
                     and "enforcement" not in self.pinned and "enforcement" not in self.forced)
        self.commitment_note = (f"enforcement before {month_str(self.enforcement_committed_until)}"
                                if ruled_out else "")
        return super().candidates(state, params)

    def adopt(self, candidates, index, deciding, priorities, thresholds, projection,
              rows) -> Decision:
        before = self.instruments["enforcement"]
        decision = super().adopt(candidates, index, deciding, priorities, thresholds,
                                 projection, rows)
        if self.instruments["enforcement"] > before + 1e-9:
            self.enforcement_committed_until = int(
                self.model.month + round(self.model.params.enforcement_commitment_months))
        return decision
