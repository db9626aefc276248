"""Start states that cannot go stale: where a run of one scenario leaves the world.

A sub-period scenario (``pressure_2016_2017`` from the end of 2015,
``rapprochement_2018_2019`` from the end of 2017, ``chill_2012_2015`` from the end of
2011) claims to start where the replay leaves off. Copying numbers from a run by hand
goes stale the next time the model changes; instead ``buffer-sim start-state``
generates the start from the replay and the sub-period scenario ``extends:`` the
generated file, keeping in its own file only what is an observed fact (with its
comment), which overrides the generated value.

What is generated, at the end of month ``--at`` (after that month's step):

* ``initial_state``: every state variable (``world.STATE_VARIABLES``), the mean over
  the stated seeds;
* ``actors.<actor>.instruments``: every instrument (``world.INSTRUMENTS``), the mean
  over the seeds; a discrete instrument (Pyongyang's provocation level) takes the most
  common level instead, since a mean level is not a level;
* the administrations in force: for each actor that an ``administration`` event
  changed up to ``--at`` (Washington, Seoul), its priorities, the thresholds that
  differ from its defaults, and its rule if not the default. These follow dated
  events, so every seed has the same;
* Pyongyang's declaration of a complete nuclear force, when most seeds have made it
  by ``--at``: ``actors.pyongyang.declared_against``, the mean US military signalling
  it was declared against (a period starting after the declaration begins declared);
* ``parameters`` changed by ``parameter_change`` events up to ``--at`` (such as the
  SEZ hiatus after Jang Song Thaek's purge), with the value in force: a sub-period
  that drops the earlier events would otherwise fall back to the default.

The file's header records the command that wrote it; :func:`regenerate` re-runs that
command, and ``buffer-sim start-state --regenerate`` (``make start-states``) rewrites
every generated file in ``scenarios/start_states/``. A test regenerates each file and
fails when it no longer matches.
"""

from __future__ import annotations

import os
import shlex
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from buffer_sim.core.errors import ScenarioError
from buffer_sim.experiments.runner import MAX_SEED
from buffer_sim.core.months import month_str, parse_month
from buffer_sim.core.world import INSTRUMENTS, STATE_VARIABLES
from buffer_sim.core.priorities import DEFAULT_THRESHOLDS
from buffer_sim.core.version import __version__

#: First line of a generated file (how :func:`is_generated` recognises one).
FILE_MARK = "# Start state generated from a run of the model; do not edit by hand."
#: Significant digits written; the match test compares with a matching tolerance.
SIGNIFICANT_DIGITS = 4
#: Runs averaged when no seeds are given: the scenario's seed and the next seven.
DEFAULT_SEEDS = 8
#: Where the shipped generated files live, relative to the project root.
FOLDER = "scenarios/start_states"


@dataclass
class StartState:
    """A world at the end of a month, averaged over seeds.

    Attributes:
        scenario: the source scenario (resolved).
        at: the month (index, ``months.parse_month``).
        seeds: the seeds averaged.
        state: state variable -> mean.
        instruments: actor -> instrument -> mean (discrete: most common level).
        administrations: actor -> {"priorities": [...], "thresholds": {...}, "rule": ...}.
        parameters: parameter -> value in force (only those events changed).
        events: labels of the administration and parameter-change events taken over.
        declared_against: when most seeds have Pyongyang's force declared complete by
            then, the mean US military signalling it was declared against; else None.
    """

    scenario: object
    at: int
    seeds: list[int]
    state: dict[str, float]
    instruments: dict[str, dict[str, float]]
    administrations: dict[str, dict] = field(default_factory=dict)
    parameters: dict[str, float] = field(default_factory=dict)
    declared_against: float | None = None
    events: list[str] = field(default_factory=list)


def parse_seeds(text: str | None, scenario) -> list[int]:
    """``--seeds``: ``A..B`` (inclusive), ``A,B,C`` or one seed; default: 8 from the
    scenario's seed.

    Raises:
        ScenarioError: not whole numbers >= 0, an empty or reversed range, over 100 seeds.
    """
    if text is None or not str(text).strip():
        return [scenario.seed + i for i in range(DEFAULT_SEEDS)]
    text = str(text).strip()
    try:
        if ".." in text:
            lo, hi = (int(part.strip(), 10) for part in text.split("..", 1))
            seeds = list(range(lo, hi + 1))
        else:
            seeds = [int(part.strip(), 10) for part in text.split(",")]
    except ValueError:
        raise ScenarioError("--seeds", "", f"expected A..B or a comma-separated list of whole "
                                           f"numbers, got {text!r}") from None
    if not seeds:
        raise ScenarioError("--seeds", "", f"{text!r} names no seed (is the range reversed?)")
    if len(seeds) > 100:
        raise ScenarioError("--seeds", "", f"{len(seeds)} seeds; at most 100")
    if min(seeds) < 0 or max(seeds) > MAX_SEED:
        raise ScenarioError("--seeds", "", f"seeds must lie in [0, {MAX_SEED}]")
    if len(set(seeds)) != len(seeds):
        raise ScenarioError("--seeds", "", f"{text!r} names a seed twice")
    return seeds


