"""The ``buffer-sim`` command, end to end: what a user types and what lands on disk."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import buffer_sim
from buffer_sim.model import output_columns
from buffer_sim.core.params import Parameters
from conftest import (
    DEFAULT_SCENARIO, OUTPUT_FILES, PROJECT_ROOT, SHORT_MONTHS, SHORT_NAME, SHORT_SCENARIO,
    console_script, run_main,
)

REQUIRED_COLUMNS = [
    "date", "tension", "nuclear", "dprk_economy", "stability", "sanctions_scope",
    "warmth_cn_dprk", "beijing_enforcement", "leverage_potential", "pressure_applied",
    "influence_realized", "cn_exports_reported", "cn_imports_reported",
    "cn_exports_informal", "cn_imports_informal",
]
ACTORS = {"beijing", "pyongyang", "washington", "seoul"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    """``buffer-sim run SHORT --out OUT``, run once for this module's tests that only
    read its files: the result, the run's folder and the scenario file."""
    tmp = tmp_path_factory.mktemp("short-run")
    scenario = tmp / "short.yaml"
    scenario.write_text(SHORT_SCENARIO, encoding="utf-8")
    out = tmp / "out"
    return run_main("run", scenario, "--out", out), out / SHORT_NAME, scenario


# --- run: files ---------------------------------------------------------------------------

