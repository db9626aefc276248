"""The teachers' worksheets in exercises/: each quotes the report, gives commands that
work, says which chart to look at, and ends with debrief questions.

Every ``buffer-sim`` line of a ```bash block is run through ``buffer_sim.cli.main``
with ``--out`` redirected to a temporary folder. The charts are replaced by
placeholders here (drawing is tested in test_plots, test_compare and test_report), so
the worksheets stay quick to check.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, run_main

EXERCISES = sorted((PROJECT_ROOT / "exercises").glob("*.md"))
FENCE = re.compile(r"```bash\n(.*?)```", re.S)


def commands(path: Path) -> list[str]:
    """The buffer-sim lines of the worksheet's bash blocks."""
    lines = []
    for block in FENCE.findall(path.read_text(encoding="utf-8")):
        lines += [line.strip() for line in block.splitlines()
                  if line.strip().startswith("buffer-sim ")]
    return lines


def section(text: str, heading: str) -> str:
    match = re.search(rf"^## {heading}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    return match.group(1) if match else ""


@pytest.fixture
def placeholder_charts(monkeypatch):
    from buffer_sim import plots

    def placeholder(data, path, *args, **kwargs):
        Path(path).write_bytes(b"\x89PNG\r\n\x1a\n placeholder")
        return Path(path)

    for name in ("plot_leverage", "plot_trade", "plot_overview", "overlay", "plot_compare"):
        monkeypatch.setattr(plots, name, placeholder)


def test_there_are_four_worksheets():
    assert len(EXERCISES) == 4


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