def check_at(text: str, scenario) -> int:
    """``--at``: a month inside the source scenario's period, or ``ScenarioError``."""
    try:
        month = parse_month(str(text))
    except (ValueError, TypeError):
        raise ScenarioError("--at", "", f"expected a month YYYY-MM, got {text!r}") from None
    if not scenario.start <= month <= scenario.end:
        raise ScenarioError("--at", "", f"{month_str(month)} is outside the period of "
                                        f"{scenario.name}, {month_str(scenario.start)}.."
                                        f"{month_str(scenario.end)}")
    return month


def _model_at(scenario, seed: int, at: int):
    # lazy: the model loads Mesa; the CLI imports this module to build its parsers, which load no Mesa
    from buffer_sim.model import run_model

    return run_model(scenario.with_seed(seed), seed, months=at - scenario.start + 1,
                     compiled=False)


def generate(scenario, at: int, seeds: list[int]) -> StartState:
    """Run ``scenario`` to the end of month ``at`` with each seed and average.

    Args:
        scenario: a resolved scenario (``runner.load``).
        at: the last month run (index).
        seeds: the model seeds.

    Returns:
        The averaged :class:`StartState`.
    """
    fired = [e for e in scenario.events if scenario.start <= e.month <= at]
    changed_actors = sorted({e.actor for e in fired if e.kind == "administration"},
                            key=list(INSTRUMENTS).index)
    changed_params = sorted({name for e in fired if e.kind == "parameter_change"
                             for name in e.parameters})
    states, instruments, params, declared = [], [], [], []
    administrations: dict[str, dict] | None = None
    for seed in seeds:
        model = _model_at(scenario, seed, at)
        states.append([float(getattr(model.state, name)) for name in STATE_VARIABLES])
        instruments.append({a: dict(model.actors[a].instruments) for a in INSTRUMENTS})
        declared.append(model.actors["pyongyang"].declared_against)
        params.append([float(getattr(model.params, name)) for name in changed_params])
        if administrations is None:  # dated events: the same in every seed
            administrations = {a: _administration(model.actors[a]) for a in changed_actors}
        model.dispose()
    mean_state = np.mean(np.array(states), axis=0)
    out_instruments: dict[str, dict[str, float]] = {}
    for actor, names in INSTRUMENTS.items():
        discrete = getattr(_actor_class(actor), "discrete", {}) or {}
        out_instruments[actor] = {}
        for name in names:
            values = [run[actor][name] for run in instruments]
            if name in discrete:
                counts = Counter(values)
                top = max(counts.values())
                out_instruments[actor][name] = float(min(v for v, c in counts.items()
                                                         if c == top))
            else:
                out_instruments[actor][name] = float(np.mean(values))
    labels = [e.label for e in fired if e.kind in ("administration", "parameter_change")]
    # a declaration is a state of the regime, not of the world: carried over when most
    # seeds have made it, or the next period would begin with Kim undeclared
    made = [float(d) for d in declared if d is not None]
    return StartState(
        scenario=scenario, at=at, seeds=list(seeds),
        state=dict(zip(STATE_VARIABLES, map(float, mean_state))),
        instruments=out_instruments, administrations=administrations or {},
        parameters=dict(zip(changed_params, map(float, np.mean(np.array(params), axis=0))))
        if changed_params else {},
        declared_against=float(np.mean(made)) if 2 * len(made) > len(declared) else None,
        events=labels)


def _actor_class(actor: str):
    # lazy: the actors load Mesa; the CLI imports this module to build its parsers, which load no Mesa
    from buffer_sim.agents import ACTORS

    return ACTORS[actor]


def _administration(actor) -> dict:
    """Priorities, non-default thresholds and a non-default rule of an actor now."""
    defaults = {**DEFAULT_THRESHOLDS, **type(actor).default_thresholds}
    out: dict = {"priorities": list(actor.priorities)}
    thresholds = {k: float(v) for k, v in actor.thresholds.items()
                  if k not in defaults or float(defaults[k]) != float(v)}
    if thresholds:
        out["thresholds"] = thresholds
    rule = getattr(actor.rule, "name", "lexicographic")
    if rule != "lexicographic":
        out["rule"] = rule
    return out


# --- the file --------------------------------------------------------------------------------

def _fmt(value: float) -> str:
    """A float with 4 significant digits that YAML reads back as a float."""
    text = f"{float(value):.{SIGNIFICANT_DIGITS}g}"
    if text in ("-0", "0"):
        return "0.0"
    mantissa, e, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return mantissa + (f"e{int(exponent):+03d}" if e else "")


def _seed_text(seeds: list[int]) -> str:
    if len(seeds) > 1 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}..{seeds[-1]}"
    return ",".join(str(s) for s in seeds)