@pytest.mark.slow
def test_run_writes_data_manifest_and_charts(short_run):
    result, folder, _ = short_run
    assert result.code == 0, result.err
    assert sorted(p.name for p in folder.iterdir()) == sorted(OUTPUT_FILES)
    for name in OUTPUT_FILES:
        assert (folder / name).stat().st_size > 0
    for chart in ("leverage.png", "trade.png", "overview.png"):
        assert (folder / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_run_leaves_no_temporary_files(short_run):
    _, folder, _ = short_run
    assert [p.name for p in folder.parent.iterdir()] == [SHORT_NAME]


def test_timeseries_has_one_row_per_month_with_dates(short_run):
    _, folder, _ = short_run
    df = pd.read_csv(folder / "timeseries.csv", dtype={"date": str})
    assert len(df) == SHORT_MONTHS
    assert all(re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", d) for d in df["date"])
    assert df["date"].iloc[0] == "2016-01" and df["date"].iloc[-1] == "2018-12"
    assert df["date"].is_unique and df["date"].is_monotonic_increasing


def test_timeseries_has_the_required_columns_date_first(short_run):
    _, folder, _ = short_run
    df = pd.read_csv(folder / "timeseries.csv")
    assert list(df.columns) == ["date", *output_columns()]
    assert set(REQUIRED_COLUMNS) <= set(df.columns)
    assert df[REQUIRED_COLUMNS[1:]].notna().all().all()


def test_decisions_have_four_rows_per_month_with_reasons(short_run):
    _, folder, _ = short_run
    df = pd.read_csv(folder / "decisions.csv", dtype=str, keep_default_na=False)
    assert list(df.columns) == ["month", "actor", "choice", "deciding_priority", "reason"]
    assert len(df) == 4 * SHORT_MONTHS
    per_month = df.groupby("month")["actor"].apply(set)
    assert len(per_month) == SHORT_MONTHS
    assert all(actors == ACTORS for actors in per_month)
    assert (df["reason"].str.strip().str.len() > 0).all()
    assert (df["deciding_priority"].str.len() > 0).all()
    beijing = df[df["actor"] == "beijing"]["choice"]
    assert beijing.str.fullmatch(
        r"enforcement=\d\.\d\d crackdown=\d\.\d\d aid=\d\.\d\d engagement=\d\.\d\d").all()


def test_manifest_records_hash_seed_versions_and_file_hashes(short_run):
    _, folder, short_scenario = short_run
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["scenario"] == SHORT_NAME
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["content_hash"])
    assert manifest["seed"] == 2016  # the scenario's own seed
    assert manifest["scenario_files"] == [str(short_scenario.resolve())]
    assert manifest["period"] == {"start": "2016-01", "end": "2018-12", "months": SHORT_MONTHS}
    versions = manifest["versions"]
    assert versions["buffer_sim"] == buffer_sim.__version__
    assert versions["mesa"] == "3.5.1"
    assert {"numpy", "python"} <= set(versions)
    assert manifest["command_line"].startswith("buffer-sim run ")
    listed = {entry["file"]: entry["sha256"] for entry in manifest["outputs"]}
    assert set(listed) == set(OUTPUT_FILES) - {"manifest.json"}
    for name, digest in listed.items():
        assert sha256(folder / name) == digest, name
    assert set(manifest) == {"scenario", "scenario_path", "content_hash", "seed", "period",
                             "scenario_files", "overrides", "versions", "command_line",
                             "outputs"}
    assert manifest["overrides"] == []
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", json.dumps(manifest))  # no timestamps


def test_summary_says_what_ran_and_where_the_files_are(short_run):
    result, folder, _ = short_run
    assert f"{SHORT_MONTHS} months" in result.out
    assert "2016-01..2018-12" in result.out
    assert str(folder.resolve()) in result.out
    for name in OUTPUT_FILES:
        assert name in result.out
    for number in ("tension", "leverage potential", "influence realized"):
        assert number in result.out
    assert result.err == ""  # no progress bar when stderr is not a terminal


def test_quiet_prints_only_the_output_folder(cli, short_scenario, tmp_path, fast_charts):
    result = cli("run", short_scenario, "--out", tmp_path / "out", "--quiet")
    assert result.code == 0
    assert result.out == f"{(tmp_path / 'out' / SHORT_NAME).resolve()}\n"
    assert result.err == ""


@pytest.mark.slow
def test_progress_bar_on_a_terminal_only(cli, short_scenario, tmp_path,
                                         fast_charts, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    shown = cli("run", short_scenario, "--out", tmp_path / "a")
    assert shown.code == 0
    assert f"/{SHORT_MONTHS}" in shown.err and "month" in shown.err
    quiet = cli("run", short_scenario, "--out", tmp_path / "b", "--quiet")
    assert quiet.err == ""


def test_seed_option_is_recorded(cli, short_scenario, tmp_path, fast_charts):
    result = cli("run", short_scenario, "--out", tmp_path, "--seed", "7")
    assert result.code == 0
    manifest = json.loads((tmp_path / SHORT_NAME / "manifest.json").read_text())
    assert manifest["seed"] == 7
    assert "seed 7" in result.out


@pytest.mark.parametrize("seed", ["-1", "abc", "1.5"])
def test_bad_seed_is_one_line_error_exit_2(cli, short_scenario, tmp_path, seed):
    result = cli("run", short_scenario, "--out", tmp_path / "out", "--seed", seed)
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert result.err.startswith("buffer-sim: error: --seed:")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_set_override_changes_the_output(cli, short_scenario, tmp_path, fast_charts):
    plain = cli("run", short_scenario, "--out", tmp_path / "plain")
    changed = cli("run", short_scenario, "--out", tmp_path / "changed",
                  "--set", "beijing.thresholds.no_war=0.4")
    assert plain.code == changed.code == 0
    a, b = tmp_path / "plain" / SHORT_NAME, tmp_path / "changed" / SHORT_NAME
    assert (a / "timeseries.csv").read_bytes() != (b / "timeseries.csv").read_bytes()
    manifest_a = json.loads((a / "manifest.json").read_text())
    manifest_b = json.loads((b / "manifest.json").read_text())
    assert manifest_a["content_hash"] != manifest_b["content_hash"]
    assert "--set beijing.thresholds.no_war=0.4" in manifest_b["command_line"]
    assert manifest_b["overrides"] == ["beijing.thresholds.no_war=0.4"]


@pytest.mark.slow
def test_set_initial_state_shows_in_the_first_month(cli, short_scenario, tmp_path,
                                                    fast_charts):
    cli("run", short_scenario, "--out", tmp_path / "a", "--set", "initial_state.tension=0.1")
    cli("run", short_scenario, "--out", tmp_path / "b", "--set", "initial_state.tension=0.9")
    low = pd.read_csv(tmp_path / "a" / SHORT_NAME / "timeseries.csv")
    high = pd.read_csv(tmp_path / "b" / SHORT_NAME / "timeseries.csv")
    assert low["tension"].iloc[0] < high["tension"].iloc[0]


def test_trade_chart_gets_the_observed_years_of_the_run(cli, short_scenario, tmp_path,
                                                        fast_charts, monkeypatch):
    """Observed trade ends in 2015: a run from 2014 gets 2014-2015, nothing else."""
    seen = {}

    def plot_trade(df, path, events=(), observed=None, title=None):
        seen["observed"] = observed
        Path(path).write_bytes(b"placeholder")
        return Path(path)

    monkeypatch.setattr("buffer_sim.output.charts.plot_trade", plot_trade)
    result = cli("run", short_scenario, "--out", tmp_path, "--set", "period.start=2014-01")
    assert result.code == 0, result.err
    observed = seen["observed"]
    assert set(observed["year"]) == {2014, 2015}
    assert {"year", "series", "value_usd_m", "basis"} <= set(observed.columns)


def test_scenario_found_by_name_in_the_project(cli, tmp_path, monkeypatch):
    """'buffer-sim run replay_2009_2019' resolves to scenarios/replay_2009_2019.yaml;
    checked without running the model."""
    from buffer_sim.scenario.catalog import resolve_scenario

    monkeypatch.chdir(tmp_path)
    assert resolve_scenario("replay_2009_2019") == DEFAULT_SCENARIO.resolve()
    assert resolve_scenario("scenarios/replay_2009_2019.yaml") == DEFAULT_SCENARIO.resolve()
    local = tmp_path / "scenarios" / "replay_2009_2019.yaml"
    local.parent.mkdir()
    local.write_text("name: local\n")
    assert resolve_scenario("scenarios/replay_2009_2019.yaml") == local.resolve()


def test_out_that_is_a_file_is_an_error(cli, short_scenario, tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    result = cli("run", short_scenario, "--out", blocker)
    assert result.code == 2
    assert result.err.count("\n") == 1 and "--out" in result.err
    assert blocker.read_text() == "not a folder"


def test_unwritable_output_is_one_line_error_exit_1(cli, short_scenario, tmp_path,
                                                   monkeypatch):
    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "out"))

    monkeypatch.setattr("buffer_sim.experiments.runner.write_outputs", no_space)
    result = cli("run", short_scenario, "--out", tmp_path / "out")
    assert result.code == 1
    assert result.err.count("\n") == 1
    assert "cannot write" in result.err and "No space left on device" in result.err


# --- run: the default scenario (once per session) ---------------------------------------------

@pytest.mark.slow
def test_default_run_replays_2009_to_2019_from_anywhere(default_run):
    result, out = default_run
    assert result.code == 0, result.err
    folder = out / "replay_2009_2019"
    assert result.out.strip() == str(folder.resolve())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["scenario_path"] == str(DEFAULT_SCENARIO.resolve())
    assert manifest["seed"] == yaml.safe_load(DEFAULT_SCENARIO.read_text())["seed"]
    df = pd.read_csv(folder / "timeseries.csv", dtype={"date": str})
    assert len(df) == 132
    assert (df["date"].iloc[0], df["date"].iloc[-1]) == ("2009-01", "2019-12")
    decisions = pd.read_csv(folder / "decisions.csv")
    assert len(decisions) == 4 * 132


# --- list and params --------------------------------------------------------------------------

def shipped_scenarios() -> list[Path]:
    """The shipped scenario files, without the fragments they extend (no name of their own)."""
    folder = PROJECT_ROOT / "scenarios"
    files = sorted(folder.glob("*.yaml")) + sorted((folder / "whatif").glob("*.yaml"))
    return [p for p in files if "name" in (yaml.safe_load(p.read_text()) or {})]


def test_list_prints_every_shipped_scenario(cli):
    result = cli("list")
    assert result.code == 0
    files = shipped_scenarios()
    assert files, "no scenarios shipped"
    for path in files:
        name = (yaml.safe_load(path.read_text()) or {}).get("name") or path.stem
        assert name in result.out, path
    assert "2009-01..2019-12" in result.out
    assert "Wen Jiabao" in result.out  # the replay's description, first sentence


def test_list_includes_whatif_and_flags_a_broken_file(cli, tmp_path, monkeypatch):
    folder = tmp_path / "scenarios"
    (folder / "whatif").mkdir(parents=True)
    (folder / "base.yaml").write_text(
        "name: base\nperiod: {start: 2016-01, end: 2016-12}\n"
        "description: First sentence here. Second one.\n")
    (folder / "whatif" / "what_if.yaml").write_text(
        "extends: ../base.yaml\nname: what_if\ndescription: What if Beijing had acted.\n")
    (folder / "whatif" / "broken.yaml").write_text("name: broken\nperiod: 2016\n")
    monkeypatch.setattr("buffer_sim.cli.list.scenarios_dir", lambda: folder)
    result = cli("list")
    assert result.code == 0
    assert "base  2016-01..2016-12  scenarios/base.yaml" in result.out
    assert "First sentence here." in result.out
    assert "what_if  2016-01..2016-12  scenarios/whatif/what_if.yaml" in result.out
    assert "broken  (invalid)" in result.out and "period" in result.out


def test_params_prints_every_parameter_with_default_and_unit(cli):
    result = cli("params")
    assert result.code == 0
    lines = result.out.splitlines()
    for row in Parameters.describe():
        line = next((ln for ln in lines if ln.split()[:1] == [row["name"]]), None)
        assert line is not None, row["name"]
        assert f"{row['default']:g}" in line and row["unit"] in line


# --- help and usage -----------------------------------------------------------------------------

@pytest.mark.parametrize("argv, options", [
    (["--help"], ["run", "list", "params"]),
    (["run", "--help"], ["SCENARIO", "--seed", "--out", "--set", "--quiet", "example"]),
    (["list", "--help"], ["example"]),
    (["params", "--help"], ["example"]),
])
def test_help_of_every_command_exits_0_and_names_its_options(cli, argv, options):
    result = cli(*argv)
    assert result.code == 0
    assert result.out.startswith("usage: buffer-sim")
    for option in options:
        assert option in result.out


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["run", "--bogus"], ["run", "a", "b"],
                                  ["run", "--seed"]])
