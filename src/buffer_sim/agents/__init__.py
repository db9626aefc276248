"""The four actors, one module each."""

from buffer_sim.agents.base import PolicyActor
from buffer_sim.agents.beijing import Beijing
from buffer_sim.agents.pyongyang import Pyongyang
from buffer_sim.agents.seoul import Seoul
from buffer_sim.agents.washington import Washington

ACTORS: dict[str, type[PolicyActor]] = {
    cls.name: cls for cls in (Beijing, Pyongyang, Washington, Seoul)
}

__all__ = ["ACTORS", "Beijing", "PolicyActor", "Pyongyang", "Seoul", "Washington"]
