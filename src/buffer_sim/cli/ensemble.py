"""``buffer-sim ensemble SCENARIO --runs N``: many replications, quantile bands.

Also the helpers that ``sweep``, ``sensitivity`` and ``discover`` share (scenario
arguments, progress bar), and ``run_from_args`` for ``buffer-sim run --runs N``.
"""

from __future__ import annotations

import contextlib
import sys
import textwrap
from pathlib import Path

from buffer_sim.errors import ScenarioError

PROG = "buffer-sim"
DEFAULT_RUNS = 100


# --- shared by the ensemble-like commands ------------------------------------------------------

def add_scenario_arguments(parser, *, runs_default: int | None, runs_help: str) -> None:
    """SCENARIO, --runs, --seed, --set, --out, --quiet and the engine options."""
    from buffer_sim.cli import DEFAULT_OUT, DEFAULT_SCENARIO
    from buffer_sim.cli_options import add_engine_arguments, positive_int

    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, metavar="SCENARIO",
                        help="scenario YAML file, or a name from 'buffer-sim list' "
                             f"(default: {DEFAULT_SCENARIO})")
    if runs_default is not None:
        parser.add_argument("--runs", metavar="N", type=positive_int, default=runs_default,
                            help=runs_help)
    parser.add_argument("--seed", metavar="N", default=None,
                        help="root seed of every run's seed (default: the scenario's seed:)")
    parser.add_argument("--set", metavar="PATH=VALUE", action="append", default=[],
                        help="override one scenario field, as for 'buffer-sim run' "
                             "(repeatable)")
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                        help=f"parent folder of the results' folder (default: {DEFAULT_OUT}/)")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="no progress bar and no summary; print only the output folder")
    add_engine_arguments(parser)


def check_out(out) -> Path:
    out_dir = Path(out).expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise ScenarioError("--out", "", f"'{out}' exists and is not a folder")
    return out_dir


def load_from_args(args):
    """The resolved scenario of ``args.scenario`` with ``--set`` and ``--seed``."""
    from buffer_sim import runner
    from buffer_sim.cli import resolve_scenario

    seed = None if args.seed is None else runner.check_seed(args.seed)
    return runner.load(resolve_scenario(args.scenario), seed=seed, overrides=args.set)


@contextlib.contextmanager
def progress(args, total: int, desc: str):
    """A progress callback ``update(runs_done)`` on stderr, or None when ``--quiet`` or
    when stderr is not a terminal."""
    if getattr(args, "quiet", False) or not sys.stderr.isatty():
        yield None
        return
    from buffer_sim.cli import _progress_bar

    with _progress_bar(total, desc) as bar:
        bar.unit = "run"
        yield bar.update


def write_error(err: OSError, where) -> int:
    reason = err.strerror or str(err)
    print(f"{PROG}: error: cannot write the outputs to {err.filename or where}: {reason}",
          file=sys.stderr)
    return 1


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
              leverage.png, trade.png, overview.png   median, 50% and 90% bands
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
              {PROG} ensemble pressure_2016_2017 --runs 1000 --workers 2 --quiet
              {PROG} ensemble replay_2009_2019 --runs 100 --start 100   # runs 100..199
              {PROG} ensemble replay_2009_2019 --runs 500 --scheduler tcp://127.0.0.1:8786"""))
    add_scenario_arguments(p, runs_default=DEFAULT_RUNS,
                           runs_help=f"number of runs (default: {DEFAULT_RUNS})")
    p.add_argument("--start", metavar="K", type=int, default=0,
                   help="seed index of the first run (default: 0); --start 100 --runs 100 "
                        "adds runs 100..199 to a 100-run ensemble")
    p.set_defaults(func=handler)


def handler(args, argv) -> int:
    return run_from_args(args, argv)


def run_from_args(args, argv) -> int:
    """The ensemble for parsed arguments; also what ``buffer-sim run --runs N`` calls
    (arguments it lacks take their defaults)."""
    from buffer_sim import ensemble
    from buffer_sim.cli_options import engine_choice

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
