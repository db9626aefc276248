"""Where many runs execute: in this process, on a local process pool, or on Dask.

Ensembles, sweeps, sensitivity analyses and scenario discovery all reduce to one
thing: run the model for a list of *jobs* — (scenario, world seed, parameter values) —
and collect either each run's whole time series or one number per run (an outcome,
``buffer_sim.experiments.outcomes.OUTCOMES``). A job's result depends on nothing but the job, so
the same jobs give identical results serially, on the local pool and on a Dask
cluster, however they are split into chunks.

Chunks: a run costs a few tens of milliseconds while sending a task to a worker
costs 1-8 ms, so runs travel in chunks of at least ``CHUNK_SECONDS`` of work
(``chunk_size`` measures a run once and sizes them). A chunk returns compact numpy
arrays. Engines yield chunk results *in chunk order* with at most a small window of
chunks in flight, so the parent can stream them to disk and never holds all runs.

Engines:
    * ``SerialEngine``: in this process (``--workers 1``, or when the whole job is
      shorter than starting a pool).
    * ``PoolEngine``: ``concurrent.futures.ProcessPoolExecutor`` with the
      ``forkserver`` start method on POSIX (``spawn`` elsewhere). Not ``fork``: the
      parent may hold threads (tqdm's monitor, pyarrow's and Dask's pools) and forking
      a threaded process can deadlock a child (Python 3.12 warns about it). The fork
      server is a clean single-threaded process that imports the model once
      (``set_forkserver_preload``); each worker is then forked from it in
      milliseconds, keeping ``fork``'s speed without its hazard. Until the first
      worker is up (the server's imports take a second or two), the parent runs the
      first chunks itself.
    * ``DaskEngine``: a ``distributed.Client`` on an existing scheduler
      (``--scheduler tcp://HOST:PORT``) or on a ``LocalCluster`` it starts
      (``--engine dask``). Optional extra ``buffer-sim[cluster]``.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import signal
import sys
import threading
from concurrent.futures import FIRST_COMPLETED
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator


from buffer_sim.core.errors import MissingExtra, ScenarioError
from buffer_sim.output.files import interrupts_deferred
from buffer_sim.experiments.worker_lifetime import end_with_parent, lifeline

#: Least work, in seconds, a chunk should carry (per-task overhead is 1-8 ms). Not
#: more: small chunks let the parent hand over to the workers sooner and leave less
#: idle time at the end (200 replay runs on 2 workers: median 2.14 s in chunks of 6
#: runs, 2.30 s in chunks of 10).
CHUNK_SECONDS = 0.1
#: Least rows (runs x months) of a chunk of whole time series: one Parquet row group.
MIN_ROWS_PER_CHUNK = 512
#: Chunks per worker that the row minimum leaves for load balance.
CHUNKS_PER_WORKER = 4
#: A whole job shorter than this (estimated) runs in this process: a pool costs more.
SERIAL_BELOW_SECONDS = 1.0
#: A month's cost, roughly, before it is measured (to decide on warming up a pool).
ROUGH_SECONDS_PER_MONTH = 0.001
#: Chunks in flight per worker: enough to keep every worker busy, few enough that
#: out-of-order results waiting for an earlier chunk stay small.
WINDOW_PER_WORKER = 3
ENGINES = ("local", "serial", "dask")
_END = object()
#: What the fork server imports for runs of the model; for an ensemble's runs and then
#: its band charts (``ensemble.write_ensemble``: 0.3 s of Matplotlib imported once by the
#: server, beside this process's own imports, instead of by each chart worker at the end,
#: when every other step waits for the charts); and for drawing charts only (the drawing
#: modules themselves: the charts package loads them, and Matplotlib, on first use).
#: ``server_heap`` comes last (it freezes what the others loaded).
MODEL_MODULES = ("buffer_sim.experiments.jobs", "buffer_sim.core.preload",
                 "buffer_sim.experiments.server_heap")
ENSEMBLE_MODULES = (*MODEL_MODULES[:-1], "buffer_sim.experiments.ensemble",
                    "buffer_sim.output.charts.ensemble", MODEL_MODULES[-1])
CHART_MODULES = ("buffer_sim.experiments.engines", "buffer_sim.experiments.runner",
                 "buffer_sim.output.charts.run", "buffer_sim.output.charts.compare",
                 "buffer_sim.output.charts.ensemble", "buffer_sim.experiments.server_heap")


def chunk_size(seconds_each: float, runs: int, workers: int,
               target: float = CHUNK_SECONDS, months: int | None = None) -> int:
    """Runs per chunk: at least ``target`` seconds of work each and, for whole time
    series of ``months`` months, at least ``MIN_ROWS_PER_CHUNK`` rows while each worker
    still gets ``CHUNKS_PER_WORKER`` chunks (a chunk is one Parquet row group, and
    each row group adds ~1.7 KB of footer metadata per column that the writer holds
    until it closes); but no more than an even share of the runs per worker (so that
    every worker gets work)."""
    workers = max(workers, 1)
    size = max(1, math.ceil(target / max(seconds_each, 1e-6)))
    if months:  # rows, as long as every worker still gets several chunks
        balance = math.ceil(runs / (CHUNKS_PER_WORKER * workers))
        size = max(size, min(math.ceil(MIN_ROWS_PER_CHUNK / months), balance))
    share = max(1, math.ceil(runs / workers))
    return max(1, min(size, share))


# --- engines ------------------------------------------------------------------------------

#: Called with each finished chunk's result (``jobs.ChunkResult``).
Callback = Callable[[object], None]


def ordered(items: Iterable, submit, wait_any, window: int,
            on_done: Callback | None = None, cancel=None) -> Iterator:
    """Submit ``items`` with at most ``window`` in flight (or done but not yet yielded)
    and yield their results in submission order.

    Args:
        submit: item -> future (``.result()``).
        wait_any: futures -> the subset that has finished (blocks until one has).
        on_done: called with each result as soon as it arrives (progress bars).
        cancel: called with the futures still pending if the consumer stops early
            (an error, Ctrl-C); by default each future's ``cancel()``.

    A result is dropped as soon as it is yielded: nothing holds finished chunks.
    """
    items = iter(items)
    pending: dict[int, object] = {}
    arrived: dict[int, object] = {}
    next_in = next_out = 0
    exhausted = False

    def fill():
        nonlocal next_in, exhausted
        while not exhausted and len(pending) + len(arrived) < window:
            try:
                item = next(items)
            except StopIteration:
                exhausted = True
                return
            pending[next_in] = submit(item)
            next_in += 1

    try:
        fill()
        while pending or arrived:
            while next_out in arrived:
                yield arrived.pop(next_out)
                next_out += 1
                fill()
            if not pending:
                continue
            finished = wait_any(list(pending.values()))
            for i, fut in list(pending.items()):
                if fut in finished:
                    result = fut.result()
                    del pending[i]
                    arrived[i] = result
                    if on_done is not None:
                        on_done(result)
    finally:
        if pending:
            futures = list(pending.values())
            if cancel is not None:
                cancel(futures)
            else:
                for fut in futures:
                    fut.cancel()


class SerialEngine:
    """Runs chunks one after another in this process."""

    name = "serial"
    workers = 1

    def map(self, fn, items: Iterable, on_done: Callback | None = None) -> Iterator:
        for item in items:
            result = fn(item)
            if on_done is not None:
                on_done(result)
            yield result

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _worker_init(reader) -> None:
    """Set up a pool worker: leave Ctrl-C to the parent (which cancels and cleans up),
    end when the parent is killed outright (``worker_lifetime``), and freeze the heap."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    end_with_parent(reader)
    freeze_heap()