def test_usage_errors_exit_2(cli, argv):
    result = cli(*argv)
    assert result.code == 2
    assert "usage: buffer-sim" in result.err
    assert "Traceback" not in result.err


# --- interruption ----------------------------------------------------------------------------

def test_ctrl_c_while_drawing_prints_one_line_and_leaves_nothing(cli, short_scenario, tmp_path,
                                                                 monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("buffer_sim.output.charts.plot_overview", interrupted)
    # The substitute exists in this process only (test_interrupt.py sends a real
    # Ctrl-C while the pool draws).
    monkeypatch.setattr("buffer_sim.experiments.engines.default_workers", lambda: 1)
    out = tmp_path / "out"
    result = cli("run", short_scenario, "--out", out)
    assert result.code == 130
    assert result.err == "buffer-sim: interrupted\n"
    assert not out.exists()  # the folder created for the run is removed again


def test_ctrl_c_during_the_months_prints_one_line_and_leaves_nothing(cli, short_scenario,
                                                                     tmp_path, monkeypatch):
    from buffer_sim.model import BufferModel

    real_step, calls = BufferModel.step, []

    def step(self):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        real_step(self)

    monkeypatch.setattr(BufferModel, "step", step)
    out = tmp_path / "out"
    out.mkdir()
    result = cli("run", short_scenario, "--out", out)
    assert result.code == 130
    assert result.err == "buffer-sim: interrupted\n"
    assert list(out.iterdir()) == []


# --- the installed command and run.py -------------------------------------------------------

@pytest.mark.slow
def test_console_script_runs_end_to_end(short_scenario, tmp_path):
    exe = console_script()
    if exe is None:
        pytest.skip("buffer-sim is not installed (pip install -e .)")
    out = tmp_path / "out"
    proc = subprocess.run([exe, "run", str(short_scenario), "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert str((out / SHORT_NAME).resolve()) in proc.stdout
    assert sorted(p.name for p in (out / SHORT_NAME).iterdir()) == sorted(OUTPUT_FILES)


@pytest.mark.slow
def test_run_py_works_like_the_command(cli, short_scenario, tmp_path):
    out = tmp_path / "out"
    argv = ["run", str(short_scenario), "--out", str(out), "--seed", "5"]
    proc = subprocess.run([sys.executable, str(PROJECT_ROOT / "run.py"), *argv],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = out / SHORT_NAME
    by_script = {name: (folder / name).read_bytes() for name in OUTPUT_FILES}
    assert cli(*argv).code == 0
    by_main = {name: (folder / name).read_bytes() for name in OUTPUT_FILES}
    assert by_script == by_main

    helped = subprocess.run([sys.executable, str(PROJECT_ROOT / "run.py"), "--help"],
                            capture_output=True, text=True, timeout=300)
    assert helped.returncode == 0 and "usage: buffer-sim" in helped.stdout
