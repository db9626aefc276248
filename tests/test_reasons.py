"""Sentences a teacher can read out: every reason in decisions.csv follows one of the
templates of ``actors.base.REASON_TEMPLATES`` (one per kind of decision: forced,
deciding priority, inertia, and the pinned note), and every comparison it states is
true as printed.

Every shipped scenario (scenarios/ and scenarios/whatif/) is run once and each of its
reasons is matched against regular expressions built from the templates.
"""

from __future__ import annotations

import re
import string

import pytest
import yaml

from buffer_sim.experiments import runner
from buffer_sim.agents import ACTORS
from buffer_sim.agents.base import (ACT_WORDS, REASON_TEMPLATES, compare_numbers,
                                    describe_choice)
from buffer_sim.core.priorities import PRIORITIES
from conftest import PROJECT_ROOT

SCENARIOS = sorted([*(PROJECT_ROOT / "scenarios").glob("*.yaml"),
                    *(PROJECT_ROOT / "scenarios" / "whatif").glob("*.yaml")])
#: runnable scenarios (a fragment such as calibrated_parameters has no name or period)
RUNNABLE = [p for p in SCENARIOS
            if {"name", "period"} <= set(yaml.safe_load(p.read_text(encoding="utf-8")))
            or "extends" in yaml.safe_load(p.read_text(encoding="utf-8"))]

NUMBER = r"-?\d+\.\d{3,17}"
LEVEL = r"-?\d+(?:\.\d+)?"


def _alternatives(words) -> str:
    return "(?:" + "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)) + ")"


PHRASE = (rf"(?:(?:raised|lowered) \w+ from {LEVEL} to {LEVEL}|"
          + "|".join(re.escape(w) for w in ACT_WORDS.values()) + rf"|set \w+ to {LEVEL})")
PIN = rf"\w+ at {LEVEL}"
PLACEHOLDERS = {
    "actor": _alternatives(cls.label for cls in ACTORS.values()),
    "did": rf"(?:kept its policy|{PHRASE}(?:, {PHRASE})*(?: and {PHRASE})?)",
    "event": r"(?P<event>.+)",
    "goal": _alternatives(p.label for p in PRIORITIES.values()),
    # an actor may read a priority its own way (``Priority.readings``)
    "measure": _alternatives(w for p in PRIORITIES.values()
                             for w in (p.measure, *(words for _, _, words in p.readings))),
    "value": f"(?P<value>{NUMBER})",
    "kept": f"(?P<kept>{NUMBER})",
    "threshold": f"(?P<threshold>{NUMBER})",
    "relation": r"(?P<relation>(?:just )?(?:above|below)|at)",
    "pins": rf"{PIN}(?: and {PIN})*",
}


def pattern(template: str) -> str:
    """A template as a regular expression: literal text escaped, placeholders filled."""
    out = []
    for literal, field, _, _ in string.Formatter().parse(template):
        out.append(re.escape(literal))
        if field == "pinned":
            out.append(f"(?:{pattern(REASON_TEMPLATES['pinned'])})?")
        elif field is not None:
            out.append(PLACEHOLDERS[field])
    return "".join(out)


#: what may follow a reason: the moves a commitment ruled out that month
COMMITTED = f"(?:{re.escape(REASON_TEMPLATES['committed']).replace(re.escape('{what}'), '.+')})?"
SENTENCES = {kind: re.compile(pattern(t) + COMMITTED + r"\Z")
             for kind, t in REASON_TEMPLATES.items() if kind not in ("pinned", "committed")}


def kind_of(reason: str):
    """The template a reason follows, and its match (None if it follows none)."""
    for kind, regex in SENTENCES.items():
        match = regex.match(reason)
        if match:
            return kind, match
    return None, None


def comparison_is_true(match) -> bool:
    """'... at X, below its threshold of T': X < T as printed (equal only with 'at')."""
    groups = match.groupdict()
    if groups.get("relation") is None:
        return True
    left = groups["kept"] if groups.get("kept") is not None else groups["value"]
    right = groups["threshold"]
    relation = groups["relation"].removeprefix("just ")
    if relation == "at":
        return left == right
    return (float(left) > float(right)) if relation == "above" else (float(left) < float(right))


@pytest.fixture(scope="module")
def results():
    return {path.stem: runner.run(path) for path in RUNNABLE}


@pytest.fixture(scope="module")
def reasons(results):
    return {name: list(zip(result.decisions["deciding_priority"], result.decisions["reason"]))
            for name, result in results.items()}


def test_every_shipped_scenario_is_checked():
    names = {p.stem for p in RUNNABLE}
    assert "replay_2009_2019" in names and "no_summits_2018" in names
    assert len(names) >= 11


@pytest.mark.slow
def test_every_reason_of_every_shipped_scenario_follows_a_template(reasons):
    bad = [f"{name}: {reason}" for name, rows in reasons.items() for _, reason in rows
           if kind_of(reason)[0] is None]
    assert not bad, f"{len(bad)} reasons follow no template, e.g.\n" + "\n".join(bad[:5])


@pytest.mark.slow
def test_the_template_matches_the_kind_of_decision(reasons):
    for rows in reasons.values():
        for deciding, reason in rows:
            kind, _ = kind_of(reason)
            if deciding == "forced":
                assert kind == "forced", reason
            elif deciding == "inertia":
                assert kind in ("inertia", "inertia_short", "weighed_hold"), reason
            else:
                assert kind in ("deciding", "improving", "weighed"), reason
                assert PRIORITIES[deciding].label in reason


