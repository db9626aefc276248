"""Declared uncertain parameters: their checks, the seed scheme and the draws.

Seeds are addressable by index from the scenario's root seed (``seed:``/``--seed``):

* run ``i``'s world noise comes from ``SeedSequence(root, spawn_key=(1, i))``, turned
  into a whole-number seed (``world_seed``) that the model takes as its ``rng``
  (``buffer-sim run --seed <that number>`` replays the run alone);
* each uncertain parameter's draw for run ``i`` comes from
  ``SeedSequence(root, spawn_key=(2, i, crc32(path)))`` (``uniform_draws``), mapped
  through the declared distribution's inverse CDF (``ppf``).

So extending an ensemble (``--start 100``) or splitting it over machines never
changes earlier runs; two scenarios with the same root seed see the same world noise
and the same parameter draws (common random numbers); parameter draws and world
noise are independent; and adding or removing one uncertain parameter does not
change the draws of the others.

Uncertain parameters are declared in a scenario's ``uncertain:`` block::

    uncertain:
      beijing.thresholds.no_war: {dist: uniform, low: 0.5, high: 0.8}
      parameters.inertia: {dist: triangular, low: 2, mode: 6, high: 12}
      parameters.informal_diversion: {dist: normal, mean: 0.5, sd: 0.1, low: 0.2, high: 0.8}

A path is ``parameters.NAME`` (see ``buffer-sim params``) or
``ACTOR.thresholds.PRIORITY``; a normal distribution is truncated to ``[low, high]``.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

from buffer_sim.agents import ACTORS
from buffer_sim.core.errors import ScenarioError
from buffer_sim.core.params import PARAMETER_RANGES
from buffer_sim.core.priorities import PRIORITIES
from buffer_sim.core.world import INSTRUMENTS, STATE_VARIABLES
from buffer_sim.scenario.schema import ActorSpec, _unknown, _unknown_parameter

#: Distribution -> its fields (all required).
DISTRIBUTIONS = {
    "uniform": ("low", "high"),
    "normal": ("mean", "sd", "low", "high"),
    "triangular": ("low", "mode", "high"),
}
#: Admissible range of an actor's threshold (as for ``thresholds:`` in a scenario).
THRESHOLD_RANGE = (-5.0, 5.0)
#: Spawn-key streams of a run's random numbers.
WORLD_STREAM, PARAMETER_STREAM = 1, 2


# --- seeds and draws ------------------------------------------------------------------------

def world_seed(root: int, index: int) -> int:
    """The world seed of run ``index``: 63 bits of ``SeedSequence(root, spawn_key=(1, i))``."""
    state = np.random.SeedSequence(int(root), spawn_key=(WORLD_STREAM, int(index)))
    return int(state.generate_state(1, np.uint64)[0] >> np.uint64(1))


def world_seeds(root: int, indices) -> np.ndarray:
    return np.array([world_seed(root, i) for i in indices], dtype=np.int64)


def uniform_draws(root: int, indices, path: str) -> np.ndarray:
    """Uniform numbers in [0, 1), one per run index, for the parameter ``path``."""
    key = zlib.crc32(path.encode("utf-8"))
    out = np.empty(len(indices), dtype=np.float64)
    for k, i in enumerate(indices):
        state = np.random.SeedSequence(int(root), spawn_key=(PARAMETER_STREAM, int(i), key))
        out[k] = float(state.generate_state(1, np.uint64)[0] >> np.uint64(11)) * 2.0**-53
    return out


def ppf(spec: dict, u):
    """Inverse CDF of a declared distribution: uniform numbers ``u`` -> values."""
    from scipy.special import ndtr, ndtri

    u = np.asarray(u, dtype=np.float64)
    lo, hi = float(spec["low"]), float(spec["high"])
    dist = spec["dist"]
    if dist == "uniform":
        x = lo + u * (hi - lo)
    elif dist == "triangular":
        mode = float(spec["mode"])
        c = (mode - lo) / (hi - lo)
        x = np.where(u < c, lo + np.sqrt(u * (hi - lo) * (mode - lo)),
                     hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode)))
    elif dist == "normal":
        mean, sd = float(spec["mean"]), float(spec["sd"])
        a, b = (lo - mean) / sd, (hi - mean) / sd
        if a > 0:  # upper tail: work in the mirrored lower tail, where ndtr is precise
            x = mean - sd * ndtri(ndtr(-b) + (1 - u) * (ndtr(-a) - ndtr(-b)))
        else:
            x = mean + sd * ndtri(ndtr(a) + u * (ndtr(b) - ndtr(a)))
    else:
        raise ValueError(f"unknown distribution {dist!r}")
    return np.clip(x, lo, hi)


def draw(uncertain: dict, root: int, indices) -> np.ndarray:
    """(runs, parameters) values of the uncertain parameters for the run indices."""
    indices = list(indices)
    out = np.empty((len(indices), len(uncertain)), dtype=np.float64)
    for j, (path, spec) in enumerate(uncertain.items()):
        out[:, j] = ppf(spec, uniform_draws(root, indices, path))
    return out


# --- the uncertain: block --------------------------------------------------------------------

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
            raise _unknown_parameter(file, field_name, parts[1])
        return tuple(float(v) for v in PARAMETER_RANGES[parts[1]])
    if len(parts) == 3 and parts[1] == "thresholds" and parts[0] in ACTORS:
        if parts[2] not in PRIORITIES:
            raise _unknown(file, field_name, parts[2], PRIORITIES, "priority")
        return THRESHOLD_RANGE
    if len(parts) == 3 and parts[0] not in ACTORS and parts[1] == "thresholds":
        raise _unknown(file, field_name, parts[0], ACTORS, "actor")
    raise ScenarioError(file, field_name, f"cannot be uncertain: expected parameters.NAME, "
                                          f"ACTOR.thresholds.PRIORITY or "
                                          f"events[LABEL].FIELD, got {path!r}")


def event_range(file, field_name: str, fields: list[str]) -> tuple[float, float]:
    """The admissible range of a number of an event (``events[LABEL].FIELD[.KEY]``)."""
    head, rest = fields[0], fields[1:]
    if head == "sanctions_scope" and not rest:
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
            raise _unknown(file, f"uncertain.{path}", label, labels, "event label")
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


def uncertain_of(scenario) -> dict[str, dict]:
    """The scenario's uncertain parameters (empty if it declares none)."""
    return dict(getattr(scenario, "uncertain", None) or {})


