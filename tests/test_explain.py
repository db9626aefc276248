"""``buffer-sim explain`` and ``buffer_sim.output.explain``: decisions told as a story.

One paragraph per change of policy, not one line per month: consecutive months with
the same deciding priority and the same direction of change are one paragraph; the
months the actor then held its course are one sentence; forced and pinned months and
new priority orders are said so.
"""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from buffer_sim.experiments import runner
from buffer_sim.output import explain
from conftest import SHORT_SCENARIO

BEIJING_ORDER = ("no_war", "no_instability", "no_nukes")
THRESHOLDS = {"no_war": 0.6, "no_instability": 0.72, "no_nukes": 0.005}


def month_row(month, choice, previous, deciding="inertia", projected=None, pinned=None,
              event="", forced=None, administration="", actor="beijing", reason=None):
    projected = projected or {"no_war": 0.4, "no_instability": 0.8, "no_nukes": 0.001}
    return {"month": month, "actor": actor, "choice": choice, "previous": previous,
            "deciding_priority": deciding,
            "reason": reason or f"{actor} did something because of {deciding}.",
            "projected": projected,
            "threshold": {k: THRESHOLDS.get(k, 0.5) for k in projected},
            "pinned": pinned or {}, "event": event, "forced": forced or {},
            "administration": administration}


def beijing_story() -> pd.DataFrame:
    """Beijing holds, raises enforcement three months running for no war (tension
    projected above its threshold), then holds seven months with every priority safe."""
    rows = []
    enf = {"2017-05": 0.25, "2017-06": 0.25, "2017-07": 0.25}
    for m, e in enf.items():
        rows.append(month_row(m, {"enforcement": e, "aid": 0.5}, {"enforcement": e, "aid": 0.5}))
    steps = [("2017-08", 0.25, 0.5, 0.66), ("2017-09", 0.5, 0.75, 0.64),
             ("2017-10", 0.75, 1.0, 0.62)]
    for m, old, new, tension in steps:
        rows.append(month_row(m, {"enforcement": new, "aid": 0.5}, {"enforcement": old, "aid": 0.5},
                              deciding="no_war",
                              projected={"no_war": tension, "no_instability": 0.8,
                                         "no_nukes": 0.001}))
    for m in ("2017-11", "2017-12", "2018-01", "2018-02", "2018-03", "2018-04", "2018-05"):
        rows.append(month_row(m, {"enforcement": 1.0, "aid": 0.5}, {"enforcement": 1.0, "aid": 0.5}))
    rows.append(month_row("2018-06", {"enforcement": 0.75, "aid": 0.5},
                          {"enforcement": 1.0, "aid": 0.5}, deciding="no_instability",
                          projected={"no_war": 0.4, "no_instability": 0.70, "no_nukes": 0.001}))
    return pd.DataFrame(rows)


# --- the narrative, on a table written by hand ----------------------------------------------

def test_consecutive_moves_for_one_priority_are_one_paragraph():
    paragraphs = explain.narrate(beijing_story(), "beijing")
    raised = [p for p in paragraphs if "raised enforcement" in p]
    assert len(raised) == 1
    assert raised[0].startswith("From 2017-08 to 2017-10 Beijing raised enforcement from 0.25 "
                                "to 1.00 (3 steps) because of no war")


def test_a_paragraph_gives_the_deciding_priority_its_projection_and_threshold():
    (raised,) = [p for p in explain.narrate(beijing_story(), "beijing") if "raised" in p]
    assert "its first priority" in raised
    # Beijing reads its first priority its own way: the war danger, a crisis's peak in part
    assert "war danger" in raised and "0.660" in raised and "threshold 0.600" in raised
    assert "above its threshold" in raised


def test_the_months_it_then_held_its_course_are_one_sentence():
    (raised,) = [p for p in explain.narrate(beijing_story(), "beijing") if "raised" in p]
    assert ("It then held its policy for 7 months (to 2018-05): all its priorities were "
            "projected to hold.") in raised


def test_a_move_in_the_other_direction_or_for_another_priority_is_a_new_paragraph():
    paragraphs = explain.narrate(beijing_story(), "beijing")
    assert paragraphs[-1].startswith("In 2018-06 Beijing lowered enforcement from 1.00 to 0.75 "
                                     "because of no instability (its second priority)")
    assert "below its threshold 0.720" in paragraphs[-1]


