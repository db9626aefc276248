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
import datetime as _dt
import difflib
import hashlib
import json
import math
import re
import reprlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from buffer_sim.agents import ACTORS
from buffer_sim.core.decision import RULES
from buffer_sim.core.errors import ScenarioError
from buffer_sim.core.months import month_str, parse_month
from buffer_sim.core.params import PARAMETER_RANGES, Parameters
from buffer_sim.core.priorities import PRIORITIES
from buffer_sim.core.world import INSTRUMENTS, STATE_VARIABLES

MAX_FILE_BYTES = 1_000_000
EVENT_KINDS = ("forced_action", "resolution", "administration", "parameter_change",
               "diplomatic_shock", "prices")
#: world prices a ``prices`` event can hold, US$/t
PRICE_NAMES = ("coal", "iron_ore")

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class _Month(_Strict):
    @staticmethod
    def check(value):
        """A month 'YYYY-MM' or a day 'YYYY-MM-DD' (text or a YAML date) -> its text."""
        if isinstance(value, _dt.datetime):  # YAML reads '2016-03-01 10:00:00' as one
            raise ValueError(f"expected a month YYYY-MM or a date YYYY-MM-DD, got a date "
                             f"with a time ({value.isoformat(sep=' ')})")
        if isinstance(value, _dt.date):
            value = value.isoformat()
        if not isinstance(value, str) or len(value) > 40:
            raise ValueError(f"expected a month as YYYY-MM (or a date YYYY-MM-DD), "
                             f"got {_show(value)}")
        parse_month(value)
        return value


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
    """One dated event. Which fields each ``kind`` reads: ``EVENT_FIELDS``; a field its
    kind does not read is an error, not ignored. A ``forced_action`` either sets levels
    (``set: {provocation: 2}``) or moves them from where they stand (``change:
    {military: -0.25}``, clipped to the instrument's range), as its source describes."""

    date: Any
    kind: Literal["forced_action", "resolution", "administration", "parameter_change",
                  "diplomatic_shock", "prices"]
    label: str = Field(min_length=1)
    source: str = Field(min_length=3)
    actor: str | None = None
    set: dict[str, Number] | None = None
    change: dict[str, Number] | None = None
    sanctions_scope: Number | None = None
    priorities: list[str] | None = None
    thresholds: dict[str, Number] | None = None
    rule: str | None = None
    parameters: dict[str, Number] | None = None
    effects: dict[str, Number] | None = None
    prices: dict[str, Number] | None = None

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


class UncertainSpec(_Strict):
    """One uncertain parameter (``uncertain:``), checked by ``uncertain.check_uncertain``."""

    dist: Literal["uniform", "normal", "triangular"]
    low: Number | None = None
    high: Number | None = None
    mean: Number | None = None
    sd: Number | None = None
    mode: Number | None = None


class ScenarioFile(_Strict):
    """One file as written (everything optional: ``extends:`` may supply it)."""

    # it names the output folder: not '.', '..' or hidden
    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,79}$")
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
    uncertain: dict[str, UncertainSpec] | None = None


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
    #: forced_action only: instrument -> signed move from the month before, clipped to
    #: the instrument's range (``set`` gives levels instead)
    change: dict | None = None
    #: prices only: world price (coal, iron_ore) -> US$/t held from this month on
    prices: dict | None = None


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
    uncertain: dict = dataclasses.field(default_factory=dict)  # path -> distribution

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
    # capacity_imports is a volume valued at the reference prices: 62 US$m/month at the
    # prices of 2009-01 (x0.845, model.world_prices) is 73.4 at the reference prices
    "capacity_imports": 73.4, "capacity_exports": 165.0,
    "cn_exports_reported": 165.0, "cn_imports_reported": 62.0,
    "cn_exports_informal": 12.0, "cn_imports_informal": 5.0, "other_trade": 60.0,
    "warmth_cn_dprk": 0.3, "warmth_us_dprk": -0.5, "warmth_rok_dprk": -0.3,
    "warmth_cn_rok": 0.3, "warmth_cn_us": 0.1,
    # set each month from the price series: these are the values of 2009-01
    "coal_price": 79.4, "iron_ore_price": 72.51,
}


# --- loading ---------------------------------------------------------------------------------

_REPR = reprlib.Repr(maxlevel=2, maxstring=40, maxother=40, maxlist=4, maxtuple=4,
                     maxdict=4, maxset=4, maxlong=40)


def _show(value) -> str:
    """A bad value as the user wrote it, shortened (never the whole of a huge value)."""
    return _REPR.repr(value)


def _suggest(word, options, n: int = 1) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=n, cutoff=0.6)
    if not close:
        return ""
    names = [f"'{c}'" for c in close]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f" (did you mean {listed}?)"


def _unknown(file, field, word, options, what) -> ScenarioError:
    return ScenarioError(file, field, f"unknown {what} {_show(word)}{_suggest(word, options)}; "
                                      f"expected one of: {', '.join(sorted(map(str, options)))}")


