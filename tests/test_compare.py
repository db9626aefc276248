"""``buffer-sim compare``: scenarios side by side, same seed, one folder written whole."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from buffer_sim import compare, runner
from buffer_sim.errors import ScenarioError
from conftest import SHORT_MONTHS, SHORT_NAME, SHORT_SCENARIO, run_main

PRIORITIES_SET = "beijing.priorities=no_nukes,no_war,no_instability"
FOLDER = f"compare-{SHORT_NAME}-{SHORT_NAME}+2"
FILES = {"difference.csv", "timeseries.csv", "leverage.png", "trade.png", "overview.png",
         "compare.png", "report.html", "manifest.json"}


@pytest.fixture
def fast_compare_charts(monkeypatch):
    """Placeholder PNGs for the overlays and small multiples (drawing is tested once,
    in the module fixture below, and in test_plots)."""
    from buffer_sim import plots

    def placeholder(runs, path, *args, **kwargs):
        Path(path).write_bytes(b"\x89PNG\r\n\x1a\n placeholder")
        return Path(path)

    monkeypatch.setattr(plots, "overlay", placeholder)
    monkeypatch.setattr(plots, "plot_compare", placeholder)


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """The short scenario against itself with Beijing ranking denuclearisation first,
    real charts: (CLI result, folder, scenario file)."""
    tmp = tmp_path_factory.mktemp("compare")
    scenario = tmp / "short.yaml"
    scenario.write_text(SHORT_SCENARIO, encoding="utf-8")
    out = tmp / "out"
    result = run_main("compare", scenario, scenario, "--set", f"2:{PRIORITIES_SET}",
                      "--seed", "7", "--out", out)
    return result, out / FOLDER, scenario


# --- the folder ----------------------------------------------------------------------------

def test_compare_writes_one_folder_named_after_the_scenarios(compared):
    result, folder, _ = compared
    assert result.code == 0, result.err
    assert sorted(p.name for p in folder.parent.iterdir()) == [FOLDER]  # no .tmp-* left
    assert {p.name for p in folder.iterdir()} == FILES
    for name in FILES - {"difference.csv", "timeseries.csv", "report.html", "manifest.json"}:
        assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert f"{folder.resolve()}" in result.out


def test_difference_csv_has_final_mean_max_and_differences_from_the_first(compared):
    _, folder, _ = compared
    df = pd.read_csv(folder / "difference.csv", dtype={"max_month": str})
    assert list(df.columns) == ["metric", "scenario", *compare.DIFFERENCE_COLUMNS]
    assert set(df["scenario"]) == {SHORT_NAME, f"{SHORT_NAME}+2"}
    first = df[df["scenario"] == SHORT_NAME]
    assert (first[["final_diff", "mean_diff", "max_diff", "max_month_shift"]] == 0).all().all()
    for metric in ("pressure_applied", "beijing_enforcement", "cn_imports_reported", "tension"):
        rows = df[df["metric"] == metric].set_index("scenario")
        a, b = rows.loc[SHORT_NAME], rows.loc[f"{SHORT_NAME}+2"]
        assert b["mean_diff"] == pytest.approx(b["mean"] - a["mean"], rel=1e-4, abs=1e-4)
        assert b["final_diff"] == pytest.approx(b["final"] - a["final"], rel=1e-4, abs=1e-4)
        assert b["max_diff"] == pytest.approx(b["max"] - a["max"], rel=1e-4, abs=1e-4)
    ts = pd.read_csv(folder / "timeseries.csv", dtype={"date": str})
    tension = ts[ts["scenario"] == SHORT_NAME]["tension"]
    row = df[(df["metric"] == "tension") & (df["scenario"] == SHORT_NAME)].iloc[0]
    assert row["mean"] == pytest.approx(tension.mean(), rel=1e-4)
    assert row["max"] == pytest.approx(tension.max(), rel=1e-5)
    assert row["max_month"] == ts.loc[tension.idxmax(), "date"]


def test_every_scenario_runs_with_the_same_seed(compared):
    _, folder, scenario = compared
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == 7
    ts = pd.read_csv(folder / "timeseries.csv", dtype={"date": str})
    alone = runner.run(scenario, seed=7, overrides=[PRIORITIES_SET]).timeseries
    mine = ts[ts["scenario"] == f"{SHORT_NAME}+2"].drop(columns="scenario").reset_index(drop=True)
    assert len(mine) == SHORT_MONTHS
    assert runner.csv_text(mine) == runner.csv_text(alone)


def test_the_manifest_records_each_scenario_its_overrides_and_file_hashes(compared):
    _, folder, scenario = compared
    manifest = json.loads((folder / "manifest.json").read_text())
    labels = [s["label"] for s in manifest["scenarios"]]
    assert labels == [SHORT_NAME, f"{SHORT_NAME}+2"]
    assert manifest["reference"] == SHORT_NAME
    assert [s["overrides"] for s in manifest["scenarios"]] == [[], [PRIORITIES_SET]]
    hashes = [s["content_hash"] for s in manifest["scenarios"]]
    assert hashes[0] != hashes[1]
    assert manifest["command_line"].startswith("buffer-sim compare ")
    assert {o["file"] for o in manifest["outputs"]} == FILES - {"manifest.json"}


def test_the_summary_lists_means_and_differences(compared):
    result, _, _ = compared
    assert f"Compared 2 scenarios with seed 7: {SHORT_NAME}, {SHORT_NAME}+2" in result.out
    assert "pressure applied" in result.out and "report.html" in result.out


# --- which --set goes where ------------------------------------------------------------------

def test_a_plain_set_applies_to_all_and_a_prefix_to_the_scenarios_it_names():
    args = ["scenarios/a.yaml", "b.yaml", "scenarios/a.yaml"]
    names = ["alpha", "beta", "alpha"]
    sets = ["parameters.inertia=2", "b.yaml:seed=1", "beta:period.start=2016-01",
            "2:x.y=1", "alpha+2:beijing.rule=weighted", "a:z=1", "scenarios/a.yaml:w=1"]
    per = compare.assign_sets(args, names, sets)
    assert per[0] == ["parameters.inertia=2", "z=1", "w=1"]
    assert per[1] == ["parameters.inertia=2", "seed=1", "period.start=2016-01", "x.y=1"]
    assert per[2] == ["parameters.inertia=2", "beijing.rule=weighted", "z=1", "w=1"]


def test_a_value_may_contain_a_colon():
    assert compare.split_set("name=a:b") == (None, "name=a:b")
    assert compare.split_set("2:description=see: the report") == ("2", "description=see: the report")


def test_a_prefix_naming_no_scenario_is_an_error():
    with pytest.raises(ScenarioError, match="'gamma' names none of the scenarios"):
        compare.assign_sets(["a.yaml", "b.yaml"], ["a", "b"], ["gamma:seed=1"])


def test_repeated_names_are_numbered_and_long_folder_names_shortened():
    assert compare.make_labels(["a", "b", "a", "a"]) == ["a", "b", "a+2", "a+3"]
    assert compare.folder_name(["a", "b"]) == "compare-a-b"
    long = [f"whatif_number_{i}_with_a_rather_long_name" for i in range(6)]
    name = compare.folder_name(long)
    assert len(name) <= compare.MAX_FOLDER_CHARS and name.startswith("compare-whatif")
    assert name != compare.folder_name(long[:5] + ["something_else"])


def test_the_difference_table_on_hand_made_runs():
    a = pd.DataFrame({"date": ["2017-01", "2017-02", "2017-03"], "x": [1.0, 3.0, 2.0]})
    b = pd.DataFrame({"date": ["2017-01", "2017-02", "2017-03"], "x": [0.0, 1.0, 5.0]})
    df = compare.difference_table({"a": a, "b": b}).set_index("scenario")
    assert df.loc["a", "max_month"] == "2017-02" and df.loc["b", "max_month"] == "2017-03"
    assert df.loc["b", "max_month_shift"] == 1
    assert df.loc["b", "final_diff"] == 3.0 and df.loc["b", "mean_diff"] == pytest.approx(0.0)
    assert df.loc["b", "max_diff"] == 2.0
    assert np.isclose(df.loc["a", "mean"], 2.0)


# --- bad input writes nothing ------------------------------------------------------------------

@pytest.mark.parametrize("extra, message", [
    ([], "scenarios 1 and 2 are the same run"),
    (["--set", "3:seed=1"], "'3' names none of the scenarios"),
    (["--set", "2:beijing.priorities=no_wars"], "unknown priority 'no_wars'"),
    (["--seed", "x"], "--seed"),
])
def test_bad_input_is_one_line_and_writes_nothing(cli, short_scenario, tmp_path, extra, message):
    out = tmp_path / "out"
    result = cli("compare", short_scenario, short_scenario, "--out", out, *extra)
    assert result.code == 2
    assert result.err.startswith("buffer-sim: error: ") and message in result.err
    assert result.err.count("\n") == 1
    assert not out.exists()


def test_one_scenario_is_not_a_comparison(cli, short_scenario, tmp_path):
    result = cli("compare", short_scenario, "--out", tmp_path)
    assert result.code == 2 and "at least two scenarios" in result.err


def test_a_failed_comparison_leaves_no_folder_and_a_rerun_replaces_the_old(
        cli, short_scenario, tmp_path, monkeypatch, fast_compare_charts):
    from buffer_sim import plots

    out = tmp_path / "out"
    argv = ["compare", short_scenario, short_scenario, "--set", "2:parameters.inertia=2", "--out", out]
    assert cli(*argv).code == 0
    folder = out / f"compare-{SHORT_NAME}-{SHORT_NAME}+2"
    (folder / "stray.txt").write_text("from before")
    before = (folder / "difference.csv").read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(plots, "plot_compare", broken)
    with pytest.raises(RuntimeError):
        cli(*argv)
    assert (folder / "stray.txt").exists()  # the earlier folder untouched
    assert (folder / "difference.csv").read_bytes() == before
    assert [p.name for p in out.iterdir()] == [folder.name]

    monkeypatch.undo()
    fast = pytest.MonkeyPatch()
    try:
        for name in ("overlay", "plot_compare"):
            fast.setattr(plots, name, lambda runs, path, *a, **k: Path(path).write_bytes(b"png"))
        assert cli(*argv).code == 0
    finally:
        fast.undo()
    assert {p.name for p in folder.iterdir()} == FILES  # replaced whole: no stray file


def test_scenarios_may_have_different_files_and_periods(cli, short_scenario, tmp_path,
                                                        fast_compare_charts):
    other = tmp_path / "later.yaml"
    other.write_text(SHORT_SCENARIO.replace("name: short_2016_2018", "name: later")
                     .replace("end: 2018-12", "end: 2019-06"), encoding="utf-8")
    result = cli("compare", short_scenario, other, "--out", tmp_path / "out", "--quiet")
    assert result.code == 0, result.err
    folder = Path(result.out.strip())
    assert folder.name == f"compare-{SHORT_NAME}-later"
    df = pd.read_csv(folder / "difference.csv")
    assert set(df["scenario"]) == {SHORT_NAME, "later"}
