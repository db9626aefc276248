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
import os
import re
import shutil
import sys
import textwrap
from pathlib import Path

import buffer_sim
from buffer_sim.errors import ScenarioError

PROG = "buffer-sim"
DEFAULT_SCENARIO = "scenarios/replay_2009_2019.yaml"
DEFAULT_OUT = "out"


def project_root() -> Path:
    """The folder holding ``scenarios/`` in a source checkout (``src/buffer_sim/..``)."""
    return Path(buffer_sim.__file__).resolve().parents[2]


def scenarios_dir() -> Path | None:
    """The shipped ``scenarios/`` folder: the project's, else the current folder's."""
    for base in (project_root(), Path.cwd()):
        if (base / "scenarios").is_dir():
            return base / "scenarios"
    return None


def resolve_scenario(arg: str) -> Path:
    """Find a scenario file: as given (relative to the current folder), then relative to
    the project root; a bare name like ``replay_2009_2019`` is looked up in
    ``scenarios/`` and ``scenarios/whatif/``. If nothing exists the path is returned as
    given, and loading it reports "file not found"."""
    given = Path(arg).expanduser()
    candidates = [given]
    if not given.is_absolute():
        candidates.append(project_root() / given)
        if given.suffix.lower() not in (".yaml", ".yml") and len(given.parts) == 1:
            for base in (Path.cwd(), project_root()):
                for sub in ("scenarios", "scenarios/whatif"):
                    candidates += [base / sub / f"{arg}.yaml", base / sub / f"{arg}.yml"]
    for path in candidates:
        if path.is_file():
            return path.resolve()
    return given


# --- arguments, checked before any work --------------------------------------------------

#: Most model runs one command makes (``--runs``; a sweep's points x runs; a
#: sensitivity analysis's samples x runs): 100000 replay runs take about a quarter of
#: an hour on two cores (200 take ~2 s). More is refused at once, before any work,
#: instead of failing deep inside (a memory error after minutes).
MAX_RUNS = 100_000
#: Most local worker processes (``--workers``).
MAX_WORKERS = 256
#: Whole-number options: attribute -> (option, least, most).
COUNT_OPTIONS = {
    "runs": ("--runs", 1, MAX_RUNS),
    "samples": ("--samples", 2, MAX_RUNS),
    "chunk_size": ("--chunk-size", 1, MAX_RUNS),
    "workers": ("--workers", 1, MAX_WORKERS),
    "box": ("--box", 0, None),
    "start": ("--start", 0, 2**62),
}
#: Number options: attribute -> option (must be finite).
NUMBER_OPTIONS = {"min_coverage": "--min-coverage"}


def check_arguments(args) -> None:
    """Refuse absurd, non-finite or out-of-range options before a command does any work.

    Counts must lie within ``COUNT_OPTIONS`` (``--runs`` at most ``MAX_RUNS``), numbers
    must be finite, every ``--set`` must name a known path with a finite value, and a
    sweep's grid times its runs must stay within ``MAX_RUNS``. Options given as text
    (``validate --runs``, ``calibrate --seeds``) are checked by their command first thing.

    Raises:
        ScenarioError: naming the option and the problem (exit 2, nothing written).
    """
    import math

    for attr, (flag, least, most) in COUNT_OPTIONS.items():
        value = getattr(args, attr, None)
        if isinstance(value, bool) or not isinstance(value, int):
            continue
        if value < least:
            raise ScenarioError(flag, "", f"expected a whole number >= {least}, got {value}")
        if most is not None and value > most:
            raise ScenarioError(flag, "", f"{value} is above the limit of {most}"
                                + (" model runs per command" if flag == "--runs" else ""))
    for attr, flag in NUMBER_OPTIONS.items():
        value = getattr(args, attr, None)
        if isinstance(value, float) and not math.isfinite(value):
            raise ScenarioError(flag, "", f"must be a finite number (not NaN or infinity), "
                                          f"got {value}")
    sets = getattr(args, "set", None) or []
    if sets:
        from buffer_sim.compare import split_set
        from buffer_sim.scenario import parse_override

        for text in sets:
            path, _ = parse_override(split_set(text)[1] if args.command == "compare" else text)
            if path == ["seed"] and getattr(args, "seed", None) is not None:
                raise ScenarioError("--set", text, f"--seed {args.seed} also gives the seed; "
                                                   "give the seed once")
    runs = getattr(args, "runs", 1) if isinstance(getattr(args, "runs", 1), int) else 1
    if getattr(args, "param", None):
        from buffer_sim.sweep import parse_param

        for text in args.param:  # N of PATH=LOW:HIGH:N, before a grid of N is built
            n = str(text).partition("=")[2].split(":")[-1].strip()
            if ":" in str(text) and n.isdigit() and int(n) > MAX_RUNS:
                raise ScenarioError("--param", text, f"{n} values is above the limit of "
                                                     f"{MAX_RUNS} model runs")
        points = math.prod(len(parse_param(text)[1]) for text in args.param)
        if points * runs > MAX_RUNS:
            raise ScenarioError("--param", "", f"{points} grid points x {runs} runs = "
                                               f"{points * runs} model runs, above the limit "
                                               f"of {MAX_RUNS}")
    samples = getattr(args, "samples", None)
    if isinstance(samples, int) and samples * runs > MAX_RUNS:
        raise ScenarioError("--samples", "", f"{samples} samples x {runs} runs is above the "
                                             f"limit of {MAX_RUNS} model runs")


