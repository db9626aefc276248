"""A raise of Beijing's visible enforcement stands for a while.

Visible enforcement is published (customs notices, lists of banned goods, orders to
banks) and watched by the UN Panel of Experts and Washington, so Beijing does not
withdraw a raise within weeks: for ``enforcement_commitment_months`` after a raise its
candidates leave out lowering it. Tolerance of informal trade (the crackdown) is never
announced and stays free. A reason says when the commitment ruled a move out.
"""

from __future__ import annotations

import numpy as np
import pytest

from buffer_sim.experiments import runner
from conftest import PROJECT_ROOT, scenario_runs

REPLAY = PROJECT_ROOT / "scenarios" / "replay_2009_2019.yaml"
NUKES_FIRST = PROJECT_ROOT / "scenarios" / "whatif" / "beijing_denuclearisation_first.yaml"
SEEDS = tuple(range(20))


def _moves(series):
    """(month index, +1 raise / -1 cut) of each change of a monthly series."""
    values = list(series)
    return [(k, 1 if b > a else -1) for k, (a, b) in enumerate(zip(values, values[1:]), 1)
            if abs(b - a) > 1e-9]


@pytest.mark.parametrize("months", [12, 6])
def test_a_raise_of_visible_enforcement_is_not_undone_within_the_commitment(months):
    cuts_after_raises = 0
    for seed in range(4):
        df = runner.run(REPLAY, seed=seed, overrides=[
            f"parameters.enforcement_commitment_months={months}"]).timeseries
        moves = _moves(df["beijing_enforcement"])
        for k, direction in moves:
            if direction < 0:
                last_raise = max((j for j, d in moves if d > 0 and j < k), default=None)
                assert last_raise is None or k - last_raise >= months, (seed, df["date"][k])
                cuts_after_raises += last_raise is not None
    # the replay does lower enforcement (in 2009-2015, after its raises have lapsed)
    assert cuts_after_raises >= 1


def test_without_the_commitment_a_nukes_first_beijing_undoes_its_2016_raise():
    # Seed 3, traced: no nuclear weapons first raises enforcement in March 2016, after
    # the January test and the February launch; with no commitment it lowers it again
    # in April and May, as soon as stability would fall (its second priority), though
    # the programme's threat growth is still above its tolerance.
    free = runner.run(NUKES_FIRST, seed=3,
                      overrides=["parameters.enforcement_commitment_months=0"]).timeseries
    result = runner.run(NUKES_FIRST, seed=3)
    bound = result.timeseries
    year = (free["date"] >= "2016-01") & (free["date"] <= "2016-12")
    assert any(d < 0 for _, d in _moves(free.loc[year, "beijing_enforcement"]))
    assert not any(d < 0 for _, d in _moves(bound.loc[year, "beijing_enforcement"]))
    decisions = result.decisions
    april = decisions[(decisions["actor"] == "beijing") & (decisions["month"] == "2016-04")]
    assert april["reason"].iloc[0].endswith(" It could not lower enforcement before 2017-03.")


@pytest.mark.slow
def test_the_commitment_is_what_keeps_a_nukes_first_beijing_pressing_in_2016():
    # 20 seeds, measured: 2016 enforcement 0.529 with the commitment, 0.289 without
    def mean_2016(path, overrides=()):
        return float(np.mean([df.loc["2016-01":"2016-12", "beijing_enforcement"].mean()
                              for df in scenario_runs(path, overrides, SEEDS)]))

    with_, without = mean_2016(NUKES_FIRST), mean_2016(
        NUKES_FIRST, ["parameters.enforcement_commitment_months=0"])
    assert with_ >= without + 0.05, (with_, without)


def test_the_crackdown_on_informal_trade_is_not_bound():
    # 2018-2019: Beijing relaxes its tolerance of informal trade within a year of a raise
    df = runner.run(REPLAY).timeseries
    moves = _moves(df["beijing_crackdown"])
    assert any(d < 0 and any(0 < k - j < 12 for j, e in moves if e > 0) for k, d in moves)


def test_a_scenario_may_still_lower_enforcement_while_a_raise_stands(tmp_path):
    # A pin (or a forced event) is history, not Beijing's choice: it overrides the
    # commitment, and Beijing's candidates then all carry the pinned value.
    path = tmp_path / "lowered.yaml"
    path.write_text(f"""name: lowered
description: The replay with Beijing's enforcement pinned at 0 in May-August 2017.
extends: {REPLAY}
pins:
  - {{actor: beijing, instrument: enforcement, value: 0, from: 2017-05, to: 2017-08,
     reason: a test of the commitment}}
""", encoding="utf-8")
    df = runner.run(path).timeseries.set_index("date")
    assert df.loc["2017-04", "beijing_enforcement"] > 0.5
    assert (df.loc["2017-05":"2017-08", "beijing_enforcement"] == 0).all()