def _unknown_parameter(file, field, word) -> ScenarioError:
    """Unknown coefficient: the closest names, not all ~80 of them."""
    return ScenarioError(file, field, f"unknown parameter {_show(word)}"
                                      f"{_suggest(word, PARAMETER_RANGES, n=3)}; "
                                      "see 'buffer-sim params' for every parameter")


class _Strict:
    """PyYAML's SafeLoader (plain data only: no tag ever constructs an object), stricter:

    * a key given twice in one mapping is an error (with its line), not a silent overwrite;
    * a value the standard constructors cannot build (``!!int abc``, ``2016-02-30``) is an
      error with its line, or for an impossible date the text itself (so that validation
      names the field).
    """

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # unhashable: the base class reports it
                    continue
                if first is not None:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {_show(key)} (first given on line "
                                    f"{first.line + 1})", key_node.start_mark)
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


class _Loader(_Strict, yaml.SafeLoader):
    """The pure-Python reader: its errors carry the messages users see."""


# libyaml's parser reads a scenario ~10x faster; a document it rejects is read again
# by ``_Loader``, whose messages the error tests specify.
_FastLoader = type("_FastLoader", (_Strict, getattr(yaml, "CSafeLoader", yaml.SafeLoader)),
                   {"__doc__": "The same reader on libyaml's parser (when installed)."})


def _timestamp_or_text(loader, node):
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, TypeError, AttributeError):
        return loader.construct_scalar(node)


def _guarded(constructor):
    def construct(loader, node):
        try:
            return constructor(loader, node)
        except yaml.YAMLError:
            raise
        except Exception as err:  # noqa: BLE001 - any failure is a value it cannot read
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {node.tag.replace('tag:yaml.org,2002:', '!!')} "
                            f"value ({err})", node.start_mark) from None
    return construct


