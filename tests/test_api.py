"""The notebook API: ``buffer_sim.run`` and ``buffer_sim.compare``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

import buffer_sim
from buffer_sim.experiments import runner
from buffer_sim.api import overrides_from
from buffer_sim.core.errors import ScenarioError
from conftest import SHORT_MONTHS, SHORT_NAME, SHORT_SCENARIO

PRIORITIES = ["no_nukes", "no_war", "no_instability"]


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("api") / "short.yaml"
    path.write_text(SHORT_SCENARIO, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def result(scenario_file):
    return buffer_sim.run(scenario_file, seed=4)


# --- run ------------------------------------------------------------------------------------------

def test_run_returns_the_tables_as_dataframes(result):
    assert isinstance(result.timeseries, pd.DataFrame) and len(result.timeseries) == SHORT_MONTHS
    assert result.timeseries.columns[0] == "date"
    assert isinstance(result.decisions, pd.DataFrame)
    assert set(result.decisions["actor"]) == {"beijing", "pyongyang", "washington", "seoul"}
    assert result.seed == 4 and result.name == SHORT_NAME
    assert SHORT_NAME in repr(result)


def test_run_gives_what_the_command_line_gives(result, scenario_file):
    same = runner.run(scenario_file, seed=4)
    assert runner.csv_text(result.timeseries) == runner.csv_text(same.timeseries)
    assert runner.csv_text(result.decisions) == runner.csv_text(same.decisions)


def test_the_manifest_records_provenance(result, scenario_file):
    manifest = result.manifest
    assert manifest["scenario"] == SHORT_NAME and manifest["seed"] == 4
    assert manifest["scenario_files"] == [str(scenario_file.resolve())]
    assert manifest["content_hash"] == result.scenario.content_hash
    assert manifest["versions"]["mesa"] == "3.5.1"
    assert manifest["period"] == {"start": "2016-01", "end": "2018-12", "months": SHORT_MONTHS}


def test_keyword_and_dict_overrides_are_the_command_line_s_set(scenario_file):
    by_keyword = buffer_sim.run(scenario_file, seed=4, beijing__priorities=PRIORITIES,
                                beijing__thresholds__no_war=0.7)
    by_dict = buffer_sim.run(scenario_file, seed=4,
                             set={"beijing.priorities": PRIORITIES,
                                  "beijing": {"thresholds": {"no_war": 0.7}}})
    by_text = runner.run(scenario_file, seed=4, overrides=[
        "beijing.priorities=no_nukes,no_war,no_instability", "beijing.thresholds.no_war=0.7"])
    expected = runner.csv_text(by_text.timeseries)
    assert runner.csv_text(by_keyword.timeseries) == expected
    assert runner.csv_text(by_dict.timeseries) == expected
    # a shorter order is completed with Beijing's other priorities (scenario.complete_priorities)
    assert list(by_keyword.scenario.actors["beijing"].priorities[:3]) == PRIORITIES


def test_overrides_from_spells_the_set_strings():
    assert overrides_from({"parameters.inertia": 2, "initial_state": {"tension": 0.5}},
                          beijing__priorities=["no_nukes", "no_war"], seoul__rule="weighted") == [
        "parameters.inertia=2", "initial_state.tension=0.5",
        "beijing.priorities=[no_nukes, no_war]", "seoul.rule=weighted"]
    assert overrides_from(["beijing.thresholds.no_war=0.9"]) == ["beijing.thresholds.no_war=0.9"]
    assert overrides_from(None) == []
    with pytest.raises(ValueError, match="finite"):
        overrides_from(parameters__inertia=float("nan"))


def test_bad_overrides_raise_the_scenario_error(scenario_file):
    with pytest.raises(ScenarioError, match="unknown priority"):
        buffer_sim.run(scenario_file, beijing__priorities=["no_wars"])
    with pytest.raises(ScenarioError, match="file not found"):
        buffer_sim.run("no/such/scenario.yaml")


def test_a_scenario_can_be_named(tmp_path):
    named = buffer_sim.run("no_thaad_2016", seed=1)
    assert named.name == "no_thaad_2016" and len(named.timeseries) == 132


@pytest.mark.slow
def test_plot_returns_a_figure_or_writes_the_three_charts(result, tmp_path):
    fig = result.plot()
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    assert all(ax.lines for ax in fig.axes)
    one = result.plot(columns=["tension"])
    assert len(one.axes) == 1
    paths = result.plot(tmp_path / "charts")
    assert [p.name for p in paths] == ["leverage.png", "trade.png", "overview.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)


def test_explain_and_save(result, tmp_path, fast_charts):
    story = result.explain("beijing", start="2017-01", end="2017-12")
    assert story and all(isinstance(p, str) for p in story)
    folder = result.save(tmp_path / "out")
    assert folder == (tmp_path / "out" / SHORT_NAME).absolute()
    assert (folder / "report.html").exists() and (folder / "manifest.json").exists()


# --- compare --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def comparison(scenario_file):
    return buffer_sim.compare([scenario_file, (scenario_file, {"beijing.priorities": PRIORITIES})],
                              seed=4)


@pytest.mark.slow
def test_compare_returns_timeseries_per_scenario_and_the_difference_table(comparison):
    assert comparison.labels == [SHORT_NAME, f"{SHORT_NAME}+2"]
    assert comparison.seed == 4
    assert set(comparison.timeseries) == set(comparison.labels)
    assert all(len(df) == SHORT_MONTHS for df in comparison.timeseries.values())
    diff = comparison.difference
    assert {"metric", "scenario", "final", "mean", "max", "max_month", "mean_diff"} <= set(diff)
    summary = comparison.summary()
    assert list(summary.columns) == comparison.labels
    assert "pressure_applied" in summary.index
    assert comparison.runs[SHORT_NAME].seed == 4


def test_compare_uses_one_seed_for_all(comparison, scenario_file):
    alone = buffer_sim.run(scenario_file, seed=4, beijing__priorities=PRIORITIES)
    assert runner.csv_text(comparison.timeseries[f"{SHORT_NAME}+2"]) == \
        runner.csv_text(alone.timeseries)


def test_compare_takes_labels_and_common_overrides(scenario_file):
    cmp = buffer_sim.compare({"as is": scenario_file,
                              "denuclearisation first": (scenario_file,
                                                         {"beijing.priorities": PRIORITIES})},
                             seed=2, parameters__inertia=3)
    assert cmp.labels == ["as is", "denuclearisation first"]
    assert all(r.scenario.parameters.inertia == 3 for r in cmp.runs.values())


def test_compare_refuses_identical_runs(scenario_file):
    with pytest.raises(ScenarioError, match="same run"):
        buffer_sim.compare([scenario_file, scenario_file])


def test_compare_plots_and_saves(comparison, tmp_path, monkeypatch):
    from buffer_sim.output import charts as plots

    fig = comparison.plot(metrics=["tension", "pressure_applied"])
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert len(fig.axes[0].lines) == 2  # one line per scenario
    for name in ("overlay", "plot_compare"):
        monkeypatch.setattr(plots, name, lambda runs, path, *a, **k: Path(path).write_bytes(b"png"))
    folder = comparison.save(tmp_path)
    assert folder.name == f"compare-{SHORT_NAME}-{SHORT_NAME}+2"
    assert (folder / "difference.csv").exists() and (folder / "report.html").exists()


@pytest.mark.slow
def test_compare_takes_the_window_runs_and_engine_of_the_command_line(scenario_file, cli,
                                                                      tmp_path, monkeypatch):
    """``start``/``end``/``runs``/``choice`` are ``--from``/``--to``/``--runs``/``--workers``:
    the same key numbers, verdicts included, as ``buffer-sim compare`` writes."""
    from buffer_sim.output import charts as plots
    from buffer_sim.experiments.engines import EngineChoice

    for name in ("plot_leverage", "plot_trade", "plot_overview", "overlay", "plot_compare"):
        monkeypatch.setattr(plots, name, lambda df, path, *a, **k: Path(path).write_bytes(b"png"))
    cmp = buffer_sim.compare([scenario_file, (scenario_file, {"parameters.inertia": 2})],
                             seed=4, start="2017-01", end="2017-12", runs=3,
                             choice=EngineChoice(workers=1))
    assert (cmp.window.start, cmp.window.end) == ("2017-01", "2017-12")
    assert cmp.ensemble.count == 3
    assert all(a.shape[:2] == (3, SHORT_MONTHS) for a in cmp.ensemble.data.values())
    assert "verdict" in cmp.difference
    mine = cmp.save(tmp_path / "api")
    result = cli("compare", scenario_file, scenario_file, "--set", "2:parameters.inertia=2",
                 "--seed", "4", "--from", "2017-01", "--to", "2017-12", "--runs", "3",
                 "--workers", "1", "--out", tmp_path / "cli", "--quiet")
    assert result.code == 0, result.err
    theirs = tmp_path / "cli" / mine.name
    assert (mine / "difference.csv").read_bytes() == (theirs / "difference.csv").read_bytes()


def test_buffer_sim_compare_is_the_api_function_even_once_the_library_module_is_imported(
        scenario_file):
    import buffer_sim.experiments.compare as library  # the comparison machinery
    from buffer_sim import api

    assert buffer_sim.compare is api.compare and library is not api.compare
    cmp = buffer_sim.compare([scenario_file, (scenario_file, {"seoul.rule": "weighted"})])
    assert cmp.seed == 2016  # the first scenario's own seed


@pytest.mark.slow
def test_importing_the_package_stays_light():
    code = ("import sys, buffer_sim; "
            "assert 'pandas' not in sys.modules and 'mesa' not in sys.modules, sorted(sys.modules); "
            "assert callable(buffer_sim.run)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