# --- run ---------------------------------------------------------------------------------

def _summary(result, folder: Path) -> str:
    from buffer_sim.months import month_str
    from buffer_sim.runner import CHART_FILES, DATA_FILES, MANIFEST

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
        f"{f('pressure_applied')}  influence realized {f('influence_realized')}",
        f"  China-DPRK trade, US$ million/month: exports {f('cn_exports_reported', 1)} "
        f"reported + {f('cn_exports_informal', 1)} informal, imports "
        f"{f('cn_imports_reported', 1)} reported + {f('cn_imports_informal', 1)} informal",
        f"Files in {folder}{os.sep}",
        "  data:   " + "  ".join((*DATA_FILES, MANIFEST)),
        "  charts: " + "  ".join(CHART_FILES),
        "  page:   report.html (charts, key numbers, decisions; opens offline)",
    ]
    return "\n".join(lines)


def _progress_bar(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="month", file=sys.stderr, leave=False,
                dynamic_ncols=True)


def load_for_output(args, seed):
    """The scenario named by ``args.scenario`` (with ``args.set``) and the folders its
    outputs go to, checked before any work is done.

    Returns:
        (scenario, the ``--out`` folder, the run's own folder inside it).
    """
    from buffer_sim import runner

    out_dir = Path(args.out).expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise ScenarioError("--out", "", f"'{args.out}' exists and is not a folder")
    scenario = runner.load(resolve_scenario(args.scenario), seed=seed, overrides=args.set)
    final = out_dir / scenario.name
    if final.exists() and not final.is_dir():
        raise ScenarioError("--out", "", f"'{final}' exists and is not a folder; "
                                         "move it or choose another --out")
    return scenario, out_dir, final


def cmd_run(args, argv) -> int:
    if args.runs != 1:
        from buffer_sim.commands.ensemble import run_from_args
        return run_from_args(args, argv)
    from buffer_sim import engines

    if engines.default_workers() > 1:
        # The charts are drawn on the local pool: its fork server imports Matplotlib
        # while this process loads the scenario and runs the model.
        engines.warm_up_pool(engines.CHART_MODULES)
    from buffer_sim import runner

    seed = None if args.seed is None else runner.check_seed(args.seed)
    scenario, out_dir, final = load_for_output(args, seed)
    if args.observed:  # a class's later years: checked now, drawn in trade.png and the report
        from buffer_sim import observed

        observed.use_trade_files(args.observed)  # main() forgets them when the command ends

    show_bar = not args.quiet and sys.stderr.isatty()
    if show_bar:
        with _progress_bar(scenario.months, scenario.name) as bar:
            result = runner.run(scenario, progress=lambda done, total: bar.update(1))
    else:
        result = runner.run(scenario)
    result.overrides = tuple(args.set)  # applied by runner.load above

    command_line = [PROG, *argv]
    try:
        folder = runner.write_outputs(result, out_dir, command_line=command_line,
                                      workers=None)
    except OSError as err:
        reason = err.strerror or str(err)
        where = err.filename or out_dir
        print(f"{PROG}: error: cannot write the outputs to {where}: {reason}", file=sys.stderr)
        return 1
    if args.quiet:
        print(folder)
    else:
        print(_summary(result, folder))
    return 0


# --- list ----------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9'\"(\[])")


def first_sentences(text: str, min_chars: int = 80, max_sentences: int = 2) -> str:
    """The first sentence of ``text``, and the next while it is shorter than ``min_chars``."""
    text = " ".join(text.split())
    if not text:
        return ""
    sentences = _SENTENCE_END.split(text)
    out = sentences[0]
    for s in sentences[1:max_sentences]:
        if len(out) >= min_chars:
            break
        out += " " + s
    return out


def _width() -> int:
    return max(60, min(shutil.get_terminal_size((100, 24)).columns, 100))