for _loader in (_Loader, _FastLoader):
    # YAML 1.2 reads 1e-3 as a number; PyYAML (YAML 1.1) would read it as text.
    _loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789"))
    for _tag, _constructor in list(yaml.SafeLoader.yaml_constructors.items()):
        if _tag is not None:
            _loader.add_constructor(_tag, _guarded(_constructor))
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def _yaml_error(err: yaml.YAMLError, text: str) -> str:
    """The problem and where it is, in one line."""
    mark = getattr(err, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    if isinstance(err, yaml.reader.ReaderError):
        line = text.count("\n", 0, err.position) + 1
        char = err.character
        char = f"#x{char:04x}" if isinstance(char, int) else repr(char)
        return f"YAML syntax error at line {line}: character {char} is not allowed in YAML text"
    message = str(err)
    problem = getattr(err, "problem", None) or (message.splitlines() or ["unreadable"])[0]
    if "\t" in message or "\\t" in message or "tab character" in message:
        return f"YAML syntax error at {where}tab character; indent with spaces, not tabs"
    if problem.startswith("could not determine a constructor for the tag"):
        tag = getattr(err, "problem", "").partition("tag ")[2].strip("'")
        tag = tag.replace("tag:yaml.org,2002:", "!!")
        return (f"YAML tag {tag!r} at {where.removesuffix(': ')} is not allowed; "
                "a scenario file holds plain data only")
    context, start = getattr(err, "context", None), getattr(err, "context_mark", None)
    if context and start is not None and mark is not None and start.line != mark.line:
        problem += f" ({context} started on line {start.line + 1})"
    return f"YAML syntax error at {where}{problem}"


def _load_yaml(text: str):
    """The document's data; libyaml first, the Python reader for a document it rejects."""
    try:
        return yaml.load(text, Loader=_FastLoader)  # noqa: S506 - a SafeLoader
    except Exception:  # noqa: BLE001 - read again for the precise message
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader


def _parse_yaml(data: bytes, name: str):
    """Bytes of a scenario file -> its top-level mapping (or ScenarioError)."""
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(name, "", f"file is {len(data)} bytes; scenario files are limited "
                                      f"to {MAX_FILE_BYTES} bytes")
    if b"\x00" in data:
        raise ScenarioError(name, "", "binary content (NUL bytes); expected a YAML text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ScenarioError(name, "", f"not UTF-8 text (byte {err.start}, line {line}); "
                                      "save the file as UTF-8") from None
    try:
        raw = _load_yaml(text)
    except yaml.YAMLError as err:
        raise ScenarioError(name, "", _yaml_error(err, text)) from None
    except RecursionError:
        raise ScenarioError(name, "", "YAML nested too deeply") from None
    except Exception as err:  # noqa: BLE001 - a reader bug must still be one line, exit 2
        reason = (str(err).splitlines() or [type(err).__name__])[0]
        raise ScenarioError(name, "", f"unreadable YAML: {reason}") from None
    if raw is None:
        raise ScenarioError(name, "", "empty file; a scenario needs at least name and period")
    if not isinstance(raw, dict):
        raise ScenarioError(name, "", f"expected a mapping of fields at the top level, "
                                      f"got a {type(raw).__name__}")
    return raw


#: content hash -> parsed mapping: a parent named by several scenarios is parsed once.
_PARSED: dict[str, dict] = {}


def _read_yaml(path: Path, name: str | None = None) -> dict:
    name = str(path) if name is None else name
    if not path.exists():
        raise ScenarioError(name, "", "file not found")
    if path.is_dir():
        raise ScenarioError(name, "", "is a folder, not a scenario file")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(name, "", f"file is {size} bytes; scenario files are limited "
                                          f"to {MAX_FILE_BYTES} bytes")
        data = path.read_bytes()
    except OSError as err:
        raise ScenarioError(name, "", f"cannot read the file: {err.strerror or err}") from None
    key = hashlib.sha256(data).hexdigest()
    raw = _PARSED.get(key)
    if raw is None:
        raw = _parse_yaml(data, name)
        if len(_PARSED) >= 32:
            _PARSED.clear()
        _PARSED[key] = raw
    return copy.deepcopy(raw)  # callers may change what they get


def _loc(loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


#: how a pydantic error type reads to a user; ``{got}`` is the bad value
_TYPE_WORDS = {
    "float_type": "expected a number", "float_parsing": "expected a number",
    "int_type": "expected a whole number", "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "string_type": "expected text", "list_type": "expected a list",
    "dict_type": "expected a mapping of fields", "model_type": "expected a mapping of fields",
    "model_attributes_type": "expected a mapping of fields",
}


def _error_order(error: dict) -> int:
    """A misspelt field explains the 'missing' errors beside it: report it first."""
    return 0 if error["type"] == "extra_forbidden" else 1


def _structure(file, raw: dict) -> ScenarioFile:
    """Validate the shape and types of one file's mapping (pydantic), in the user's words."""
    if not isinstance(raw, dict):
        raise ScenarioError(str(file), "", f"expected a mapping of fields at the top level, "
                                           f"got a {type(raw).__name__}")
    _check_actor_names(file, raw)
    try:
        return ScenarioFile.model_validate(raw)
    except ValidationError as err:
        errors = sorted(err.errors(), key=_error_order)  # stable: pydantic's order otherwise
        raise _describe(file, errors[0]) from None
    except RecursionError:
        raise ScenarioError(str(file), "", "nested too deeply") from None


def _check_actor_names(file, raw: dict) -> None:
    """An unknown actor is reported before anything inside it."""
    actors = raw.get("actors")
    if isinstance(actors, dict):
        for actor in actors:
            if actor not in ACTORS:
                raise _unknown(str(file), f"actors.{actor}", actor, ACTORS, "actor")


def _describe(file, error: dict) -> ScenarioError:
    loc, kind, got = list(error["loc"]), error["type"], _show(error.get("input"))
    problem = error["msg"]
    # a key that is not text: pydantic adds '[key]' after it in a nested mapping
    key_error = kind == "invalid_key" or (kind == "string_type" and len(loc) >= 2
                                          and loc[-1] == "[key]")
    if key_error and (parts := loc if kind == "invalid_key" else loc[:-1]):
        field = f"{_loc(parts[:-1])}.{parts[-1]}".lstrip(".")
        return ScenarioError(str(file), field, f"field names must be text, got {_show(parts[-1])}")
    if kind == "extra_forbidden":
        options = _fields_at(loc[:-1])
        problem = f"unknown field {_show(loc[-1])}{_suggest(loc[-1], options)}"
        if options:
            problem += f"; expected one of: {', '.join(options)}"
    elif kind == "missing":
        problem = "missing (required)"
    elif kind == "literal_error":
        options = error.get("ctx", {}).get("expected", "")
        options = [o.strip(" '") for o in options.replace(" or ", ", ").split(",")]
        problem = (f"unknown value {got}{_suggest(error.get('input'), options)}; expected "
                   f"one of: {', '.join(options)}")
    elif kind == "value_error":
        problem = problem.removeprefix("Value error, ")
    elif kind == "finite_number":
        problem = f"must be a finite number (not NaN or infinity), got {got}"
    elif kind in _TYPE_WORDS:
        problem = f"{_TYPE_WORDS[kind]}, got {got}"
    elif kind == "string_too_short":
        problem = (f"too short, got {got} (at least "
                   f"{error.get('ctx', {}).get('min_length', 1)} characters)")
    elif kind == "string_pattern_mismatch" and str(error.get("input")).startswith("."):
        problem = f"{got} cannot name an output folder; start it with a letter or digit"
    elif kind == "string_pattern_mismatch":
        problem = (f"{got} is not a valid name: use 1 to 80 letters, digits, '_', '.' "
                   "or '-'")
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        problem = f"must be {problem.removeprefix('Input should be ')}, got {got}"
    else:
        problem = f"{problem}, got {got}"
    return ScenarioError(str(file), _loc(loc), problem)


def _fields_at(loc) -> list[str]:
    """The field names allowed at ``loc`` (a path into the file), for suggestions."""
    nested = {
        ScenarioFile: {"period": (False, PeriodSpec), "actors": (True, ActorSpec),
                       "events": (True, EventSpec), "pins": (True, PinSpec),
                       "uncertain": (True, UncertainSpec)},
    }
    model: type[BaseModel] = ScenarioFile
    parts = list(loc)
    while parts:
        step = nested.get(model, {}).get(parts.pop(0))
        if step is None:
            return []
        keyed, model = step
        if keyed:  # an actor name or a list index comes next
            if not parts:
                return []
            parts.pop(0)
    return [f.alias or name for name, f in model.model_fields.items()]


def _merge(parent: dict, child: dict, top: bool = True) -> dict:
    """The child's fields over the parent's; at the top level, events and pins add up."""
    out = copy.deepcopy(parent)
    for key, value in child.items():
        if top and key in ("extends", "drop_events", "drop_pins"):
            continue
        if top and key == "events":
            out["events"] = list(out.get("events") or []) + list(value or [])
        elif top and key == "pins":
            out["pins"] = list(out.get("pins") or []) + list(value or [])
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, top=False)
        else:
            out[key] = copy.deepcopy(value)
    if not top:
        return out
    drops = child.get("drop_events") or []
    if drops:
        out["events"] = [e for e in out.get("events") or [] if e.get("label") not in drops]
    freed = child.get("drop_pins") or []
    if freed:
        n_parent = len(parent.get("pins") or [])
        out["pins"] = [p for i, p in enumerate(out.get("pins") or [])
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


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a name too long, or with a NUL byte
        return False


def _resolve_raw(path: Path, chain: tuple[Path, ...], name: str | None = None,
                 raw: dict | None = None) -> tuple[dict, list[str]]:
    """One file with everything it extends, merged; ``name`` is how errors call it.

    ``raw``, if given, is the file's content already read (the file need not exist;
    ``extends:`` is looked up beside ``path``).
    """
    name = str(path) if name is None else name
    if raw is None:
        if not _exists(path):
            raise ScenarioError(name, "", "file not found")
        path = path.resolve()
        if path in chain:
            cycle = " -> ".join(p.name for p in (*chain, path))
            raise ScenarioError(name, "extends", f"cyclic extends: {cycle}")
        raw = _read_yaml(path, name)
    else:
        path = path.absolute()
    spec = _structure(name, raw)
    files = [str(path)]
    if spec.extends:
        parent_path = path.parent / spec.extends
        if not _exists(parent_path) or not spec.extends.strip():
            raise ScenarioError(name, "extends", f"file {_show(spec.extends)} not found "
                                                 f"(looked in {path.parent})")
        parent_name = str(Path(name).parent / spec.extends)
        if parent_path.resolve() in (*chain, path):
            cycle = " -> ".join(p.name for p in (*chain, path, parent_path.resolve()))
            raise ScenarioError(name, "extends", f"cyclic extends: {cycle}")
        parent, parent_files = _resolve_raw(parent_path, (*chain, path), parent_name)
        labels = {e.get("label") for e in parent.get("events") or []}
        for i, label in enumerate(spec.drop_events or []):
            if label not in labels:
                raise ScenarioError(name, f"drop_events[{i}]",
                                    f"no inherited event is labelled {_show(label)}"
                                    f"{_suggest(label, labels)}")
        pin_keys = {f"{p.get('actor')}.{p.get('instrument')}" for p in parent.get("pins") or []}
        for i, key in enumerate(spec.drop_pins or []):
            if key not in pin_keys:
                raise ScenarioError(name, f"drop_pins[{i}]",
                                    f"no inherited pin on {_show(key)}{_suggest(key, pin_keys)}")
        if spec.drop_pins:
            parent = {**parent, "pins": [p for p in parent.get("pins") or []
                                         if f"{p.get('actor')}.{p.get('instrument')}"
                                         not in spec.drop_pins]}
            raw = {k: v for k, v in raw.items() if k != "drop_pins"}
        raw = _fit_inherited(_merge(parent, raw), parent, name)
        files = parent_files + files
    elif spec.drop_events or spec.drop_pins:
        field = "drop_events" if spec.drop_events else "drop_pins"
        raise ScenarioError(name, field, "only a scenario that extends another can drop "
                                         "inherited events or pins")
    else:
        raw = {k: v for k, v in raw.items() if k not in ("drop_events", "drop_pins")}
    raw.pop("extends", None)
    return raw, files


def _as_typed(text: str) -> str:
    """Command-line text as it was typed, or quoted when it would not read as one line."""
    return text if text.isprintable() and len(text) <= 100 else _show(text)


#: fields whose value is a list of names: besides a YAML list ``[a, b]``, the comma
#: form ``a,b`` reads as one
NAME_LISTS = ("priorities", "priorities_after_completion", "drop_events", "drop_pins")


class _CommaList(list):
    """Names typed as ``a,b,c``: the pieces as typed (an event label may itself hold a
    comma, so ``drop_events`` joins pieces back where together they name an event)."""

    joiner = ","


class _FlowList(list):
    """Names typed as a YAML list ``[a, b]`` (YAML splits a label at its comma too)."""

    joiner = ", "


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _names(value_text: str, value) -> list:
    """The value of a list-of-names field: '[a, b]' (read as YAML) or 'a,b' -> the names."""
    text = value_text.strip()
    if text.startswith("[") and isinstance(value, list):
        return _FlowList(value)
    if not text:
        return []
    return _CommaList(_unquote(p) if p.strip()[:1] in ("'", '"') else p
                      for p in text.split(","))


def parse_override(text: str) -> tuple[list[str], Any]:
    """'beijing.priorities=no_nukes,no_war' -> (['actors','beijing','priorities'], [...]).

    The one reader of every override: ``--set``, ``compare --set N:``, the notebook
    API's keywords and the app's controls all arrive here as "PATH=VALUE" text.
    """
    if "=" not in text:
        raise ScenarioError("--set", _as_typed(text), "expected PATH=VALUE, e.g. "
                                                      "beijing.thresholds.no_war=0.7")
    key, _, value_text = text.partition("=")
    parts = [p.strip() for p in key.strip().split(".")]
    if not key.strip() or any(not p for p in parts):
        raise ScenarioError("--set", _as_typed(text), "empty path; expected PATH=VALUE")
    if parts[0] in ACTORS:
        parts = ["actors", *parts]
    top = set(ScenarioFile.model_fields) - {"extends"}
    if parts[0] == "extends":
        raise ScenarioError("--set", _as_typed(key), "a scenario's extends: cannot be changed "
                                                     "from the command line; write a scenario "
                                                     "file that extends the one you want")
    if parts[0] not in top:
        raise ScenarioError("--set", _as_typed(key),
                            f"unknown path{_suggest(parts[0], top | set(ACTORS))}; start with "
                            f"an actor ({', '.join(ACTORS)}) or one of: {', '.join(sorted(top))}")
    if parts[0] == "actors" and len(parts) > 1 and parts[1] not in ACTORS:
        raise _unknown("--set", _as_typed(key), parts[1], ACTORS, "actor")
    try:
        value = yaml.load(value_text, Loader=_Loader) if value_text.strip() else ""  # noqa: S506
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError):
        value = value_text
    if (isinstance(value, float) and not math.isfinite(value)) or (
            isinstance(value, str) and value.strip().lower().lstrip("+-")
            in ("nan", "inf", "infinity")):
        raise ScenarioError("--set", ".".join(parts), f"must be a finite number (not NaN or "
                                                     f"infinity), got {value_text.strip()}")
    if parts[-1] in NAME_LISTS:
        value = _names(value_text, value)
        if parts[-1] != "drop_events":  # names without commas: the pieces are the names
            value = [v.strip() if isinstance(v, str) else v for v in value
                     if not isinstance(v, str) or v.strip()]
    if parts[0] in ("drop_events", "drop_pins") and len(parts) > 1:
        raise ScenarioError("--set", _as_typed(key), f"{parts[0]} is a list of names; "
                                                     f"give {parts[0]}=NAME,NAME")
    return parts, value


def _match_labels(items: list, labels: list[str], text: str) -> list[str]:
    """The event labels ``items`` name; pieces that only together name a label (it holds
    a comma) are joined back. An item naming no event is an error with a suggestion."""
    joiner = getattr(items, "joiner", ", ")
    pieces = [str(i) for i in items]
    known = {label.strip(): label for label in labels if isinstance(label, str)}
    out, i = [], 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):  # the longest run of pieces naming a label
            name = joiner.join(pieces[i:j]).strip()
            if name in known:
                out.append(known[name])
                i = j
                break
        else:
            word = pieces[i].strip()
            raise ScenarioError("--set", _as_typed(text),
                                f"no event is labelled {_show(word)}"
                                f"{_suggest(word, list(known), n=2)}; an event's name is "
                                "its label: in the scenario's events:")
    return out


