"""Scenario files: YAML, validated, with ``extends:`` and command-line overrides.

A scenario replays a period: who the actors are (priority order, thresholds, rule,
starting instruments), the starting world, coefficients, dated events (each with a
``source:``) and pins (an instrument fixed over a date range). See
``scenarios/replay_2009_2019.yaml`` for a complete example and the README for the
field reference.

Every problem raises ``ScenarioError`` naming the file, the field and the problem.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from buffer_sim.actors import ACTORS
from buffer_sim.decision import RULES
from buffer_sim.errors import ScenarioError
from buffer_sim.months import month_str, parse_month
from buffer_sim.params import PARAMETER_RANGES, Parameters
from buffer_sim.priorities import PRIORITIES
from buffer_sim.world import INSTRUMENTS, STATE_VARIABLES

MAX_FILE_BYTES = 1_000_000
EVENT_KINDS = ("forced_action", "resolution", "administration", "parameter_change",
               "diplomatic_shock")

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class _Month(_Strict):
    @staticmethod
    def check(value):
        parse_month(value)
        return value if isinstance(value, str) else str(value)


class PeriodSpec(_Strict):
    start: Any
    end: Any

    @field_validator("start", "end")
    @classmethod
    def _month(cls, v):
        return _Month.check(v)


class ActorSpec(_Strict):
    priorities: list[str] | None = None
    priorities_after_completion: list[str] | None = None
    thresholds: dict[str, Number] | None = None
    rule: str | None = None
    instruments: dict[str, Number] | None = None


class EventSpec(_Strict):
    date: Any
    kind: Literal["forced_action", "resolution", "administration", "parameter_change",
                  "diplomatic_shock"]
    label: str = Field(min_length=1)
    source: str = Field(min_length=3)
    actor: str | None = None
    set: dict[str, Number] | None = None
    sanctions_scope: Number | None = None
    priorities: list[str] | None = None
    thresholds: dict[str, Number] | None = None
    rule: str | None = None
    parameters: dict[str, Number] | None = None
    effects: dict[str, Number] | None = None

    @field_validator("date")
    @classmethod
    def _month(cls, v):
        return _Month.check(v)


class PinSpec(_Strict):
    actor: str
    instrument: str
    value: Number
    start: Any = Field(alias="from")
    end: Any = Field(alias="to")
    reason: str = Field(min_length=3)

    @field_validator("start", "end")
    @classmethod
    def _month(cls, v):
        return _Month.check(v)


class ScenarioFile(_Strict):
    """One file as written (everything optional: ``extends:`` may supply it)."""

    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,80}$")
    description: str | None = None
    period: PeriodSpec | None = None
    seed: Annotated[int, Field(strict=True, ge=0, le=2**63 - 1)] | None = None
    extends: str | None = None
    actors: dict[str, ActorSpec] | None = None
    initial_state: dict[str, Number] | None = None
    parameters: dict[str, Number] | None = None
    events: list[EventSpec] | None = None
    drop_events: list[str] | None = None
    drop_pins: list[str] | None = None
    pins: list[PinSpec] | None = None


# --- the resolved scenario the model runs ------------------------------------------------

@dataclass(frozen=True)
class Event:
    month: int
    kind: str
    label: str
    source: str
    actor: str | None = None
    set: dict | None = None
    sanctions_scope: float | None = None
    priorities: tuple | None = None
    thresholds: dict | None = None
    rule: str | None = None
    parameters: dict | None = None
    effects: dict | None = None


@dataclass(frozen=True)
class Pin:
    actor: str
    instrument: str
    value: float
    start: int
    end: int
    reason: str


@dataclass(frozen=True)
class Scenario:
    """A validated, fully resolved scenario."""

    name: str
    description: str
    start: int
    end: int
    seed: int
    actors: dict[str, dict]
    initial_state: dict[str, float]
    parameters: Parameters
    events: tuple[Event, ...]
    pins: tuple[Pin, ...]
    path: str
    files: tuple[str, ...]
    resolved: dict

    @property
    def months(self) -> int:
        return self.end - self.start + 1

    @property
    def content_hash(self) -> str:
        text = json.dumps(self.resolved, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def with_seed(self, seed: int) -> "Scenario":
        return dataclasses.replace(self, seed=seed, resolved={**self.resolved, "seed": seed})


# --- defaults ------------------------------------------------------------------------------

#: January 2009, from the observed data (2008 GACC/KOTRA split of China-DPRK trade,
#: US$2.03bn exports and US$0.75bn imports a year) and the report's narrative.
DEFAULT_INITIAL_STATE: dict[str, float] = {
    "tension": 0.3, "nuclear": 0.3, "nuclear_pace": 0.002, "test_readiness": 1.0, "hostility": 0.1,
    "dprk_economy": 1.0, "stability": 0.6, "sanctions_scope": 0.03, "customs_blocked": 0.0,
    "capacity_imports": 62.0, "capacity_exports": 165.0,
    "cn_exports_reported": 165.0, "cn_imports_reported": 62.0,
    "cn_exports_informal": 12.0, "cn_imports_informal": 5.0, "other_trade": 60.0,
    "warmth_cn_dprk": 0.3, "warmth_us_dprk": -0.5, "warmth_rok_dprk": -0.3,
    "warmth_cn_rok": 0.3, "warmth_cn_us": 0.1,
}


# --- loading ---------------------------------------------------------------------------------

def _suggest(word: str, options) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _unknown(file, field, word, options, what) -> ScenarioError:
    return ScenarioError(file, field, f"unknown {what} '{word}'{_suggest(word, options)}; "
                                      f"expected one of: {', '.join(sorted(map(str, options)))}")


def _read_yaml(path: Path) -> dict:
    name = str(path)
    if not path.exists():
        raise ScenarioError(name, "", "file not found")
    if path.is_dir():
        raise ScenarioError(name, "", "is a folder, not a scenario file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ScenarioError(name, "", f"file is {size} bytes; scenario files are limited to "
                                      f"{MAX_FILE_BYTES} bytes")
    data = path.read_bytes()
    if b"\x00" in data:
        raise ScenarioError(name, "", "binary content (NUL bytes); expected a YAML text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ScenarioError(name, "", f"not UTF-8 text (byte {err.start})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        if "\t" in text and "tab" in str(err).lower():
            problem = "tab character (indent with spaces)"
        raise ScenarioError(name, "", f"YAML syntax error at {where}{problem}") from None
    except (ValueError, RecursionError, OverflowError) as err:
        raise ScenarioError(name, "", f"unreadable YAML: {str(err).splitlines()[0]}") from None
    if raw is None:
        raise ScenarioError(name, "", "empty file; a scenario needs at least name and period")
    if not isinstance(raw, dict):
        raise ScenarioError(name, "", f"expected a mapping of fields at the top level, "
                                      f"got a {type(raw).__name__}")
    return raw


def _loc(loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _structure(path: Path, raw: dict) -> ScenarioFile:
    try:
        return ScenarioFile.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        loc = list(first["loc"])
        problem = first["msg"]
        if first["type"] == "extra_forbidden":
            options = _fields_at(loc[:-1])
            problem = f"unknown field{_suggest(loc[-1], options)}"
            if options:
                problem += f"; expected one of: {', '.join(options)}"
        elif first["type"] == "literal_error":
            problem = f"{problem}, got {first.get('input')!r}"
        elif first["type"] == "value_error":
            problem = problem.removeprefix("Value error, ")
        elif first["type"] == "finite_number":
            problem = "must be a finite number (not NaN or infinity)"
        # unions of None and a type report both branches; the type branch is the one meant
        loc = [p for p in loc if not (isinstance(p, str) and p in ("float", "int", "str"))]
        raise ScenarioError(str(path), _loc(loc), problem) from None


def _fields_at(loc) -> list[str]:
    model: type[BaseModel] = ScenarioFile
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        ann = str(field.annotation)
        nested = {"period": PeriodSpec, "events": EventSpec, "pins": PinSpec}
        if part in nested:
            model = nested[part]
        elif "ActorSpec" in ann:
            model = ActorSpec
        else:
            return []
    if model is ScenarioFile and loc and loc[-1] in ACTORS:
        model = ActorSpec
    names = []
    for name, f in model.model_fields.items():
        names.append(f.alias or name)
    return names


def _merge(parent: dict, child: dict) -> dict:
    out = copy.deepcopy(parent)
    for key, value in child.items():
        if key in ("extends", "drop_events", "drop_pins"):
            continue
        if key == "events":
            out["events"] = out.get("events", []) + list(value)
        elif key == "pins":
            out["pins"] = out.get("pins", []) + list(value)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    drops = child.get("drop_events") or []
    if drops:
        out["events"] = [e for e in out.get("events", []) if e.get("label") not in drops]
    freed = child.get("drop_pins") or []
    if freed:
        n_parent = len(parent.get("pins") or [])
        out["pins"] = [p for i, p in enumerate(out.get("pins", []))
                       if i >= n_parent or f"{p.get('actor')}.{p.get('instrument')}" not in freed]
    return out


def _fit_inherited(merged: dict, parent: dict, file: str) -> dict:
    """Keep the inherited events and pins that fall inside the child's period.

    A child that narrows the period (``deep_engagement_2009_2012`` extends the whole
    replay) inherits only the history of its own years; inherited pins are cut to it.
    The child's own events are still checked against the period.
    """
    period = merged.get("period")
    if not isinstance(period, dict):
        return merged
    try:
        start, end = parse_month(period.get("start")), parse_month(period.get("end"))
    except (ValueError, TypeError):
        return merged  # reported by validation with the right field
    n_events = len(parent.get("events") or [])
    events = merged.get("events") or []
    kept = []
    for i, event in enumerate(events):
        if i < n_events:
            try:
                month = parse_month(event.get("date"))
            except (ValueError, TypeError, AttributeError):
                month = start
            if not start <= month <= end:
                continue
        kept.append(event)
    if events:
        merged["events"] = kept
    n_pins = len(parent.get("pins") or [])
    pins = []
    for i, pin in enumerate(merged.get("pins") or []):
        if i < n_pins and isinstance(pin, dict):
            try:
                a, b = parse_month(pin.get("from")), parse_month(pin.get("to"))
            except (ValueError, TypeError):
                pins.append(pin)
                continue
            if b < start or a > end:
                continue
            pin = {**pin, "from": month_str(max(a, start)), "to": month_str(min(b, end))}
        pins.append(pin)
    if merged.get("pins"):
        merged["pins"] = pins
    return merged


def _resolve_raw(path: Path, chain: tuple[Path, ...]) -> tuple[dict, list[str]]:
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError(str(chain[-1]), "extends", f"cyclic extends: {cycle}")
    raw = _read_yaml(path)
    spec = _structure(path, raw)
    files = [str(path)]
    if spec.extends:
        parent_path = (path.parent / spec.extends)
        if not parent_path.exists():
            raise ScenarioError(str(path), "extends", f"file '{spec.extends}' not found "
                                                      f"(looked in {path.parent})")
        parent, parent_files = _resolve_raw(parent_path, (*chain, path))
        labels = {e.get("label") for e in parent.get("events", [])}
        for i, label in enumerate(spec.drop_events or []):
            if label not in labels:
                raise ScenarioError(str(path), f"drop_events[{i}]",
                                    f"no inherited event is labelled '{label}'"
                                    f"{_suggest(label, labels)}")
        pin_keys = {f"{p.get('actor')}.{p.get('instrument')}" for p in parent.get("pins", [])}
        for i, key in enumerate(spec.drop_pins or []):
            if key not in pin_keys:
                raise ScenarioError(str(path), f"drop_pins[{i}]",
                                    f"no inherited pin on '{key}'{_suggest(key, pin_keys)}")
        if spec.drop_pins:
            parent = {**parent, "pins": [p for p in parent.get("pins", [])
                                         if f"{p.get('actor')}.{p.get('instrument')}"
                                         not in spec.drop_pins]}
            raw = {k: v for k, v in raw.items() if k != "drop_pins"}
        raw = _fit_inherited(_merge(parent, raw), parent, str(path))
        files = parent_files + files
    elif spec.drop_events or spec.drop_pins:
        field = "drop_events" if spec.drop_events else "drop_pins"
        raise ScenarioError(str(path), field, "only a scenario that extends another can drop "
                                              "inherited events or pins")
    else:
        raw = {k: v for k, v in raw.items() if k not in ("drop_events", "drop_pins")}
    raw.pop("extends", None)
    return raw, files


def parse_override(text: str) -> tuple[list[str], Any]:
    """'beijing.priorities=no_nukes,no_war' -> (['actors','beijing','priorities'], [...])."""
    if "=" not in text:
        raise ScenarioError("--set", text, "expected PATH=VALUE, e.g. "
                                           "beijing.thresholds.no_war=0.7")
    key, _, value_text = text.partition("=")
    parts = [p for p in key.strip().split(".")]
    if not key.strip() or any(not p for p in parts):
        raise ScenarioError("--set", text, "empty path; expected PATH=VALUE")
    if parts[0] in ACTORS:
        parts = ["actors", *parts]
    try:
        value = yaml.safe_load(value_text) if value_text.strip() else ""
    except yaml.YAMLError:
        value = value_text
    if parts[-1] in ("priorities", "priorities_after_completion") and isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    top = set(ScenarioFile.model_fields) - {"extends"}
    if parts[0] not in top:
        raise ScenarioError("--set", key, f"unknown path{_suggest(parts[0], top | set(ACTORS))}; "
                                          f"start with an actor ({', '.join(ACTORS)}) or one of: "
                                          f"{', '.join(sorted(top))}")
    return parts, value


def apply_overrides(raw: dict, overrides) -> dict:
    out = copy.deepcopy(raw)
    for text in overrides or ():
        parts, value = parse_override(text)
        node = out
        for part in parts[:-1]:
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            if not isinstance(nxt, dict):
                raise ScenarioError("--set", text, f"'{part}' is not a group of fields")
            node = nxt
        node[parts[-1]] = value
    return out


def load_scenario(path, overrides=()) -> Scenario:
    """Read, merge, override and validate a scenario file.

    Args:
        path: the YAML file.
        overrides: "PATH=VALUE" strings (``--set``), applied after ``extends:``.

    Raises:
        ScenarioError: on any problem, naming the file, the field and the problem.
    """
    path = Path(path)
    raw, files = _resolve_raw(path, ())
    if overrides:
        raw = apply_overrides(raw, overrides)
        try:
            ScenarioFile.model_validate(raw)
        except ValidationError:
            _structure(Path("--set"), raw)
    return _resolve(str(path), raw, files)


def _check_range(file, field, value, lo, hi):
    if value is None or not math.isfinite(value):
        raise ScenarioError(file, field, "must be a finite number")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        hi_txt = "inf" if hi is None else f"{hi:g}"
        raise ScenarioError(file, field, f"{value:g} is out of range [{lo:g}, {hi_txt}]")


def _check_actor_spec(file, where, actor, spec: dict):
    for key in ("priorities", "priorities_after_completion"):
        prios = spec.get(key)
        if prios is None:
            continue
        if key == "priorities_after_completion" and actor != "pyongyang":
            raise ScenarioError(file, f"{where}.{key}", "only pyongyang has a post-completion order")
        if not prios:
            raise ScenarioError(file, f"{where}.{key}", "needs at least one priority")
        seen = set()
        for i, p in enumerate(prios):
            if p not in PRIORITIES:
                raise _unknown(file, f"{where}.{key}[{i}]", p, PRIORITIES, "priority")
            if p in seen:
                raise ScenarioError(file, f"{where}.{key}[{i}]", f"duplicate priority '{p}'")
            seen.add(p)
    for p, v in (spec.get("thresholds") or {}).items():
        if p not in PRIORITIES:
            raise _unknown(file, f"{where}.thresholds.{p}", p, PRIORITIES, "priority")
        _check_range(file, f"{where}.thresholds.{p}", v, -5.0, 5.0)
    rule = spec.get("rule")
    if rule is not None and rule not in RULES:
        raise _unknown(file, f"{where}.rule", rule, RULES, "decision rule")
    for name, v in (spec.get("instruments") or {}).items():
        if name not in INSTRUMENTS[actor]:
            raise _unknown(file, f"{where}.instruments.{name}", name, INSTRUMENTS[actor],
                           f"instrument of {actor}")
        lo, hi, _ = INSTRUMENTS[actor][name]
        _check_range(file, f"{where}.instruments.{name}", v, lo, hi)


def _resolve(file: str, raw: dict, files: list[str]) -> Scenario:
    for key in ("name", "period"):
        if raw.get(key) is None:
            raise ScenarioError(file, key, "missing (required)")
    spec = ScenarioFile.model_validate(raw)
    start, end = parse_month(spec.period.start), parse_month(spec.period.end)
    if end < start:
        raise ScenarioError(file, "period.end", f"{spec.period.end} is before the start "
                                                f"{spec.period.start}")
    if end - start + 1 > 12 * 60:
        raise ScenarioError(file, "period", "longer than 60 years")

    actors = {}
    for actor, aspec in (spec.actors or {}).items():
        if actor not in ACTORS:
            raise _unknown(file, f"actors.{actor}", actor, ACTORS, "actor")
        d = aspec.model_dump(exclude_none=True)
        _check_actor_spec(file, f"actors.{actor}", actor, d)
        actors[actor] = d

    state = dict(DEFAULT_INITIAL_STATE)
    for name, v in (spec.initial_state or {}).items():
        if name not in STATE_VARIABLES:
            raise _unknown(file, f"initial_state.{name}", name, STATE_VARIABLES, "state variable")
        _, lo, hi, _ = STATE_VARIABLES[name]
        _check_range(file, f"initial_state.{name}", v, lo, hi)
        state[name] = float(v)

    params = {}
    for name, v in (spec.parameters or {}).items():
        if name not in PARAMETER_RANGES:
            raise _unknown(file, f"parameters.{name}", name, PARAMETER_RANGES, "parameter")
        lo, hi = PARAMETER_RANGES[name]
        _check_range(file, f"parameters.{name}", v, lo, hi)
        params[name] = float(v)

    events = []
    for i, e in enumerate(spec.events or []):
        where = f"events[{i}]"
        month = parse_month(e.date)
        if not start <= month <= end:
            raise ScenarioError(file, f"{where}.date", f"{e.date} is outside the period "
                                                       f"{month_str(start)}..{month_str(end)}")
        needs = {"forced_action": ("actor", "set"), "resolution": ("sanctions_scope",),
                 "administration": ("actor",), "parameter_change": ("parameters",),
                 "diplomatic_shock": ("effects",)}[e.kind]
        for n in needs:
            if getattr(e, n) is None:
                raise ScenarioError(file, f"{where}.{n}", f"missing (required for a {e.kind} event)")
        if e.actor is not None and e.actor not in ACTORS:
            raise _unknown(file, f"{where}.actor", e.actor, ACTORS, "actor")
        if e.kind == "forced_action":
            _check_actor_spec(file, where, e.actor, {"instruments": e.set})
        if e.kind == "administration":
            _check_actor_spec(file, where, e.actor, {"priorities": e.priorities,
                                                     "thresholds": e.thresholds, "rule": e.rule})
        if e.sanctions_scope is not None:
            _check_range(file, f"{where}.sanctions_scope", e.sanctions_scope, 0.0, 1.0)
        for name, v in (e.parameters or {}).items():
            if name not in PARAMETER_RANGES:
                raise _unknown(file, f"{where}.parameters.{name}", name, PARAMETER_RANGES, "parameter")
            _check_range(file, f"{where}.parameters.{name}", v, *PARAMETER_RANGES[name])
        for name, v in (e.effects or {}).items():
            if name not in STATE_VARIABLES:
                raise _unknown(file, f"{where}.effects.{name}", name, STATE_VARIABLES, "state variable")
            _check_range(file, f"{where}.effects.{name}", v, -2.0, 2.0)
        events.append(Event(month, e.kind, e.label, e.source, e.actor, e.set, e.sanctions_scope,
                            tuple(e.priorities) if e.priorities else None, e.thresholds,
                            e.rule, e.parameters, e.effects))

    pins = []
    for i, pspec in enumerate(spec.pins or []):
        where = f"pins[{i}]"
        if pspec.actor not in ACTORS:
            raise _unknown(file, f"{where}.actor", pspec.actor, ACTORS, "actor")
        if pspec.instrument not in INSTRUMENTS[pspec.actor]:
            raise _unknown(file, f"{where}.instrument", pspec.instrument,
                           INSTRUMENTS[pspec.actor], f"instrument of {pspec.actor}")
        lo, hi, _ = INSTRUMENTS[pspec.actor][pspec.instrument]
        _check_range(file, f"{where}.value", pspec.value, lo, hi)
        a, b = parse_month(pspec.start), parse_month(pspec.end)
        if b < a:
            raise ScenarioError(file, f"{where}.to", f"{pspec.end} is before from {pspec.start}")
        if a < start or b > end:
            raise ScenarioError(file, f"{where}.from", f"{pspec.start}..{pspec.end} is outside "
                                                       f"the period {month_str(start)}..{month_str(end)}")
        for j, other in enumerate(pins):
            if (other.actor, other.instrument) == (pspec.actor, pspec.instrument) \
                    and a <= other.end and other.start <= b:
                raise ScenarioError(file, where, f"overlaps pins[{j}] on "
                                                 f"{pspec.actor}.{pspec.instrument}")
        pins.append(Pin(pspec.actor, pspec.instrument, float(pspec.value), a, b, pspec.reason))

    events.sort(key=lambda ev: ev.month)  # stable: same-month events keep file order
    resolved = spec.model_dump(mode="json", exclude_none=True, by_alias=True)
    return Scenario(
        name=spec.name, description=(spec.description or "").strip(), start=start, end=end,
        seed=spec.seed if spec.seed is not None else 0, actors=actors, initial_state=state,
        parameters=Parameters().replace(**params), events=tuple(events), pins=tuple(pins),
        path=file, files=tuple(files), resolved=resolved)
