"""Same scenario and seed, same bytes; a rerun replaces the earlier folder whole."""

from __future__ import annotations

import pytest

from buffer_sim.experiments import runner
from conftest import OUTPUT_FILES, PROJECT_ROOT, SHORT_NAME


def read_all(folder) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in OUTPUT_FILES}


@pytest.mark.slow
def test_same_seed_gives_byte_identical_files(cli, short_scenario, tmp_path):
    argv = ["run", short_scenario, "--out", tmp_path, "--seed", "11"]
    assert cli(*argv).code == 0
    first = read_all(tmp_path / SHORT_NAME)
    assert cli(*argv).code == 0
    second = read_all(tmp_path / SHORT_NAME)
    for name in ("timeseries.csv", "decisions.csv", "manifest.json"):
        assert first[name] == second[name], name
    assert first == second  # the charts too


def test_another_seed_gives_another_timeseries(cli, short_scenario, tmp_path, fast_charts):
    cli("run", short_scenario, "--out", tmp_path / "a", "--seed", "1")
    cli("run", short_scenario, "--out", tmp_path / "b", "--seed", "2")
    a = (tmp_path / "a" / SHORT_NAME / "timeseries.csv").read_bytes()
    b = (tmp_path / "b" / SHORT_NAME / "timeseries.csv").read_bytes()
    assert a != b


def test_the_scenario_seed_is_the_default(short_scenario):
    implicit = runner.run(short_scenario)
    explicit = runner.run(short_scenario, seed=2016)  # the seed: in the file
    assert implicit.seed == explicit.seed == 2016
    assert runner.csv_text(implicit.timeseries) == runner.csv_text(explicit.timeseries)
    assert implicit.scenario.content_hash == explicit.scenario.content_hash


def test_floats_are_written_with_six_significant_digits(short_scenario):
    text = runner.csv_text(runner.run(short_scenario).timeseries)
    numbers = [cell for line in text.splitlines()[1:] for cell in line.split(",")[1:]]
    assert all(len(n.lstrip("-").replace(".", "").lstrip("0")) <= 6 for n in numbers
               if "e" not in n)


def test_rerun_replaces_the_earlier_folder_whole(cli, short_scenario, tmp_path,
                                                 fast_charts):
    out = tmp_path / "out"
    assert cli("run", short_scenario, "--out", out).code == 0
    folder = out / SHORT_NAME
    (folder / "stray.txt").write_text("left over from something else")
    (folder / "timeseries.csv").write_text("stale")
    assert cli("run", short_scenario, "--out", out).code == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(OUTPUT_FILES)
    assert (folder / "timeseries.csv").read_text().startswith("date,")
    assert [p.name for p in out.iterdir()] == [SHORT_NAME]  # no .tmp-* left


def test_interrupted_rerun_leaves_the_earlier_folder_as_it_was(cli, short_scenario, tmp_path,
                                                               fast_charts, monkeypatch):
    out = tmp_path / "out"
    assert cli("run", short_scenario, "--out", out, "--seed", "1").code == 0
    folder = out / SHORT_NAME
    before = read_all(folder)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("buffer_sim.output.charts.plot_trade", interrupted)
    result = cli("run", short_scenario, "--out", out, "--seed", "2")
    assert result.code == 130
    assert read_all(folder) == before
    assert sorted(p.name for p in folder.iterdir()) == sorted(OUTPUT_FILES)
    assert [p.name for p in out.iterdir()] == [SHORT_NAME]


def test_failed_write_leaves_the_earlier_folder_as_it_was(short_scenario, tmp_path,
                                                          fast_charts, monkeypatch):
    out = tmp_path / "out"
    first = runner.run(short_scenario, seed=1)
    folder = runner.write_outputs(first, out, ["test"])
    before = read_all(folder)

    def broken(*args, **kwargs):
        raise RuntimeError("chart failed")

    monkeypatch.setattr("buffer_sim.output.charts.plot_overview", broken)
    with pytest.raises(RuntimeError):
        runner.write_outputs(runner.run(short_scenario, seed=2), out, ["test"])
    assert read_all(folder) == before
    assert [p.name for p in out.iterdir()] == [SHORT_NAME]