def _drop(out: dict, parts: list[str], value, text: str) -> None:
    """``drop_events`` / ``drop_pins`` given on the command line: take them out now
    (a file's own are applied when it extends another, before any override)."""
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise ScenarioError("--set", _as_typed(text), f"expected a list of names, e.g. "
                                                      f"{parts[0]}=NAME,NAME")
    if parts[0] == "drop_events":
        events = [e for e in out.get("events") or [] if isinstance(e, dict)]
        gone = set(_match_labels(value, [e.get("label") for e in events], text))
        out["events"] = [e for e in out.get("events") or []
                         if not (isinstance(e, dict) and e.get("label") in gone)]
        return
    pins = [p for p in out.get("pins") or [] if isinstance(p, dict)]
    keys = {f"{p.get('actor')}.{p.get('instrument')}" for p in pins}
    for name in (str(v).strip() for v in value):
        if name not in keys:
            raise ScenarioError("--set", _as_typed(text),
                                f"no pin on {_show(name)}{_suggest(name, keys)}; the pins "
                                f"are on: {', '.join(sorted(keys)) or 'nothing'}")
    gone = {str(v).strip() for v in value}
    out["pins"] = [p for p in out.get("pins") or []
                   if not (isinstance(p, dict)
                           and f"{p.get('actor')}.{p.get('instrument')}" in gone)]


