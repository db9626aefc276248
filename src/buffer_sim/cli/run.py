"""``buffer-sim run [SCENARIO]``: run a scenario and write its data, charts and report."""

from __future__ import annotations

import gc
import os
import sys
import textwrap
from pathlib import Path

from buffer_sim.cli.common import (DEFAULT_OUT, DEFAULT_SCENARIO, PROG, load_for_output,
                                   progress_bar, write_error)
from buffer_sim.cli.options import add_engine_arguments
from buffer_sim.cli.arguments import MAX_RUNS
from buffer_sim.experiments import engines
from buffer_sim.core.months import month_str
from buffer_sim.cli.ensemble import run_from_args


def register(sub, _Fmt) -> None:
    run = sub.add_parser(
        "run", formatter_class=_Fmt, help="run a scenario and write its data and charts",
        description=textwrap.dedent("""\
            Run a scenario month by month and write, into OUT/<scenario name>/:
              timeseries.csv  one row per month: date, the world's state, every
                              instrument and the leverage measures
              decisions.csv   one row per actor and month: choice, deciding priority
                              and the reason in words
              manifest.json   scenario hash, seed, versions, command line, file hashes
              leverage.png, trade.png, overview.png   the charts

            The folder is written whole or not at all: an earlier run's folder is
            replaced, and a failed or interrupted run leaves it untouched. The same
            scenario and seed give byte-identical files."""),
        epilog=textwrap.dedent(f"""\
            examples:
              {PROG} run
              {PROG} run scenarios/replay_2009_2019.yaml --seed 42 --out out
              {PROG} run replay_2009_2019 --set beijing.thresholds.no_war=0.9
              {PROG} run --set beijing.priorities=no_nukes,no_war,no_instability
              {PROG} run --set parameters.inertia=2 --quiet

            --set PATH starts with an actor (beijing, pyongyang, washington, seoul) or a
            top-level field of the scenario file (period, seed, initial_state,
            parameters, ...); list values are comma-separated (a=x,y) or a YAML list
            (a=[x, y]). A priority list shorter than the actor's default order is
            completed: the default priorities it leaves out follow it, in their default
            order (Beijing's six stay six). drop_events=LABEL,LABEL removes events by
            their label. A setting the model would not read is an error."""))
    run.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, metavar="SCENARIO",
                     help="scenario YAML file, or a name from 'buffer-sim list' "
                          f"(default: {DEFAULT_SCENARIO}; looked up in the current "
                          "folder, then in the project)")
    run.add_argument("--seed", metavar="N", default=None,
                     help="random seed, a whole number >= 0 (default: the scenario's seed:)")
    run.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                     help=f"parent folder of the run's folder (default: {DEFAULT_OUT}/)")
    run.add_argument("--set", metavar="PATH=VALUE", action="append", default=[],
                     help="override one scenario field, e.g. beijing.thresholds.no_war=0.9 "
                          "or parameters.inertia=2 (repeatable)")
    run.add_argument("--quiet", "-q", action="store_true",
                     help="no progress bar and no summary; print only the output folder")
    run.add_argument("--observed", metavar="FILE", action="append", default=[],
                     help="add observed trade rows from a CSV laid out like the shipped "
                          "data (see 'buffer-sim validate --help') to trade.png and the "
                          "report (repeatable)")
    run.add_argument("--runs", metavar="N", type=int, default=1,
                     help="replications; N > 1 runs an ensemble like 'buffer-sim ensemble' "
                          f"(at most {MAX_RUNS})")
    add_engine_arguments(run)
    # --runs N: an ensemble, whose pool draws the band charts at the end
    run.set_defaults(func=handler, pool_preload=engines.ENSEMBLE_MODULES)


def _summary(result, folder: Path) -> str:
    # lazy: loads pandas; command dispatch: only when the command runs
    from buffer_sim.experiments.runner import CHART_FILES, DATA_FILES, MANIFEST

    sc = result.scenario
    last = result.timeseries.iloc[-1]

    def f(name, digits=2):
        return f"{float(last[name]):.{digits}f}"

    lines = [
        f"Ran {sc.name}: {result.months} months, {month_str(sc.start)}..{month_str(sc.end)}, "
        f"seed {sc.seed}, {len(result.events)} events.",
        f"Final month {last['date']}:",
        f"  tension {f('tension')}  nuclear {f('nuclear')}  stability {f('stability')}  "
        f"DPRK economy {f('dprk_economy')}  sanctions scope {f('sanctions_scope')}",
        f"  Beijing enforcement {f('beijing_enforcement')}  aid {f('beijing_aid')}  "
        f"China-DPRK warmth {f('warmth_cn_dprk')}",
        f"  leverage potential {f('leverage_potential')}  pressure applied "
        f"{f('pressure_applied')}  influence realized {f('influence_realized')} "
        f"(a cut-off's: {f('influence_potential')})",
        f"  China-DPRK trade, US$ million/month: exports {f('cn_exports_reported', 1)} "
        f"reported + {f('cn_exports_informal', 1)} informal, imports "
        f"{f('cn_imports_reported', 1)} reported + {f('cn_imports_informal', 1)} informal",
        f"Files in {folder}{os.sep}",
        "  data:   " + "  ".join((*DATA_FILES, MANIFEST)),
        "  charts: " + "  ".join(CHART_FILES),
        "  page:   report.html (charts, key numbers, decisions; opens offline)",
    ]
    return "\n".join(lines)


def handler(args, argv) -> int:
    if args.runs != 1:
        return run_from_args(args, argv)
    # One run makes little cyclic garbage, but the imports it needs (pandas, Mesa,
    # SciPy: about a million objects) would have Python's cyclic collector scan the
    # growing heap again and again: paused for the command (about 0.1 s less CPU,
    # the same peak memory).
    gc.disable()
    try:
        return _run_once(args, argv)
    finally:
        gc.enable()


def _run_once(args, argv) -> int:
    if engines.default_workers() > 1:
        # The charts are drawn on the local pool: its fork server imports Matplotlib
        # while this process loads the scenario and runs the model.
        engines.warm_up_pool(engines.CHART_MODULES)
    # lazy: loads pandas; command dispatch: only when the command runs
    from buffer_sim.experiments import runner

    seed = None if args.seed is None else runner.check_seed(args.seed)
    scenario, out_dir, final = load_for_output(args, seed)
    if args.observed:  # a class's later years: checked now, drawn in trade.png and the report
        # lazy: loads pandas; command dispatch: only when the command runs
        from buffer_sim.scenario import observed

        observed.use_trade_files(args.observed)  # main() forgets them when the command ends

    show_bar = not args.quiet and sys.stderr.isatty()
    if show_bar:
        with progress_bar(scenario.months, scenario.name) as bar:
            result = runner.run(scenario, progress=lambda done, total: bar.update(1))
    else:
        result = runner.run(scenario)
    result.overrides = tuple(args.set)  # applied by runner.load above

    command_line = [PROG, *argv]
    try:
        folder = runner.write_outputs(result, out_dir, command_line=command_line,
                                      workers=None)
    except OSError as err:
        return write_error(err, out_dir)
    if args.quiet:
        print(folder)
    else:
        print(_summary(result, folder))
    return 0
