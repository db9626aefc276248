"""Engines: the same jobs give identical results serially, on the local process pool
and on Dask; chunks carry at least ~100 ms of work; results stream back in order with
a bounded number of chunks in flight."""

from __future__ import annotations

import os
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import numpy as np
import pandas as pd
import pytest

from buffer_sim.experiments import engines, ensemble, runner

from buffer_sim.experiments import jobs
from test_ensemble import ENSEMBLE_SCENARIO

RUNS = 8


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    path = tmp_path_factory.mktemp("eng") / "ens24.yaml"
    path.write_text(ENSEMBLE_SCENARIO, encoding="utf-8")
    return runner.load(path)


def run_all(scenario, engine, size=3, outcome=None) -> np.ndarray:
    indices, seeds, paths, values = ensemble.jobs(scenario, RUNS)
    chunks = jobs.make_chunks([scenario], np.zeros(RUNS), indices, seeds, paths, values,
                                 size, outcome)
    results = list(engine.map(jobs.run_chunk, chunks))
    assert [r.number for r in results] == list(range(len(results)))  # in chunk order
    return np.concatenate([r.data for r in results])


@pytest.fixture(scope="module")
def serial_result(scenario):
    return run_all(scenario, engines.SerialEngine())


@pytest.mark.slow
def test_the_local_pool_gives_exactly_the_serial_results(scenario, serial_result):
    with engines.PoolEngine(2) as pool:
        np.testing.assert_array_equal(run_all(scenario, pool), serial_result)
        outcome = run_all(scenario, pool, size=5, outcome="mean_tension")
    np.testing.assert_array_equal(outcome, serial_result[:, :, 0].mean(axis=1))


def test_the_pool_starts_workers_from_a_fork_server_not_by_forking_this_process():
    if sys.platform == "win32":
        pytest.skip("no fork server on Windows: spawn")
    assert engines.pool_context().get_start_method() == "forkserver"


def test_results_do_not_depend_on_the_chunk_size(scenario, serial_result):
    np.testing.assert_array_equal(run_all(scenario, engines.SerialEngine(), size=1),
                                  serial_result)


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    import logging

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
    yield cluster
    cluster.close()


@pytest.mark.slow
def test_dask_gives_exactly_the_serial_results(scenario, serial_result, dask_cluster):
    engine = engines.DaskEngine(dask_cluster.scheduler_address)
    try:
        assert engine.workers == 2
        np.testing.assert_array_equal(run_all(scenario, engine), serial_result)
    finally:
        engine.close()


@pytest.mark.slow
def test_an_ensemble_sent_to_a_dask_scheduler_matches_the_serial_one(
        cli, tmp_path, monkeypatch, scenario, serial_result, dask_cluster):
    from buffer_sim.model import output_columns

    monkeypatch.setattr(ensemble, "write_band_charts", lambda *a, **k: [])  # tested elsewhere
    path = tmp_path / "ens24.yaml"
    path.write_text(ENSEMBLE_SCENARIO, encoding="utf-8")
    result = cli("ensemble", path, "--runs", RUNS, "--quiet", "--chunk-size", 2,
                 "--scheduler", dask_cluster.scheduler_address, "--out", tmp_path)
    assert result.code == 0, result.err
    runs = pd.read_parquet(tmp_path / "ens24-ensemble" / "runs.parquet")
    on_dask = runs[output_columns()].to_numpy().reshape(serial_result.shape)
    np.testing.assert_array_equal(on_dask, serial_result)


