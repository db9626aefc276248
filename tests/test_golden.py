"""The default run reproduces its golden values: behaviour changes only on purpose.

``tests/golden/replay_2009_2019.json`` holds annual means (tension, Beijing's
enforcement, pressure applied, realized influence, potential leverage, China-DPRK
warmth, DPRK economy, stability) and annual sums of the four trade flows of the default
scenario with its own seed. The run is deterministic, so they must agree to a relative
1e-6 (which only absorbs last-digit maths-library differences between platforms; see
``buffer_sim/tools/golden.py``).

When a change of behaviour is intended, refresh the file and commit it with the change::

    python -m buffer_sim.tools.golden --refresh      # or: make golden
"""

from __future__ import annotations

import json

import pytest

from buffer_sim.tools import golden


@pytest.fixture(scope="module")
def current() -> dict:
    return golden.compute()


@pytest.fixture(scope="module")
def stored() -> dict:
    path = golden.golden_file()
    if not path.exists():
        pytest.fail(f"no golden file at {path}; create it with: {golden.REFRESH_COMMAND}")
    return golden.load(path)


def test_the_golden_file_describes_the_default_run(stored, current):
    assert stored["scenario"] == golden.DEFAULT_SCENARIO
    assert (stored["name"], stored["seed"], stored["months"]) == \
        (current["name"], current["seed"], current["months"])
    assert set(stored["annual_means"]) == set(golden.MEAN_COLUMNS)
    assert set(stored["annual_sums"]) == set(golden.SUM_COLUMNS)
    years = [str(y) for y in range(2009, 2020)]
    for table in ("annual_means", "annual_sums"):
        for column, values in stored[table].items():
            assert sorted(values) == years, column
    assert stored["tolerance"] == {"relative": golden.RELATIVE_TOLERANCE,
                                   "absolute": golden.ABSOLUTE_TOLERANCE}


def test_the_default_run_reproduces_its_golden_values(stored, current):
    diff = golden.differences(stored, current)
    assert not diff, ("the default run changed:\n  " + "\n  ".join(diff[:30])
                      + f"\nIf the change is intended: {golden.REFRESH_COMMAND}")


def test_a_second_run_gives_exactly_the_same_values(current):
    assert golden.compute() == current


@pytest.mark.slow
def test_refresh_writes_a_file_that_the_check_then_accepts(tmp_path, capsys):
    path = tmp_path / "golden.json"
    assert golden.main(["--refresh", "--file", str(path)]) == 0
    assert golden.main(["--file", str(path)]) == 0
    assert "reproduced" in capsys.readouterr().out


def test_the_check_fails_and_says_how_to_refresh_when_a_value_moves(tmp_path, capsys,
                                                                    current):
    values = json.loads(json.dumps(current))
    values["annual_means"]["tension"]["2017"] *= 1 + 1e-4  # far beyond the tolerance
    values["annual_sums"]["cn_imports_reported"]["2018"] *= 1 + 1e-7  # within it
    path = tmp_path / "golden.json"
    golden.write(values, path)

    assert golden.main(["--file", str(path)]) == 1
    err = capsys.readouterr().err
    assert "annual_means.tension[2017]" in err
    assert "cn_imports_reported" not in err
    assert golden.REFRESH_COMMAND in err
