"""The teachers' worksheets in exercises/: each quotes the report, gives commands that
work, says which chart to look at, and ends with debrief questions.

The worksheets' commands use the command the set-up installs, ``.venv/bin/buffer-sim``
(run from the project folder), so they work as printed after ``make`` without
changing the PATH. Every such line of a ```bash block is run here through
``buffer_sim.cli.main`` with ``--out`` redirected to a temporary folder, and the charts
replaced by placeholders (drawing is tested in test_plots, test_compare and
test_report), so the worksheets stay quick to check; test_worksheets_commands runs them
exactly as printed with the installed command.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from buffer_sim.tools.answer_key import COMMAND, bash_lines, commands
from conftest import PROJECT_ROOT, run_main

EXERCISES = sorted((PROJECT_ROOT / "exercises").glob("*.md"))
FENCE = re.compile(r"```bash\n(.*?)```", re.S)


def section(text: str, heading: str) -> str:
    match = re.search(rf"^## {heading}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    return match.group(1) if match else ""


@pytest.fixture
def placeholder_charts(monkeypatch):
    from buffer_sim.output import charts as plots

    def placeholder(data, path, *args, **kwargs):
        Path(path).write_bytes(b"\x89PNG\r\n\x1a\n placeholder")
        return Path(path)

    for name in ("plot_leverage", "plot_trade", "plot_overview", "overlay", "plot_compare"):
        monkeypatch.setattr(plots, name, placeholder)


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


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
@pytest.mark.slow
def test_the_worksheet_commands_run_and_make_the_files_it_names(path, tmp_path,
                                                                placeholder_charts):
    lines = commands(path)
    assert lines
    out = tmp_path / "out"
    for line in lines:
        argv = shlex.split(line)[1:]
        if "--out" in argv:
            argv[argv.index("--out") + 1] = str(out)
        result = run_main(*argv, cwd=tmp_path)
        assert result.code == 0, f"{line}\n{result.err}"
        assert result.out.strip()
    for name in re.findall(r"`out/([^`]+\.html)`", path.read_text(encoding="utf-8")):
        assert (out / name).is_file(), f"{path.name} names out/{name}"


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
