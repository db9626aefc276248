"""Declared uncertain parameters: the seed scheme, the draws, and drawn values applied.

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
The block's paths, ranges and checks are in ``uncertain_block`` (below the schema, which
runs them when it builds a scenario).
"""

from __future__ import annotations

import zlib

import numpy as np

from buffer_sim.scenario.schema import ActorSpec
from buffer_sim.scenario.uncertain_block import event_path, normalize_path

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
