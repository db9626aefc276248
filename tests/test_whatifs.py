"""The what-ifs shipped in scenarios/whatif/: short, readable, and each moves the
replay in the direction its mechanism says.

Every what-if and the replay run with the same twenty seeds (common random numbers), and
the effect sizes are asserted on the means over those seeds, so that no assertion rests
on one lucky draw. Each run is made once per module (``runs``).
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest
import yaml

from buffer_sim.scenario.schema import load_scenario
from conftest import PROJECT_ROOT, scenario_runs

WHATIF_DIR = PROJECT_ROOT / "scenarios" / "whatif"
REPLAY = PROJECT_ROOT / "scenarios" / "replay_2009_2019.yaml"
SEEDS = tuple(range(20))
WHATIFS = {
    "beijing_denuclearisation_first", "no_secondary_sanctions_2017", "no_thaad_2016",
    "no_summits_2018", "no_jang_purge_2013", "full_enforcement_from_2013",
    "coal_at_2011_price", "strict_coal_ban_2016", "beijing_weighs_its_priorities",
}


@functools.cache
def runs(name: str) -> tuple:
    """The time series of the replay ('replay') or a what-if for every seed, ``date``
    a column (``conftest.scenario_runs``: made once for every module and worker)."""
    path = REPLAY if name == "replay" else WHATIF_DIR / f"{name}.yaml"
    return tuple(df.reset_index() for df in scenario_runs(path, seeds=SEEDS))


def stat(name: str, column: str, start: str, end: str, how: str = "mean") -> float:
    """``how`` ('mean', 'min', 'max') of ``column`` over start..end, averaged over seeds."""
    return window_stat(runs(name), column, start, end, how)


def window_stat(series, column: str, start: str, end: str, how: str = "mean") -> float:
    """``stat`` of any runs' time series (``date`` a column)."""
    values = []
    for df in series:
        window = df[(df["date"] >= start) & (df["date"] <= end)][column]
        values.append(getattr(window, how)())
    return float(np.mean(values))


def versus(name: str, column: str, start: str, end: str, how: str = "mean") -> tuple:
    """(replay, what-if) and a message with both, for assertions that explain themselves."""
    base, what_if = stat("replay", column, start, end, how), stat(name, column, start, end, how)
    return base, what_if, (f"{how} {column} {start}..{end} over seeds {SEEDS}: "
                           f"replay {base:.4g}, {name} {what_if:.4g}")


# --- the files ------------------------------------------------------------------------------

def test_the_what_ifs_of_the_issues_are_shipped():
    assert {p.stem for p in WHATIF_DIR.glob("*.yaml")} == WHATIFS


@pytest.mark.parametrize("name", sorted(WHATIFS))
def test_a_what_if_is_a_short_readable_change_of_the_replay(name):
    path = WHATIF_DIR / f"{name}.yaml"
    text = path.read_text(encoding="utf-8")
    assert 5 <= len(text.splitlines()) <= 15
    raw = yaml.safe_load(text)
    assert raw["extends"] == "../replay_2009_2019.yaml"
    assert raw["name"] == name
    scenario = load_scenario(path)
    assert scenario.description.startswith("What if")
    assert len(re.findall(r"[.?!](\s|$)", scenario.description)) >= 2  # says what and what to look at
    base = load_scenario(REPLAY)
    assert (scenario.start, scenario.end) == (base.start, base.end)
    assert scenario.content_hash != base.content_hash


def test_a_what_if_that_pins_beijing_says_so():
    scenario = load_scenario(WHATIF_DIR / "full_enforcement_from_2013.yaml")
    (pin,) = [p for p in scenario.pins if p.actor == "beijing"]
    assert (pin.instrument, pin.value) == ("enforcement", 1.0)
    assert "pins Beijing" in scenario.description
    for name in WHATIFS - {"full_enforcement_from_2013"}:
        assert not [p for p in load_scenario(WHATIF_DIR / f"{name}.yaml").pins
                    if p.actor == "beijing"], name


