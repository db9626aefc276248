"""``buffer-sim sweep SCENARIO --param PATH=LOW:HIGH:N --runs N --outcome NAME``."""

from __future__ import annotations

import textwrap
from buffer_sim.cli.common import add_scenario_arguments, check_out, progress, write_error
from buffer_sim.experiments.outcomes import outcome_help
from buffer_sim.experiments import outcomes, runner
from buffer_sim.scenario.catalog import resolve_scenario
from buffer_sim.cli.options import engine_choice

PROG = "buffer-sim"
DEFAULT_RUNS = 20


def register(subparsers, formatter_class) -> None:
    p = subparsers.add_parser(
        "sweep", formatter_class=formatter_class,
        help="run a grid of parameter values and tabulate an outcome",
        description=textwrap.dedent("""\
            Run every combination of the --param values (each applied like --set),
            with --runs replications at every grid point, and write, into
            OUT/<name>-sweep/:
              sweep.csv      one row per grid point: the parameter values, runs,
                             defined (runs where the outcome is not NaN), mean, sd,
                             and the 5, 25, 50, 75, 95% quantiles of the outcome
              sweep.png      a line chart (one parameter) or heat map (two)
              manifest.json  scenario, seeds, grid, engine, versions, hashes

            Every grid point uses the same seed indices 0..N-1 (common random
            numbers): differences between points come from the parameters.

            outcomes (--outcome NAME[:ARG]):
            """) + outcome_help(),
        epilog=textwrap.dedent(f"""\
            examples:
              {PROG} sweep replay_2009_2019 --param beijing.thresholds.no_war=0.5:0.9:5 \\
                  --runs 20 --outcome imports_2017_2018
              {PROG} sweep pressure_2016_2017 --param parameters.inertia=2,4,8 \\
                  --param beijing.thresholds.no_war=0.5:0.8:4 --outcome peak_enforcement
              {PROG} sweep replay_2009_2019 --param parameters.inertia=2:10:5 \\
                  --outcome enforcement_first_above:0.75 --scheduler tcp://127.0.0.1:8786"""))
    add_scenario_arguments(p, runs_default=DEFAULT_RUNS,
                           runs_help=f"runs per grid point (default: {DEFAULT_RUNS})")
    p.add_argument("--param", metavar="PATH=LOW:HIGH:N", action="append", default=[],
                   required=True,
                   help="a swept field: N evenly spaced values from LOW to HIGH, or "
                        "PATH=A,B,C (repeatable; PATH as for --set)")
    p.add_argument("--outcome", metavar="NAME", required=True,
                   help="what to measure in each run (listed above)")
    p.set_defaults(func=handler)


def handler(args, argv) -> int:
    # lazy: loads Mesa; command dispatch: only when the command runs
    from buffer_sim.experiments import sweep

    out_dir = check_out(args.out)
    outcomes.parse_outcome(args.outcome)
    params = [sweep.parse_param(text) for text in args.param]
    seed = None if args.seed is None else runner.check_seed(args.seed)
    path = resolve_scenario(args.scenario)
    points = 1
    for _, values in params:
        points *= len(values)
    total = points * args.runs
    with progress(args, total, f"sweep {points} points x{args.runs}") as update:
        result = sweep.run_sweep(path, params, args.outcome, args.runs, overrides=args.set,
                                 seed=seed, choice=engine_choice(args), progress=update)
    try:
        sweep.write_sweep(result, out_dir, command_line=[PROG, *argv])
    except OSError as err:
        return write_error(err, out_dir)
    print(result.folder if args.quiet else sweep.summary(result))
    return 0
