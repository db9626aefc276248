"""The four actors, one module each."""

from buffer_sim.actors.base import PolicyActor
from buffer_sim.actors.beijing import Beijing
from buffer_sim.actors.pyongyang import Pyongyang
from buffer_sim.actors.seoul import Seoul
from buffer_sim.actors.washington import Washington

ACTORS: dict[str, type[PolicyActor]] = {
    cls.name: cls for cls in (Beijing, Pyongyang, Washington, Seoul)
}

__all__ = ["ACTORS", "Beijing", "PolicyActor", "Pyongyang", "Seoul", "Washington"]
