"""The ``uncertain:`` block of a scenario: its paths, their ranges, the distributions,
and the checks of the block.

A path is ``parameters.NAME`` (see ``buffer-sim params``), ``ACTOR.thresholds.PRIORITY``
or ``events[LABEL].FIELD[.KEY]`` (a number of a dated event); ``actors.`` in front of an
actor's path may be written or left out. The schema (``schema``) runs these checks when
it builds a ``Scenario``; the seeds, draws and the applying of drawn values are in
``uncertain``, above the schema.
"""

from __future__ import annotations

import re

from buffer_sim.agents import ACTORS
from buffer_sim.core.errors import ScenarioError
from buffer_sim.core.params import PARAMETER_RANGES
from buffer_sim.core.priorities import PRIORITIES
from buffer_sim.core.world import INSTRUMENTS, STATE_VARIABLES
from buffer_sim.scenario.names import unknown, unknown_parameter

#: Distribution -> its fields (all required).
DISTRIBUTIONS = {
    "uniform": ("low", "high"),
    "normal": ("mean", "sd", "low", "high"),
    "triangular": ("low", "mode", "high"),
}
#: Admissible range of an actor's threshold (as for ``thresholds:`` in a scenario).
THRESHOLD_RANGE = (-5.0, 5.0)


# --- paths and checks --------------------------------------------------------------------

#: ``events[LABEL].FIELD[.KEY]``: a number of a dated event, named by its label.
_EVENT_PATH = re.compile(r"^events\[(?P<label>[^\]]+)\]\.(?P<rest>.+)$")


def event_path(path: str) -> tuple[str, list[str]] | None:
    """(label, field parts) of an event path, or None for any other path."""
    m = _EVENT_PATH.match(str(path).strip())
    if not m:
        return None
    return m.group("label").strip(), [p.strip() for p in m.group("rest").split(".")]


def normalize_path(path: str) -> str:
    """'actors.beijing.thresholds.no_war' -> 'beijing.thresholds.no_war'."""
    event = event_path(path)
    if event is not None:
        return f"events[{event[0]}]." + ".".join(event[1])
    parts = [p.strip() for p in str(path).split(".")]
    if parts[:1] == ["actors"]:
        parts = parts[1:]
    return ".".join(parts)


def parameter_range(file, field_name: str, path: str) -> tuple[float, float]:
    """The admissible range of an uncertain parameter path (or ``ScenarioError``)."""
    event = event_path(path)
    if event is not None:
        return event_range(file, field_name, event[1])
    parts = path.split(".")
    if len(parts) == 2 and parts[0] == "parameters":
        if parts[1] not in PARAMETER_RANGES:
            raise unknown_parameter(file, field_name, parts[1])
        return tuple(float(v) for v in PARAMETER_RANGES[parts[1]])
    if len(parts) == 3 and parts[1] == "thresholds" and parts[0] in ACTORS:
        if parts[2] not in PRIORITIES:
            raise unknown(file, field_name, parts[2], PRIORITIES, "priority")
        return THRESHOLD_RANGE
    if len(parts) == 3 and parts[0] not in ACTORS and parts[1] == "thresholds":
        raise unknown(file, field_name, parts[0], ACTORS, "actor")
    raise ScenarioError(file, field_name, f"cannot be uncertain: expected parameters.NAME, "
                                          f"ACTOR.thresholds.PRIORITY or "
                                          f"events[LABEL].FIELD, got {path!r}")