def freeze_heap() -> None:
    """Exempt what is alive now (imported modules, the compiled equations) from
    Python's cyclic garbage collector: it will not become garbage during the runs, and
    each full collection would scan it all again. Measured on the replay: a run costs
    25 ms with ~250,000 objects scanned, 17 ms frozen. A pool worker stays frozen until
    it ends; ``execute`` unfreezes this process when its runs are done."""
    gc.freeze()


def warm_up_pool(preload: tuple[str, ...] = MODEL_MODULES) -> None:
    """Start the fork server now, so that it imports ``preload`` while this process
    still loads and measures (a pool then starts in milliseconds, not seconds).

    The modules are fixed when the server starts: the first call in a process wins.
    """
    ctx = pool_context(preload)
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def call_in_parallel(calls: list[tuple[Callable, tuple, dict]], workers: int | None = None
                     ) -> list:
    """Run independent calls (e.g. drawing one chart each) at once; results in order.

    The calls go to a local pool forked from the fork server, which imports the
    charts once (``warm_up_pool(CHART_MODULES)`` starts it early, so that it imports
    Matplotlib while this process loads the scenario and runs the model). With one usable core, or a
    function that cannot be sent to another process (a local function, as tests
    substitute), the calls run here one after the other. The results are the same.

    Args:
        calls: (function, args, kwargs) triples; arguments must pickle.
        workers: most processes at once (default: the usable cores).

    Returns:
        Each call's return value, in the order of ``calls``.
    """
    with calls_started(calls, workers) as results:
        return results()


