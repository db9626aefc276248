"""Seoul: no war, then engagement or alliance alignment, then ties with Beijing.

Source: Daniel Wertz, *China-North Korea Relations* (NCNK). §The New Kim on the
Block: Xi and Park Geun-hye's state visits; THAAD "quickly ended the diplomatic
courtship between Seoul and Beijing". §The Rapid Return: Pyeongchang and the
inter-Korean summits under Moon Jae-in. The order depends on the administration
(Park vs Moon); a scenario event swaps it (May 2017).
"""

from __future__ import annotations

from buffer_sim.agents.base import PolicyActor


class Seoul(PolicyActor):
    """The South Korean government. Instruments: engagement with the North,
    alliance alignment (THAAD), ties with Beijing."""

    name = "seoul"
    label = "Seoul"
    default_priorities = ("no_war", "alliance", "china_ties")
    default_thresholds = {"no_war": 0.5, "alliance": 0.45, "inter_korean": 0.0,
                          "china_ties": 0.2}
    default_instruments = {"engagement": 0.2, "alignment": 0.5, "china_ties": 0.5}