def apply_overrides(raw: dict, overrides) -> dict:
    """``raw`` (a scenario merged with what it extends) with "PATH=VALUE" overrides.

    Every override either changes what the model reads or is refused: paths are
    checked here and values by the validation that follows, with the messages a file
    gets. ``drop_events`` / ``drop_pins`` take the events or pins out (each name must
    match one); priority lists are completed later (``complete_priorities``).
    """
    out = copy.deepcopy(raw)
    for text in overrides or ():
        parts, value = parse_override(text)
        if parts[0] in ("drop_events", "drop_pins"):
            _drop(out, parts, value, text)
            continue
        node = out
        for part in parts[:-1]:
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            if not isinstance(nxt, dict):
                raise ScenarioError("--set", _as_typed(text),
                                    f"{_show(part)} is not a group of fields")
            node = nxt
        node[parts[-1]] = list(value) if isinstance(value, list) else value
    return out


def _path_parts(field: str) -> list[str]:
    """'events[3].set.provocation' -> ['events', '3', 'set', 'provocation']."""
    return [p for p in field.replace("[", ".").replace("]", "").split(".") if p]


def _blame(err: ScenarioError, overrides) -> ScenarioError:
    """An error caused by a ``--set`` override names ``--set``, not the scenario file."""
    field = _path_parts(err.field)
    for text in overrides:
        path = parse_override(text)[0]
        n = min(len(field), len(path))
        if field and field[:n] == path[:n]:
            return ScenarioError("--set", err.field, err.problem)
        if field[:1] == path[:1] == ["period"]:  # end before start, period too long
            return ScenarioError("--set", err.field, err.problem)
    for text in overrides:
        if parse_override(text)[0][:1] == ["period"] and "outside the period" in err.problem:
            return ScenarioError(err.file, err.field, f"{err.problem} (period changed by "
                                                      f"--set {text})")
    return err