@contextlib.contextmanager
def calls_started(calls: list[tuple[Callable, tuple, dict]], workers: int | None = None
                  ) -> Iterator[Callable[[], list]]:
    """``call_in_parallel`` in two steps: the calls start on the pool now, this process
    goes on with its own work inside the ``with`` block, and the function it yields
    waits for their results (in the order of ``calls``). Where the calls cannot go to
    other processes, that function makes them here, one after the other. Leaving the
    block on an error or Ctrl-C starts no further call and waits for the running ones
    (they may be writing into a folder that is about to be removed)."""
    import pickle
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    def here() -> list:
        return [fn(*args, **kwargs) for fn, args, kwargs in calls]

    workers = min(len(calls), workers or default_workers())
    try:
        pickle.dumps([fn for fn, _, _ in calls])
    except (pickle.PicklingError, AttributeError, TypeError):
        workers = 1
    if workers < 2:
        yield here
        return
    pool = ProcessPoolExecutor(workers, mp_context=pool_context(CHART_MODULES),
                               initializer=_worker_init, initargs=(lifeline(),))
    try:
        with interrupts_deferred():  # see PoolEngine.submit
            futures = [pool.submit(fn, *args, **kwargs) for fn, args, kwargs in calls]
    except (BrokenProcessPool, OSError):  # no worker could start: do it all here
        pool.shutdown(wait=True, cancel_futures=True)
        yield here
        return
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise

    def results() -> list:
        try:
            return [future.result() for future in futures]
        except (BrokenProcessPool, OSError):
            # A worker died (killed, out of memory): do it all here.
            return here()

    with pool:
        try:
            yield results
        except BaseException:
            # Ctrl-C or a failed call: start nothing more; running calls finish.
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def pool_context(preload: tuple[str, ...] = MODEL_MODULES):
    """The multiprocessing context of the local pool (see the module docstring).

    Args:
        preload: modules the fork server imports if it is not running yet.
    """
    import multiprocessing as mp

    if sys.platform != "win32" and "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(list(preload))
        return ctx
    return mp.get_context("spawn")


