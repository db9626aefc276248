"""Robust, not knife-edge: the replay's stylized facts over settings of the model's own
assumptions (issue 12, item 5).

``scenarios/replay_2009_2019_robust.yaml`` declares them in its ``uncertain:`` block: the
lookahead (3-12 months), inertia (0 to twice the default), tie tolerance (0 to three
times), Beijing's no_war threshold (+-0.1), every invented coefficient a fact depends on
(half to double, clipped to its range) and hand-set numbers of dated events. The draws
are independent, as ``buffer-sim ensemble`` makes them (one seed and one setting of
every assumption per run, from the scenario's seed), 400 of them (a share is then
known to within two points, where 100 left it to four). Each fact should hold
in at least 80% of the settings; the shares measured are printed, and a fact that falls
short is marked with the share it had when the marker was set.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from buffer_sim.experiments.jobs import run_one
from buffer_sim.experiments.ensemble import jobs
from buffer_sim.experiments.facts import REPLAY_FACTS, judge
from buffer_sim.model import timeseries_rows
from buffer_sim.scenario.schema import load_scenario
from conftest import computed_once

ROBUST = Path(__file__).resolve().parents[1] / "scenarios" / "replay_2009_2019_robust.yaml"
SETTINGS = 400
REQUIRED_SHARE = 0.8

#: facts short of the target across the settings: name -> share when the marker was set
SHORT: dict[str, float] = {}


@cache
def verdicts() -> pd.DataFrame:
    """(setting, fact) -> held, for SETTINGS independent draws of the robust replay (run
    by one test worker for all)."""
    def compute() -> pd.DataFrame:
        scenario = load_scenario(ROBUST)
        _, seeds, paths, values = jobs(scenario, SETTINGS)
        rows = []
        for seed, drawn in zip(seeds, values):
            model = run_one(scenario, int(seed), paths, drawn)
            df = pd.DataFrame(timeseries_rows(model)).set_index("date")
            rows.append(judge(df))
            model.dispose()
        return pd.DataFrame(rows)

    return computed_once("robust-verdicts", compute)


def test_the_robust_replay_declares_what_the_issue_names():
    scenario = load_scenario(ROBUST)
    paths = set(scenario.uncertain)
    for path in ("parameters.lookahead_months", "parameters.inertia",
                 "parameters.tie_tolerance", "beijing.thresholds.no_war",
                 "parameters.customs_block_rate", "parameters.tension_damping_by_cn_enforcement",
                 # the mechanism's own invented numbers: Beijing's reading of a crisis's
                 # peak, and the pressure beyond which US sanctions reach the banks
                 "parameters.war_peak_weight", "parameters.ordinary_us_pressure"):
        assert path in paths, path
    assert any(p.startswith("events[Trump administration") for p in paths)
    lookahead = scenario.uncertain["parameters.lookahead_months"]
    assert (lookahead["low"], lookahead["high"]) == (3, 12)


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=False, reason=(
        f"issue 12: held in {SHORT[n]:.2%} of {SETTINGS} settings when marked")))
    if n in SHORT else n for n in REPLAY_FACTS])
@pytest.mark.slow
def test_each_fact_holds_in_most_settings_of_the_assumptions(name):
    share = float(verdicts()[name].mean())
    print(f"{name}: {share:.2%} of {SETTINGS} settings")
    assert share >= REQUIRED_SHARE, f"{name} held in {share:.2%} of {SETTINGS} settings"