def load_scenario(path, overrides=()) -> Scenario:
    """Read, merge, override and validate a scenario file.

    Args:
        path: the YAML file.
        overrides: "PATH=VALUE" strings (``--set``), applied after ``extends:``.

    Raises:
        ScenarioError: on any problem, naming the file (or ``--set`` when an override
            caused it), the field and the problem.
    """
    path = Path(path)
    try:
        raw, files = _resolve_raw(path, ())
        return _from_raw(raw, str(path), files, overrides)
    except ScenarioError as err:
        raise _one_line(err) from None


def _printable(text: str) -> str:
    """Control characters (a newline in a field name) escaped: the message stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def _one_line(err: ScenarioError) -> ScenarioError:
    return ScenarioError(_printable(err.file), _printable(err.field), _printable(err.problem))


def _load_mapping(raw: dict, path, overrides=()) -> Scenario:
    """``load_scenario`` for content already read: ``raw`` as if it were the file ``path``.

    For tests (the fuzz test validates thousands of documents without writing files)
    and for callers that build scenarios in memory.
    """
    path = Path(path)
    try:
        raw, files = _resolve_raw(path, (), raw=copy.deepcopy(raw))
        return _from_raw(raw, str(path), files, overrides)
    except ScenarioError as err:
        raise _one_line(err) from None


def _from_raw(raw: dict, file: str, files=(), overrides=()) -> Scenario:
    """Validate an in-memory scenario mapping (already merged with what it extends)."""
    overrides = list(overrides or ())
    if overrides:
        raw = apply_overrides(raw, overrides)
    try:
        if overrides:  # the file alone passed; a new problem of shape comes from --set
            try:
                _structure(file, raw)
            except ScenarioError as err:
                blamed = _blame(err, overrides)
                raise ScenarioError("--set", blamed.field, blamed.problem) from None
        return _resolve(file, raw, list(files or [file]))
    except ScenarioError as err:
        raise _blame(err, overrides) from None


def _check_range(file, field, value, lo, hi):
    if value is None or not math.isfinite(value):
        raise ScenarioError(file, field, f"must be a finite number (not NaN or infinity), "
                                         f"got {_show(value)}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        hi_txt = "inf" if hi is None else f"{hi:g}"
        raise ScenarioError(file, field, f"{value:g} is out of range [{lo:g}, {hi_txt}]")


def _check_instrument(file, field, actor, name, value):
    """A known instrument of ``actor``, within its range, at one of its levels if discrete."""
    if name not in INSTRUMENTS[actor]:
        raise _unknown(file, field, name, INSTRUMENTS[actor], f"instrument of {actor}")
    lo, hi, meaning = INSTRUMENTS[actor][name]
    _check_range(file, field, value, lo, hi)
    levels = ACTORS[actor].discrete.get(name)
    if levels is not None and value not in levels:
        words = ", ".join(f"{v:g}" for v in levels[:-1]) + f" or {levels[-1]:g}"
        raise ScenarioError(file, field, f"must be {words} ({meaning}), got {value:g}")


def _check_actor_spec(file, where, actor, spec: dict, instruments_field: str = "instruments"):
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
        _check_instrument(file, f"{where}.{instruments_field}.{name}", actor, name, v)


#: what each kind of event reads, besides date, kind, label and source: (required
#: fields, optional fields); ``set``/``change`` of a forced action: exactly one
EVENT_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "forced_action": (("actor",), ("set", "change")),
    "resolution": (("sanctions_scope",), ()),
    "administration": (("actor",), ("priorities", "thresholds", "rule")),
    "parameter_change": (("parameters",), ()),
    "diplomatic_shock": (("effects",), ()),
    "prices": (("prices",), ()),
}
_EVENT_COMMON = ("date", "kind", "label", "source")


def _check_event_fields(file, where, e: EventSpec) -> None:
    """Each field an event of its kind needs is there, and none it would ignore."""
    needs, optional = EVENT_FIELDS[e.kind]
    for n in needs:
        if getattr(e, n) is None:
            raise ScenarioError(file, f"{where}.{n}", f"missing (required for a {e.kind} event)")
    for name in EventSpec.model_fields:
        if name in _EVENT_COMMON or name in needs or name in optional:
            continue
        if getattr(e, name) is not None:
            reads = ", ".join((*needs, *optional))
            raise ScenarioError(file, f"{where}.{name}", f"a {e.kind} event does not read "
                                                        f"'{name}' (it reads: {reads})")
    if e.kind == "forced_action" and (e.set is None) == (e.change is None):
        raise ScenarioError(file, f"{where}.set",
                            "a forced_action event either sets levels (set: {instrument: "
                            "level}) or moves them (change: {instrument: signed step}); "
                            + ("give one of them" if e.set is None else "not both"))
    if e.kind == "administration" and not (e.priorities or e.thresholds or e.rule):
        raise ScenarioError(file, where, "an administration event changes at least one of "
                                         "priorities, thresholds or rule")


def _check_forced(file, where, e: EventSpec) -> None:
    """``set:`` levels within range; ``change:`` moves of continuous instruments, each
    no larger than the instrument's range (the move is clipped to it when it fires)."""
    if e.set is not None:
        if not e.set:
            raise ScenarioError(file, f"{where}.set", "names no instrument")
        _check_actor_spec(file, where, e.actor, {"instruments": e.set}, instruments_field="set")
        return
    if not e.change:
        raise ScenarioError(file, f"{where}.change", "names no instrument")
    for name, delta in e.change.items():
        field = f"{where}.change.{name}"
        if name not in INSTRUMENTS[e.actor]:
            raise _unknown(file, field, name, INSTRUMENTS[e.actor], f"instrument of {e.actor}")
        if name in ACTORS[e.actor].discrete:
            levels = ACTORS[e.actor].discrete[name]
            raise ScenarioError(file, field, f"{name} takes levels ("
                                             f"{', '.join(f'{v:g}' for v in levels)}), "
                                             "not moves: use set:")
        lo, hi, _ = INSTRUMENTS[e.actor][name]
        _check_range(file, field, delta, -(hi - lo), hi - lo)


