"""Jobs: the model runs that ensembles, sweeps, sensitivity and discovery hand to an engine.

A job is (scenario, world seed, parameter values). Jobs travel in chunks (``Chunk``)
to an engine (``buffer_sim.experiments.engines``); a chunk returns compact numpy arrays
(``ChunkResult``): each run's whole time series, or one outcome per run
(``buffer_sim.experiments.outcomes``). ``execute`` measures a run, sizes the chunks,
opens the engine and yields the results in chunk order. The fork server of the local
pool imports this module (``engines.MODEL_MODULES``), and with it the model.
"""

from __future__ import annotations

import contextlib
import gc
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np
import pandas as pd

from buffer_sim.experiments import engines
from buffer_sim.experiments.engines import freeze_heap
from buffer_sim.experiments.outcomes import get_outcome
from buffer_sim.model import output_columns, run_model
from buffer_sim.scenario.uncertain import apply_values


# --- jobs and chunks ---------------------------------------------------------------------

@dataclass(frozen=True)
class Chunk:
    """Runs that travel together to one worker.

    Attributes:
        number: position of the chunk (results come back in this order).
        scenarios: the distinct scenarios its runs use.
        which: (n,) index into ``scenarios`` for each run.
        seed_index: (n,) the runs' seed indices (see ``uncertain.world_seed``).
        seeds: (n,) the world seeds (model ``rng``), derived from the indices.
        paths: names of the parameters in ``values`` (``uncertain.apply_values``).
        values: (n, len(paths)) the parameter values of each run.
        outcome: an outcome name (``outcomes.OUTCOMES``): the chunk returns one number
            per run; None: it returns every run's whole time series.
    """

    number: int
    scenarios: tuple
    which: np.ndarray
    seed_index: np.ndarray
    seeds: np.ndarray
    paths: tuple[str, ...]
    values: np.ndarray
    outcome: str | None = None

    @property
    def n(self) -> int:
        return len(self.seeds)


@dataclass
class ChunkResult:
    """What a chunk sends back: compact arrays only.

    Attributes:
        number: the chunk's number.
        data: (n, months, columns) float64 time series (``model.output_columns()``)
            or, for an outcome, (n,) float64.
        dates: the months ('YYYY-MM') of the time series (empty for an outcome).
        seconds: the worker's time spent running the chunk.
    """

    number: int
    data: np.ndarray
    dates: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def n(self) -> int:
        return len(self.data)


def run_one(scenario, seed: int, paths=(), values=()):
    """Build and run one model: ``scenario`` with ``values`` applied, world seed ``seed``."""
    if len(paths):  # NaN: the parameter keeps the scenario's value
        scenario = apply_values(scenario, {p: float(v) for p, v in zip(paths, values)
                                           if not math.isnan(v)})
    return run_model(scenario, int(seed))


def run_chunk(chunk: Chunk) -> ChunkResult:
    """Run every job of a chunk (in a worker, or in this process)."""
    start = time.perf_counter()
    columns = output_columns()
    outcome = None
    if chunk.outcome is not None:
        outcome = get_outcome(chunk.outcome)
        data = np.empty(chunk.n, dtype=np.float64)
    dates: tuple[str, ...] = ()
    series = []
    for k in range(chunk.n):
        model = run_one(chunk.scenarios[int(chunk.which[k])], int(chunk.seeds[k]),
                        chunk.paths, chunk.values[k])
        table = model.datacollector.model_vars
        if outcome is not None:
            data[k] = outcome(pd.DataFrame(table))
        else:
            if not dates:
                dates = tuple(table["date"])
            series.append(np.column_stack([np.asarray(table[c], dtype=np.float64)
                                           for c in columns]))
        model.dispose()
    if outcome is None:
        data = np.stack(series) if series else np.empty((0, 0, len(columns)))
    return ChunkResult(chunk.number, data, dates, time.perf_counter() - start)


def make_chunks(scenarios, which, seed_index, seeds, paths, values, size: int,
                outcome: str | None = None) -> Iterator[Chunk]:
    """Cut the jobs (parallel arrays ``which``, ``seed_index``, ``seeds``, ``values``)
    into chunks of ``size`` runs; each chunk carries only the scenarios it uses."""
    which = np.asarray(which, dtype=np.int64)
    n = len(which)
    values = np.asarray(values, dtype=np.float64).reshape(n, len(paths))
    for number, lo in enumerate(range(0, n, size)):
        hi = min(lo + size, n)
        used = sorted(set(which[lo:hi].tolist()))
        remap = {old: new for new, old in enumerate(used)}
        yield Chunk(number, tuple(scenarios[i] for i in used),
                    np.array([remap[w] for w in which[lo:hi].tolist()], dtype=np.int64),
                    np.asarray(seed_index[lo:hi], dtype=np.int64),
                    np.asarray(seeds[lo:hi], dtype=np.int64), tuple(paths),
                    values[lo:hi], outcome)


def seconds_per_run(scenario, seed: int = 0, repeats: int = 2) -> float:
    """A run's cost on this machine: the best of ``repeats`` timed runs of ``scenario``."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        run_one(scenario, seed).dispose()
        best = min(best, time.perf_counter() - start)
    return best


# --- running a list of jobs ----------------------------------------------------------------

@dataclass
class Plan:
    """A job list, chunked, with the engine that runs it (see ``execute``)."""

    engine: object
    chunk_size: int
    seconds_per_run: float
    runs: int
    notes: list[str] = field(default_factory=list)


def execute(scenarios, which, seed_index, seeds, paths, values, *, choice: engines.EngineChoice,
            outcome: str | None = None, progress: Callable[[int], None] | None = None,
            engine=None, preload: tuple[str, ...] = engines.MODEL_MODULES
            ) -> tuple[Plan, Iterator[ChunkResult]]:
    """Run jobs and yield their chunk results in order.

    Args:
        scenarios: the distinct scenarios; ``which[k]`` picks run k's.
        seed_index, seeds, values: per run (see ``Chunk``); ``paths`` name ``values``.
        choice: engine, workers, scheduler, chunk size.
        outcome: an outcome name, or None for whole time series.
        progress: called with the number of runs each finished chunk held.
        engine: an open engine to use instead of ``choice``'s (not closed here).
        preload: what the local pool's fork server imports, if it is not running yet
            (``engines.warm_up_pool``).

    Returns:
        ``(plan, results)``: the plan (engine, chunk size, measured cost) and a
        generator of ``ChunkResult`` in chunk order; it closes an engine it opened.
    """
    n = len(seeds)
    first = (scenarios[int(which[0])] if n else scenarios[0])
    own = engine is None
    if own and choice.pools(n * first.months * engines.ROUGH_SECONDS_PER_MONTH):
        engines.warm_up_pool(preload)  # overlaps the fork server's imports with the measurement below
    each = seconds_per_run(first)
    estimate = each * n
    if own:
        engine = choice.open(estimate)
    size = choice.chunk_size or engines.chunk_size(each, n, engine.workers,
                                           months=None if outcome else first.months)
    plan = Plan(engine, size, each, n, list(choice.notes))
    chunks = make_chunks(scenarios, which, seed_index, seeds, paths, values, size, outcome)
    on_done = None if progress is None else (lambda result: progress(result.n))

    def results():
        # For the runs in this process; afterwards the collector sees everything again,
        # so that a long-lived caller (a notebook) keeps no garbage for ever.
        freeze_heap()
        try:
            with engine if own else contextlib.nullcontext():
                yield from engine.map(run_chunk, chunks, on_done)
        finally:
            gc.unfreeze()

    return plan, results()