def cmd_list(args, argv) -> int:
    from buffer_sim.months import month_str
    from buffer_sim.scenario import load_scenario

    folder = scenarios_dir()
    if folder is None:
        print(f"{PROG}: error: no scenarios/ folder found (looked in {project_root()} and "
              f"{Path.cwd()})", file=sys.stderr)
        return 1
    from buffer_sim.catalog import scenario_files

    files = scenario_files(folder)  # not the fragments that scenarios extend
    width = _width()
    print(f"Scenarios in {folder}{os.sep}\n")
    for path in files:
        rel = path.relative_to(folder.parent).as_posix()
        try:
            sc = load_scenario(path)
        except ScenarioError as err:
            print(f"{path.stem}  (invalid)  {rel}")
            print(textwrap.fill(str(err), width, initial_indent="    ",
                                subsequent_indent="    "))
            print()
            continue
        print(f"{sc.name}  {month_str(sc.start)}..{month_str(sc.end)}  {rel}")
        about = first_sentences(sc.description) or "(no description)"
        print(textwrap.fill(about, width, initial_indent="    ", subsequent_indent="    "))
        print()
    if not files:
        print("(no scenario files)\n")
    print(f"Run one with:  {PROG} run scenarios/NAME.yaml   (or just: {PROG} run NAME)")
    return 0


# --- params --------------------------------------------------------------------------------

def _fmt_number(x) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


def cmd_params(args, argv) -> int:
    from buffer_sim.params import Parameters

    rows = Parameters.describe()
    width = _width()
    name_w = max(len("NAME"), *(len(r["name"]) for r in rows))
    default_w = max(len("DEFAULT"), *(len(_fmt_number(r["default"])) for r in rows))
    print(f"{'NAME':<{name_w}}  {'DEFAULT':>{default_w}}  UNIT [RANGE]")
    print(f"{'':4}MEANING\n")
    for r in rows:
        lo, hi = r.get("range", (None, None))
        rng = f" [{_fmt_number(lo)}, {_fmt_number(hi)}]" if lo is not None else ""
        print(f"{r['name']:<{name_w}}  {_fmt_number(r['default']):>{default_w}}  "
              f"{r.get('unit', '')}{rng}")
        print(textwrap.fill(" ".join(str(r.get("doc", "")).split()), width,
                            initial_indent="    ", subsequent_indent="    "))
    print(f"\nChange one for a run with:  {PROG} run --set parameters.NAME=VALUE  "
          "(or under parameters: in a scenario file)")
    return 0


# --- parser ----------------------------------------------------------------------------------

_Fmt = argparse.RawDescriptionHelpFormatter
#: Commands defined in this module; the others live in ``buffer_sim.commands``.
BUILT_IN_COMMANDS = ("run", "list", "params")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command-line parser.

    Args:
        command: the command about to run, if known: of the commands in
            ``buffer_sim.commands`` only that one is registered, because importing
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
                        version=f"%(prog)s {buffer_sim.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

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
    from buffer_sim.cli_options import add_engine_arguments
    add_engine_arguments(run)
    run.set_defaults(func=cmd_run)

    lst = sub.add_parser(
        "list", formatter_class=_Fmt, help="list the shipped scenarios",
        description="List the scenarios shipped in scenarios/ (and scenarios/whatif/): "
                    "name, period,\nfile and the first sentence of the description.",
        epilog=f"example:\n  {PROG} list\n  {PROG} run replay_2009_2019   "
               "# run one by its name")
    lst.set_defaults(func=cmd_list)

    prm = sub.add_parser(
        "params", formatter_class=_Fmt, help="show every model parameter",
        description="Show every coefficient of the model: name, default, unit, admissible "
                    "range\nand meaning (with its source).",
        epilog=f"example:\n  {PROG} params | less\n  {PROG} run --set parameters.inertia=2"
               "   # change one for a run")
    prm.set_defaults(func=cmd_params)
    for module in _command_modules(command):
        module.register(sub, _Fmt)
    return parser


def _command_modules(command: str | None = None):
    """The subcommand modules in ``buffer_sim.commands`` (each module is named after
    its command), in name order; only ``command``'s when it names a known command."""
    import importlib
    import pkgutil

    import buffer_sim.commands as commands

    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__))
    module_name = (command or "").replace("-", "_")  # 'start-state' lives in start_state.py
    if command in BUILT_IN_COMMANDS:
        names = []
    elif module_name in names:
        names = [module_name]
    return [importlib.import_module(f"buffer_sim.commands.{name}") for name in names]


def _command_word(argv: list[str]) -> str | None:
    """The command named on the command line (the first word not an option)."""
    return next((word for word in argv if not word.startswith("-")), None)


def _one_line(text: str) -> str:
    return " ".join(str(text).split("\n")).strip()


def main(argv=None) -> int:
    """Entry point of ``buffer-sim``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    parser = build_parser(_command_word(argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    from buffer_sim.errors import MissingExtra
    from buffer_sim.output import Terminated, sigterm_as_interrupt

    try:
        check_arguments(args)
    except ScenarioError as err:
        print(f"{PROG}: error: {_one_line(err)}", file=sys.stderr)
        return 2
    if hasattr(args, "workers") and not (args.command == "run" and args.runs == 1):
        from buffer_sim.cli_options import start_pool_early

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
            from buffer_sim import observed

            observed.use_trade_files(())


if __name__ == "__main__":
    sys.exit(main())