def test_a_paragraph_says_within_or_even_so_only_where_that_is_true_of_every_month():
    """Raises for no war that first leave the war risk above its threshold and then bring
    it within are two paragraphs: one sentence cannot say both."""
    rows = [month_row(m, {"enforcement": new, "aid": 0.5}, {"enforcement": old, "aid": 0.5},
                      deciding="no_war",
                      projected={"no_war": risk, "no_instability": 0.8, "no_nukes": 0.001})
            for m, old, new, risk in [("2017-08", 0.25, 0.5, 0.66), ("2017-09", 0.5, 0.75, 0.63),
                                      ("2017-10", 0.75, 1.0, 0.58)]]
    raised = [p for p in explain.narrate(pd.DataFrame(rows), "beijing") if "raised" in p]
    assert len(raised) == 2
    assert "From 2017-08 to 2017-09 Beijing raised" in raised[0] and "even so" in raised[0]
    assert raised[1].startswith("In 2017-10") and "within its threshold" in raised[1]


def test_the_last_months_value_is_printed_apart_from_the_threshold_it_is_compared_with():
    rows = [month_row(m, {"aid": new}, {"aid": old}, deciding="no_instability",
                      projected={"no_war": 0.4, "no_instability": v, "no_nukes": 0.001})
            for m, old, new, v in [("2016-02", 0.5, 0.75, 0.7188), ("2016-03", 0.75, 1.0, 0.7197)]]
    (raised,) = [p for p in explain.narrate(pd.DataFrame(rows), "beijing") if "raised" in p]
    assert "0.7188 (0.7197 by 2016-03) was below its threshold 0.7200 even so" in raised


def test_there_are_far_fewer_paragraphs_than_months():
    table = beijing_story()
    paragraphs = explain.narrate(table, "beijing")
    # the opening hold, the raise (with its hold), the cut
    assert len(paragraphs) == 3 < len(table)
    assert paragraphs[0].startswith("In 2017-05 Beijing ranked its priorities no war > "
                                    "no instability > no nuclear weapons.")
    assert "From 2017-05 to 2017-07 Beijing held its policy (enforcement 0.25, aid 0.50) for 3 months" \
        in paragraphs[0]


def test_a_window_tells_only_its_months():
    paragraphs = explain.narrate(beijing_story(), "beijing", start="2017-09", end="2017-12")
    text = " ".join(paragraphs)
    assert "From 2017-09 to 2017-10 Beijing raised enforcement from 0.50 to 1.00 (2 steps)" in text
    assert "2018-" not in text and "2017-08" not in text


def test_an_actor_without_decisions_gets_one_sentence():
    assert explain.narrate(beijing_story(), "seoul") == ["Seoul made no recorded decision."]
    assert explain.narrate(beijing_story(), "beijing", start="2019-01") == [
        "Beijing made no recorded decision between 2019-01 and the end."]


def test_forced_months_name_the_event_and_pinned_instruments_are_noted():
    pin = {"provocation": (0.0, "history as it happened")}
    rows = [
        month_row("2017-01", {"provocation": 0, "outreach": 0.2}, {"provocation": 0, "outreach": 0.2},
                  actor="pyongyang", pinned=pin, projected={"security": 0.7}),
        month_row("2017-02", {"provocation": 2, "outreach": 0.2}, {"provocation": 0, "outreach": 0.2},
                  actor="pyongyang", deciding="forced", pinned=pin, event="6th nuclear test",
                  forced={"provocation": 2}, projected={"security": 0.75}),
        month_row("2017-03", {"provocation": 0, "outreach": 0.2}, {"provocation": 2, "outreach": 0.2},
                  actor="pyongyang", pinned=pin, projected={"security": 0.75}),
        month_row("2017-04", {"provocation": 0, "outreach": 0.2}, {"provocation": 0, "outreach": 0.2},
                  actor="pyongyang", projected={"security": 0.75}),
    ]
    text = " ".join(explain.narrate(pd.DataFrame(rows), "pyongyang"))
    assert ("The scenario pinned Pyongyang's provocation at 0 from 2017-01 to 2017-03 "
            "(history as it happened)") in text
    assert ("In 2017-02 Pyongyang's choice was forced by the event '6th nuclear test': it "
            "carried out a nuclear or ICBM test.") in text
    assert "From 2017-04 Pyongyang chose its provocation freely again." in text
    assert "lowered provocation" not in text  # a test is an act, not a level kept


