"""``buffer-sim sensitivity SCENARIO --method sobol|morris --outcome NAME``."""

from __future__ import annotations

import textwrap
from buffer_sim.cli.common import (add_scenario_arguments, check_out, load_from_args, progress,
                                   write_error)
from buffer_sim.experiments.sensitivity import DEFAULT_SAMPLES, METHODS
from buffer_sim.experiments.outcomes import outcome_help
from buffer_sim.experiments import sensitivity, outcomes
from buffer_sim.cli.options import engine_choice

PROG = "buffer-sim"


def register(subparsers, formatter_class) -> None:
    p = subparsers.add_parser(
        "sensitivity", formatter_class=formatter_class,
        help="which uncertain parameters drive an outcome (SALib: Sobol' or Morris)",
        description=textwrap.dedent("""\
            Sample the scenario's uncertain parameters (its 'uncertain:' block: bounds
            and distributions), run every sample point, and analyse with SALib. Writes,
            into OUT/<name>-sensitivity-<method>/:
              indices.csv    per parameter: Sobol' S1, ST with confidence intervals,
                             or Morris mu, mu*, mu* confidence interval, sigma
              samples.csv    every sample point: parameter values and outcome
              indices.png    the indices as bars with their intervals
              manifest.json  scenario, method, samples, seeds, versions, hashes

            Every sample point uses the same world seeds (seed indices 0..R-1 with
            --runs R; the outcome is their mean). Needs the optional extra:
            pip install 'buffer-sim[analysis]'.

            outcomes (--outcome NAME[:ARG]):
            """) + outcome_help(),
        epilog=textwrap.dedent(f"""\
            examples (my_replay.yaml: a scenario with an 'uncertain:' block, e.g.
            'extends: replay_2009_2019.yaml' and the parameters to vary):
              {PROG} sensitivity my_replay.yaml --method sobol --outcome mean_tension
              {PROG} sensitivity my_replay.yaml --method morris --samples 30 \\
                  --outcome imports_2017_2018

            uncertain:  # in the scenario file: path -> distribution
              beijing.thresholds.no_war: {{dist: uniform, low: 0.5, high: 0.8}}
              parameters.inertia: {{dist: triangular, low: 2, mode: 6, high: 12}}
              parameters.informal_diversion: {{dist: normal, mean: 0.5, sd: 0.1,
                                               low: 0.2, high: 0.8}}"""))
    add_scenario_arguments(p, runs_default=1,
                           runs_help="runs per sample point, averaged (default: 1)")
    p.add_argument("--method", choices=METHODS, default="sobol",
                   help="sobol: variance-based, first and total order (default); morris: "
                        "elementary effects, cheaper screening")
    p.add_argument("--outcome", metavar="NAME", required=True,
                   help="what to measure in each run (listed above)")
    p.add_argument("--samples", metavar="N", type=int, default=None,
                   help=f"Sobol': base samples, a power of 2, N x (parameters + 2) runs "
                        f"(default {DEFAULT_SAMPLES['sobol']}); Morris: trajectories, "
                        f"N x (parameters + 1) runs (default {DEFAULT_SAMPLES['morris']})")
    p.set_defaults(func=handler)


def handler(args, argv) -> int:
    out_dir = check_out(args.out)
    outcomes.parse_outcome(args.outcome)
    scenario = load_from_args(args)
    uncertain = sensitivity.require_uncertain(scenario, "sensitivity analysis")
    sensitivity.import_salib()
    samples = args.samples or sensitivity.DEFAULT_SAMPLES[args.method]
    d = len(uncertain)
    points = samples * (d + 2) if args.method == "sobol" else samples * (d + 1)
    with progress(args, points * args.runs, f"{args.method} {scenario.name}") as update:
        result = sensitivity.run_sensitivity(scenario, args.method, args.outcome, samples,
                                             args.runs, choice=engine_choice(args),
                                             progress=update)
    try:
        sensitivity.write_sensitivity(result, out_dir, command_line=[PROG, *argv])
    except OSError as err:
        return write_error(err, out_dir)
    print(result.folder if args.quiet else sensitivity.summary(result))
    return 0