def apply_values(scenario, values: dict[str, float]):
    """The scenario with parameter values set, as ``--set PATH=VALUE`` would set them.

    Args:
        values: path (``parameters.NAME`` or ``ACTOR.thresholds.PRIORITY``) -> value.
    """
    if not values:
        return scenario
    params: dict[str, float] = {}
    event_values = {p: v for p, v in values.items() if event_path(p) is not None}
    if event_values:
        scenario = _apply_event_values(scenario, event_values)
        values = {p: v for p, v in values.items() if p not in event_values}
        if not values:
            return scenario
    actors = dict(scenario.actors)
    resolved = dict(scenario.resolved)
    res_params = dict(resolved.get("parameters") or {})
    res_actors = dict(resolved.get("actors") or {})
    for path, value in values.items():
        head, *rest = normalize_path(path).split(".")
        value = float(value)
        if head == "parameters":
            params[rest[0]] = value
            res_params[rest[0]] = value
        else:
            priority = rest[1]
            spec = actors.get(head) or ActorSpec()
            actors[head] = spec.model_copy(
                update={"thresholds": {**(spec.thresholds or {}), priority: value}})
            res_spec = dict(res_actors.get(head) or {})
            res_spec["thresholds"] = {**(res_spec.get("thresholds") or {}), priority: value}
            res_actors[head] = res_spec
    if res_params:
        resolved["parameters"] = res_params
    if res_actors:
        resolved["actors"] = res_actors
    return scenario.model_copy(update={"parameters": scenario.parameters.replace(**params),
                                       "actors": actors, "resolved": resolved})


def _apply_event_values(scenario, values: dict[str, float]):
    """The scenario with numbers of its events replaced (``events[LABEL].FIELD.KEY``)."""
    events = list(scenario.events)
    for path, value in values.items():
        label, fields = event_path(path)
        for k, ev in enumerate(events):
            if ev.label != label:
                continue
            if len(fields) == 1:
                events[k] = ev.model_copy(update={fields[0]: float(value)})
            else:
                held = dict(getattr(ev, fields[0]) or {})
                held[fields[1]] = float(value)
                events[k] = ev.model_copy(update={fields[0]: held})
    return scenario.model_copy(update={"events": tuple(events)})
