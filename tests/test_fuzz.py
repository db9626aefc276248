"""Whatever a scenario file holds, loading it gives a Scenario or a ScenarioError.

Nothing else may escape the loader — no ValueError, KeyError, TypeError or
RecursionError from deep inside — because the command line turns a ScenarioError, and
only that, into one readable line and exit status 2. Every message is one line.

Hypothesis generates the inputs:

* mutations of the shipped scenarios' content (a field deleted, renamed with a typo,
  replaced by a value of another type, a list item duplicated, a new field added),
  validated in memory as if it were the file (``_load_mapping``), so children that
  ``extends:`` the replay go through the merge as well;
* random ``--set`` overrides on the shipped scenarios;
* random YAML documents and random byte-level damage to the shipped files, through the
  YAML reader (``_parse_yaml``).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buffer_sim.agents import ACTORS
from buffer_sim.core.errors import ScenarioError
from buffer_sim.core.params import PARAMETER_RANGES
from buffer_sim.core.priorities import PRIORITIES
from buffer_sim.scenario.schema import Scenario, ScenarioFile, _load_mapping, _parse_yaml
from buffer_sim.core.world import INSTRUMENTS, STATE_VARIABLES

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SHIPPED = {p: p.read_bytes() for p in sorted(SCENARIOS.rglob("*.yaml"))}
PARSED = {p: yaml.safe_load(data) for p, data in SHIPPED.items()}

FUZZ = settings(max_examples=2000, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
SMALLER = settings(FUZZ, max_examples=300)

# --- values a scenario file might hold --------------------------------------------------

NAMES = sorted({*ScenarioFile.model_fields, "from", "to", "start", "end", "date", "kind",
                "label", "source", "actor", "set", "instrument", "value", "reason",
                "priorities", "thresholds", "rule", "instruments", "effects", "sanctions_scope",
                *ACTORS, *PRIORITIES, *STATE_VARIABLES, *PARAMETER_RANGES,
                *(n for ins in INSTRUMENTS.values() for n in ins),
                "forced_action", "resolution", "administration", "parameter_change",
                "diplomatic_shock", "lexicographic", "weighted"})
MONTHS = ["2009-01", "2016-13", "2016-00", "1899-12", "2101-01", "2016-02-30", "2016-1",
          "16-01", "2016-01-01T00:00:00", "", " ", "2019-12", "2017-09-03"]

scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 2, 0.5, 1.5, -1, -0.0, 1e308, 5e-324]),
    st.text(max_size=12), st.sampled_from(NAMES), st.sampled_from(MONTHS),
    st.dates(), st.datetimes(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(max_size=8),
                                  st.integers(-3, 3)), inner, max_size=4)),
    max_leaves=12)


def typo(word: str, draw) -> str:
    """A plausible misspelling: a letter dropped, doubled or swapped."""
    if len(word) < 2:
        return word + "x"
    i = draw(st.integers(0, len(word) - 2))
    how = draw(st.sampled_from(["drop", "double", "swap"]))
    if how == "drop":
        return word[:i] + word[i + 1:]
    if how == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def slots(node, out=None):
    """Every (container, key) in a parsed document, mappings and lists alike."""
    out = [] if out is None else out
    if isinstance(node, dict):
        for key, child in node.items():
            out.append((node, key))
            slots(child, out)
    elif isinstance(node, list):
        for i, child in enumerate(node):
            out.append((node, i))
            slots(child, out)
    return out


@st.composite
def mutated_scenarios(draw):
    """(path, content): a shipped scenario with one to four mutations."""
    path = draw(st.sampled_from(sorted(PARSED)))
    doc = copy.deepcopy(PARSED[path])
    for _ in range(draw(st.integers(1, 4))):
        places = slots(doc)
        if not places:
            break
        node, key = draw(st.sampled_from(places))
        op = draw(st.sampled_from(["replace", "delete", "rename", "add", "duplicate",
                                   "empty"]))
        if op == "replace":
            node[key] = draw(values)
        elif op == "delete":
            del node[key]
        elif op == "empty":
            node[key] = type(node[key])() if isinstance(node[key], (dict, list, str)) else None
        elif op == "rename" and isinstance(node, dict):
            new = typo(str(key), draw) if draw(st.booleans()) else draw(st.sampled_from(NAMES))
            node[new] = node.pop(key)
        elif op == "add" and isinstance(node, dict):
            node[draw(st.sampled_from(NAMES))] = draw(values)
        elif op == "duplicate" and isinstance(node, list):
            node.append(copy.deepcopy(node[key]))
        elif op == "duplicate" and isinstance(node, dict) and isinstance(node[key], list):
            node[key] = node[key] + node[key][:1]
    return path, doc


def check_loads_or_explains(load) -> None:
    """``load()`` returns a Scenario or raises a one-line ScenarioError, nothing else."""
    try:
        scenario = load()
    except ScenarioError as err:
        text = str(err)
        assert text and "\n" not in text, repr(text)
        assert len(text) < 2000, text[:200]
        return
    assert isinstance(scenario, Scenario)
    assert scenario.months >= 1
    assert all(math.isfinite(v) for v in scenario.initial_state.values())
    assert len(scenario.content_hash) == 64  # the resolved content serialises


# --- the properties ------------------------------------------------------------------------

@FUZZ
@given(mutated_scenarios())
@pytest.mark.slow
def test_a_mutated_shipped_scenario_loads_or_gives_a_scenario_error(case):
    path, doc = case
    check_loads_or_explains(lambda: _load_mapping(doc, path))


override_paths = st.lists(
    st.one_of(st.sampled_from(NAMES), st.text(max_size=6)), min_size=1, max_size=4
).map(".".join)
override_values = st.one_of(
    st.text(max_size=20), values.map(lambda v: yaml.safe_dump(v, default_flow_style=True)
                                     .strip().removesuffix("...").strip()))


@SMALLER
@given(st.sampled_from(sorted(PARSED)),
       st.lists(st.tuples(override_paths, override_values).map("=".join)
                | st.text(max_size=30), min_size=1, max_size=3))
@pytest.mark.slow
def test_random_set_overrides_load_or_give_a_scenario_error(path, overrides):
    check_loads_or_explains(lambda: _load_mapping(PARSED[path], path, overrides))


def load_bytes(data: bytes, path: Path) -> Scenario:
    return _load_mapping(_parse_yaml(data, str(path)), path)


@SMALLER
@given(values)
@pytest.mark.slow
def test_a_random_yaml_document_loads_or_gives_a_scenario_error(doc):
    text = yaml.safe_dump(doc, allow_unicode=True)
    check_loads_or_explains(lambda: load_bytes(text.encode("utf-8"), SCENARIOS / "random.yaml"))


@st.composite
def damaged_files(draw):
    """(path, bytes): a shipped file with a few bytes deleted, inserted or replaced."""
    path = draw(st.sampled_from(sorted(SHIPPED)))
    data = bytearray(SHIPPED[path])
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["delete", "insert", "replace"]))
        chunk = draw(st.one_of(
            st.binary(min_size=1, max_size=4),
            st.sampled_from([b"\t", b":", b"- ", b"{", b"}", b"[", b"]", b"&a ", b"*a", b"!!",
                             b"\n  ", b"\n", b"'", b'"', b"#", b"|", b">", b"%", b"@", b"?",
                             b"\xef\xbb\xbf", b"\xe9", b"\x00", b"~", b".nan", b"1e400",
                             b"!!int ", b"!!float ", b"!!binary ", b"!!timestamp ", b"!!set ",
                             b"!!python/object:os.system ", b"<<: ", b"<<: *a\n"])))
        if op == "delete":
            del data[i:i + len(chunk)]
        elif op == "insert":
            data[i:i] = chunk
        else:
            data[i:i + len(chunk)] = chunk
    return path, bytes(data)


@SMALLER
@given(damaged_files())
@pytest.mark.slow
def test_a_damaged_shipped_file_loads_or_gives_a_scenario_error(case):
    path, data = case
    check_loads_or_explains(lambda: load_bytes(data, path))


def outcome(load) -> str:
    try:
        return load().content_hash
    except ScenarioError as err:
        return str(err)


@pytest.mark.parametrize("path", sorted(PARSED), ids=lambda p: p.name)
def test_the_shipped_files_load_in_memory_as_from_their_files(path):
    """The in-memory path the fuzz tests use is the file path's: same resolved content
    (or, for a fragment that is not a scenario on its own, the same error)."""
    from buffer_sim.scenario.schema import load_scenario

    assert outcome(lambda: _load_mapping(PARSED[path], path)) == \
        outcome(lambda: load_scenario(path))


def test_dates_and_datetimes_from_yaml_are_months_or_errors():
    """YAML turns 2016-03-01 into a date and 2016-03-01 10:00 into a datetime."""
    base = {"name": "d", "period": {"start": dt.date(2016, 1, 1), "end": "2016-12"}}
    assert _load_mapping(base, SCENARIOS / "d.yaml").start == 2016 * 12
    bad = {**base, "period": {"start": dt.datetime(2016, 1, 1, 10), "end": "2016-12"}}
    with pytest.raises(ScenarioError, match="period.start: .*with a time"):
        _load_mapping(bad, SCENARIOS / "d.yaml")


#: Inputs the fuzz tests once found escaping as something other than ScenarioError.
FOUND = [
    ("a key that looks like pydantic's key marker", "3: true\n'[key]': null\n"),
    ("a nested field named like a top-level one",
     "extends: replay_2009_2019.yaml\nname: x\nperiod: {start: 2012-01, end: 2015-12}\n"
     "initial_state: {events: 264}\n"),
    ("a YAML date outside 1900..2100",
     "name: x\nperiod: {start: 2101-01-01, end: 2015-12}\n"),
    ("an explicit tag on an empty value", "name: !!int\n"),
    ("a period given as null in a child", "extends: replay_2009_2019.yaml\nperiod: null\n"),
    ("events: null in a child", "extends: replay_2009_2019.yaml\nname: x\nevents: null\n"),
    ("a field name with a newline", "'\\n': 1\n"),
]


@pytest.mark.parametrize("text", [t for _, t in FOUND], ids=[i for i, _ in FOUND])
def test_inputs_the_fuzzer_found_give_a_scenario_error_or_load(text):
    check_loads_or_explains(lambda: load_bytes(text.encode("utf-8"), SCENARIOS / "found.yaml"))
