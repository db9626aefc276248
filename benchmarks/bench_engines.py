"""How well do ensembles scale? Three ratios, each measured in the same run:

1. The whole command ``buffer-sim run replay_2009_2019 --runs 600`` (imports, runs,
   runs.parquet, ensemble.csv, the charts) with 2 local workers against 1 worker.
   Target: at least 1.6x faster, on the median of the repeats. The engine alone (from
   the loaded scenario to the last result) is timed too, without a target.
2. This project's runner (``buffer_sim.experiments.engines``, 2 workers) against
   ``mesa.batch_run`` (2 processes) on the same model and the same runs (same seeds;
   ``batch_run`` builds ``BufferModel`` from the scenario's path). Target: not slower.
3. Peak memory (``ru_maxrss`` of the process that runs and writes the ensemble:
   runs.parquet, ensemble.csv, charts) of 10,000 runs against 1,000 runs of a
   12-month scenario, 2 workers. Target: within 1.5x. The time of the 10,000-run
   ensemble is reported too.

The scaling cases are repeated (``--repeats``, alternating 1 and 2 workers) and the
median time of each kept. Each case runs in its own subprocess: timings do not share a
warm interpreter, memory is that case's alone, and ``batch_run`` (which forces the
``spawn`` start method process-wide) cannot affect the others. The machine is shared,
so timings are noisy; ratios measured side by side travel better than absolute times,
and the table ends with what two processes could get at best right now. Usage::

    .venv/bin/python benchmarks/bench_engines.py [--runs 600] [--repeats 3]
        [--batch-runs 100] [--memory-runs 1000,10000] [--no-memory]

This is a script, not a test: it prints a table and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "replay_2009_2019"  # by name, as a user types it (found from ROOT)
REPLAY = ROOT / "scenarios" / f"{SCENARIO}.yaml"
SCALING_TARGET, BATCH_TARGET, MEMORY_TARGET = 1.6, 1.0, 1.5

#: A year, with one uncertain parameter: the memory case's scenario.
SHORT = """\
name: bench12
period: {start: 2016-01, end: 2016-12}
seed: 2016
initial_state: {tension: 0.65, nuclear: 0.7, sanctions_scope: 0.1}
uncertain:
  parameters.tension_relax_per_month: {dist: uniform, low: 0.04, high: 0.3}
