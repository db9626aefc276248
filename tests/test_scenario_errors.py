"""Bad input never crashes: one line on stderr naming file, field and problem; exit 2;
nothing written.

Each row of ``CASES`` is a mistake a user can make. The scenario is written to
``bad.yaml`` (other files of the row beside it) and run with
``buffer-sim run bad.yaml --out OUT [extra arguments]``.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import console_script

GOOD = "name: bad\nperiod: {start: 2016-01, end: 2016-12}\n"


@dataclass
class Case:
    id: str
    scenario: str
    args: list = field(default_factory=list)
    shows: tuple = ()  # what the error line must contain: file, field, problem
    others: dict = field(default_factory=dict)  # other files beside bad.yaml
    run_file: str = "bad.yaml"  # the file given to 'buffer-sim run'


CASES = [
    Case("malformed YAML", "name: bad\nperiod: {start: 2016-01, end: 2016-12\n",
         shows=("bad.yaml", "line 3", "YAML syntax error")),
    Case("unknown top-level field", GOOD + "priod: {start: 2016-01}\n",
         shows=("bad.yaml", "priod", "did you mean 'period'")),
    Case("wrong type", GOOD + "initial_state: {tension: high}\n",
         shows=("bad.yaml", "initial_state.tension", "expected a number, got 'high'")),
    Case("out-of-range value", GOOD + "initial_state: {tension: 1.5}\n",
         shows=("bad.yaml", "initial_state.tension", "out of range")),
    Case("unknown actor", GOOD + "actors: {moscow: {rule: lexicographic}}\n",
         shows=("bad.yaml", "actors.moscow", "unknown actor 'moscow'")),
    Case("unknown priority", GOOD + "actors: {beijing: {priorities: [no_war, no_chaos]}}\n",
         shows=("bad.yaml", "actors.beijing.priorities[1]", "unknown priority 'no_chaos'")),
    Case("unknown instrument", GOOD + "actors: {beijing: {instruments: {tarifs: 0.5}}}\n",
         shows=("bad.yaml", "actors.beijing.instruments.tarifs", "unknown instrument")),
    Case("event outside the period",
         GOOD + "events:\n  - {date: 2017-03, kind: resolution, sanctions_scope: 0.5,\n"
                "     label: late, source: test source}\n",
         shows=("bad.yaml", "events[0].date", "outside the period")),
    Case("exemption larger than the ban",
         GOOD + "events:\n  - {date: 2016-03, kind: resolution, sanctions_scope: 0.5,\n"
                "     sanctions_exempt: 0.6, label: wide, source: test source}\n",
         shows=("bad.yaml", "events[0].sanctions_exempt", "more than the resolution's")),
    Case("an outcome for what is not a test",
         GOOD + "events:\n  - {date: 2016-03, kind: forced_action, actor: beijing,\n"
                "     set: {enforcement: 0.5}, outcome: success, label: x, source: test source}\n",
         shows=("bad.yaml", "events[0].outcome", "only a test has an outcome")),
    Case("missing extends file", "extends: nowhere.yaml\n",
         shows=("bad.yaml", "extends", "'nowhere.yaml' not found")),
    Case("cyclic extends (two files)", "extends: other.yaml\n",
         others={"other.yaml": "extends: bad.yaml\n"},
         shows=("bad.yaml", "extends", "cyclic extends")),
    Case("bad --set path", GOOD, args=["--set", "beijng.thresholds.no_war=0.9"],
         shows=("--set", "beijng.thresholds.no_war", "did you mean 'beijing'")),
    Case("bad --set value type", GOOD, args=["--set", "beijing.thresholds.no_war=high"],
         shows=("--set", "actors.beijing.thresholds.no_war", "expected a number")),
    Case("--set without =", GOOD, args=["--set", "beijing.thresholds.no_war"],
         shows=("--set", "beijing.thresholds.no_war", "expected PATH=VALUE")),
    Case("NaN value", GOOD + "parameters: {inertia: .nan}\n",
         shows=("bad.yaml", "parameters.inertia", "finite number")),
    Case("NaN value in --set", GOOD, args=["--set", "parameters.inertia=.nan"],
         shows=("--set", "parameters.inertia", "finite number")),
    Case("end before start", "name: bad\nperiod: {start: 2018-01, end: 2016-12}\n",
         shows=("bad.yaml", "period.end", "before the start")),
    Case("not a month", "name: bad\nperiod: {start: 2018-13, end: 2019-12}\n",
         shows=("bad.yaml", "period.start", "not 01..12")),
    Case("missing name", "period: {start: 2016-01, end: 2016-12}\n",
         shows=("bad.yaml", "name", "missing")),
    Case("empty file", "", shows=("bad.yaml", "empty file")),
    Case("unknown parameter", GOOD + "parameters: {inertiaa: 1}\n",
         shows=("bad.yaml", "parameters.inertiaa", "did you mean 'inertia'")),
    Case("name that is not a folder name", "name: ..\nperiod: {start: 2016-01, end: 2016-12}\n",
         shows=("bad.yaml", "name", "cannot name an output folder")),
    Case("negative --seed", GOOD, args=["--seed", "-1"], shows=("--seed", ">= 0")),
    Case("missing scenario file", GOOD, run_file="missing.yaml",
         shows=("missing.yaml", "file not found")),
]


def write_case(case: Case, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bad.yaml").write_text(case.scenario, encoding="utf-8")
    for name, text in case.others.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder / "bad.yaml"


def argv_for(case: Case, path: Path, out: Path) -> list[str]:
    return ["run", str(path.parent / case.run_file), "--out", str(out), *case.args]


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def check_error_line(err: str, case: Case) -> None:
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith("buffer-sim: error: ")
    for fragment in case.shows:
        assert fragment in err, f"{fragment!r} not in {err!r}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(case, cli, tmp_path):
    path = write_case(case, tmp_path / "in")
    out = tmp_path / "out"
    result = cli(*argv_for(case, path, out))
    assert result.code == 2
    check_error_line(result.err, case)
    assert result.out == ""
    assert not out.exists()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_leaves_an_earlier_run_unchanged(case, cli, tmp_path):
    path = write_case(case, tmp_path / "in")
    out = tmp_path / "out"
    earlier = out / "bad"
    earlier.mkdir(parents=True)
    (earlier / "timeseries.csv").write_text("date,tension\n2016-01,0.3\n")
    (earlier / "notes.txt").write_text("from an earlier run")
    before = snapshot(out)
    result = cli(*argv_for(case, path, out))
    assert result.code == 2
    assert snapshot(out) == before


@pytest.mark.slow
def test_bad_input_through_the_installed_command(tmp_path):
    exe = console_script()
    if exe is None:
        pytest.skip("buffer-sim is not installed (pip install -e .)")
    case = next(c for c in CASES if c.id == "unknown priority")
    path = write_case(case, tmp_path / "in")
    out = tmp_path / "out"
    proc = subprocess.run([exe, *argv_for(case, path, out)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 2
    check_error_line(proc.stderr, case)
    assert proc.stdout == ""
    assert not out.exists()