def complete_priorities(actor: str, given, after_completion: bool = False) -> list[str]:
    """A priority order, completed: a list shorter than the actor's default order is
    followed by the default priorities it leaves out, in their default order.

    Typing ``beijing.priorities=no_nukes,no_war,no_instability`` moves three priorities
    to the front; Beijing keeps the other three (buffer, us_ties, border_trade) after
    them instead of dropping them. A list as long as the default (or longer) is the
    whole order as given: it may replace a priority (Moon Jae-in's Seoul ranks
    inter_korean where its predecessors ranked alliance).

    Args:
        actor: the actor's name (``beijing``, ...).
        given: the priorities as written, most important first.
        after_completion: complete Pyongyang's order after it declares its programme
            complete (``priorities_after_completion``) instead.

    Returns:
        The order the model uses.
    """
    cls = ACTORS[actor]
    default = (cls.default_priorities_after_completion if after_completion
               else cls.default_priorities)
    given = list(given)
    if len(given) >= len(default):
        return given
    return given + [p for p in default if p not in given]


def _ranked(actors: dict, events: list[Event]) -> dict[str, set[str]]:
    """Every priority each actor ranks at some time in the scenario (its thresholds for
    other priorities would never be read)."""
    out = {}
    for name, cls in ACTORS.items():
        spec = actors.get(name, {})
        ranked = set(spec.get("priorities") or cls.default_priorities)
        if hasattr(cls, "default_priorities_after_completion"):
            ranked |= set(spec.get("priorities_after_completion")
                          or cls.default_priorities_after_completion)
        out[name] = ranked
    for e in events:
        if e.kind == "administration" and e.priorities:
            out[e.actor] |= set(e.priorities)
    return out


def _check_thresholds_read(file, actors: dict, events: list[tuple[int, Event]]) -> None:
    """A threshold for a priority the actor never ranks is refused: nothing reads it."""
    ranked = _ranked(actors, [e for _, e in events])
    found = [(f"actors.{a}.thresholds.{p}", a, p) for a, spec in actors.items()
             for p in (spec.get("thresholds") or {})]
    found += [(f"events[{i}].thresholds.{p}", e.actor, p) for i, e in events
              if e.kind == "administration" for p in (e.thresholds or {})]
    for field, actor, p in found:
        if p not in ranked[actor]:
            raise ScenarioError(file, field, f"{actor} never ranks '{p}' in this scenario "
                                             f"(it ranks: {', '.join(sorted(ranked[actor]))}), "
                                             "so nothing would read this threshold; add "
                                             f"'{p}' to its priorities or remove the threshold")


