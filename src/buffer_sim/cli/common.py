"""What the ``buffer-sim`` commands share: names, defaults, the progress bar, the scenario
and output-folder arguments and their checks."""

from __future__ import annotations

import contextlib
import shutil
import sys
from pathlib import Path

from buffer_sim.cli.options import add_engine_arguments, positive_int
from buffer_sim.core.errors import ScenarioError
from buffer_sim.scenario.catalog import DEFAULT_SCENARIO, resolve_scenario

PROG = "buffer-sim"
DEFAULT_OUT = "out"

__all__ = ["DEFAULT_OUT", "DEFAULT_SCENARIO", "PROG", "add_scenario_arguments", "check_out",
           "load_for_output", "load_from_args", "progress", "progress_bar", "width",
           "write_error"]


def progress_bar(total: int, desc: str):
    """A tqdm bar on stderr counting months (``progress`` counts runs)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="month", file=sys.stderr, leave=False,
                dynamic_ncols=True)


def load_for_output(args, seed):
    """The scenario named by ``args.scenario`` (with ``args.set``) and the folders its
    outputs go to, checked before any work is done.

    Returns:
        (scenario, the ``--out`` folder, the run's own folder inside it).
    """
    from buffer_sim.experiments import runner  # lazy: pandas: when the command runs

    out_dir = Path(args.out).expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise ScenarioError("--out", "", f"'{args.out}' exists and is not a folder")
    scenario = runner.load(resolve_scenario(args.scenario), seed=seed, overrides=args.set)
    final = out_dir / scenario.name
    if final.exists() and not final.is_dir():
        raise ScenarioError("--out", "", f"'{final}' exists and is not a folder; "
                                         "move it or choose another --out")
    return scenario, out_dir, final


def width() -> int:
    return max(60, min(shutil.get_terminal_size((100, 24)).columns, 100))


def add_scenario_arguments(parser, *, runs_default: int | None, runs_help: str) -> None:
    """SCENARIO, --runs, --seed, --set, --out, --quiet and the engine options (the
    commands that run many models: ensemble, sweep, sensitivity, discover)."""
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
    from buffer_sim.experiments import runner  # lazy: pandas: when the command runs

    seed = None if args.seed is None else runner.check_seed(args.seed)
    return runner.load(resolve_scenario(args.scenario), seed=seed, overrides=args.set)


@contextlib.contextmanager
def progress(args, total: int, desc: str):
    """A progress callback ``update(runs_done)`` on stderr, or None when ``--quiet`` or
    when stderr is not a terminal."""
    if getattr(args, "quiet", False) or not sys.stderr.isatty():
        yield None
        return
    with progress_bar(total, desc) as bar:
        bar.unit = "run"
        yield bar.update


def write_error(err: OSError, where) -> int:
    reason = err.strerror or str(err)
    print(f"{PROG}: error: cannot write the outputs to {err.filename or where}: {reason}",
          file=sys.stderr)
    return 1
