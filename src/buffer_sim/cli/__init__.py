"""The ``buffer-sim`` command: run a scenario, list the shipped scenarios, show parameters.

    buffer-sim run [SCENARIO] [--seed N] [--out DIR] [--set PATH=VALUE ...] [--quiet]
    buffer-sim list
    buffer-sim params

Exit status: 0 success; 2 bad input (scenario file, ``--set``, ``--seed``, an option
out of range or not finite, usage) with one line ``buffer-sim: error: FILE: FIELD:
PROBLEM`` on stderr and nothing written; 1 the outputs could not be written (disk,
permissions) or an optional package is missing (the line names the extra to
install); 130 interrupted (Ctrl-C), nothing half-written left behind.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import pkgutil
import sys
import textwrap

from buffer_sim.cli.arguments import MAX_RUNS, MAX_WORKERS, check_arguments
from buffer_sim.cli.common import PROG
from buffer_sim.cli.options import start_pool_early
from buffer_sim.core.errors import MissingExtra, ScenarioError
from buffer_sim.core.version import __version__
from buffer_sim.output.files import Terminated, sigterm_as_interrupt


# --- parser ----------------------------------------------------------------------------------

_Fmt = argparse.RawDescriptionHelpFormatter
#: Commands listed first in ``--help``; the others follow in name order.
FIRST_COMMANDS = ("run", "list", "params")
#: Modules of this package that are not commands.
HELPER_MODULES = ("arguments", "common", "options")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command-line parser.

    Args:
        command: the command about to run, if known: of the commands in
            ``buffer_sim.cli`` only that one is registered, because importing
            them all costs a tenth of a second. None registers every command (for
            the overall ``--help`` and for usage errors that list the choices).
    """
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=_Fmt,
        description="Agent-based simulation of China-North Korea relations: Beijing, "
                    "Pyongyang,\nWashington and Seoul choose month by month by their "
                    "ordered priorities.",
        epilog=textwrap.dedent(f"""\
            examples:
              {PROG} run                      replay 2009-2019 with the default seed
              {PROG} run --seed 7 --out runs  another random draw, into runs/
              {PROG} list                     the shipped scenarios
              {PROG} params                   every coefficient with its unit and meaning

            '{PROG} COMMAND --help' explains each command.

            limits, checked before any work (exit 2, nothing written): at most
            {MAX_RUNS} model runs per command (--runs; a sweep's grid points x runs;
            samples x runs), at most {MAX_WORKERS} --workers, counts >= 1, every number
            finite (no nan or inf). Exit 1: outputs not written, or an optional package
            missing (the message names the extra to install)."""))
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    for module in _command_modules(command):
        module.register(sub, _Fmt)
    return parser


def command_names() -> list[str]:
    """The command modules of this package (each named after its command, ``-`` as
    ``_``): ``FIRST_COMMANDS``, then the others in name order."""
    found = {m.name for m in pkgutil.iter_modules(__path__)} - set(HELPER_MODULES)
    return [*(n for n in FIRST_COMMANDS if n in found), *sorted(found - set(FIRST_COMMANDS))]


def _command_modules(command: str | None = None):
    """The command modules to register: only ``command``'s when it names a known command
    (the dispatch imports a command's module, and with it its library code, only when
    that command runs: importing them all costs a tenth of a second)."""
    names = command_names()
    module_name = (command or "").replace("-", "_")  # 'start-state' lives in start_state.py
    if module_name in names:
        names = [module_name]
    return [importlib.import_module(f"buffer_sim.cli.{name}") for name in names]


def _command_word(argv: list[str]) -> str | None:
    """The command named on the command line (the first word not an option)."""
    return next((word for word in argv if not word.startswith("-")), None)


def _one_line(text: str) -> str:
    return " ".join(str(text).split("\n")).strip()


def main(argv=None) -> int:
    """Entry point of ``buffer-sim``; returns the exit status.

    Args:
        argv: the arguments; None reads ``sys.argv``, as the ``buffer-sim`` command
            does, which then ends the process.
    """
    if argv is not None:
        return _main([str(a) for a in argv])
    status = _main(sys.argv[1:])
    # The process ends now. Its exit would have Python's cyclic collector scan the
    # whole heap (pandas, Mesa, Matplotlib: about a million objects) for garbage nobody
    # will see collected: frozen, the command ends ~0.2 s sooner. Not for a caller that
    # passes argv (tests, scripts): its process goes on.
    gc.freeze()
    return status


def _main(argv: list[str]) -> int:
    parser = build_parser(_command_word(argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        check_arguments(args)
    except ScenarioError as err:
        print(f"{PROG}: error: {_one_line(err)}", file=sys.stderr)
        return 2
    if hasattr(args, "workers") and not (args.command == "run" and args.runs == 1):
        start_pool_early(args)  # many runs: the pool starts beside our imports
    try:
        with sigterm_as_interrupt():
            return args.func(args, argv)
    except MissingExtra as err:  # the installation lacks a package, the input is fine
        print(f"{PROG}: error: {_one_line(err)}", file=sys.stderr)
        return 1
    except ScenarioError as err:
        print(f"{PROG}: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except Terminated:
        print(f"{PROG}: terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. 'buffer-sim params | head'
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    finally:
        if getattr(args, "observed", None):  # 'run --observed FILE' added rows for itself
            # lazy: loads pandas, which only 'run --observed' needs
            from buffer_sim.scenario import observed

            observed.use_trade_files(())


if __name__ == "__main__":
    sys.exit(main())