def test_without_dask_cluster_runs_fail_in_one_line(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails
    path = tmp_path / "ens24.yaml"
    path.write_text(ENSEMBLE_SCENARIO, encoding="utf-8")
    result = cli("ensemble", path, "--runs", 2, "--engine", "dask", "--out", tmp_path / "o")
    assert result.code == 1  # a missing package, not bad input
    assert result.err == ("buffer-sim: error: cluster runs need Dask: pip install "
                          "'buffer-sim[cluster]'\n")


def test_chunks_carry_at_least_100_ms_of_work_and_share_the_runs_out():
    assert engines.chunk_size(0.03, 1000, 2) * 0.03 >= 0.1
    assert engines.chunk_size(0.5, 1000, 2) == 1  # one slow run is enough
    assert engines.chunk_size(0.001, 10, 2) == 5  # but every worker gets work
    assert engines.chunk_size(0.03, 1, 8) == 1
    # whole time series: at least 512 rows per chunk (one Parquet row group each) ...
    assert engines.chunk_size(0.02, 10_000, 2, months=12) * 12 >= 512
    # ... unless that would leave a worker fewer than 4 chunks
    assert engines.chunk_size(0.02, 160, 2, months=12) == 20


def test_tiny_jobs_run_in_this_process_and_one_worker_means_no_pool():
    choice = engines.EngineChoice()
    assert isinstance(choice.open(0.2), engines.SerialEngine)
    assert "ran in this process" in choice.notes[0]
    assert isinstance(engines.EngineChoice(workers=1).open(100.0), engines.SerialEngine)
    assert isinstance(engines.EngineChoice(engine="serial").open(100.0), engines.SerialEngine)


def test_ordered_yields_in_submission_order_with_a_bounded_window():
    in_flight, peak, lock = [0], [0], threading.Lock()

    def work(delay):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(delay)
        with lock:
            in_flight[0] -= 1
        return delay

    delays = [0.05, 0.01, 0.03, 0.0, 0.02, 0.01, 0.0, 0.04]
    arrived = []
    with ThreadPoolExecutor(4) as pool:
        out = list(engines.ordered(delays, lambda d: pool.submit(work, d),
                                   lambda fs: wait(fs, return_when=FIRST_COMPLETED).done,
                                   window=3, on_done=arrived.append))
    assert out == delays  # submission order, whatever the finishing order
    assert sorted(arrived) == sorted(delays)
    assert peak[0] <= 3


def test_stopping_early_cancels_the_chunks_still_pending():
    cancelled = []
    with ThreadPoolExecutor(1) as pool:
        gen = engines.ordered(range(10), lambda i: pool.submit(time.sleep, 0.01),
                              lambda fs: wait(fs, return_when=FIRST_COMPLETED).done,
                              window=4, cancel=cancelled.extend)
        next(gen)
        gen.close()
    assert 1 <= len(cancelled) <= 4


def _square(x):
    return x * x


def _dies_in_a_worker(parent_pid):
    if os.getpid() != parent_pid:
        os._exit(1)  # as a worker killed for memory would
    return "drawn here"


@pytest.mark.slow
def test_calls_in_parallel_return_in_order_and_survive_a_dead_worker():
    assert engines.call_in_parallel([(_square, (n,), {}) for n in range(5)], workers=2) \
        == [0, 1, 4, 9, 16]
    calls = [(_dies_in_a_worker, (os.getpid(),), {})] * 2
    assert engines.call_in_parallel(calls, workers=2) == ["drawn here"] * 2


def test_calls_that_cannot_reach_a_worker_run_here():
    seen = []

    def local(x):  # a local function cannot be pickled
        seen.append(x)
        return -x

    assert engines.call_in_parallel([(local, (1,), {}), (local, (2,), {})], workers=2) == [-1, -2]
    assert seen == [1, 2]


def _write_mark(path, wait=0.0):
    time.sleep(wait)
    path.write_text("done", encoding="utf-8")
    return path


@pytest.mark.slow
def test_started_calls_run_while_this_process_goes_on_and_return_in_order(tmp_path):
    marks = [tmp_path / f"{n}.txt" for n in range(3)]
    with engines.calls_started([(_write_mark, (m,), {}) for m in marks], workers=2) as results:
        deadline = time.monotonic() + 60
        while not all(m.exists() for m in marks) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert all(m.exists() for m in marks)  # done before their results were asked for
        assert results() == marks


@pytest.mark.slow
def test_an_error_beside_started_calls_waits_for_the_running_ones_and_propagates(tmp_path):
    marks = [tmp_path / f"{n}.txt" for n in range(2)]
    with pytest.raises(RuntimeError, match="beside the calls"):
        with engines.calls_started([(_write_mark, (m, 0.5), {}) for m in marks], workers=2):
            time.sleep(0.2)  # both calls are running
            raise RuntimeError("failed beside the calls")
    # nothing still runs: a folder the calls write into may now be removed safely
    written = {m for m in marks if m.exists()}
    time.sleep(0.7)
    assert {m for m in marks if m.exists()} == written


def test_ensemble_commands_start_the_pool_with_the_band_charts_imported(monkeypatch):
    from buffer_sim.cli import build_parser, options

    started = []
    monkeypatch.setattr(options, "warm_up_pool", started.append)
    for argv in (["ensemble", "x.yaml", "--workers", "2"],
                 ["run", "x.yaml", "--runs", "5", "--workers", "2"],
                 ["sweep", "x.yaml", "--param", "parameters.inertia=1:2:2", "--outcome",
                  "mean_tension", "--workers", "2"],
                 ["ensemble", "x.yaml", "--workers", "1"]):
        options.start_pool_early(build_parser(argv[0]).parse_args(argv))
    assert started == [engines.ENSEMBLE_MODULES, engines.ENSEMBLE_MODULES,
                       engines.MODEL_MODULES]  # one worker: no pool
    assert "buffer_sim.output.charts.ensemble" in engines.ENSEMBLE_MODULES
    assert set(engines.MODEL_MODULES) <= set(engines.ENSEMBLE_MODULES)


@pytest.mark.slow
def test_an_ensemble_on_two_workers_writes_the_bytes_of_one_worker(tmp_path):
    from conftest import run_main

    path = tmp_path / "ens24.yaml"
    path.write_text(ENSEMBLE_SCENARIO, encoding="utf-8")
    for workers in (1, 2):
        done = run_main("ensemble", path, "--runs", RUNS, "--chunk-size", 3, "--workers",
                        workers, "--quiet", "--out", tmp_path / str(workers))
        assert done.code == 0, done.err
    one, two = (tmp_path / str(w) / "ens24-ensemble" for w in (1, 2))
    files = sorted(p.name for p in one.iterdir() if p.name != "manifest.json")
    assert "overview.png" in files and "ensemble.csv" in files
    for name in files:  # the charts too, though drawn by the pool from runs.parquet
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


@pytest.mark.slow
@pytest.mark.parametrize("robust", [False, True], ids=["two-years", "facts-chart-too"])
def test_an_ensemble_on_a_pool_leaves_matplotlib_to_the_workers(tmp_path, robust):
    import subprocess

    from conftest import PROJECT_ROOT

    path = tmp_path / "ens24.yaml"
    path.write_text(ENSEMBLE_SCENARIO, encoding="utf-8")
    if robust:  # over 2012-2019: the stylized facts' chart too
        path = PROJECT_ROOT / "scenarios" / "replay_2009_2019_robust.yaml"
    argv = ["ensemble", str(path), "--runs", "4", "--workers", "2", "--quiet", "--out",
            str(tmp_path)]
    code = ("import sys\nfrom buffer_sim.cli import main\n"
            f"status = main({argv!r})\nprint(status, 'matplotlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.stdout.split()[-2:] == ["0", "False"], done.stderr
    folder = tmp_path / f"{path.stem}-ensemble"
    assert (folder / "overview.png").stat().st_size > 0
    assert (folder / "facts.png").exists() == robust


def _item_and_pid(item):
    return item, os.getpid()


@pytest.mark.slow
def test_until_a_worker_is_up_the_parent_runs_chunks_itself_in_order(monkeypatch):
    go = threading.Event()

    def slow_start(self, started):  # a fork server still importing the model
        go.wait(30)
        started.set()

    monkeypatch.setattr(engines.PoolEngine, "_start_a_worker", slow_start)
    with engines.PoolEngine(2) as pool:
        results = pool.map(_item_and_pid, range(6))
        first, second = next(results), next(results)
        go.set()
        time.sleep(0.2)  # the starter thread marks the pool ready
        rest = list(results)
    assert [first[0], second[0], *(item for item, _ in rest)] == list(range(6))
    assert first[1] == second[1] == os.getpid()
    assert all(pid != os.getpid() for _, pid in rest)


@pytest.mark.slow
def test_a_disposed_model_leaves_nothing_for_the_cyclic_collector(scenario):
    import gc

    from buffer_sim.core.decision import Decision
    from buffer_sim.model import BufferModel

    gc.collect()  # what earlier tests left
    model = jobs.run_one(scenario, 5)
    model.dispose()
    del model
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, (BufferModel, Decision))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []


@pytest.mark.slow
def test_running_here_leaves_nothing_frozen_out_of_the_garbage_collector(scenario):
    import gc

    before = gc.get_freeze_count()  # Python itself starts with a few frozen objects
    plan, results = jobs.execute([scenario], np.zeros(3, dtype=np.int64), np.arange(3),
                                    np.arange(3), (), np.empty((3, 0)),
                                    choice=engines.EngineChoice(engine="serial"))
    assert len(list(results)) >= 1
    assert gc.get_freeze_count() <= before
