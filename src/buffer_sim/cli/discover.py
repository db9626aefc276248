"""``buffer-sim discover SCENARIO --outcome NAME --where '> 0.7'``: PRIM boxes."""

from __future__ import annotations

import textwrap
from buffer_sim.cli.common import (add_scenario_arguments, check_out, load_from_args, progress,
                                   write_error)
from buffer_sim.experiments.discovery import DEFAULT_MIN_COVERAGE, DEFAULT_RUNS
from buffer_sim.experiments.outcomes import outcome_help
from buffer_sim.experiments import discovery, outcomes
from buffer_sim.cli.options import engine_choice
from buffer_sim.experiments.sensitivity import require_uncertain

PROG = "buffer-sim"


def register(subparsers, formatter_class) -> None:
    p = subparsers.add_parser(
        "discover", formatter_class=formatter_class,
        help="find the parameter ranges where a condition on an outcome holds (PRIM)",
        description=textwrap.dedent("""\
            Run an ensemble over the scenario's uncertain parameters, mark the runs
            where OUTCOME WHERE holds, and find with PRIM (EMA Workbench) a box of
            parameter ranges where it is common. Reports the box's coverage (share
            of the runs where it holds that fall in the box) and density (share of
            the box's runs where it holds). Writes, into OUT/<name>-discover/:
              runs.csv        per run: seeds, parameters, outcome, holds
              trajectory.csv  PRIM's peeling trajectory: coverage, density, mass,
                              restricted dimensions
              box.csv         the chosen box: low and high of every parameter, and
                              the quasi-p value of each restricted side (the summary
                              names the restrictions with quasi-p below 0.05)
              prim.png        trajectory and box limits
              manifest.json   scenario, condition, box, seeds, versions, hashes
            Needs the optional extra: pip install 'buffer-sim[analysis]'.

            outcomes (--outcome NAME[:ARG]):
            """) + outcome_help(),
        epilog=textwrap.dedent(f"""\
            examples (my_replay.yaml: a scenario with an 'uncertain:' block; see
            'buffer-sim sensitivity --help'):
              {PROG} discover my_replay.yaml --outcome mean_tension --where '> 0.5'
              {PROG} discover my_replay.yaml --outcome imports_2017_2018 --where '< 20' \\
                  --runs 1000 --min-coverage 0.7"""))
    add_scenario_arguments(p, runs_default=DEFAULT_RUNS,
                           runs_help=f"number of runs (default: {DEFAULT_RUNS})")
    p.add_argument("--outcome", metavar="NAME", required=True,
                   help="what to measure in each run (listed above)")
    p.add_argument("--where", metavar="'OP VALUE'", required=True,
                   help="the condition on the outcome: > >= < <= == != and a number, "
                        "e.g. '> 0.7'")
    p.add_argument("--min-coverage", metavar="SHARE", type=float,
                   default=DEFAULT_MIN_COVERAGE,
                   help="report the densest box with at least this coverage "
                        f"(default: {DEFAULT_MIN_COVERAGE})")
    p.add_argument("--box", metavar="ID", type=int, default=None,
                   help="report this box of the peeling trajectory instead")
    p.set_defaults(func=handler)


def handler(args, argv) -> int:
    out_dir = check_out(args.out)
    outcomes.parse_outcome(args.outcome)
    discovery.parse_condition(args.where)
    scenario = load_from_args(args)
    require_uncertain(scenario, "scenario discovery")
    discovery.import_prim()
    with progress(args, args.runs, f"discover {scenario.name}") as update:
        result = discovery.run_discovery(scenario, args.outcome, args.where, args.runs,
                                         min_coverage=args.min_coverage, box_id=args.box,
                                         choice=engine_choice(args), progress=update)
    try:
        discovery.write_discovery(result, out_dir, command_line=[PROG, *argv])
    except OSError as err:
        return write_error(err, out_dir)
    print(result.folder if args.quiet else discovery.summary(result))
    return 0