def test_the_dropped_events_are_gone():
    def labels(name):
        return {e.label for e in load_scenario(WHATIF_DIR / f"{name}.yaml").events}

    assert "THAAD deployment decided" not in labels("no_thaad_2016")
    assert not [p for p in load_scenario(WHATIF_DIR / "no_thaad_2016.yaml").pins
                if (p.actor, p.instrument) == ("seoul", "alignment")]
    assert not {"Singapore summit", "Panmunjom inter-Korean summit"} & labels("no_summits_2018")
    assert not {"Jang Song Thaek executed", "SEZ projects on hiatus after Jang's purge"} \
        & labels("no_jang_purge_2013")


#: what-ifs that change only an order of priorities: name -> least share of seeds whose
#: history differs. The order decides only where priorities conflict: where stability lets
#: the replay's Beijing press for the programme too (2 of 20 seeds, measured), the nukes-
#: first Beijing makes the same choices.
ORDER_ONLY = {"beijing_denuclearisation_first": 0.8}


@pytest.mark.parametrize("name", sorted(WHATIFS))
@pytest.mark.slow
def test_every_what_if_runs_and_differs_from_the_replay(name):
    differs = []
    for base, what_if in zip(runs("replay"), runs(name)):
        assert len(what_if) == len(base) == 132
        assert list(what_if["date"]) == list(base["date"])
        differs.append(not what_if.drop(columns="date").equals(base.drop(columns="date")))
    assert sum(differs) >= ORDER_ONLY.get(name, 1.0) * len(differs), differs


# --- the effect sizes ---------------------------------------------------------------------
# What a class sees on a chart: each what-if moves its headline measure, in the window
# where it acts, by at least 0.05 on a bounded scale or 10% for trade (means over the
# seeds, common random numbers). If one fails after a change of the model, do not edit
# the what-if to force it: look at the mechanism, and state what it gives and why.

def effect(name: str, column: str, start: str, end: str) -> tuple[float, float, str]:
    """(replay mean, what-if mean, message) of ``column`` over start..end."""
    base, what_if, msg = versus(name, column, start, end)
    return base, what_if, msg


@pytest.mark.slow
def test_denuclearisation_first_presses_from_the_2016_tests():
    # Report §Introduction: denuclearisation "ranks as a tertiary priority". First, it
    # makes Beijing press from the 2016 tests on, as far as the record of tests keeps
    # the threat above its tolerance; the replay's Beijing is held back by stability,
    # its second priority (measured, 20 seeds: 0.21 -> 0.53, reported imports -16%).
    base, what_if, msg = effect("beijing_denuclearisation_first", "beijing_enforcement",
                                "2016-01", "2016-12")
    assert what_if >= base + 0.2, msg
    base, what_if, msg = effect("beijing_denuclearisation_first", "cn_imports_reported",
                                "2016-01", "2017-12")
    assert what_if <= 0.85 * base, msg


@pytest.mark.slow
def test_without_us_secondary_sanctions_more_trade_passes_chinese_customs():
    # Headline: reported imports, the trade Washington's reach into Chinese banks and
    # firms stopped. Without that reach only Beijing's own enforcement stops goods at
    # the border, and banks pay for what passes: at least 10% more is reported in
    # 2017-2018 (measured, 20 seeds: +30%), though Beijing enforces nearly fully for its
    # own reasons. Informal imports fall a little, as the same buyers use the open gate.
    base, what_if, msg = effect("no_secondary_sanctions_2017", "cn_imports_reported",
                                "2017-01", "2018-12")
    assert what_if >= 1.10 * base, msg
    base, what_if, msg = effect("no_secondary_sanctions_2017", "cn_imports_informal",
                                "2017-01", "2018-12")
    assert what_if <= base, msg


@pytest.mark.slow
def test_no_thaad_means_warmer_china_rok_relations():
    base, what_if, msg = effect("no_thaad_2016", "warmth_cn_rok", "2016-07", "2019-12")
    assert what_if >= base + 0.05, msg


@pytest.mark.slow
def test_no_summits_means_more_tension_and_cooler_china_dprk_ties_in_2018():
    base, what_if, msg = effect("no_summits_2018", "tension", "2018-04", "2018-12")
    assert what_if >= base + 0.05, msg
    base, what_if, msg = effect("no_summits_2018", "warmth_cn_dprk", "2018-04", "2018-12")
    assert what_if <= base - 0.05, msg