@pytest.mark.slow
def test_a_weighing_actor_s_reasons_say_it_weighs(results):
    # beijing_weighs_its_priorities: Beijing's reasons are the weighted rule's, and
    # every other actor's stay those of precedence
    result = results["beijing_weighs_its_priorities"]
    for actor, reason in zip(result.decisions["actor"], result.decisions["reason"]):
        kind, _ = kind_of(reason)
        if kind == "forced":
            continue
        assert (kind in ("weighed", "weighed_hold")) == (actor == "beijing"), reason


def test_every_comparison_is_true_as_printed(reasons):
    false = [reason for rows in reasons.values() for _, reason in rows
             if not comparison_is_true(kind_of(reason)[1])]
    assert not false, "\n".join(false[:5])


def test_every_kind_of_decision_occurs_in_the_shipped_scenarios(reasons):
    kinds = {kind_of(reason)[0] for rows in reasons.values() for _, reason in rows}
    assert {"forced", "deciding", "inertia", "inertia_short"} <= kinds
    pinned = re.compile(pattern(REASON_TEMPLATES["pinned"]))
    assert any(pinned.search(r) for rows in reasons.values() for _, r in rows)


def test_pyongyang_s_tests_have_a_verb(reasons):
    rows = [r for rows in reasons.values() for _, r in rows if r.startswith("Pyongyang ")]
    assert any(r.startswith("Pyongyang carried out a") for r in rows)
    assert any(r.startswith("Pyongyang held off testing") for r in rows)
    assert not any(re.match(r"Pyongyang (a|no) ", r) for r in rows)


@pytest.mark.parametrize("values", [(-0.0104, -0.01), (-0.00998, -0.01), (0.85, 0.8499999),
                                    (0.2, 0.2), (1e-13, 0.0), (0.1234567, 0.1234568, 0.5)])
def test_numbers_keep_their_order_when_printed(values):
    texts = compare_numbers(*values)
    for i, a in enumerate(values):
        for j, b in enumerate(values):
            assert (a < b) == (float(texts[i]) < float(texts[j])), (values, texts)
            assert (a == b) == (texts[i] == texts[j]), (values, texts)
    assert all(len(t.partition(".")[2]) >= 3 for t in texts)


def test_equal_numbers_read_at_its_threshold():
    from buffer_sim.agents.base import _relation

    assert _relation(-0.01, -0.01) == "at"
    assert _relation(-0.0104, -0.01) == "below"
    assert _relation(0.2 + 1e-15, 0.2) == "just above"


def test_describe_choice_is_a_verb_phrase():
    discrete = {"provocation": (0, 1, 2)}
    assert describe_choice({"provocation": 1, "outreach": 0.2},
                           {"provocation": 0, "outreach": 0.2}, discrete) == \
        "carried out a missile test"
    assert describe_choice({"provocation": 0, "outreach": 0.45},
                           {"provocation": 0, "outreach": 0.2}, discrete) == \
        "held off testing and raised outreach from 0.20 to 0.45"
    assert describe_choice({"aid": 0.5}, {"aid": 0.5}, {}) == "kept its policy"


def test_the_glossary_explains_every_scale_and_leverage_measure():
    from buffer_sim.core.world import INSTRUMENTS, STATE_VARIABLES

    glossary = (PROJECT_ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    bounded = [name for name, (_, lo, hi, _) in STATE_VARIABLES.items()
               if hi is not None and hi <= 1 and lo >= -1 and name != "nuclear_pace"]
    for name in [*bounded, "leverage_potential", "pressure_applied", "influence_realized",
                 "influence_potential"]:
        assert f"`{name}`" in glossary, name
    for actor, instruments in INSTRUMENTS.items():
        for name in instruments:
            assert f"{actor}_{name}" in glossary, f"{actor}_{name}"
    assert "late 2017" in glossary.lower()
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/glossary.md)" in readme


#: 'X was below its threshold T', 'within its threshold (at most T)' in explain's paragraphs
EXPLAINED = re.compile(r"(?P<value>-?\d[\d.e-]*)(?: \(-?[\d.e-]+ by \d{4}-\d\d\))?"
                       r"(?P<how> was (?:above|below) its threshold |, within its threshold "
                       r"\(at (?:most|least) )(?P<threshold>-?\d[\d.e-]*)")


@pytest.mark.slow
def test_explain_s_comparisons_are_true_as_printed(results):
    from buffer_sim.output import explain

    checked, false = 0, []
    for name, result in results.items():
        table = explain.decision_table(result)
        for actor in ACTORS:
            text = " ".join(" ".join(explain.narrate(table, actor)).split())
            for m in EXPLAINED.finditer(text):
                value, threshold = float(m["value"]), float(m["threshold"])
                how = m["how"]
                ok = ((value > threshold) if "above" in how else (value < threshold)
                      if "below" in how else (value <= threshold) if "most" in how
                      else value >= threshold)
                checked += 1
                if not ok:
                    false.append(f"{name} {actor}: {m.group(0)}")
    assert checked > 50
    assert not false, "\n".join(false[:5])
