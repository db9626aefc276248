"""``buffer-sim compare``: scenarios side by side, same seed, one folder written whole."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from buffer_sim.experiments import compare, runner
from buffer_sim.core.errors import ScenarioError
from conftest import SHORT_MONTHS, SHORT_NAME, SHORT_SCENARIO, run_main

PRIORITIES_SET = "beijing.priorities=border_trade,no_war,no_instability"
FOLDER = f"compare-{SHORT_NAME}-{SHORT_NAME}+2"
FILES = {"difference.csv", "timeseries.csv", "leverage.png", "trade.png", "overview.png",
         "compare.png", "compare_difference.png", "report.html", "manifest.json"}


@pytest.fixture
def fast_compare_charts(monkeypatch):
    """Placeholder PNGs for the overlays and small multiples (drawing is tested once,
    in the module fixture below, and in test_plots)."""
    from buffer_sim.output import charts as plots

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

@pytest.mark.slow
def test_compare_writes_one_folder_named_after_the_scenarios(compared):
    result, folder, _ = compared
    assert result.code == 0, result.err
    assert sorted(p.name for p in folder.parent.iterdir()) == [FOLDER]  # no .tmp-* left
    assert {p.name for p in folder.iterdir()} == FILES
    for name in FILES - {"difference.csv", "timeseries.csv", "report.html", "manifest.json"}:
        assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert f"{folder.resolve()}" in result.out


def first_differing_month(ts: pd.DataFrame, a: str, b: str) -> str:
    """From timeseries.csv: the first month in which scenario b's row differs from a's."""
    rows_a = ts[ts["scenario"] == a].drop(columns="scenario").set_index("date")
    rows_b = ts[ts["scenario"] == b].drop(columns="scenario").set_index("date")
    differ = (rows_a != rows_b).any(axis=1)
    return differ[differ].index[0]


@pytest.mark.slow
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
    start = first_differing_month(ts, SHORT_NAME, f"{SHORT_NAME}+2")
    mine = ts[(ts["scenario"] == SHORT_NAME) & (ts["date"] >= start)]
    row = df[(df["metric"] == "tension") & (df["scenario"] == SHORT_NAME)].iloc[0]
    assert row["mean"] == pytest.approx(mine["tension"].mean(), rel=1e-4)
    assert row["max"] == pytest.approx(mine["tension"].max(), rel=1e-5)
    assert row["max_month"] == mine.loc[mine["tension"].idxmax(), "date"]
    assert row["final"] == pytest.approx(mine["tension"].iloc[-1], rel=1e-5)


def test_the_key_numbers_start_where_the_outputs_first_differ_and_say_so(compared):
    result, folder, _ = compared
    ts = pd.read_csv(folder / "timeseries.csv", dtype={"date": str})
    start = first_differing_month(ts, SHORT_NAME, f"{SHORT_NAME}+2")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["window"]["start"] == start and manifest["window"]["end"] == "2018-12"
    assert f"Key numbers over {start} to 2018-12: from the first month" in result.out
    assert f"over {start} to 2018-12" in (folder / "report.html").read_text(encoding="utf-8")


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


@pytest.mark.slow
def test_a_failed_comparison_leaves_no_folder_and_a_rerun_replaces_the_old(
        cli, short_scenario, tmp_path, monkeypatch, fast_compare_charts):
    from buffer_sim.output import charts as plots

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


# --- the window ------------------------------------------------------------------------------------

def months_frame(values, start="2016-01"):
    dates = pd.period_range(start, periods=len(values), freq="M").strftime("%Y-%m")
    return pd.DataFrame({"date": dates, "x": np.asarray(values, dtype=float)})


def test_a_late_what_if_is_not_averaged_away():
    base = months_frame([1.0] * 96)  # eight years alike ...
    late = months_frame([1.0] * 84 + [2.0] * 12)  # ... but the last differs
    frames = {"base": base, "late": late}
    window = compare.resolve_window(frames, first=compare.first_difference(frames))
    assert (window.start, window.end) == ("2023-01", "2023-12")
    whole = compare.difference_table(frames).set_index("scenario")
    windowed = compare.difference_table(frames, window=window).set_index("scenario")
    assert whole.loc["late", "mean_diff"] == pytest.approx(1 / 8)
    assert windowed.loc["late", "mean_diff"] == pytest.approx(1.0)


def test_outputs_that_never_differ_use_the_whole_period_and_given_months_win():
    frames = {"a": months_frame([1, 2, 3]), "b": months_frame([1, 2, 3])}
    window = compare.resolve_window(frames, first=compare.first_difference(frames))
    assert (window.start, window.end) == ("2016-01", "2016-03")
    assert "never differ" in window.how
    window = compare.resolve_window(frames, "2016-02", "2016-02", first="2016-01")
    assert (window.start, window.end) == ("2016-02", "2016-02")
    assert "as given (--from)" in window.how and "as given (--to)" in window.how


def test_the_first_difference_ignores_missing_values_that_agree():
    a = months_frame([np.nan, 1.0, 2.0])
    b = months_frame([np.nan, 1.0, 2.5])
    assert compare.first_difference({"a": a, "b": b}) == "2016-03"


def test_from_and_to_choose_the_months(cli, short_scenario, tmp_path, fast_compare_charts):
    result = cli("compare", short_scenario, short_scenario, "--set", f"2:{PRIORITIES_SET}",
                 "--from", "2017-01", "--to", "2017-12", "--out", tmp_path / "out")
    assert result.code == 0, result.err
    assert "Key numbers over 2017-01 to 2017-12: from 2017-01 as given (--from)" in result.out
    folder = tmp_path / "out" / FOLDER
    ts = pd.read_csv(folder / "timeseries.csv", dtype={"date": str})
    year = ts[(ts["scenario"] == SHORT_NAME) & ts["date"].str.startswith("2017")]
    df = pd.read_csv(folder / "difference.csv").set_index(["metric", "scenario"])
    assert df.loc[("tension", SHORT_NAME), "mean"] == pytest.approx(year["tension"].mean(),
                                                                    rel=1e-4)


@pytest.mark.parametrize("extra, message", [
    (["--from", "2015-06"], "--from: 2015-06 is outside the compared months 2016-01 to 2018-12"),
    (["--to", "2019-01"], "--to: 2019-01 is outside"),
    (["--from", "2018-01", "--to", "2017-01"], "2018-01 is after --to 2017-01"),
    (["--from", "June"], "--from: expected a month as YYYY-MM"),
    (["--runs", "0"], "--runs"),
])
def test_a_bad_window_or_runs_is_one_line_and_runs_nothing(cli, short_scenario, tmp_path,
                                                          extra, message):
    out = tmp_path / "out"
    result = cli("compare", short_scenario, short_scenario, "--set", f"2:{PRIORITIES_SET}",
                 "--out", out, *extra)
    assert result.code == 2
    assert message in result.err and result.err.count("\n") == 1
    assert not out.exists()


# --- the charts say what the worksheets may cite --------------------------------------------

def test_compare_png_has_the_headline_panels_and_the_difference_chart_the_same(compared):
    from buffer_sim.output import charts as plots

    _, folder, _ = compared
    titles = tuple(plots.panel_title(m) for m in compare.COMPARE_METRICS)
    for name in ("compare.png", "compare_difference.png"):
        assert plots.chart_text(folder / name).panels == titles, name
    legend = plots.chart_text(folder / "compare_difference.png").legend
    assert plots.legend_label("tension", f"{SHORT_NAME}+2", SHORT_NAME) in legend


@pytest.mark.slow
def test_every_chart_names_measure_and_scenario_and_numbers_every_event(compared):
    from buffer_sim.output import charts as plots

    _, folder, scenario = compared
    events = runner.run(scenario, seed=7).events
    for name in ("leverage.png", "trade.png", "overview.png", "compare.png"):
        text = plots.chart_text(folder / name)
        assert [e.split("  ", 2)[2] for e in text.events] == [label for _, label, _ in events]
        assert plots.legend_label("tension" if name != "leverage.png" else "pressure_applied",
                                  SHORT_NAME) in text.legend or name == "trade.png"
    trade = plots.chart_text(folder / "trade.png")
    for label in (SHORT_NAME, f"{SHORT_NAME}+2"):
        assert f"reported imports - {label}" in trade.legend


# --- runs: bands and noise ------------------------------------------------------------------

def test_the_verdict_follows_the_paired_differences():
    dates = ["2016-01", "2016-02"]
    base = np.zeros((20, 2, 3))
    shifted = base + np.linspace(0.1, 0.3, 20)[:, None, None]  # every pair differs > 0
    straddling = base + np.linspace(-0.1, 0.3, 20)[:, None, None]
    data = {"base": base, "same": base.copy(), "up": shifted, "mixed": straddling}
    runs = compare.Runs(20, np.arange(20), ["x", "y", "z"], {k: dates for k in data}, data)
    frames = {k: pd.DataFrame({"date": dates, "x": [0.0, 0.0]}) for k in data}
    window = compare.Window("2016-01", "2016-02", "test")
    table = compare.add_runs_columns(compare.difference_table(frames, ["x"], window),
                                     runs, window).set_index("scenario")
    assert table.loc["base", "verdict"] == compare.REFERENCE
    assert table.loc["same", "verdict"] == compare.NO_DIFFERENCE
    assert table.loc["up", "verdict"] == compare.BEYOND_NOISE
    assert table.loc["mixed", "verdict"] == compare.WITHIN_NOISE
    up = table.loc["up"]
    assert up["runs_diff_median"] == pytest.approx(0.2)
    assert up["runs_diff_q05"] > 0 and up["runs_diff_q95"] < 0.3


@pytest.fixture(scope="module")
def with_runs(tmp_path_factory):
    """The short scenario against its denuclearisation-first variant, 4 paired runs each."""
    from buffer_sim.experiments import engines

    tmp = tmp_path_factory.mktemp("runs")
    scenario = tmp / "short.yaml"
    scenario.write_text(SHORT_SCENARIO, encoding="utf-8")
    cmp = compare.run_comparison([(scenario, []), (scenario, [PRIORITIES_SET])], runs=4,
                                 choice=engines.EngineChoice(engine="serial"))
    return cmp, scenario


@pytest.mark.slow
def test_runs_are_paired_ensemble_seeds(with_runs):
    from buffer_sim.scenario import uncertain
    from buffer_sim.experiments import jobs

    cmp, _ = with_runs
    assert cmp.runs.count == 4
    for label, result in cmp.results.items():
        i = 3
        model = jobs.run_one(result.scenario, uncertain.world_seed(cmp.seed, i))
        alone = model.datacollector.get_model_vars_dataframe()
        j = cmp.runs.columns.index("tension")
        assert np.array_equal(cmp.runs.data[label][i, :, j], alone["tension"].to_numpy(float))


def test_runs_add_medians_ranges_and_verdicts(with_runs):
    cmp, _ = with_runs
    df = cmp.difference
    assert set(compare.RUNS_COLUMNS) <= set(df.columns)
    other = df[df["scenario"] == f"{SHORT_NAME}+2"].dropna(subset=["verdict"])
    assert len(other) > 10
    for _, row in other.iterrows():
        assert row["runs_diff_q05"] <= row["runs_diff_median"] <= row["runs_diff_q95"]
        inside = row["runs_diff_q05"] <= 0 <= row["runs_diff_q95"]
        assert row["verdict"] in ((compare.WITHIN_NOISE, compare.NO_DIFFERENCE) if inside
                                  else (compare.BEYOND_NOISE,))
    bands = compare.level_bands(cmp.runs)[SHORT_NAME]
    data = cmp.runs.data[SHORT_NAME][:, :, cmp.runs.columns.index("tension")]
    assert np.allclose(bands["tension q95"], np.quantile(data, 0.95, axis=0))


def test_the_summary_and_page_say_when_a_difference_is_within_the_noise(with_runs, tmp_path,
                                                                       fast_compare_charts):
    from buffer_sim.cli.compare import summary

    cmp, _ = with_runs
    folder = compare.write_comparison(cmp, tmp_path)
    text = summary(cmp, folder)
    assert "Every scenario also ran 4 times with paired seeds." in text
    headline = cmp.difference[cmp.difference["metric"].isin(compare.COMPARE_METRICS)]
    verdicts = set(headline["verdict"].dropna()) - {compare.REFERENCE}
    assert verdicts and all(v in text for v in verdicts)
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "4 runs: median [5%, 95%]" in page and "within the noise" in page
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["runs"] == 4 and "SeedSequence" in manifest["run_seeds"]


def test_the_difference_chart_starts_a_year_before_the_window_with_the_same_event_numbers(
        compared):
    from buffer_sim.output import charts as plots

    _, folder, _ = compared
    manifest = json.loads((folder / "manifest.json").read_text())
    start = manifest["window"]["start"]
    everything = plots.chart_text(folder / "compare.png").events
    shown = plots.chart_text(folder / "compare_difference.png").events
    year, month = map(int, start.split("-"))
    lead = f"{year - 1}-{month:02d}" if year > 2016 else "2016-01"
    assert set(shown) <= set(everything)  # same numbers, same words
    assert [e for e in everything if e.split("  ")[1] >= lead] == list(shown)
