"""Washington: denuclearisation first, then the alliance, then no war.

Source: Daniel Wertz, *China-North Korea Relations* (NCNK). §Recalibrating Relations:
"the U.S. pressed China to take a greater role in pressuring Pyongyang".
§The New Kim on the Block: "a U.S.-led 'maximum pressure' campaign of sanctions
enforcement against North Korea's foreign business partners" and "trading threats
and insults". §The Rapid Return: the Singapore pledge "to end 'war games'".
Administrations differ in their order; a scenario event swaps it (Jan 2017): the
Trump administration ranks "sanctions that bite" (the DPRK economy falling) second,
the goal of maximum pressure, so its pressure rises by its own choice.
"""

from __future__ import annotations

from buffer_sim.agents.base import PolicyActor


class Washington(PolicyActor):
    """The United States government. Instruments: pressure (incl. secondary
    sanctions on Chinese firms and banks), military signalling, engagement."""

    name = "washington"
    label = "Washington"
    default_priorities = ("denuclearisation", "alliance", "no_war")
    default_thresholds = {"denuclearisation": 0.003, "alliance": 0.45, "no_war": 0.5}
    default_instruments = {"pressure": 0.3, "military": 0.3, "engagement": 0.2}
    # Sanctions designations (Treasury, State) and exercises (the Pentagon) are separate
    # machines: in 2017 'maximum pressure' on North Korea's business partners and
    # 'trading threats and insults' rose together (report §The New Kim on the Block).
    parallel = ("pressure", "military")
