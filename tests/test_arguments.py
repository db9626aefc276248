"""Every command checks its arguments before any work: run counts above the documented
cap, counts of zero or below and non-finite numbers (nan, inf) in any option or
``--set`` give one line on stderr, exit 2, and nothing written. A missing optional
package is not bad input: exit 1, naming the extra to install.
"""

from __future__ import annotations

import sys

import pytest

from buffer_sim.cli.arguments import MAX_RUNS, MAX_WORKERS

from buffer_sim.cli import build_parser

UNCERTAIN = "pressure_2016_2017_uncertain"
DISCOVER = ["discover", UNCERTAIN, "--outcome", "mean_tension", "--where", "> 0.5"]
SENSITIVITY = ["sensitivity", UNCERTAIN, "--outcome", "mean_tension"]
SWEEP = ["sweep", "--param", "parameters.inertia=0.5:2:3", "--outcome", "mean_tension"]

CASES = [
    # run counts above the cap
    (["run", "--runs", str(MAX_RUNS + 1)], "--runs", f"above the limit of {MAX_RUNS}"),
    (["run", "--runs", "100000000000"], "--runs", "above the limit"),
    (["ensemble", "--runs", str(MAX_RUNS + 1)], "--runs", "above the limit"),
    ([*DISCOVER, "--runs", "100000000"], "--runs", "above the limit"),
    ([*SENSITIVITY, "--runs", str(10 * MAX_RUNS)], "--runs", "above the limit"),
    ([*SWEEP, "--runs", str(10 * MAX_RUNS)], "--runs", "above the limit"),
    (["sweep", "--param", "parameters.inertia=0.5:2:100000000", "--outcome", "mean_tension"],
     "--param", "above the limit"),
    (["sweep", "--param", "parameters.inertia=0.5:2:1000", "--param",
      "parameters.aid_normal=0.1:0.5:1000", "--outcome", "mean_tension"], "--param",
     "1000000 grid points"),
    ([*SENSITIVITY, "--samples", "65536", "--runs", "20"], "--samples", "above the limit"),
    (["run", "--runs", "3", "--workers", str(MAX_WORKERS + 1)], "--workers", "above the limit"),
    (["run", "--runs", "3", "--chunk-size", "100000000000"], "--chunk-size", "above the limit"),
    (["validate", "--runs", "1000000"], "--runs", "out of range"),
    (["calibrate", "--seeds", "1000000"], "--seeds", "out of range"),
    # zero or negative counts
    (["run", "--runs", "0"], "--runs", ">= 1"),
    (["run", "--runs", "-3"], "--runs", ">= 1"),
    (["ensemble", "--runs", "0"], "--runs", ">= 1"),
    (["ensemble", "--runs", "5", "--start", "-1"], "--start", ">= 0"),
    ([*SENSITIVITY, "--samples", "0"], "--samples", ">= 2"),
    ([*SENSITIVITY, "--samples", "-4"], "--samples", ">= 2"),
    ([*DISCOVER, "--box", "-1"], "--box", ">= 0"),
    ([*SWEEP, "--runs", "0"], "--runs", ">= 1"),
    (["validate", "--runs", "0"], "--runs", "out of range"),
    (["calibrate", "--maxiter", "0"], "--maxiter", "out of range"),
    (["run", "--runs", "3", "--workers", "0"], "--workers", ">= 1"),
    # non-finite numbers
    (["run", "--set", "parameters.inertia=nan"], "--set", "finite number"),
    (["run", "--set", "initial_state.tension=.inf"], "--set", "finite number"),
    (["run", "--runs", "3", "--set", "beijing.thresholds.no_war=-inf"], "--set", "finite number"),
    (["compare", "replay_2009_2019", "replay_2009_2019", "--set",
      "2:parameters.inertia=nan"], "--set", "finite number"),
    (["explain", "--set", "parameters.inertia=Infinity"], "--set", "finite number"),
    (["validate", "--set", "parameters.inertia=nan"], "--set", "finite number"),
    ([*DISCOVER, "--min-coverage", "nan"], "--min-coverage", "finite"),
    ([*DISCOVER[:-1], "> nan"], "--where", "number"),
    (["sweep", "--param", "parameters.inertia=nan,2", "--outcome", "mean_tension"], "--param",
     "finite"),
    ([*SENSITIVITY[:-1], "enforcement_first_above:inf"], "--outcome", "finite"),
    (["run", "--seed", "nan"], "--seed", "whole number"),
    (["calibrate", "--maxiter", "inf"], "--maxiter", "whole number"),
    (["app", "--port", "nan"], "--port", "whole number"),
    # a --set path refused before any run
    (["ensemble", "--runs", "5", "--set", "beijng.priorities=no_war"], "--set", "did you mean"),
]


@pytest.mark.parametrize("argv,option,says", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_a_bad_argument_is_one_line_exit_2_and_nothing_written(argv, option, says, cli,
                                                             tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli(*argv)
    assert result.code == 2, result.err
    lines = result.err.strip().splitlines()
    # one line; a value argparse itself rejects also shows the usage above it
    assert len(lines) == 1 or lines[0].startswith("usage: buffer-sim"), result.err
    assert option in lines[-1] and says in lines[-1], lines[-1]
    assert "Traceback" not in result.err
    assert list(tmp_path.iterdir()) == [], "nothing written"


def test_the_limits_are_documented_in_help():
    text = " ".join(build_parser().format_help().split())
    assert f"at most {MAX_RUNS} model runs per command" in text
    run_help = " ".join(build_parser("run")._subparsers._group_actions[0]
                        .choices["run"].format_help().split())
    assert f"(at most {MAX_RUNS})" in run_help


@pytest.mark.parametrize("argv,module,extra", [
    (SENSITIVITY, "SALib", "analysis"),
    (DISCOVER + ["--runs", "20"], "ema_workbench", "analysis"),
])
def test_a_missing_optional_package_names_the_extra_and_exits_1(argv, module, extra, cli,
                                                                 tmp_path, monkeypatch):
    # a module set to None in sys.modules cannot be imported: as if not installed
    for name in [m for m in sys.modules if m == module or m.startswith(f"{module}.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.chdir(tmp_path)
    result = cli(*argv, "--workers", "1")
    assert result.code == 1, result.err
    assert f"pip install 'buffer-sim[{extra}]'" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_missing_extra_is_not_bad_input():
    from buffer_sim.core.errors import MissingExtra, ScenarioError

    assert not issubclass(MissingExtra, ScenarioError)
