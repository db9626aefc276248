"""The worksheets match the charts, and their answer keys match the runs.

A worksheet cites a chart as a code span (```overview.png```, a chart of the report it
named last) and, after it in the same paragraph or list item, the panels and lines to
look at as code spans, exactly as the chart prints them (``buffer_sim.tools.answer_key.citations``).
``tests/test_worksheets_commands.py`` runs each worksheet's commands once, as printed,
into a scratch folder, and then checks with ``check_charts_and_key`` that every cited
name is a panel title or legend entry of the cited PNG
(``plots.chart_text``), and the teacher's key in exercises/answers/ must be exactly what
``buffer_sim.tools.answer_key`` builds from those runs (so a changed model shows up as a stale
key: regenerate it with ``python -m buffer_sim.tools.answer_key``).
"""

from __future__ import annotations

import re

import pytest

from buffer_sim.tools import answer_key
from buffer_sim.output.charts import chart_text
from conftest import PROJECT_ROOT

EXERCISES = sorted((PROJECT_ROOT / "exercises").glob("*.md"))


def section(text: str, heading: str) -> str:
    match = re.search(rf"^## {heading}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    return match.group(1) if match else ""


# --- fast: the citation rule and the keys' shape ------------------------------------------

def test_a_code_span_after_a_png_is_a_name_on_that_chart(tmp_path):
    sheet = tmp_path / "x.md"
    sheet.write_text(
        "Open `out/run-a/report.html`.\n\n"
        "1. **`leverage.png`**, the line `pressure applied (0..1)`;\n"
        "   then `overview.png`, panel `Warmth of relations`.\n"
        "2. **The `explain` output**: no chart here.\n\n"
        "In `out/compare-a-b/report.html`, look at `compare.png`, panel `tension`.\n",
        encoding="utf-8")
    assert answer_key.citations(sheet) == [
        answer_key.Citation("out/run-a/leverage.png", ("pressure applied (0..1)",),
                            answer_key.citations(sheet)[0].where),
        answer_key.Citation("out/run-a/overview.png", ("Warmth of relations",),
                            answer_key.citations(sheet)[1].where),
        answer_key.Citation("out/compare-a-b/compare.png", ("tension",),
                            answer_key.citations(sheet)[2].where),
    ]


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_every_look_at_step_with_a_chart_names_what_to_find_on_it(path):
    look = section(path.read_text(encoding="utf-8"), "Look at")
    cited = [c for c in answer_key.citations(path) if c.where in " ".join(look.split())]
    assert cited, "the Look at steps cite charts"
    for citation in cited:
        assert citation.png.startswith("out/"), f"{citation.png}: which report's chart?"
        assert citation.names, f"{citation.png}: which panel or line? ({citation.where})"


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_every_debrief_question_has_an_answer_in_the_key(path):
    key = answer_key.key_path(path)
    assert key.is_file(), f"no answer key {key.relative_to(PROJECT_ROOT)}"
    text = key.read_text(encoding="utf-8")
    questions = re.split(r"^- ", section(path.read_text(encoding="utf-8"), "Debrief"),
                         flags=re.M)[1:]
    answers = re.findall(r"^\*\*(.+)\*\*$", section(text, "Debrief"), re.M)
    assert len(answers) == len(questions)
    look = re.findall(r"^\d+\. ", section(path.read_text(encoding="utf-8"), "Look at"), re.M)
    assert len(re.findall(r"^\*\*\d+\. ", section(text, "Look at"), re.M)) == len(look)
    assert re.search(r"\d\.\d{2}", text), "answers quote numbers"


def test_the_answer_key_command_refuses_a_worksheet_it_has_no_key_for(tmp_path, capsys):
    sheet = tmp_path / "99_new.md"
    sheet.write_text("# Exercise 99\n", encoding="utf-8")
    assert answer_key.main([str(sheet)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "99_new.md" in err
    assert not (tmp_path / "answers").exists()


def check_charts_and_key(path, runs) -> None:
    """Every name a worksheet cites is on the chart it cites, and its teacher's key is
    exactly what ``buffer_sim.tools.answer_key`` builds from ``runs`` (the worksheet's
    commands, run once, as printed, by ``test_worksheets_commands``)."""
    for citation in answer_key.citations(path):
        png = runs.root / citation.png
        assert png.is_file(), f"{path.name} cites {citation.png}, which its commands do not make"
        text = chart_text(png)
        on_chart = set(text.panels) | set(text.legend)
        missing = [name for name in citation.names if name not in on_chart]
        assert not missing, (f"{path.name}: {missing} not on {citation.png}\n"
                             f"panels: {text.panels}\nlegend: {text.legend}")
    fresh = answer_key.build_key(path, runs)
    committed = answer_key.key_path(path).read_text(encoding="utf-8")
    assert fresh == committed, (f"{answer_key.key_path(path).name} is out of date: "
                                f"python -m buffer_sim.tools.answer_key {path.relative_to(PROJECT_ROOT)}")