# --- the library layer a notebook uses ------------------------------------------------------

def test_run_returns_tables_and_events(short_scenario):
    seen = []
    result = runner.run(short_scenario, seed=3, progress=lambda done, total: seen.append(
        (done, total)))
    assert seen == [(m, 36) for m in range(1, 37)]
    assert list(result.timeseries.columns[:1]) == ["date"]
    assert len(result.timeseries) == result.months == 36
    assert list(result.decisions.columns) == ["month", "actor", "choice", "deciding_priority",
                                              "reason"]
    assert ("2017-09", "6th nuclear test", "forced_action") in result.events


def test_run_accepts_a_loaded_scenario(short_scenario):
    from buffer_sim.scenario.schema import load_scenario

    by_path = runner.run(short_scenario, seed=4)
    by_object = runner.run(load_scenario(short_scenario), seed=4)
    assert runner.csv_text(by_path.timeseries) == runner.csv_text(by_object.timeseries)
    with pytest.raises(ValueError):
        runner.run(load_scenario(short_scenario), overrides=["seed=1"])


def test_a_failed_swap_puts_the_earlier_folder_back(tmp_path, monkeypatch):
    """The last step, moving the new folder into place, fails: the old one returns."""
    import os

    from buffer_sim.output import files as output

    final = tmp_path / "run"
    final.mkdir()
    (final / "old.txt").write_text("earlier")
    real_replace, calls = os.replace, []

    def replace(src, dst):
        calls.append(1)
        if len(calls) == 2:  # 1: old folder aside, 2: new folder into place
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(output.os, "replace", replace)
    with pytest.raises(OSError):
        with output.staged_dir(final) as tmp:
            (tmp / "new.txt").write_text("new")
    assert [p.name for p in final.iterdir()] == ["old.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


SHIPPED = sorted(p for p in (PROJECT_ROOT / "scenarios").glob("*.yaml")
                 if p.name != "calibrated_parameters.yaml")


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
@pytest.mark.slow
def test_compiled_and_numpy_equations_give_the_same_bytes(path):
    """A single run projects with numpy, ensembles with the compiled equations: both
    must be the same model, to the last bit of every output."""
    numpy_run = runner.run(path, seed=7, compiled=False)
    compiled_run = runner.run(path, seed=7, compiled=True)
    assert runner.csv_text(numpy_run.timeseries) == runner.csv_text(compiled_run.timeseries)
    assert runner.csv_text(numpy_run.decisions) == runner.csv_text(compiled_run.decisions)


def test_without_numba_the_model_runs_on_numpy_and_says_so_once(monkeypatch):
    import sys

    from buffer_sim.core import jit

    monkeypatch.setattr(jit, "_unavailable", None)
    monkeypatch.setitem(sys.modules, "numba", None)  # 'import numba' now fails
    path = PROJECT_ROOT / "scenarios" / "pressure_2016_2017.yaml"
    with pytest.warns(RuntimeWarning, match="Numba is unavailable"):
        fallback = runner.run(path, seed=3, compiled=True)
    monkeypatch.setattr(jit, "_unavailable", "")
    numpy_run = runner.run(path, seed=3, compiled=False)
    assert runner.csv_text(fallback.timeseries) == runner.csv_text(numpy_run.timeseries)
    assert runner.csv_text(fallback.decisions) == runner.csv_text(numpy_run.decisions)


def test_a_run_does_not_depend_on_what_earlier_models_of_the_process_cached(short_scenario):
    """Candidate sets are shared by every model of a process (``CANDIDATE_SETS``): a
    run that finds them made gives the same bytes as one that makes them, and the
    second finds every set it needs."""
    from buffer_sim.agents.base import CANDIDATE_SETS

    CANDIDATE_SETS.clear()
    first = runner.run(short_scenario)
    made = dict(CANDIDATE_SETS)
    assert made, "a run makes candidate sets"
    second = runner.run(short_scenario)
    assert CANDIDATE_SETS.keys() == made.keys()  # nothing new made, nothing replaced
    assert all(CANDIDATE_SETS[key] is made[key] for key in made)
    for table in ("timeseries", "decisions"):
        assert (runner.csv_text(getattr(first, table))
                == runner.csv_text(getattr(second, table))), table