def _resolve(file: str, raw: dict, files: list[str]) -> Scenario:
    for key in ("name", "period"):
        if raw.get(key) is None:
            raise ScenarioError(file, key, "missing (required)")
    spec = _structure(file, raw)
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
        for key in ("priorities", "priorities_after_completion"):
            if d.get(key):
                d[key] = complete_priorities(actor, d[key], key != "priorities")
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
            raise _unknown_parameter(file, f"parameters.{name}", name)
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
        _check_event_fields(file, where, e)
        if e.actor is not None and e.actor not in ACTORS:
            raise _unknown(file, f"{where}.actor", e.actor, ACTORS, "actor")
        if e.kind == "forced_action":
            _check_forced(file, where, e)
        if e.kind == "administration":
            _check_actor_spec(file, where, e.actor, {"priorities": e.priorities,
                                                     "thresholds": e.thresholds, "rule": e.rule})
        if e.sanctions_scope is not None:
            _check_range(file, f"{where}.sanctions_scope", e.sanctions_scope, 0.0, 1.0)
        for name, v in (e.parameters or {}).items():
            if name not in PARAMETER_RANGES:
                raise _unknown_parameter(file, f"{where}.parameters.{name}", name)
            _check_range(file, f"{where}.parameters.{name}", v, *PARAMETER_RANGES[name])
        for name, v in (e.effects or {}).items():
            if name not in STATE_VARIABLES:
                raise _unknown(file, f"{where}.effects.{name}", name, STATE_VARIABLES, "state variable")
            _check_range(file, f"{where}.effects.{name}", v, -2.0, 2.0)
        for name, v in (e.prices or {}).items():
            if name not in PRICE_NAMES:
                raise _unknown(file, f"{where}.prices.{name}", name, PRICE_NAMES, "world price")
            _check_range(file, f"{where}.prices.{name}", v, 1.0, 1000.0)
        if e.prices is not None and not e.prices:
            raise ScenarioError(file, f"{where}.prices", "names no price")
        priorities = complete_priorities(e.actor, e.priorities) if e.priorities else None
        events.append(Event(month, e.kind, e.label, e.source, e.actor, e.set, e.sanctions_scope,
                            tuple(priorities) if priorities else None, e.thresholds,
                            e.rule, e.parameters, e.effects, change=e.change,
                            prices=e.prices))

    pins = []
    for i, pspec in enumerate(spec.pins or []):
        where = f"pins[{i}]"
        if pspec.actor not in ACTORS:
            raise _unknown(file, f"{where}.actor", pspec.actor, ACTORS, "actor")
        if pspec.instrument not in INSTRUMENTS[pspec.actor]:
            raise _unknown(file, f"{where}.instrument", pspec.instrument,
                           INSTRUMENTS[pspec.actor], f"instrument of {pspec.actor}")
        _check_instrument(file, f"{where}.value", pspec.actor, pspec.instrument, pspec.value)
        a, b = parse_month(pspec.start), parse_month(pspec.end)
        if b < a:
            raise ScenarioError(file, f"{where}.to", f"{pspec.end} is before from {pspec.start}")
        if a < start or b > end:
            raise ScenarioError(file, f"{where}.from", f"{pspec.start}..{pspec.end} is outside "
                                                       f"the period {month_str(start)}..{month_str(end)}")
        for j, other in enumerate(pins):
            if (other.actor, other.instrument) == (pspec.actor, pspec.instrument) \
                    and a <= other.end and other.start <= b:
                raise ScenarioError(file, where, f"{month_str(a)}..{month_str(b)} overlaps "
                                                 f"pins[{j}] ({month_str(other.start)}.."
                                                 f"{month_str(other.end)}) on "
                                                 f"{pspec.actor}.{pspec.instrument}")
        pins.append(Pin(pspec.actor, pspec.instrument, float(pspec.value), a, b, pspec.reason))

    _check_thresholds_read(file, actors, list(enumerate(events)))
    resolved = spec.model_dump(mode="json", exclude_none=True, by_alias=True)
    # the orders the model uses (completed): two ways of writing one order are one
    # scenario, with one content hash
    for actor, d in actors.items():
        for key in ("priorities", "priorities_after_completion"):
            if key in d:
                resolved["actors"][actor][key] = list(d[key])
    for item, event in zip(resolved.get("events") or [], events):  # both in file order
        if event.priorities:
            item["priorities"] = list(event.priorities)
    events.sort(key=lambda ev: ev.month)  # stable: same-month events keep file order
    # lazy: ensemble imports this module
    from buffer_sim.scenario.uncertain import check_event_paths, check_uncertain
    uncertain = check_uncertain(file, {k: v.model_dump(exclude_none=True)
                                       for k, v in (spec.uncertain or {}).items()})
    check_event_paths(file, uncertain, events)
    return Scenario(
        name=spec.name, description=(spec.description or "").strip(), start=start, end=end,
        seed=spec.seed if spec.seed is not None else 0, actors=actors, initial_state=state,
        parameters=Parameters().replace(**params), events=tuple(events), pins=tuple(pins),
        path=file, files=tuple(files), resolved=resolved, uncertain=uncertain)
