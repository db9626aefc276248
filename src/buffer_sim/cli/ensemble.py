"""``buffer-sim ensemble SCENARIO --runs N``: many replications, quantile bands.

Also ``run_from_args`` for ``buffer-sim run --runs N``.
"""

from __future__ import annotations

import textwrap

from buffer_sim.cli.common import add_scenario_arguments, check_out, load_from_args, progress, write_error
from buffer_sim.cli.options import engine_choice
from buffer_sim.experiments.engines import ENSEMBLE_MODULES

PROG = "buffer-sim"
DEFAULT_RUNS = 100


# --- the command -------------------------------------------------------------------------------

def register(subparsers, formatter_class) -> None:
    p = subparsers.add_parser(
        "ensemble", formatter_class=formatter_class,
        help="run many replications and chart the median with 50%% and 90%% bands",
        description=textwrap.dedent("""\
            Run N replications of a scenario and write, into OUT/<name>-ensemble/:
              runs.parquet   one row per run and month: run, seed_index, seed, date,
                             every output column and the drawn uncertain parameters
              ensemble.csv   per variable and month: mean and the 5, 25, 50, 75 and
                             95% quantiles over the runs
              draws.csv      per run: seed index, world seed, drawn parameters
              facts.csv      per run: 1 or 0 for each of the report's stylized facts
                             (buffer_sim.experiments.facts), when the period covers
                             2012-2019; the summary gives each fact's share of runs
              leverage.png, trade.png, overview.png   median, 50% and 90% bands
              facts.png      each fact's share of runs, the 80% target a line
              manifest.json  scenario hash, root seed, seed scheme, engine, hashes

            Run i's world noise comes from SeedSequence(root, spawn_key=(1, i)), and
            each parameter of the scenario's 'uncertain:' block is drawn from its own
            key (2, i, crc32(name)): extending an ensemble with --start never changes
            earlier runs, and two scenarios with the same root seed see the same
            draws. 'buffer-sim run --seed S' replays a run alone (S from draws.csv,
            drawn parameters with --set)."""),
        epilog=textwrap.dedent(f"""\
            examples:
              {PROG} ensemble replay_2009_2019 --runs 200
              {PROG} ensemble replay_2009_2019_robust --runs 400   # does history survive the assumptions?
              {PROG} ensemble pressure_2016_2017 --runs 1000 --workers 2 --quiet
              {PROG} ensemble replay_2009_2019 --runs 100 --start 100   # runs 100..199
              {PROG} ensemble replay_2009_2019 --runs 500 --scheduler tcp://127.0.0.1:8786"""))
    add_scenario_arguments(p, runs_default=DEFAULT_RUNS,
                           runs_help=f"number of runs (default: {DEFAULT_RUNS})")
    p.add_argument("--start", metavar="K", type=int, default=0,
                   help="seed index of the first run (default: 0); --start 100 --runs 100 "
                        "adds runs 100..199 to a 100-run ensemble")
    p.set_defaults(func=handler, pool_preload=ENSEMBLE_MODULES)


def handler(args, argv) -> int:
    return run_from_args(args, argv)


def run_from_args(args, argv) -> int:
    """The ensemble for parsed arguments; also what ``buffer-sim run --runs N`` calls
    (arguments it lacks take their defaults)."""
    # lazy: loads Mesa; command dispatch: only when the command runs
    from buffer_sim.experiments import ensemble

    runs, start = ensemble.check_runs(getattr(args, "runs", DEFAULT_RUNS),
                                      getattr(args, "start", 0))
    out_dir = check_out(args.out)
    scenario = load_from_args(args)
    choice = engine_choice(args)
    try:
        with progress(args, runs, f"{scenario.name} x{runs}") as update:
            result = ensemble.write_ensemble(scenario, runs, out_dir, start=start,
                                             choice=choice, progress=update,
                                             command_line=[PROG, *argv])
    except OSError as err:
        return write_error(err, out_dir)
    print(result.folder if args.quiet else ensemble.summary(result))
    return 0