class PoolEngine(SerialEngine):
    """A local ``ProcessPoolExecutor`` of ``workers`` processes."""

    name = "local"

    def __init__(self, workers: int) -> None:
        from concurrent.futures import ProcessPoolExecutor

        self.workers = max(1, int(workers))
        self.executor = ProcessPoolExecutor(self.workers, mp_context=pool_context(),
                                            initializer=_worker_init,
                                            initargs=(lifeline(),))

    def map(self, fn, items, on_done=None):
        from concurrent.futures import wait

        items = iter(items)
        # A worker takes a second or two to start (the fork server imports the model):
        # until one is up, this process runs chunks itself, in order, instead of waiting.
        started = threading.Event()
        threading.Thread(target=self._start_a_worker, args=(started,), daemon=True,
                         name="buffer-sim-pool-start").start()
        while not started.is_set():
            item = next(items, _END)
            if item is _END:
                return
            result = fn(item)
            if on_done is not None:
                on_done(result)
            yield result

        def wait_any(futures):
            return wait(futures, return_when=FIRST_COMPLETED).done

        yield from ordered(items, lambda item: self.submit(fn, item), wait_any,
                           WINDOW_PER_WORKER * self.workers, on_done)

    def submit(self, fn, item):
        """``executor.submit``, with Ctrl-C and SIGTERM held back until it returns: a
        signal in the middle of starting a worker would leave a process the pool does
        not know of, which the shutdown would not wait for; it would then fail to read
        its start-up data once this process is gone, printing a traceback."""
        with interrupts_deferred():
            return self.executor.submit(fn, item)

    def _start_a_worker(self, started: threading.Event) -> None:
        """Start a worker and wait until it runs; then set ``started`` (also if it
        cannot start: the pool's own submissions then report why)."""
        try:
            self.executor.submit(int).result()
        except BaseException:  # noqa: BLE001 - reported by the submissions that follow
            pass
        finally:
            started.set()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    def __exit__(self, exc_type, *exc) -> None:
        # On an error or Ctrl-C, do not wait for queued chunks.
        self.executor.shutdown(wait=exc_type is None, cancel_futures=True)


def import_distributed():
    """``distributed``, or the one-line error naming the extra to install."""
    try:
        import distributed
    except ImportError:
        raise MissingExtra("cluster runs need Dask", "cluster") from None
    return distributed


class DaskEngine(SerialEngine):
    """Chunks as Dask tasks: on the scheduler at ``address``, or on a ``LocalCluster``
    of ``workers`` single-threaded processes started here (and stopped by ``close``)."""

    name = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        import logging

        distributed = import_distributed()
        self.cluster = None
        if address:
            try:
                self.client = distributed.Client(address, timeout="10s")
            except (OSError, TimeoutError) as err:
                raise ScenarioError("--scheduler", "", f"cannot reach the Dask scheduler at "
                                                       f"{address}: {err}") from None
        else:
            self.cluster = distributed.LocalCluster(
                n_workers=max(1, int(workers or default_workers())), threads_per_worker=1,
                processes=True, dashboard_address=None, silence_logs=logging.ERROR)
            self.client = distributed.Client(self.cluster)
        self.address = self.client.scheduler.address
        self.workers = max(1, sum(self.client.nthreads().values()))

    def map(self, fn, items, on_done=None):
        import distributed

        def wait_any(futures):
            return distributed.wait(futures, return_when=FIRST_COMPLETED).done

        yield from ordered(items, lambda item: self.client.submit(fn, item, pure=False),
                           wait_any, WINDOW_PER_WORKER * self.workers + 1, on_done,
                           cancel=self.client.cancel)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@dataclass
class EngineChoice:
    """What the command line asked for; ``open`` builds the engine once the job's size
    is known."""

    engine: str = "local"
    workers: int | None = None
    scheduler: str | None = None
    chunk_size: int | None = None
    notes: list[str] = field(default_factory=list)

    def pools(self, estimated_seconds: float) -> bool:
        """Whether ``open`` will start a local pool for this much work."""
        if self.scheduler or self.engine != "local" or (self.workers or default_workers()) == 1:
            return False
        return self.workers is not None or estimated_seconds >= SERIAL_BELOW_SECONDS

    def open(self, estimated_seconds: float):
        workers = self.workers or default_workers()
        if self.scheduler or self.engine == "dask":
            return DaskEngine(self.scheduler, workers)
        if self.pools(estimated_seconds):
            return PoolEngine(workers)
        if self.engine == "local" and workers > 1:
            self.notes.append(f"about {estimated_seconds:.1f} s of work: ran in this process "
                              "(a pool costs more than it saves)")
        return SerialEngine()
