"""Ensembles: seeds addressable by index, uncertain parameters, streamed outputs.

Specification:
* run i's world seed is derived from ``SeedSequence(root, spawn_key=(1, i))`` and
  replays alone with ``buffer-sim run --seed``; extending an ensemble never changes
  earlier runs; scenarios with the same root seed share world noise and draws;
* uncertain parameters (``uncertain:`` block) are validated, drawn from their own
  spawn keys by their declared distribution, and applied exactly as ``--set`` would;
* ``buffer-sim ensemble`` writes runs.parquet (one row group per chunk),
  ensemble.csv (exact per-month quantiles), draws.csv, three band charts and a
  manifest, byte-identically for the same seed.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from buffer_sim.experiments import ensemble, runner

from buffer_sim.scenario import uncertain
from buffer_sim.experiments.engines import EngineChoice
from buffer_sim.model import output_columns
from buffer_sim.scenario.schema import load_scenario

#: Two years, tension high; two uncertain parameters: one that moves tension, one
#: that nothing in the dynamics reads ("for diagnostics" in params.py).
ENSEMBLE_SCENARIO = """\
name: ens24
description: Two years of the pressure period for fast ensemble tests.
period: {start: 2016-01, end: 2017-12}
seed: 2016
initial_state: {tension: 0.65, nuclear: 0.7, sanctions_scope: 0.1}
uncertain:
  parameters.tension_relax_per_month: {dist: uniform, low: 0.04, high: 0.3}
  parameters.breaking_point_cn_dprk: {dist: normal, mean: -0.5, sd: 0.2, low: -0.9, high: -0.1}