"""


def _jobs(path: Path, runs: int):
    import numpy as np

    from buffer_sim.experiments import ensemble, runner

    scenario = runner.load(path)
    indices, seeds, paths, values = ensemble.jobs(scenario, runs)
    return scenario, np.zeros(runs, dtype=np.int64), indices, seeds, paths, values


def case_runner(path: Path, runs: int, workers: int, chunk: int | None) -> dict:
    """This project's engines: every run's whole time series back in the parent.

    As ``buffer-sim`` does for a command of many runs, the pool's fork server starts
    first (``cli_options.start_pool_early``), beside this process's imports; the clock
    starts once the scenario is loaded, for 1 worker as for 2.
    """
    from buffer_sim.experiments import engines
    from buffer_sim.experiments import jobs

    if workers > 1:
        engines.warm_up_pool()
    scenario, which, indices, seeds, paths, values = _jobs(path, runs)
    start = time.perf_counter()  # measuring a run, starting the pool: all counted
    choice = engines.EngineChoice(workers=workers, chunk_size=chunk)
    plan, results = jobs.execute([scenario], which, indices, seeds, paths, values,
                                    choice=choice)
    months = work = 0
    for r in results:
        months += r.data.shape[0] * r.data.shape[1]
        work += r.seconds
    return {"seconds": time.perf_counter() - start, "months": months, "work_per_run": work / runs,
            "chunk_size": plan.chunk_size, "seconds_per_run": plan.seconds_per_run}


def case_command(path: Path, runs: int, workers: int) -> dict:
    """The whole ``buffer-sim run SCENARIO --runs N --workers W`` command, start to end:
    imports, runs, runs.parquet, ensemble.csv, the charts."""
    exe = Path(sys.executable).with_name("buffer-sim")
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([str(exe), "run", str(path), "--runs", str(runs), "--workers",
                        str(workers), "--out", out, "--quiet"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return {"seconds": time.perf_counter() - start}


def case_batch_run(path: Path, runs: int, workers: int) -> dict:
    """``mesa.batch_run`` on the same model and seeds."""
    import mesa

    from buffer_sim.model import BufferModel
    from buffer_sim.scenario.uncertain import world_seeds
    from buffer_sim.experiments.runner import load

    scenario = load(path)
    seeds = [int(s) for s in world_seeds(scenario.seed, range(runs))]
    start = time.perf_counter()
    results = mesa.batch_run(BufferModel, parameters={"scenario": str(path)},
                             number_processes=workers, rng=seeds, max_steps=scenario.months,
                             data_collection_period=-1, display_progress=False)
    return {"seconds": time.perf_counter() - start, "rows": len(results)}


def case_memory(path: Path, runs: int, workers: int) -> dict:
    """A whole ensemble written to disk; ru_maxrss of this process."""
    from buffer_sim.experiments import engines, ensemble, runner

    scenario = runner.load(path)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = ensemble.write_ensemble(scenario, runs, out,
                                         choice=engines.EngineChoice(workers=workers))
        seconds = time.perf_counter() - start
        size = (result.folder / ensemble.RUNS_FILE).stat().st_size
    return {"seconds": seconds, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "parquet_bytes": size, "chunk_size": result.chunk_size}


def case_spin() -> dict:
    """A pure-Python loop: what one process gets done on this machine right now."""
    start = time.perf_counter()
    x = 0
    for i in range(10_000_000):
        x += i
    return {"seconds": time.perf_counter() - start}


def machine_ceiling() -> float:
    """The best speed-up two processes can get right now: two independent loops run
    side by side against one alone (2.0 on two idle cores; less when other processes
    hold a core)."""
    one = subprocess_case("spin", ".", 0, 1)["seconds"]
    command = [sys.executable, str(Path(__file__).resolve()), "--case", "spin", ".", "0", "1"]
    pair = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    both = [json.loads(p.communicate()[0].strip().splitlines()[-1])["seconds"] for p in pair]
    return 2 * one / max(both)


# --- the parent ---------------------------------------------------------------------------

def subprocess_case(*args) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--case", *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"case {args} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=600, help="runs of the scaling cases")
    parser.add_argument("--repeats", type=int, default=3,
                        help="repeats of the scaling cases (the median of each is kept)")
    parser.add_argument("--batch-runs", type=int, default=100,
                        help="runs of the batch_run comparison (0 skips it)")
    parser.add_argument("--memory-runs", default="1000,10000",
                        help="small,large run counts of the memory case")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory case")
    args = parser.parse_args()
    if args.case:
        kind, path, runs, workers, *rest = args.case
        path, runs, workers = Path(path), int(runs), int(workers)
        if kind == "runner":
            out = case_runner(path, runs, workers, int(rest[0]) if rest else None)
        elif kind == "spin":
            out = case_spin()
        elif kind == "command":
            out = case_command(path, runs, workers)
        elif kind == "batch_run":
            out = case_batch_run(path, runs, workers)
        else:
            out = case_memory(path, runs, workers)
        print(json.dumps(out))
        return 0

    rows = []
    load_before = os.getloadavg()
    ceiling_before = machine_ceiling()
    # Alternating repeats, the median of each: 1 and 2 workers see the same disturbances.
    commands = {1: [], 2: []}
    engine = {1: [], 2: []}
    for _ in range(args.repeats):
        for workers in (1, 2):
            commands[workers].append(subprocess_case("command", SCENARIO, args.runs,
                                                     workers)["seconds"])
    chunk = None
    for _ in range(args.repeats):
        for workers in (1, 2):
            result = subprocess_case("runner", REPLAY, args.runs, workers,
                                     *([chunk] if chunk else []))
            chunk = result["chunk_size"]  # the same chunks for 1 and 2 workers
            engine[workers].append(result)
    one, two = statistics.median(commands[1]), statistics.median(commands[2])
    ratio = one / two  # 1 worker's time over 2 workers' time
    rows.append((f"buffer-sim run {SCENARIO} --runs {args.runs}, 2 workers vs 1 "
                 f"(median of {args.repeats})",
                 f"{two:.1f} s / {one:.1f} s (each: "
                 f"{' '.join(f'{t:.1f}' for t in commands[2])} / "
                 f"{' '.join(f'{t:.1f}' for t in commands[1])})",
                 f"{ratio:.2f}x faster", f">= {SCALING_TARGET}x", ratio >= SCALING_TARGET))
    one = statistics.median(r["seconds"] for r in engine[1])
    two = statistics.median(r["seconds"] for r in engine[2])
    rows.append((f"the engine alone, same runs (chunks of {chunk}, median of {args.repeats})",
                 f"{two:.1f} s / {one:.1f} s (a run in a worker: "
                 f"{statistics.median(r['work_per_run'] for r in engine[2]):.3f} s / "
                 f"{statistics.median(r['work_per_run'] for r in engine[1]):.3f} s)",
                 f"{one / two:.2f}x faster", "(no target)", True))

    if args.batch_runs > 0:
        mine = subprocess_case("runner", REPLAY, args.batch_runs, 2)
        theirs = subprocess_case("batch_run", REPLAY, args.batch_runs, 2)
        ratio = theirs["seconds"] / mine["seconds"]
        rows.append((f"{args.batch_runs} runs, this runner vs mesa.batch_run (2 processes "
                     "each)", f"{mine['seconds']:.1f} s / {theirs['seconds']:.1f} s",
                     f"{ratio:.2f}x faster", f">= {BATCH_TARGET}x", ratio >= BATCH_TARGET))

    if not args.no_memory:
        small_n, large_n = (int(n) for n in args.memory_runs.split(","))
        with tempfile.TemporaryDirectory() as tmp:
            short = Path(tmp) / "bench12.yaml"
            short.write_text(SHORT, encoding="utf-8")
            small = subprocess_case("memory", short, small_n, 2)
            large = subprocess_case("memory", short, large_n, 2)
        ratio = large["maxrss_kb"] / small["maxrss_kb"]
        rows.append((f"peak memory, {large_n:,} vs {small_n:,} runs (12 months, 2 workers)",
                     f"{large['maxrss_kb'] / 1024:.0f} MiB / {small['maxrss_kb'] / 1024:.0f} MiB",
                     f"{ratio:.2f}x", f"<= {MEMORY_TARGET}x", ratio <= MEMORY_TARGET))
        rows.append((f"time of the {large_n:,}-run ensemble (and {small_n:,})",
                     f"{large['seconds']:.0f} s / {small['seconds']:.0f} s",
                     f"{large['parquet_bytes'] / 2**20:.1f} MiB parquet", "", True))

    widths = [max(len(str(r[i])) for r in rows) for i in range(4)]
    head = ("case", "measured", "ratio", "target")
    widths = [max(w, len(h)) for w, h in zip(widths, head)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)) + "  met")
    for row in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(row[:4], widths)) +
              ("  yes" if row[4] else "  NO"))
    load_after = os.getloadavg()
    ceiling_after = machine_ceiling()
    print(f"\nThe machine's ceiling for 2 processes (two independent Python loops side by "
          f"side against one alone): {ceiling_before:.2f}x before, {ceiling_after:.2f}x after "
          f"(2.00x on two idle cores). Load average (1 min) {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after, on {os.cpu_count()} cores. A run that costs more in a "
          "worker with 2 workers than with 1 shows other processes taking the cores.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
