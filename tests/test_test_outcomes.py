"""A test history records as coming off comes off; one that failed fails.

The replay's tests enter as forced actions on their dates. Whether a test Pyongyang
chooses comes off is drawn (``p_success_major``, ``p_success_missile``), but a forced
test may state its observed ``outcome``: the seismographs recorded every nuclear test
(USGS ComCat, observed events data), the April 2012 Unha-3 broke up, and Kim declared
"the historic cause of completing the state nuclear force" with the November 2017
Hwasong-15 (report §The Rapid Return, note 68). Drawing those would have the replay's
programme advance on a launch that failed, in nine runs of ten.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from buffer_sim.scenario.schema import load_scenario
from conftest import PROJECT_ROOT, scenario_runs

REPLAY = PROJECT_ROOT / "scenarios" / "replay_2009_2019.yaml"
SEEDS = range(20)  # the replay's seeds of the other modules: their runs are reused


def _nuclear_step(df: pd.DataFrame, month: str) -> float:
    """How far the programme moved in ``month`` (the month's test included)."""
    before = df["nuclear"].shift(1)
    return float(df.loc[month, "nuclear"] - before.loc[month])


@pytest.fixture(scope="module")
def histories():
    return scenario_runs(REPLAY, seeds=SEEDS)


def test_the_replay_states_the_outcomes_history_records():
    outcomes = {e.label: e.outcome for e in load_scenario(REPLAY).events
                if e.kind == "forced_action" and e.outcome}
    assert outcomes["Unha-3 launch fails"] == "failure"
    for label in ("2nd nuclear test", "3rd nuclear test", "4th nuclear test",
                  "5th nuclear test", "6th nuclear test", "Hwasong-15 ICBM test"):
        assert outcomes[label] == "success", label


def test_every_recorded_nuclear_test_advances_the_programme_in_every_run(histories):
    for df in histories:
        # a major test that comes off is a step of nuclear_gain_major (0.05): far above
        # the month's background progress (~0.0015)
        for month in ("2009-05", "2013-02", "2016-01", "2016-09", "2017-09"):
            assert _nuclear_step(df, month) > 0.02, month


def test_the_failed_launch_never_advances_it(histories):
    for df in histories:
        assert _nuclear_step(df, "2012-04") < 0.005


def _drawn_launch(tmp_path):
    """A scenario file: the replay with the April 2012 launch's outcome drawn, not stated."""
    launch = next(e for e in load_scenario(REPLAY).events if e.label == "Unha-3 launch fails")
    child = {"name": "drawn", "extends": str(REPLAY), "drop_events": [launch.label],
             "events": [{"date": launch.date, "kind": "forced_action", "actor": "pyongyang",
                         "set": {"provocation": 2}, "label": "Unha-3 launch, outcome drawn",
                         "source": launch.source}]}
    path = tmp_path / "drawn.yaml"
    path.write_text(yaml.safe_dump(child), encoding="utf-8")
    return path


def test_an_outcome_replaces_the_draw_and_keeps_the_later_draws(tmp_path, histories):
    advanced = 0
    for seed, df, stated in zip(SEEDS, scenario_runs(_drawn_launch(tmp_path), seeds=SEEDS),
                                histories):
        advanced += _nuclear_step(df, "2012-04") > 0.02
        # the February 2016 launch's outcome is drawn in both: the same draw
        assert ((_nuclear_step(df, "2016-02") > 0.02)
                == (_nuclear_step(stated, "2016-02") > 0.02)), seed
    # drawn, the failed launch comes off in most runs (p_success_major 0.9)
    assert advanced >= len(SEEDS) // 2
