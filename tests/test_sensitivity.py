"""Sensitivity analysis (SALib) and scenario discovery (PRIM, EMA Workbench) over a
scenario's uncertain parameters, both optional extras with a one-line error when
missing.

The test scenario declares two uncertain parameters: ``tension_relax_per_month``,
which moves tension, and ``breaking_point_cn_dprk``, which nothing in the dynamics
reads. With common random numbers the inert one must get indices of exactly zero.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from buffer_sim.experiments import discovery, runner, sensitivity
from buffer_sim.core.errors import ScenarioError
from test_ensemble import ENSEMBLE_SCENARIO

ACTIVE, INERT = "parameters.tension_relax_per_month", "parameters.breaking_point_cn_dprk"


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "ens24.yaml"
    path.write_text(ENSEMBLE_SCENARIO, encoding="utf-8")
    return path


@pytest.fixture
def scenario(scenario_file):
    return runner.load(scenario_file)


# --- sensitivity ----------------------------------------------------------------------------

@pytest.mark.slow
def test_sobol_finds_the_parameter_that_matters_and_gives_confidence_intervals(cli,
                                                                              scenario_file,
                                                                              tmp_path):
    pytest.importorskip("SALib")
    result = cli("sensitivity", scenario_file, "--method", "sobol", "--samples", 8,
                 "--outcome", "mean_tension", "--engine", "serial", "--out", tmp_path)
    assert result.code == 0, result.err
    folder = tmp_path / "ens24-sensitivity-sobol"
    table = pd.read_csv(folder / "indices.csv").set_index("parameter")
    assert list(table.columns) == ["dist", "low", "high", "S1", "S1_conf", "ST", "ST_conf"]
    assert table.loc[INERT, ["S1", "ST"]].abs().max() < 1e-9
    assert table.loc[ACTIVE, "ST"] > 0.5
    assert table.loc[ACTIVE, "ST_conf"] >= 0
    samples = pd.read_csv(folder / "samples.csv")
    assert len(samples) == 8 * (2 + 2)  # N x (parameters + 2)
    assert samples[ACTIVE].between(0.04, 0.3).all()
    assert (folder / "indices.png").read_bytes()[:4] == b"\x89PNG"
    assert "indices.csv" in result.out


@pytest.mark.slow
def test_morris_screens_with_elementary_effects(scenario):
    pytest.importorskip("SALib")
    from buffer_sim.experiments.engines import EngineChoice

    result = sensitivity.run_sensitivity(scenario, "morris", "mean_tension", samples=4,
                                         choice=EngineChoice(engine="serial"))
    table = result.indices.set_index("parameter")
    assert list(table.columns) == ["dist", "low", "high", "mu", "mu_star", "mu_star_conf",
                                   "sigma"]
    assert table.loc[INERT, "mu_star"] == 0
    assert table.loc[ACTIVE, "mu_star"] > 0
    assert table.loc[ACTIVE, "mu"] < 0  # faster relaxation, lower tension
    assert len(result.points) == 4 * (2 + 1)


def test_sobol_samples_must_be_a_power_of_two(cli, scenario_file):
    pytest.importorskip("SALib")
    result = cli("sensitivity", scenario_file, "--samples", 10, "--outcome", "mean_tension")
    assert result.code == 2
    assert "--samples: Sobol' sampling needs a power of 2" in result.err


def test_without_an_uncertain_block_there_is_nothing_to_analyse(cli, tmp_path):
    path = tmp_path / "plain.yaml"
    path.write_text(ENSEMBLE_SCENARIO.split("uncertain:")[0], encoding="utf-8")
    for args in (("sensitivity", path, "--outcome", "mean_tension"),
                 ("discover", path, "--outcome", "mean_tension", "--where", "> 0.5")):
        result = cli(*args)
        assert result.code == 2
        assert "uncertain: no uncertain parameters declared" in result.err
        assert result.err.count("\n") == 1


def test_without_salib_sensitivity_fails_in_one_line(cli, scenario_file, monkeypatch):
    for name in ("SALib", "SALib.sample", "SALib.analyze"):
        monkeypatch.setitem(sys.modules, name, None)
    result = cli("sensitivity", scenario_file, "--outcome", "mean_tension")
    assert result.code == 1  # a missing package, not bad input
    assert result.err == ("buffer-sim: error: sensitivity analysis needs SALib: pip install "
                          "'buffer-sim[analysis]'\n")


# --- scenario discovery -----------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [("> 0.7", (">", 0.7)), ("<=30", ("<=", 30.0)),
                                            (" == -1e-3 ", ("==", -0.001))])
def test_a_condition_is_an_operator_and_a_number(text, expected):
    assert discovery.parse_condition(text) == expected


@pytest.mark.parametrize("text", ["0.7", "> x", "=> 1", ">", "> 1 2"])
def test_a_bad_condition_is_refused(text):
    with pytest.raises(ScenarioError) as err:
        discovery.parse_condition(text)
    assert err.value.file == "--where"


@pytest.mark.slow
def test_prim_finds_the_box_where_a_known_condition_holds():
    pytest.importorskip("ema_workbench")
    rng = np.random.default_rng(3)
    x = pd.DataFrame(rng.uniform(size=(500, 2)), columns=["a", "b"])
    y = (x["a"] > 0.7).to_numpy()
    trajectory, box = discovery.find_box(x, y, min_coverage=0.8)
    limits = box.limits.set_index("parameter")
    assert limits.loc["a", "restricted"] and not limits.loc["b", "restricted"]
    assert abs(limits.loc["a", "low"] - 0.7) < 0.03
    # the lower limit of a is no luck; b is not restricted, so it has no quasi-p
    assert limits.loc["a", "qp_low"] < 1e-6 and limits.loc["a", "significant"]
    assert np.isnan(limits.loc["b", ["qp_low", "qp_high"]].astype(float)).all()
    assert not limits.loc["b", "significant"]
    assert box.coverage >= 0.8 and box.density >= 0.9
    assert list(trajectory.columns) == ["id", "coverage", "density", "mass", "res_dim", "n"]
    assert trajectory.coverage.iloc[0] == 1.0


@pytest.mark.slow
def test_discover_reports_coverage_density_and_the_box(cli, scenario, scenario_file, tmp_path):
    pytest.importorskip("ema_workbench")
    from buffer_sim.experiments.engines import EngineChoice
    from buffer_sim.experiments.sweep import evaluate

    runs = 60
    values, _ = evaluate([scenario], runs, "mean_tension", choice=EngineChoice(engine="serial"))
    level = float(np.median(values))
    result = cli("discover", scenario_file, "--outcome", "mean_tension", "--where",
                 f"< {level!r}", "--runs", runs, "--engine", "serial", "--out", tmp_path)
    assert result.code == 0, result.err
    assert "coverage" in result.out and "density" in result.out
    folder = tmp_path / "ens24-discover"
    per_run = pd.read_csv(folder / "runs.csv")
    assert len(per_run) == runs and per_run.holds.sum() == (values[0] < level).sum()
    box = pd.read_csv(folder / "box.csv").set_index("parameter")
    assert box.loc[ACTIVE, "restricted"]  # low tension needs fast relaxation
    assert box.loc[ACTIVE, "low"] > 0.04
    # the summary names the significant restrictions with their quasi-p; the inert
    # parameter is never among them
    assert box.loc[ACTIVE, "significant"] and f"{ACTIVE} in [" in result.out
    assert "quasi-p" in result.out and f"{INERT} in [" not in result.out
    assert (folder / "prim.png").read_bytes()[:4] == b"\x89PNG"
    assert len(pd.read_csv(folder / "trajectory.csv")) >= 2


@pytest.mark.slow
def test_a_condition_that_always_or_never_holds_is_reported(cli, scenario_file, tmp_path):
    pytest.importorskip("ema_workbench")
    result = cli("discover", scenario_file, "--outcome", "mean_tension", "--where", "> 5",
                 "--runs", 4, "--engine", "serial", "--out", tmp_path)
    assert result.code == 2
    assert "holds in 0 of 4 runs" in result.err


def test_without_the_ema_workbench_discovery_fails_in_one_line(cli, scenario_file, monkeypatch):
    for name in ("ema_workbench", "ema_workbench.analysis"):
        monkeypatch.setitem(sys.modules, name, None)
    result = cli("discover", scenario_file, "--outcome", "mean_tension", "--where", "> 0.5")
    assert result.code == 1  # a missing package, not bad input
    assert result.err == ("buffer-sim: error: scenario discovery needs the EMA Workbench: "
                          "pip install 'buffer-sim[analysis]'\n")


def test_a_box_over_dozens_of_parameters_draws_the_restricted_ones_significant_first(
        monkeypatch, tmp_path):
    """Over the robust replay's 70 assumptions PRIM trims a score of them a little: the
    chart draws the restricted parameters only, the significant ones first, and says how
    many it leaves out."""
    from buffer_sim.output.charts import experiments as chart_module
    drawn = {}

    def keep(fig, path):
        drawn["fig"] = fig
        return Path(path)
    monkeypatch.setattr(chart_module, "write_png", keep)
    n = 20
    limits = pd.DataFrame({
        "parameter": [f"p{k}" for k in range(n)], "low": 0.2, "high": 0.8,
        "declared_low": 0.0, "declared_high": 1.0,
        "restricted": [k in (3, 7, 11) for k in range(n)],
        "significant": [k == 11 for k in range(n)]})
    trajectory = pd.DataFrame({"coverage": [1.0, 0.6], "density": [0.2, 0.8],
                               "res_dim": [0, 3]})
    chart_module.prim_chart(trajectory, limits, 1, 0.6, 0.8, "test", tmp_path / "p.png")
    right = drawn["fig"].axes[1]
    labels = [t.get_text() for t in right.get_yticklabels()]
    assert labels == ["p11", "p3 (not significant)", "p7 (not significant)"]
    assert "17 unrestricted parameters not shown" in right.get_xlabel()
