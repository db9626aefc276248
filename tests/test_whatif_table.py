"""The what-if table of the closing notes (``python -m buffer_sim.tools.whatif_table``):
every shipped what-if on its headline, against the replay with the same seeds."""

from __future__ import annotations

import pytest

from buffer_sim.model import output_columns
from buffer_sim.tools import whatif_table
from buffer_sim.tools.whatif_table import HEADLINES, Headline
from conftest import PROJECT_ROOT, scenario_runs


def test_every_shipped_what_if_has_a_headline_and_nothing_else_is_listed():
    shipped = {p.stem for p in (PROJECT_ROOT / "scenarios" / "whatif").glob("*.yaml")}
    assert {h.whatif for h in HEADLINES if h.floor} == shipped
    assert {h.whatif for h in HEADLINES} == shipped
    columns = set(output_columns())
    for h in HEADLINES:
        assert h.column in columns and h.start <= h.end, h


def test_a_headline_holds_by_its_floor_relative_for_trade_absolute_otherwise():
    trade = Headline("x", "cn_imports_reported", "2016-01", "2016-12", -1)
    assert trade.holds(100.0, 89.0) and not trade.holds(100.0, 91.0)
    assert not trade.holds(100.0, 120.0)  # the wrong way
    scale = Headline("x", "tension", "2016-01", "2016-12", +1)
    assert scale.holds(0.5, 0.56) and not scale.holds(0.5, 0.54)
    named = Headline("x", "beijing_enforcement", "2016-01", "2016-12", +1, 0.2)
    assert not named.holds(0.2, 0.39) and named.holds(0.2, 0.41)
    assert Headline("x", "tension", "2016-01", "2016-12").holds(0.5, 0.9) is None


@pytest.mark.slow
def test_the_table_is_the_mean_over_seeds_of_each_window_in_both_scenarios():
    rows = [h for h in HEADLINES if h.whatif == "no_summits_2018"]
    seeds = (0, 1)
    got = whatif_table.table(seeds, rows)
    replay = scenario_runs(PROJECT_ROOT / "scenarios" / "replay_2009_2019.yaml", seeds=seeds)
    what_if = scenario_runs(PROJECT_ROOT / "scenarios" / "whatif" / "no_summits_2018.yaml",
                            seeds=seeds)
    for h, row in zip(rows, got):
        base = sum(df.loc[h.start:h.end, h.column].mean() for df in replay) / len(seeds)
        other = sum(df.loc[h.start:h.end, h.column].mean() for df in what_if) / len(seeds)
        assert row["replay"] == pytest.approx(base, rel=1e-12)
        assert row["what_if"] == pytest.approx(other, rel=1e-12)
        assert row["effect"] == pytest.approx(other - base, rel=1e-12)
        assert row["holds"] == h.holds(base, other)


@pytest.mark.slow
def test_the_command_prints_one_row_per_headline(capsys):
    assert whatif_table.main(["--seeds", "1"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == len(HEADLINES) + 1  # and the header
    assert "means over 1 seeds" in out