def render(start: StartState, extends: str, command: str) -> str:
    """The generated file: header, ``extends:``, ``initial_state``, ``actors``, ``parameters``.

    Args:
        start: from :func:`generate`.
        extends: the source scenario's path relative to the file's folder.
        command: the command that regenerates the file (no absolute paths, no dates).

    Returns:
        The YAML text; the same inputs give the same text.
    """
    sc = start.scenario
    seeds = start.seeds
    lines = [
        FILE_MARK,
        "# Generated by:",
        f"#   {command}",
        "# Re-run it (or 'make start-states') after changing the model; a test fails when",
        "# this file no longer matches what the command generates.",
        "#",
        f"# The world at the end of {month_str(start.at)} as {sc.name} leaves it: the mean of "
        f"{len(seeds)} run{'s' if len(seeds) != 1 else ''}",
        f"# (seeds {_seed_text(seeds)}); a discrete instrument takes its most common level.",
        "# Administrations in force and parameters changed by events up to then are carried",
        "# over, because a scenario starting later drops the events that set them.",
        f"# Model: buffer_sim {__version__}; source scenario content hash "
        f"{sc.content_hash[:16]}.",
        "# A scenario starting the next month uses it with 'extends:' and overrides what is",
        "# observed (with its source) in its own file.",
    ]
    if start.events:
        lines.append("# Carried over from: " + "; ".join(start.events) + ".")
    lines += [f"extends: {extends}", "initial_state:"]
    lines += [f"  {name}: {_fmt(value)}" for name, value in start.state.items()]
    lines.append("actors:")
    for actor, values in start.instruments.items():
        lines.append(f"  {actor}:")
        admin = start.administrations.get(actor)
        if admin:
            lines.append(f"    priorities: [{', '.join(admin['priorities'])}]")
            if admin.get("thresholds"):
                inner = ", ".join(f"{k}: {_fmt(v)}" for k, v in admin["thresholds"].items())
                lines.append(f"    thresholds: {{{inner}}}")
            if admin.get("rule"):
                lines.append(f"    rule: {admin['rule']}")
        inner = ", ".join(f"{k}: {_fmt(v)}" for k, v in values.items())
        lines.append(f"    instruments: {{{inner}}}")
        if actor == "pyongyang" and start.declared_against is not None:
            lines.append(f"    declared_against: {_fmt(start.declared_against)}")
    if start.parameters:
        lines.append("parameters:")
        lines += [f"  {name}: {_fmt(value)}" for name, value in start.parameters.items()]
    return "\n".join(lines) + "\n"


def relative_extends(source: Path, out: Path) -> str:
    """``source`` as an ``extends:`` path from the folder of ``out`` (POSIX separators)."""
    return Path(os.path.relpath(Path(source).resolve(), Path(out).resolve().parent)).as_posix()


def is_generated(path) -> bool:
    """Whether ``path`` was written by :func:`render`."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.readline().rstrip("\n") == FILE_MARK
    except (OSError, UnicodeDecodeError):
        return False


def recorded_command(path) -> list[str]:
    """The command words recorded in a generated file's header (``buffer-sim ...``).

    Raises:
        ScenarioError: the file is not a generated start state.
    """
    with open(path, encoding="utf-8") as handle:
        head = [handle.readline().rstrip("\n") for _ in range(3)]
    if head[0] != FILE_MARK or not head[2].startswith("#   "):
        raise ScenarioError(str(path), "", "not a generated start-state file (its first "
                                           "lines do not record the command)")
    return shlex.split(head[2][4:])


def generated_files(root: Path) -> list[Path]:
    """The generated start-state files in ``root/scenarios/start_states``, by name."""
    folder = Path(root) / FOLDER
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.yaml") if is_generated(p))


def differences(written: str, generated: str, rel: float = 2e-3, abs_: float = 1e-6
                ) -> list[str]:
    """Where a written start-state file differs from a freshly generated one.

    Numbers are compared with a tolerance (4 significant digits are written, so the
    last digit may flip with floating-point noise); everything else exactly.

    Args:
        written: the file's text.
        generated: what the command generates now.

    Returns:
        One line per difference (``"initial_state.tension: 0.68 in the file, 0.78
        now"``); empty when they match.
    """
    import yaml

    out: list[str] = []

    def walk(a, b, where: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in list(a) + [k for k in b if k not in a]:
                if key not in a or key not in b:
                    side = "now only" if key not in a else "in the file only"
                    out.append(f"{where}{key}: {side}")
                else:
                    walk(a[key], b[key], f"{where}{key}.")
            return
        name = where.rstrip(".")
        numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
        if numbers:
            if not np.isclose(float(a), float(b), rtol=rel, atol=abs_):
                out.append(f"{name}: {a} in the file, {b} now")
        elif a != b:
            out.append(f"{name}: {a!r} in the file, {b!r} now")

    walk(yaml.safe_load(written), yaml.safe_load(generated), "")
    return out