"""
MONTHS = 24
PATHS = ("parameters.tension_relax_per_month", "parameters.breaking_point_cn_dprk")
SERIAL = EngineChoice(engine="serial")


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "ens24.yaml"
    path.write_text(ENSEMBLE_SCENARIO, encoding="utf-8")
    return path


def write_scenario(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def parquet(folder) -> pd.DataFrame:
    return pd.read_parquet(folder / "runs.parquet")


# --- seeds ------------------------------------------------------------------------------------

def test_run_i_takes_its_world_seed_from_seed_sequence_root_1_i():
    for root, i in ((0, 0), (2016, 7), (2**63 - 1, 10**6)):
        state = np.random.SeedSequence(root, spawn_key=(1, i))
        expected = int(state.generate_state(1, np.uint64)[0]) >> 1
        assert uncertain.world_seed(root, i) == expected
        assert 0 <= expected <= runner.MAX_SEED  # a valid --seed for 'buffer-sim run'


def test_a_run_of_an_ensemble_replays_alone_with_run_seed_and_set(scenario_file, tmp_path):
    sc = runner.load(scenario_file)
    result = ensemble.write_ensemble(sc, 3, tmp_path, choice=SERIAL, charts=False)
    runs = parquet(result.folder)
    draws = pd.read_csv(result.folder / "draws.csv")
    alone = runner.run(scenario_file, seed=int(draws.seed[2]),
                       overrides=[f"{p}={float(draws[p][2])!r}" for p in PATHS])
    mine = runs[runs.run == 2].reset_index(drop=True)
    assert list(mine.date) == list(alone.timeseries.date)
    for column in output_columns():
        np.testing.assert_array_equal(mine[column].to_numpy(), alone.timeseries[column].to_numpy())


def test_extending_an_ensemble_never_changes_earlier_runs(scenario_file, tmp_path):
    sc = runner.load(scenario_file)
    whole = parquet(ensemble.write_ensemble(sc, 4, tmp_path / "a", choice=SERIAL,
                                            charts=False).folder)
    later = parquet(ensemble.write_ensemble(sc, 2, tmp_path / "b", start=2, choice=SERIAL,
                                            charts=False).folder)
    same = whole[whole.seed_index >= 2].drop(columns="run").reset_index(drop=True)
    pd.testing.assert_frame_equal(same, later.drop(columns="run"))
    assert list(later.seed_index.unique()) == [2, 3]


def test_scenarios_with_the_same_root_seed_share_world_seeds_and_draws(scenario_file):
    a = runner.load(scenario_file)
    b = runner.load(scenario_file, overrides=["parameters.trade_noise_sd=0.2"])
    ia, sa, pa, va = ensemble.jobs(a, 5)
    ib, sb, pb, vb = ensemble.jobs(b, 5)
    assert pa == pb == PATHS
    np.testing.assert_array_equal(sa, sb)
    np.testing.assert_array_equal(va, vb)
    c = runner.load(scenario_file, seed=1)
    assert not np.array_equal(ensemble.jobs(c, 5)[1], sa)


def test_parameter_draws_are_independent_of_world_seeds_and_of_each_other(scenario_file,
                                                                          tmp_path):
    both = runner.load(scenario_file)
    text = ENSEMBLE_SCENARIO.replace(
        "  parameters.breaking_point_cn_dprk: {dist: normal, mean: -0.5, sd: 0.2, "
        "low: -0.9, high: -0.1}\n", "")
    one = runner.load(write_scenario(tmp_path, text))
    _, seeds_both, _, draws_both = ensemble.jobs(both, 20)
    _, seeds_one, paths_one, draws_one = ensemble.jobs(one, 20)
    assert paths_one == PATHS[:1]
    np.testing.assert_array_equal(seeds_both, seeds_one)  # world noise unchanged
    np.testing.assert_array_equal(draws_both[:, 0], draws_one[:, 0])  # other draw unchanged
    # the stream of a parameter is not the world stream
    u = uncertain.uniform_draws(2016, range(20), PATHS[0])
    assert not np.allclose(u, (seeds_both / 2.0**63))


def test_draws_follow_their_declared_distributions():
    n = range(5_000)
    u = uncertain.uniform_draws(7, n, "parameters.inertia")
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.02
    uniform = uncertain.ppf({"dist": "uniform", "low": 2, "high": 10}, u)
    assert uniform.min() >= 2 and uniform.max() <= 10 and abs(uniform.mean() - 6) < 0.15
    tri = uncertain.ppf({"dist": "triangular", "low": 0, "mode": 3, "high": 4}, u)
    assert tri.min() >= 0 and tri.max() <= 4 and abs(tri.mean() - 7 / 3) < 0.05
    hist, edges = np.histogram(tri, bins=8, range=(0, 4))
    assert edges[np.argmax(hist)] == 2.5  # the mode's bin
    spec = {"dist": "normal", "mean": 0.5, "sd": 0.2, "low": 0.45, "high": 0.9}
    normal = uncertain.ppf(spec, u)
    assert normal.min() >= 0.45 and normal.max() <= 0.9  # truncated, not clipped:
    assert (normal == 0.45).sum() < 3  # no pile-up at the bound
    a, b = (0.45 - 0.5) / 0.2, (0.9 - 0.5) / 0.2
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    expected = 0.5 + 0.2 * (pdf(a) - pdf(b)) / (cdf(b) - cdf(a))  # truncated normal's mean
    assert abs(normal.mean() - expected) < 0.01
    far = uncertain.ppf({"dist": "normal", "mean": 0, "sd": 1, "low": 8, "high": 9}, u[:100])
    assert np.isfinite(far).all() and far.min() >= 8 and far.max() <= 9


def test_drawn_values_apply_exactly_as_set_overrides(scenario_file):
    from buffer_sim.experiments.jobs import run_one
    from buffer_sim.experiments.runner import timeseries_frame

    sc = runner.load(scenario_file)
    values = {"beijing.thresholds.no_nukes": 0.02, "parameters.tension_relax_per_month": 0.2}
    applied = uncertain.apply_values(sc, values)
    by_set = runner.load(scenario_file, overrides=[f"{k}={v}" for k, v in values.items()])
    assert applied.parameters == by_set.parameters
    assert applied.actors == by_set.actors
    assert applied.content_hash == by_set.content_hash
    a = timeseries_frame(run_one(sc, 11, tuple(values), tuple(values.values())))
    b = runner.run(by_set, seed=11).timeseries
    pd.testing.assert_frame_equal(a, b)


# --- the uncertain: block ---------------------------------------------------------------------

BASE = "name: u\nperiod: {start: 2016-01, end: 2016-06}\nuncertain:\n"


@pytest.mark.parametrize("entry, field, words", [
    ("parameters.inertai: {dist: uniform, low: 1, high: 2}", "uncertain.parameters.inertai",
     "unknown parameter 'inertai' (did you mean 'inertia'"),
    ("parameters.inertia: {dist: uniform, low: 1, high: 200}", "uncertain.parameters.inertia.high",
     "200 is outside the range of parameters.inertia, [0, 100]"),
    ("parameters.inertia: {dist: uniform, low: 5, high: 5}", "uncertain.parameters.inertia.high",
     "must be above low (5)"),
    ("parameters.inertia: {dist: normal, mean: 5, low: 1, high: 9}",
     "uncertain.parameters.inertia.sd", "missing (required for a normal distribution)"),
    ("parameters.inertia: {dist: normal, mean: 5, sd: 0, low: 1, high: 9}",
     "uncertain.parameters.inertia.sd", "must be above 0"),
    ("parameters.inertia: {dist: normal, mean: 12, sd: 1, low: 1, high: 9}",
     "uncertain.parameters.inertia.mean", "outside [low, high]"),
    ("parameters.inertia: {dist: uniform, low: 1, high: 9, mode: 3}",
     "uncertain.parameters.inertia.mode", "not a field of a uniform distribution"),
    ("parameters.inertia: {dist: triangular, low: 1, mode: 10, high: 9}",
     "uncertain.parameters.inertia.mode", "outside [low, high]"),
    ("parameters.inertia: {dist: lognormal, low: 1, high: 9}",
     "uncertain.parameters.inertia.dist", "unknown value 'lognormal'"),
    ("parameters.inertia: {dist: uniform, lo: 1, high: 9}", "uncertain.parameters.inertia.lo",
     "unknown field 'lo' (did you mean 'low'?)"),
    ("beijing.thresholds.no_wat: {dist: uniform, low: 0.5, high: 0.9}",
     "uncertain.beijing.thresholds.no_wat", "unknown priority 'no_wat' (did you mean 'no_war'?)"),
    ("bejing.thresholds.no_war: {dist: uniform, low: 0.5, high: 0.9}",
     "uncertain.bejing.thresholds.no_war", "unknown actor 'bejing' (did you mean 'beijing'?)"),
    ("beijing.thresholds.no_war: {dist: uniform, low: 0.5, high: 9}",
     "uncertain.beijing.thresholds.no_war.high", "outside the range"),
    ("initial_state.tension: {dist: uniform, low: 0.1, high: 0.9}",
     "uncertain.initial_state.tension", "cannot be uncertain"),
])
def test_the_uncertain_block_is_validated(tmp_path, entry, field, words):
    from buffer_sim.core.errors import ScenarioError

    path = write_scenario(tmp_path, BASE + f"  {entry}\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.field == field
    assert words in err.value.problem
    assert "\n" not in str(err.value)


def test_the_uncertain_block_resolves_into_the_scenario(scenario_file, tmp_path):
    sc = load_scenario(scenario_file)
    assert list(sc.uncertain) == list(PATHS)
    assert sc.uncertain[PATHS[1]] == {"dist": "normal", "mean": -0.5, "sd": 0.2, "low": -0.9,
                                      "high": -0.1}
    long_form = write_scenario(tmp_path, BASE + "  actors.beijing.thresholds.no_war: "
                                                "{dist: triangular, low: 0.5, mode: 0.6, high: 0.9}\n")
    assert list(load_scenario(long_form).uncertain) == ["beijing.thresholds.no_war"]
    assert load_scenario(write_scenario(tmp_path, BASE.replace("uncertain:\n", ""))).uncertain == {}


# --- the command and its files ----------------------------------------------------------------

@pytest.fixture(scope="module")
def ensemble_run(tmp_path_factory):
    from conftest import run_main

    folder = tmp_path_factory.mktemp("ens")
    scenario = folder / "ens24.yaml"
    scenario.write_text(ENSEMBLE_SCENARIO, encoding="utf-8")
    args = ("ensemble", scenario, "--runs", 8, "--engine", "serial", "--chunk-size", 3,
            "--quiet")
    first = run_main(*args, "--out", folder / "one")
    with pytest.MonkeyPatch.context() as patch:  # charts: see test_band_charts_are_...
        patch.setattr(ensemble, "write_band_charts", lambda *a, **k: [])
        second = run_main(*args, "--out", folder / "two")
    return first, second, folder


@pytest.mark.slow
def test_ensemble_writes_runs_quantiles_draws_charts_and_manifest(ensemble_run):
    first, _, folder = ensemble_run
    assert first.code == 0, first.err
    out = folder / "one" / "ens24-ensemble"
    assert first.out.strip() == str(out)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["runs.parquet", "ensemble.csv", "draws.csv", "leverage.png", "trade.png",
         "overview.png", "manifest.json"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"] == 8 and manifest["root_seed"] == 2016
    assert manifest["engine"]["chunks"] == 3  # 8 runs in chunks of 3


@pytest.mark.slow
def test_runs_parquet_holds_every_run_and_month_in_fixed_row_groups(ensemble_run):
    import pyarrow.parquet as pq

    out = ensemble_run[2] / "one" / "ens24-ensemble"
    file = pq.ParquetFile(out / "runs.parquet")
    assert file.schema_arrow.names == ["run", "seed_index", "seed", "date", *output_columns(),
                                       *PATHS]
    assert file.metadata.num_rows == 8 * MONTHS
    # 8 runs in chunks of 3, one row group of up to ROW_GROUP_RUNS runs
    assert [file.metadata.row_group(i).num_rows for i in range(file.num_row_groups)] == \
        [8 * MONTHS]
    runs = parquet(out)
    assert list(runs.run.unique()) == list(range(8))
    seeds = [uncertain.world_seed(2016, i) for i in range(8)]
    assert list(runs.groupby("run").seed.first()) == seeds
    assert runs.groupby("run")[list(PATHS)].nunique().eq(1).all().all()  # one draw per run


@pytest.mark.slow
def test_runs_parquet_bytes_do_not_depend_on_the_chunk_size(tmp_path, monkeypatch):
    """The engine picks its chunk size from measured run times, so the file's row groups
    are cut at a fixed number of runs instead: the same runs give the same bytes."""
    import pyarrow.parquet as pq

    scenario = runner.load(write_scenario(tmp_path, ENSEMBLE_SCENARIO, "ens24.yaml"))
    monkeypatch.setattr(ensemble, "ROW_GROUP_RUNS", 3)
    files = []
    for chunk in (2, 3, 5):
        result = ensemble.write_ensemble(scenario, 8, tmp_path / f"chunks{chunk}",
                                         choice=EngineChoice(engine="serial", chunk_size=chunk),
                                         charts=False)
        assert result.chunks == math.ceil(8 / chunk)
        files.append(result.folder / "runs.parquet")
    file = pq.ParquetFile(files[0])
    assert [file.metadata.row_group(i).num_rows for i in range(file.num_row_groups)] == \
        [3 * MONTHS, 3 * MONTHS, 2 * MONTHS]
    assert files[0].read_bytes() == files[1].read_bytes() == files[2].read_bytes()


def test_ensemble_csv_holds_exact_per_month_quantiles_of_every_column(ensemble_run):
    out = ensemble_run[2] / "one" / "ens24-ensemble"
    table = pd.read_csv(out / "ensemble.csv")
    assert list(table.columns) == ["date", "variable", "mean", "q05", "q25", "q50", "q75", "q95"]
    assert list(table.variable.unique()) == output_columns()
    runs = parquet(out)
    for name in ("tension", "cn_imports_reported", "beijing_enforcement"):
        wide = runs.pivot(index="run", columns="date", values=name)
        rows = table[table.variable == name].set_index("date")
        for q in (5, 25, 50, 75, 95):
            expected = np.quantile(wide.to_numpy(), q / 100, axis=0)
            np.testing.assert_allclose(rows[f"q{q:02d}"].to_numpy(), expected, rtol=1e-5,
                                       atol=1e-9)


def test_quantiles_read_the_parquet_file_one_column_at_a_time(ensemble_run, monkeypatch):
    import pyarrow.parquet as pq

    out = ensemble_run[2] / "one" / "ens24-ensemble"
    reads = []
    original = pq.ParquetFile.read

    def spy(self, columns=None, **kwargs):
        reads.append(columns)
        return original(self, columns=columns, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read", spy)
    dates = [f"{y}-{m:02d}" for y in (2016, 2017) for m in range(1, 13)]
    ensemble.quantile_table(out / "runs.parquet", output_columns(), 8, dates)
    assert reads and all(columns is not None and len(columns) == 1 for columns in reads)


def test_the_same_seed_gives_byte_identical_tables(ensemble_run):
    first, second, folder = ensemble_run
    assert second.code == 0, second.err
    for name in ("runs.parquet", "ensemble.csv", "draws.csv"):
        a = (folder / "one" / "ens24-ensemble" / name).read_bytes()
        b = (folder / "two" / "ens24-ensemble" / name).read_bytes()
        assert a == b, name
    pd.testing.assert_frame_equal(parquet(folder / "one" / "ens24-ensemble"),
                                  parquet(folder / "two" / "ens24-ensemble"))


@pytest.mark.slow
def test_band_charts_show_median_and_bands_in_deterministic_bytes(ensemble_run, tmp_path):
    out = ensemble_run[2] / "one" / "ens24-ensemble"
    for name in ensemble.CHART_FILES:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = pd.read_csv(out / "ensemble.csv")
    from buffer_sim.output import charts

    name, title, panels = charts.BAND_CHARTS[0]
    a = charts.band_chart(table, panels, tmp_path / "a.png", title).read_bytes()
    b = charts.band_chart(table, panels, tmp_path / "b.png", title).read_bytes()
    assert a == b and b"Software" not in a


@pytest.mark.parametrize("args, words", [
    (("--runs", "0"), "--runs: expected a whole number >= 1, got 0"),
    (("--start", "-1"), "--start: expected a whole number >= 0, got -1"),
    (("--seed", "x"), "--seed: expected a whole number >= 0"),
    (("--set", "parameters.inertai=2"), "unknown parameter 'inertai'"),
])
def test_bad_input_is_one_line_and_exit_2(cli, scenario_file, tmp_path, args, words):
    result = cli("ensemble", scenario_file, "--out", tmp_path / "out", *args)
    assert result.code == 2
    assert words in result.err
    assert not (tmp_path / "out").exists()


def test_the_shipped_uncertain_scenario_draws_every_assumption_within_its_bounds():
    from conftest import PROJECT_ROOT

    scenario = runner.load(PROJECT_ROOT / "scenarios" / "pressure_2016_2017_uncertain.yaml")
    _, _, paths, values = ensemble.jobs(scenario, 40)
    assert set(paths) == set(scenario.uncertain) and len(paths) == 3
    for j, path in enumerate(paths):
        spec = scenario.uncertain[path]
        column = np.asarray(values)[:, j]
        assert spec["low"] <= column.min() < column.max() <= spec["high"], path


# --- the report's stylized facts over an ensemble ------------------------------------------

@pytest.mark.slow
def test_an_ensemble_over_2012_2019_says_in_which_runs_each_stylized_fact_holds(tmp_path):
    # Over two row groups of runs.parquet (64 runs each), so that every group is read.
    from conftest import PROJECT_ROOT
    from buffer_sim.experiments.facts import REPLAY_FACTS, judge
    from buffer_sim.experiments.jobs import run_one
    from buffer_sim.model import timeseries_rows

    sc = load_scenario(PROJECT_ROOT / "scenarios" / "replay_2009_2019_robust.yaml")
    runs = ensemble.ROW_GROUP_RUNS + 6
    result = ensemble.write_ensemble(sc, runs, tmp_path, choice=SERIAL, charts=False)
    facts = pd.read_csv(result.folder / "facts.csv")
    assert list(facts.columns) == ["run", "seed_index", "seed", *REPLAY_FACTS]
    assert list(facts["run"]) == list(range(runs))
    assert set(np.unique(facts[list(REPLAY_FACTS)].to_numpy())) <= {0, 1}
    # each verdict is the run's own, replayed alone from its seed and drawn setting
    _, seeds, paths, values = ensemble.jobs(sc, runs)
    for run in (0, runs - 1):
        alone = pd.DataFrame(timeseries_rows(run_one(sc, int(seeds[run]), paths, values[run])))
        assert facts.loc[run, "seed"] == seeds[run]
        assert facts.loc[run, list(REPLAY_FACTS)].astype(bool).to_dict() == judge(
            alone.set_index("date"))
    # the summary gives each fact's share of runs, and marks those under the target
    text = ensemble.summary(result)
    for name in REPLAY_FACTS:
        share = facts[name].mean()
        line = next(line for line in text.splitlines() if line.strip().startswith(name))
        assert f"{share:.2%}" in line
        assert line.endswith("< 80%") == (share < ensemble.ROBUST_SHARE)
    assert result.facts == {name: facts[name].mean() for name in REPLAY_FACTS}


def test_a_period_short_of_the_fact_years_writes_no_facts(scenario_file, tmp_path):
    result = ensemble.write_ensemble(load_scenario(scenario_file), 2, tmp_path, choice=SERIAL,
                                     charts=False)
    assert result.facts == {} and not (result.folder / "facts.csv").exists()
    assert "stylized facts" not in ensemble.summary(result)


@pytest.mark.slow
def test_the_facts_chart_draws_each_share_against_the_target(tmp_path):
    from conftest import PROJECT_ROOT
    from buffer_sim.output import charts

    sc = load_scenario(PROJECT_ROOT / "scenarios" / "replay_2009_2019_robust.yaml")
    result = ensemble.write_ensemble(sc, 3, tmp_path, choice=SERIAL)
    assert (result.folder / "facts.png").stat().st_size > 10_000
    assert "facts.png" in ensemble.summary(result)
    # same shares, same bytes; another share, other bytes
    again = charts.facts_chart(result.facts, 3, ensemble.ROBUST_SHARE, tmp_path / "a.png")
    assert again.read_bytes() == charts.facts_chart(result.facts, 3, ensemble.ROBUST_SHARE,
                                                    tmp_path / "b.png").read_bytes()
    other = {**result.facts, next(iter(result.facts)): 0.5}
    assert charts.facts_chart(other, 3, ensemble.ROBUST_SHARE,
                              tmp_path / "c.png").read_bytes() != again.read_bytes()
