"""BufferModel as a Mesa user expects it: built from a scenario's name, file or object
with ``--set`` overrides; its results in the DataCollector (model reporters for the
time series, agent reporters for the actors' instruments); ``mesa.batch_run`` works;
one function, ``model.run_model``, builds and runs every model."""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from buffer_sim import model as model_module
from buffer_sim.core.errors import ScenarioError
from buffer_sim.model import (
    ACTION_FIELDS, BufferModel, instruments_frame, output_columns, run_model,
)
from buffer_sim.experiments.runner import csv_text
from buffer_sim.scenario.schema import load_scenario
from buffer_sim.core.world import INSTRUMENTS, State

from conftest import PROJECT_ROOT

SHORT = "rapprochement_2018_2019"
SHORT_FILE = PROJECT_ROOT / "scenarios" / f"{SHORT}.yaml"
SHORT_MONTHS = load_scenario(SHORT_FILE).months


def frame(model: BufferModel) -> pd.DataFrame:
    return model.datacollector.get_model_vars_dataframe()


@pytest.fixture(scope="module")
def short_run() -> BufferModel:
    return run_model(SHORT, 5, compiled=False)


# --- building -----------------------------------------------------------------------------

def test_a_name_a_file_and_a_loaded_scenario_build_the_same_model():
    by_name = run_model(SHORT, 3, compiled=False)
    by_file = run_model(SHORT_FILE, 3, compiled=False)
    by_object = run_model(load_scenario(SHORT_FILE), 3, compiled=False)
    assert by_name.spec.path == by_file.spec.path
    pd.testing.assert_frame_equal(frame(by_name), frame(by_file))
    pd.testing.assert_frame_equal(frame(by_name), frame(by_object))


def test_without_rng_a_model_uses_its_scenarios_seed():
    seed = load_scenario(SHORT_FILE).seed
    pd.testing.assert_frame_equal(frame(run_model(SHORT, compiled=False)),
                                  frame(run_model(SHORT, seed, compiled=False)))
    assert not frame(run_model(SHORT, seed + 1, compiled=False)).equals(
        frame(run_model(SHORT, seed, compiled=False)))


def test_overrides_are_the_set_of_the_command_line_in_every_spelling():
    as_set = load_scenario(SHORT_FILE, overrides=["beijing.thresholds.no_war=0.9",
                                                  "parameters.inertia=2"])
    spellings = [
        BufferModel(SHORT, overrides={"beijing.thresholds.no_war": 0.9,
                                      "parameters.inertia": 2}),
        BufferModel(SHORT, overrides=["beijing.thresholds.no_war=0.9", "parameters.inertia=2"]),
        BufferModel(SHORT, overrides={"beijing": {"thresholds": {"no_war": 0.9}}},
                    parameters__inertia=2),
        BufferModel(SHORT, **{"beijing.thresholds.no_war": 0.9, "parameters.inertia": 2}),
    ]
    for built in spellings:
        assert built.spec.content_hash == as_set.content_hash
        assert built.actors["beijing"].thresholds["no_war"] == 0.9
    assert as_set.content_hash != load_scenario(SHORT_FILE).content_hash


def test_a_bad_override_is_one_line_naming_set_and_the_field():
    with pytest.raises(ScenarioError) as err:
        BufferModel(SHORT, overrides={"beijing.thresholds.no_war": 7})
    assert str(err.value).startswith("--set")
    assert "no_war" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ScenarioError, match="nowhere_at_all"):
        BufferModel("nowhere_at_all")


def test_overrides_cannot_change_an_already_loaded_scenario():
    with pytest.raises(ValueError, match="scenario file or name"):
        BufferModel(load_scenario(SHORT_FILE), overrides={"parameters.inertia": 2})


# --- collecting ----------------------------------------------------------------------------

def test_the_model_reporters_are_the_columns_of_timeseries_csv(short_run, cli, tmp_path,
                                                               fast_charts):
    df = frame(short_run)
    assert list(df.columns) == ["date", *output_columns()]
    assert len(df) == SHORT_MONTHS == short_run.spec.months
    assert df["date"].iloc[0] == "2018-01" and df["date"].iloc[-1] == "2019-12"
    # what 'buffer-sim run' writes is this DataFrame, byte for byte
    assert cli("run", SHORT, "--seed", 5, "--out", tmp_path, "--quiet").code == 0
    written = (tmp_path / short_run.spec.name / "timeseries.csv").read_text(encoding="utf-8")
    assert written == csv_text(df)


def test_each_row_reports_the_world_the_month_ended_in():
    model = BufferModel(SHORT, rng=2, compiled=False)
    for _ in range(6):
        model.step()
        row = model.row
        assert row == {name: values[-1] for name, values
                       in model.datacollector.model_vars.items()}
        for name in State._fields:
            assert row[name] == getattr(model.state, name)
        for name, value in zip(ACTION_FIELDS, model.actions):
            assert row[name] == value
    assert len(frame(model)) == 6


def test_collected_numbers_do_not_change_when_the_model_moves_on():
    model = BufferModel(SHORT, rng=2, compiled=False)
    model.step()
    first = frame(model).iloc[0].copy()
    for _ in range(5):
        model.step()
    pd.testing.assert_series_equal(frame(model).iloc[0], first)