def event_range(file, field_name: str, fields: list[str]) -> tuple[float, float]:
    """The admissible range of a number of an event (``events[LABEL].FIELD[.KEY]``)."""
    head, rest = fields[0], fields[1:]
    if head in ("sanctions_scope", "sanctions_exempt") and not rest:
        return (0.0, 1.0)
    if head == "thresholds" and len(rest) == 1:
        return THRESHOLD_RANGE
    if head == "parameters" and len(rest) == 1 and rest[0] in PARAMETER_RANGES:
        return tuple(float(v) for v in PARAMETER_RANGES[rest[0]])
    if head == "effects" and len(rest) == 1 and rest[0] in STATE_VARIABLES:
        _, lo, hi, _ = STATE_VARIABLES[rest[0]]
        width = (hi if hi is not None else 1e6) - lo
        return (-width, width)
    if head in ("set", "change") and len(rest) == 1:
        ranges = [v for ins in INSTRUMENTS.values() for k, v in ins.items() if k == rest[0]]
        if ranges:
            lo, hi, _ = ranges[0]
            return (lo, hi) if head == "set" else (lo - hi, hi - lo)
    raise ScenarioError(file, field_name, f"not a number an event holds: "
                                          f"{'.'.join(fields)!r} (expected sanctions_scope, "
                                          f"sanctions_exempt, "
                                          f"thresholds.PRIORITY, parameters.NAME, "
                                          f"effects.VARIABLE, set.INSTRUMENT or "
                                          f"change.INSTRUMENT)")


def check_event_paths(file, uncertain: dict, events) -> None:
    """Every event an ``uncertain:`` path names exists and holds that field."""
    labels = {ev.label: ev for ev in events}
    for path in uncertain:
        event = event_path(path)
        if event is None:
            continue
        label, fields = event
        if label not in labels:
            raise unknown(file, f"uncertain.{path}", label, labels, "event label")
        held = getattr(labels[label], fields[0], None)
        if held is None or (len(fields) > 1 and fields[1] not in held):
            raise ScenarioError(file, f"uncertain.{path}",
                                f"the event {label!r} has no {'.'.join(fields)}")


def check_uncertain(file, block: dict | None) -> dict[str, dict]:
    """Validate an ``uncertain:`` block (path -> distribution fields, as written).

    Returns:
        normalized path -> ``{"dist": ..., field: float, ...}`` in declaration order.

    Raises:
        ScenarioError: an unknown path, a distribution field missing or out of place,
            bounds outside the parameter's range, ``low >= high``, a mode or mean
            outside the bounds, a standard deviation that is not positive.
    """
    out: dict[str, dict] = {}
    for key, spec in (block or {}).items():
        where = f"uncertain.{key}"
        path = normalize_path(key)
        lo_ok, hi_ok = parameter_range(file, where, path)
        if path in out:
            raise ScenarioError(file, where, f"{path} is declared twice")
        spec = {k: v for k, v in dict(spec).items() if v is not None}
        dist = spec.get("dist")
        if dist not in DISTRIBUTIONS:
            raise ScenarioError(file, f"{where}.dist", f"unknown distribution {dist!r}; "
                                                      f"expected one of: {', '.join(DISTRIBUTIONS)}")
        needed = DISTRIBUTIONS[dist]
        for name in needed:
            if name not in spec:
                raise ScenarioError(file, f"{where}.{name}",
                                    f"missing (required for a {dist} distribution)")
        for name in spec:
            if name != "dist" and name not in needed:
                raise ScenarioError(file, f"{where}.{name}",
                                    f"not a field of a {dist} distribution (it takes "
                                    f"{', '.join(needed)})")
        values = {name: float(spec[name]) for name in needed}
        for name in ("low", "high"):
            v = values[name]
            if not lo_ok <= v <= hi_ok:
                raise ScenarioError(file, f"{where}.{name}", f"{v:g} is outside the range of "
                                                            f"{path}, [{lo_ok:g}, {hi_ok:g}]")
        if not values["low"] < values["high"]:
            raise ScenarioError(file, f"{where}.high", f"must be above low ({values['low']:g}), "
                                                      f"got {values['high']:g}")
        for name in ("mode", "mean"):
            if name in values and not values["low"] <= values[name] <= values["high"]:
                raise ScenarioError(file, f"{where}.{name}",
                                    f"{values[name]:g} is outside [low, high] = "
                                    f"[{values['low']:g}, {values['high']:g}]")
        if "sd" in values and not values["sd"] > 0:
            raise ScenarioError(file, f"{where}.sd", f"must be above 0, got {values['sd']:g}")
        out[path] = {"dist": dist, **values}
    return out