def test_a_new_priority_order_is_said_with_the_event_that_brought_it():
    order2 = {"denuclearisation": 0.002, "alliance": 0.6, "no_war": 0.4}
    rows = [month_row("2016-12", {"pressure": 0.8}, {"pressure": 0.8}, actor="washington",
                      projected={"no_war": 0.4, "alliance": 0.6, "denuclearisation": 0.002}),
            month_row("2017-01", {"pressure": 0.8}, {"pressure": 0.8}, actor="washington",
                      projected=order2, administration="Trump administration")]
    text = " ".join(explain.narrate(pd.DataFrame(rows), "washington"))
    assert ("From 2017-01 Washington ranked its priorities denuclearisation > alliance "
            "security > no war instead ('Trump administration').") in text


def test_pyongyang_s_order_says_whether_it_declared_or_a_test_withdrew_the_declaration():
    before = {"survival": 1.0, "completion": 0.9, "autonomy": 0.7, "economy": 1.0}
    after = {"economy": 1.0, "security": 0.96, "calm": 0.5, "autonomy": 0.7}
    rows = [month_row(month, {"provocation": 0}, {"provocation": 0}, actor="pyongyang",
                      projected=projected)
            for month, projected in (("2016-01", before), ("2016-03", after),
                                     ("2016-10", before))]
    text = " ".join(explain.narrate(pd.DataFrame(rows), "pyongyang"))
    assert "From 2016-03 Pyongyang ranked its priorities the economy" in text
    assert "instead (its nuclear force declared complete" in text
    assert ("From 2016-10 Pyongyang ranked its priorities regime survival > completing the "
            "nuclear force > autonomy > the economy instead (a nuclear or long-range test "
            "withdrew its declaration that the force was complete).") in text


def test_missing_columns_are_an_error():
    with pytest.raises(ValueError, match="deciding_priority"):
        explain.narrate(pd.DataFrame({"month": [], "actor": [], "choice": [], "reason": []}),
                        "beijing")


# --- on a real run -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def short_result(tmp_path_factory):
    path = tmp_path_factory.mktemp("explain") / "short.yaml"
    path.write_text(SHORT_SCENARIO, encoding="utf-8")
    return runner.run(path)


def test_every_change_of_policy_is_in_a_paragraph_of_its_month(short_result):
    table = explain.decision_table(short_result)
    for actor in ("beijing", "washington", "seoul"):
        paragraphs = explain.narrate(table, actor)
        rows = table[table["actor"] == actor]
        changed = [r.month for r in rows.itertuples()
                   if any(abs(v - r.previous[k]) > 1e-9 for k, v in r.choice.items())]
        assert len(paragraphs) <= len(changed) + 2 < len(rows)
        spans = []
        for p in paragraphs:
            for a, b in re.findall(r"From (\d{4}-\d\d) to (\d{4}-\d\d) \w+ (?:raised|lowered)", p):
                spans.append((a, b))
            for a in re.findall(r"In (\d{4}-\d\d) \w+(?:'s choice was forced| raised| lowered)", p):
                spans.append((a, a))
        for month in changed:
            assert any(a <= month <= b for a, b in spans), (actor, month)


def test_the_decision_table_carries_projections_thresholds_and_pins(short_result):
    table = explain.decision_table(short_result)
    assert set(explain.RICH_COLUMNS) <= set(table.columns)
    assert len(table) == len(short_result.decisions)
    row = table[table["actor"] == "beijing"].iloc[0]
    assert list(row["projected"]) == list(row["threshold"])  # the actor's order
    pinned = table[(table["actor"] == "pyongyang") & (table["month"] == "2016-02")].iloc[0]
    assert pinned["pinned"]["provocation"][0] == 0
    forced = table[(table["actor"] == "pyongyang") & (table["month"] == "2016-01")].iloc[0]
    assert forced["event"] == "4th nuclear test" and forced["forced"] == {"provocation": 2}