def test_agent_reporters_hold_each_actors_instruments(short_run):
    agents = short_run.datacollector.get_agent_vars_dataframe()
    assert list(agents.columns) == ["actor", "instruments"]
    assert len(agents) == 4 * SHORT_MONTHS
    last = agents.xs(agents.index.get_level_values("Step").max(), level="Step")
    for actor, instruments in zip(last["actor"], last["instruments"]):
        assert instruments._fields == tuple(INSTRUMENTS[actor])
        assert instruments._asdict() == short_run.actors[actor].instruments
    # the agents' view and the time series agree month by month
    spread = instruments_frame(short_run)
    # (Pyongyang holds its provocation level as a whole number)
    pd.testing.assert_frame_equal(spread[ACTION_FIELDS],
                                  frame(short_run).set_index("date")[ACTION_FIELDS],
                                  check_dtype=False)


def test_a_model_pickles_and_a_copy_continues_the_same_run():
    model = BufferModel(SHORT, rng=4, compiled=False)
    for _ in range(10):
        model.step()
    twin = pickle.loads(pickle.dumps(model))
    branch = copy.deepcopy(model)
    for m in (model, twin, branch):
        while m.running:
            m.step()
    pd.testing.assert_frame_equal(frame(twin), frame(model))
    pd.testing.assert_frame_equal(frame(branch), frame(model))
    assert len(frame(model)) == SHORT_MONTHS


# --- one function runs a model -------------------------------------------------------------

def test_run_model_steps_the_months_asked_and_reports_progress():
    seen = []
    model = run_model(SHORT, 1, months=5, compiled=False,
                      progress=lambda done, total: seen.append((done, total)))
    assert seen == [(k, 5) for k in range(1, 6)]
    assert len(frame(model)) == 5 and model.running
    assert len(frame(run_model(SHORT, 1, months=10**6, compiled=False))) == SHORT_MONTHS


def test_every_caller_builds_and_runs_its_model_with_run_model(monkeypatch, tmp_path):
    """The command line, the notebook API, ensembles, calibration, start states and
    the app all make their runs with ``model.run_model``."""
    from buffer_sim import api, app
    from buffer_sim.experiments import calibration, jobs, runner, start_state

    real, calls = run_model, []

    def counted(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    # at the model module (for callers that import it when called) and in each
    # caller's namespace (for those that import it at the top)
    monkeypatch.setattr(model_module, "run_model", counted)
    callers = (api, app, calibration, jobs, runner, start_state)
    for module in callers:
        monkeypatch.setattr(module, "run_model", counted, raising=False)
    scenario = load_scenario(SHORT_FILE)
    runs = {
        "runner.run": lambda: runner.run(SHORT_FILE),
        "api.run": lambda: api.run(SHORT),
        "jobs.run_one": lambda: jobs.run_one(scenario, 1),
        "calibration.simulate": lambda: calibration.simulate(scenario, 1, months=3),
        "start_state.generate": lambda: start_state.generate(scenario, scenario.start + 2,
                                                             [1]),
        "app.build_model": lambda: app.build_model(app.Settings(str(SHORT_FILE)), 2),
    }
    for name, call in runs.items():
        before = len(calls)
        call()
        assert len(calls) == before + 1, f"{name} did not run its model with run_model"


# --- mesa.batch_run --------------------------------------------------------------------------

BATCH = """
import json, sys
import mesa
from buffer_sim.model import BufferModel

rows = mesa.batch_run(BufferModel, parameters={{
    "scenario": {scenarios!r}, "compiled": False,
    "beijing.thresholds.no_war": [0.5, 0.9]}},
    rng=[1, 2], max_steps=10**6, display_progress=False)
json.dump(rows, sys.stdout, default=repr)
"""


def test_mesa_batch_run_runs_each_combination_and_returns_its_rows():
    """In a subprocess: ``batch_run`` forces the spawn start method on the process."""
    scenarios = [SHORT, "pressure_2016_2017"]
    script = textwrap.dedent(BATCH.format(scenarios=scenarios))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = json.loads(done.stdout)
    # 2 scenarios x 2 thresholds x 2 seeds, the last month, one row per actor
    assert len(rows) == 2 * 2 * 2 * 4
    assert {r["actor"] for r in rows} == set(INSTRUMENTS)
    for scenario in scenarios:
        for no_war in (0.5, 0.9):
            for i, seed in enumerate((1, 2)):
                mine = [r for r in rows if r["scenario"] == scenario and r["iteration"] == i
                        and r["beijing.thresholds.no_war"] == no_war]
                direct = run_model(scenario, seed, {"beijing.thresholds.no_war": no_war},
                                   compiled=False)
                last = direct.row
                assert len(mine) == 4
                assert {r["Step"] for r in mine} == {direct.spec.months}
                for column in ("date", "tension", "pressure_applied", "cn_imports_reported"):
                    assert all(r[column] == last[column] for r in mine), column
                assert np.isfinite([r["influence_realized"] for r in mine]).all()
