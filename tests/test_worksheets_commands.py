"""The worksheets' commands work exactly as printed, after the README's set-up.

Each worksheet's ```bash lines run in a fresh, empty folder, through a shell, with the
installed command: ``.venv/bin/buffer-sim`` there is the virtual environment running
these tests (a link named ``.venv``, as ``make`` leaves one in the project folder).
Scenario names are found in the project, as from any folder. Every file the worksheet
tells the class to open must then exist, its charts must carry what it cites, and its
answer key must be what those runs give (``test_worksheet_charts.check_charts_and_key``):
one run of the commands serves both. Slow: real charts, real reports.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from buffer_sim.tools import answer_key
from conftest import PROJECT_ROOT
from test_exercises import EXERCISES, bash_lines
from test_worksheet_charts import check_charts_and_key

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_a_worksheet_s_commands_run_as_printed(path, tmp_path):
    venv = Path(sys.executable).parent.parent
    if not (venv / "bin" / "buffer-sim").exists():
        pytest.skip("buffer-sim is not installed in this environment (make)")
    (tmp_path / ".venv").symlink_to(venv, target_is_directory=True)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src")}  # this checkout's code
    printed: dict[str, str] = {}
    for line in bash_lines(path):
        if line.startswith("make "):
            continue  # the set-up itself, done once
        done = subprocess.run(line, shell=True, cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, f"{line}\n{done.stderr}"
        assert done.stdout.strip(), line
        printed[line] = done.stdout
    text = path.read_text(encoding="utf-8")
    for name in re.findall(r"`(out/[^`]+\.(?:html|png|csv))`", text):
        assert (tmp_path / name).is_file(), f"{path.name} names {name}"
    check_charts_and_key(path, answer_key.read_worksheet(path, tmp_path, printed))