def test_a_plain_decisions_csv_is_enough(short_result):
    csv = pd.read_csv(io.StringIO(runner.csv_text(short_result.decisions)))
    paragraphs = explain.narrate(csv, "pyongyang")
    text = " ".join(paragraphs)
    assert "forced by the event '4th nuclear test'" in text
    assert len(paragraphs) < len(csv[csv["actor"] == "pyongyang"])


def test_a_weighing_actor_is_told_as_weighing_not_ranking(tmp_path):
    # The weighted rule keeps course, or moves, on the best weighed sum of all its
    # priorities: the lexicographic words ("no move would have done better on ...",
    # "ranked") would tell a class the wrong rule.
    path = tmp_path / "short.yaml"
    path.write_text(SHORT_SCENARIO, encoding="utf-8")
    result = runner.run(path, overrides=["beijing.rule=weighted", "beijing.priorities=us_ties"])
    table = explain.decision_table(result)
    assert set(table[table["actor"] == "beijing"]["rule"]) == {"weighted"}
    assert set(table[table["actor"] == "washington"]["rule"]) == {"lexicographic"}
    csv = pd.read_csv(io.StringIO(runner.csv_text(result.decisions)))
    assert explain.narrate(table, "beijing")[0].startswith(
        "In 2016-01 Beijing weighed its priorities ties with Washington > no war > ")
    assert "(each counting twice the next)" in explain.narrate(table, "beijing")[0]
    for source in (table, csv):  # a plain decisions.csv knows the rule from the reasons
        text = " ".join(explain.narrate(source, "beijing"))
        assert "weighing all its priorities, no move scored better" in text
        assert "ranked" not in text and "no move would have done better" not in text
    assert "ranked its priorities" in " ".join(explain.narrate(table, "washington"))
    moved = [p for p in explain.narrate(table, "beijing") if " raised " in p or " lowered " in p]
    assert moved and all("this move scored best; it gained most on " in p for p in moved)


# --- the command -----------------------------------------------------------------------------

def test_explain_prints_paragraphs_for_the_window(cli, short_scenario):
    result = cli("explain", short_scenario, "--actor", "beijing", "--from", "2016-06",
                 "--to", "2017-12")
    assert result.code == 0, result.err
    head, _, body = result.out.partition("\n\n")
    assert head == "Beijing in short_2016_2018, 2016-06..2017-12, seed 2016:"
    paragraphs = body.strip().split("\n\n")
    assert paragraphs and all(re.match(r"(In|From) 2016|(In|From) 2017|The scenario", p)
                              for p in paragraphs)
    assert "2018-" not in body


def test_explain_defaults_to_beijing_and_takes_seed_and_set(cli, short_scenario):
    plain = cli("explain", short_scenario, "--seed", "3")
    changed = cli("explain", short_scenario, "--seed", "3",
                  "--set", "beijing.priorities=no_nukes,no_war,no_instability")
    assert plain.code == changed.code == 0
    assert plain.out.startswith("Beijing in short_2016_2018")
    # the text is wrapped to the terminal's width, so a phrase may span lines
    assert "no nuclear weapons > no war > no instability" in " ".join(changed.out.split())
    assert "(beijing.priorities=no_nukes,no_war,no_instability)" in changed.out.splitlines()[0]


@pytest.mark.parametrize("argv, message", [
    (["--actor", "moscow"], "--actor: unknown actor 'moscow'; expected one of: beijing"),
    (["--from", "2017-13"], "--from: month 13"),
    (["--from", "2015-01"], "--from: 2015-01 is outside the scenario's period 2016-01..2018-12"),
    (["--from", "2017-06", "--to", "2017-01"], "--to: 2017-01 is before --from 2017-06"),
    (["--seed", "-1"], "--seed"),
])
def test_explain_rejects_bad_input_in_one_line(cli, short_scenario, argv, message):
    result = cli("explain", short_scenario, *argv)
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("buffer-sim: error: ") and message in result.err
    assert result.err.count("\n") == 1
