"""The teachers' worksheets in exercises/: each quotes the report, gives commands that
work, says which chart to look at, and ends with debrief questions.

The worksheets' commands use the command the set-up installs, ``.venv/bin/buffer-sim``
(run from the project folder), so they work as printed after ``make`` without
changing the PATH. test_worksheets_commands runs every such line exactly as printed
with the installed command, checks that each file a worksheet names exists, and, from
the same runs, the charts it cites and its answer key (test_worksheet_charts).
"""

from __future__ import annotations

import re

import pytest

from buffer_sim.tools.answer_key import COMMAND, bash_lines
from conftest import PROJECT_ROOT

EXERCISES = sorted((PROJECT_ROOT / "exercises").glob("*.md"))
FENCE = re.compile(r"```bash\n(.*?)```", re.S)


def section(text: str, heading: str) -> str:
    match = re.search(rf"^## {heading}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    return match.group(1) if match else ""


def test_there_are_four_worksheets():
    assert len(EXERCISES) == 4


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_every_command_is_the_installed_one_or_a_make_target(path):
    """A bare 'buffer-sim' is not on the PATH after 'make': 'command not found'."""
    for line in bash_lines(path):
        assert line.startswith((COMMAND, "make ")), line
    assert "make run" in path.read_text(encoding="utf-8"), "says which set-up it needs"


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_a_worksheet_quotes_the_report_and_asks_questions(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Exercise ")
    quote = section(text, "From the report")
    assert re.search(r'^> .*"', quote, re.M), "a quotation, in quotation marks"
    assert re.search(r"^> .*§", quote, re.M), "the section of the report it is from"
    run = section(text, "Run")
    assert FENCE.search(run), "the command to run"
    look = section(text, "Look at")
    assert re.search(r"`\w+\.png`", look), "which chart to look at"
    bullets = re.split(r"^- ", section(text, "Debrief"), flags=re.M)[1:]
    assert len(bullets) >= 3 and all("?" in b for b in bullets), "debrief questions"


def test_the_readme_s_first_screen_is_for_a_teacher():
    """What it is, the two set-up commands, the app and a worksheet, before anything
    else; the two commands are Makefile targets; advanced material lives elsewhere."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    first = readme.split("\n---\n", 1)[0]
    assert len(first.splitlines()) <= 70, "fits a first screen or two"
    setup = FENCE.findall(first)[0]
    assert [line.split("#")[0].strip() for line in setup.splitlines() if line.strip()] == \
        ["make run", "make test"]
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run", "test", "app"):
        assert re.search(rf"^{target}:", makefile, re.M), target
    assert "make app" in first and "http://127.0.0.1:8765" in first
    for path in EXERCISES:
        assert f"exercises/{path.name}" in first, path.name
    assert ".venv/bin/buffer-sim" in first
    assert "docs/glossary.md" in first and "docs/advanced.md" in first
    for advanced in ("Dask", "Sobol", "PRIM", "--scheduler", "runs.parquet"):
        assert advanced not in readme, f"{advanced} belongs in docs/advanced.md"
        assert advanced in (PROJECT_ROOT / "docs" / "advanced.md").read_text(encoding="utf-8")