@pytest.mark.slow
def test_no_purge_means_warmer_china_dprk_relations_and_more_trade_in_2014_2015():
    base, what_if, msg = effect("no_jang_purge_2013", "warmth_cn_dprk", "2014-01", "2015-12")
    assert what_if >= base + 0.05, msg
    # Trade is the second thing to look at, not the headline: since import capacity
    # grows with the DPRK's catch-up and world prices (issue 13), warmth and the SEZs move
    # it less than before (+9% measured, 20 seeds, where the premium made it +14%).
    base, what_if, msg = effect("no_jang_purge_2013", "cn_imports_reported", "2014-01", "2015-12")
    assert what_if >= 1.05 * base, msg


@pytest.mark.slow
def test_coal_at_its_2011_price_means_more_import_value_in_2014_2015():
    base, what_if, msg = effect("coal_at_2011_price", "cn_imports_reported", "2014-01", "2015-12")
    assert what_if >= 1.1 * base, msg


@pytest.mark.slow
def test_without_the_livelihoods_exemption_beijing_enforces_in_2016_and_the_dprk_barely_feels_it():
    # With nothing of the coal and iron trade left to Beijing's reading, Washington and
    # the UN Panel count what customs let through of half the DPRK's exports as a
    # breach: Beijing enforces more from April 2016 for its ties with Washington
    # (measured, 20 seeds: 0.25 -> 0.35), as far as stability allows (its second
    # priority), and reported imports fall (-7%). Much of what customs stop finds
    # informal routes (+17%), so the economy loses under 1%: in the model the
    # exemption's cover, not only a fear of instability, kept 2016 quiet.
    base, what_if, msg = effect("strict_coal_ban_2016", "beijing_enforcement", "2016-04",
                                "2016-12")
    assert what_if >= base + 0.05, msg
    base, what_if, msg = effect("strict_coal_ban_2016", "cn_imports_reported", "2016-04",
                                "2016-12")
    assert what_if <= 0.95 * base, msg
    base, what_if, msg = effect("strict_coal_ban_2016", "cn_imports_informal", "2016-04",
                                "2016-12")
    assert what_if >= 1.1 * base, msg
    base, what_if, msg = effect("strict_coal_ban_2016", "dprk_economy", "2016-04", "2017-12")
    assert abs(what_if / base - 1.0) < 0.02, msg


@pytest.mark.slow
def test_a_beijing_that_weighs_its_priorities_misses_2017_and_then_its_order_matters():
    # Weighing, a small stability risk outweighs the nuclear concern, so the replay's
    # order presses far less in 2017 (measured, 20 seeds: 0.56 against 0.90)...
    base, what_if, msg = effect("beijing_weighs_its_priorities", "beijing_enforcement",
                                "2017-01", "2017-12")
    assert what_if <= base - 0.3, msg
    # ...and with no nuclear weapons on top, its order matters too: 2016 enforcement
    # 0.32 against the replay's 0.21, reported imports 2016-2017 14% lower (the
    # ranking Beijing with no_nukes first: 0.53 and -16%).
    first = [df.reset_index() for df in scenario_runs(
        WHATIF_DIR / "beijing_weighs_its_priorities.yaml", ["beijing.priorities=no_nukes"],
        SEEDS)]
    for column, start, end, check in (
            ("beijing_enforcement", "2016-01", "2016-12", lambda b, w: w >= b + 0.1),
            ("cn_imports_reported", "2016-01", "2017-12", lambda b, w: w <= 0.9 * b)):
        b, w = (window_stat(runs("replay"), column, start, end),
                window_stat(first, column, start, end))
        assert check(b, w), f"{column} {start}..{end}: replay {b:.4g}, weighed, no_nukes first {w:.4g}"


@pytest.mark.slow
def test_full_enforcement_from_2013_means_fewer_imports():
    base, what_if, msg = effect("full_enforcement_from_2013", "cn_imports_reported",
                                "2013-01", "2015-12")
    assert what_if <= 0.9 * base, msg
    for df in runs("full_enforcement_from_2013"):
        assert (df[df["date"] >= "2013-01"]["beijing_enforcement"] == 1.0).all()


def test_what_ifs_are_found_by_name_and_listed(cli):
    result = cli("list")
    assert result.code == 0
    for name in WHATIFS:
        assert f"scenarios/whatif/{name}.yaml" in result.out
    from buffer_sim.scenario.catalog import resolve_scenario

    assert resolve_scenario("no_thaad_2016") == (WHATIF_DIR / "no_thaad_2016.yaml").resolve()
