"""Invariants of every run: for any admissible parameters, starting world and seed,
every month keeps every variable inside its documented range.

"Admissible" is what the scenario loader accepts: each coefficient within its range in
``params.PARAMETER_RANGES`` and each starting value within ``world.STATE_VARIABLES``.
Hypothesis draws a handful of coefficients (and of starting values) at a time, anywhere
in those ranges including their ends, runs a short scenario (24 months, with a nuclear
test, a UN resolution and a summit, Pyongyang free to test from the second year) and
checks every month of the output:

* every state variable is finite and within ``STATE_VARIABLES`` (unbounded above where
  the table says so);
* trade flows are never negative;
* the leverage measures stay within ``LEVERAGE_MEASURES`` and China's share within 0..1;
* every instrument stays within ``INSTRUMENTS``.

A failure names the drawn input, the month and the variable.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buffer_sim.model import TRADE_COLUMNS, run_model, timeseries_rows
from buffer_sim.core.params import PARAMETER_RANGES
from buffer_sim.scenario.schema import load_scenario
from buffer_sim.core.world import INSTRUMENTS, LEVERAGE_MEASURES, STATE_VARIABLES

TWO_YEARS = """\
name: two_years
description: Two years with a test, a resolution and a summit, for the invariants.
period: {start: 2016-01, end: 2017-12}
seed: 1
pins:
  - {actor: pyongyang, instrument: provocation, value: 0, from: 2016-01, to: 2016-12,
     reason: the first year's tests are scripted}
events:
  - {date: 2016-01, kind: forced_action, actor: pyongyang, set: {provocation: 2},
     label: nuclear test, source: test scenario}
  - {date: 2016-03, kind: resolution, sanctions_scope: 0.6, label: resolution,
     source: test scenario}
  - {date: 2016-09, kind: forced_action, actor: pyongyang, set: {provocation: 1},
     label: missile test, source: test scenario}
  - {date: 2017-06, kind: diplomatic_shock, effects: {tension: -0.3, warmth_us_dprk: 0.5},
     label: summit, source: test scenario}
"""

PROPERTIES = settings(max_examples=80, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: starting values for the unbounded (US$ million/month) variables: up to 10x today's
UNBOUNDED_MAX = 3000.0


@pytest.fixture(scope="module")
def two_years(tmp_path_factory):
    path = tmp_path_factory.mktemp("properties") / "two_years.yaml"
    path.write_text(TWO_YEARS, encoding="utf-8")
    return load_scenario(path)


def in_range(lo, hi):
    """Any float in [lo, hi], with the ends themselves drawn often."""
    return st.one_of(st.sampled_from([float(lo), float(hi)]),
                     st.floats(min_value=lo, max_value=hi, allow_nan=False))


@st.composite
def parameters(draw, max_size=6):
    names = draw(st.lists(st.sampled_from(sorted(PARAMETER_RANGES)), min_size=1,
                          max_size=max_size, unique=True))
    return {n: draw(in_range(*PARAMETER_RANGES[n])) for n in names}


@st.composite
def starting_worlds(draw, max_size=6):
    names = draw(st.lists(st.sampled_from(sorted(STATE_VARIABLES)), max_size=max_size,
                          unique=True))
    out = {}
    for n in names:
        _, lo, hi, _ = STATE_VARIABLES[n]
        out[n] = draw(in_range(lo, UNBOUNDED_MAX if hi is None else hi))
    return out


seeds = st.integers(min_value=0, max_value=2**32 - 1)


def violations(rows) -> list[str]:
    """Every broken invariant as 'YYYY-MM variable=value (why)'."""
    bad = []
    ranges = {name: (lo, hi) for name, (_, lo, hi, _) in STATE_VARIABLES.items()}
    ranges.update({name: (lo, hi) for name, (_, lo, hi, _) in LEVERAGE_MEASURES.items()})
    ranges.update({f"{actor}_{name}": (lo, hi) for actor, ins in INSTRUMENTS.items()
                   for name, (lo, hi, _) in ins.items()})
    ranges["china_share"] = (0.0, 1.0)
    for row in rows:
        for name, value in row.items():
            if name == "date":
                continue
            value = float(value)
            if not math.isfinite(value):
                bad.append(f"{row['date']} {name}={value} (not finite)")
                continue
            lo, hi = ranges.get(name, (None, None))
            if name in TRADE_COLUMNS and value < 0:
                bad.append(f"{row['date']} {name}={value!r} (negative trade)")
            elif lo is not None and value < lo:
                bad.append(f"{row['date']} {name}={value!r} (below {lo})")
            elif hi is not None and value > hi:
                bad.append(f"{row['date']} {name}={value!r} (above {hi})")
    return bad


def run_rows(scenario, params, world, seed):
    sc = scenario.model_copy(update={"parameters": scenario.parameters.replace(**params),
                                     "initial_state": {**scenario.initial_state, **world}})
    rows = timeseries_rows(run_model(sc, seed=seed))
    assert len(rows) == scenario.months
    return rows


def test_the_default_parameters_keep_every_variable_in_range(two_years):
    assert violations(run_rows(two_years, {}, {}, 1)) == []


@PROPERTIES
@given(params=parameters(), seed=seeds)
@pytest.mark.slow
def test_any_admissible_parameters_keep_every_variable_in_range(two_years, params, seed):
    bad = violations(run_rows(two_years, params, {}, seed))
    assert not bad, f"parameters={params} seed={seed}: {bad[:5]}"


@PROPERTIES
@given(params=parameters(max_size=3), world=starting_worlds(), seed=seeds)
@pytest.mark.slow
def test_any_admissible_starting_world_keeps_every_variable_in_range(two_years, params,
                                                                      world, seed):
    bad = violations(run_rows(two_years, params, world, seed))
    assert not bad, f"parameters={params} initial_state={world} seed={seed}: {bad[:5]}"
