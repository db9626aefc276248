"""``buffer-sim start-state``: generate where a scenario's run leaves the world.

See ``buffer_sim.experiments.start_state`` for what is generated and why. Writes one YAML file
(atomically) that a later sub-period scenario ``extends:``; ``--regenerate`` rewrites
every generated file in ``scenarios/start_states/`` with the command recorded in it.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from buffer_sim.core.errors import ScenarioError
from buffer_sim.experiments.start_state import DEFAULT_SEEDS, FOLDER
from buffer_sim.experiments.calibration import relative_label
from buffer_sim.scenario.catalog import project_root, resolve_scenario
from buffer_sim.experiments import runner, start_state
from buffer_sim.core.months import month_str
from buffer_sim.output.files import atomic_write_text

PROG = "buffer-sim"
COMMAND = "start-state"


def register(subparsers, formatter_class) -> None:
    p = subparsers.add_parser(
        COMMAND, formatter_class=formatter_class,
        help="generate the start of a sub-period scenario from where the replay leaves off",
        description=textwrap.dedent(f"""\
            Run SCENARIO to the end of month --at with each of --seeds and write where
            it leaves the world: every state variable and every actor's instruments
            (mean over the seeds; a discrete instrument takes its most common level),
            the administrations in force (priorities and thresholds set by dated
            events, e.g. Washington's and Seoul's), and parameters changed by events.

            The file 'extends:' SCENARIO, so a sub-period scenario that extends it
            inherits the history and starts from the generated world; what is an
            observed fact (e.g. 2015 trade) stays in the sub-period scenario's own
            file, with its source, and overrides the generated value.

            The file's header records the command. After a change to the model, run
            '{PROG} {COMMAND} --regenerate' (or 'make start-states') to rewrite every
            generated file in {FOLDER}/; a test fails while one is stale."""),
        epilog=textwrap.dedent(f"""\
            examples:
              {PROG} {COMMAND} replay_2009_2019 --at 2017-12 --out {FOLDER}/end_2017.yaml
              {PROG} {COMMAND} replay_2009_2019 --at 2015-12 --seeds 0..7 --out /tmp/s.yaml
              {PROG} {COMMAND} --regenerate
              {PROG} {COMMAND} --regenerate --check     # is anything stale?"""))
    p.add_argument("scenario", nargs="?", default=None, metavar="SCENARIO",
                   help="source scenario (file or name), e.g. replay_2009_2019")
    p.add_argument("--at", metavar="YYYY-MM", default=None,
                   help="the last month run: the new scenario starts the month after")
    p.add_argument("--seeds", metavar="A..B", default=None,
                   help=f"model seeds to average, A..B or A,B,C (default: the scenario's "
                        f"seed and the next {DEFAULT_SEEDS - 1})")
    p.add_argument("--out", metavar="FILE", default=None,
                   help="file to write (its folder must exist)")
    p.add_argument("--regenerate", action="store_true",
                   help=f"rewrite every generated file in {FOLDER}/ with its recorded command")
    p.add_argument("--check", action="store_true",
                   help=f"with --regenerate: write nothing, list what is stale in {FOLDER}/ "
                        "and exit 1 if anything is")
    p.add_argument("--quiet", "-q", action="store_true", help="print only the files written")
    p.set_defaults(func=handler)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"{PROG} {COMMAND}", add_help=False)
    sub = parser.add_subparsers(dest="command")
    register(sub, argparse.HelpFormatter)
    return parser


def _label(path: Path) -> str:
    return relative_label(path, project_root())


def build(scenario_arg: str, at: str, seeds: str | None, out: Path) -> tuple[str, str]:
    """Generate the file's text for the given arguments.

    Returns:
        ``(text, the command recorded in it)``.

    Raises:
        ScenarioError: a bad scenario, month or seed list.
    """
    source = resolve_scenario(scenario_arg)
    scenario = runner.load(source)
    month = start_state.check_at(at, scenario)
    seed_list = start_state.parse_seeds(seeds, scenario)
    result = start_state.generate(scenario, month, seed_list)
    name = _label(source)
    if name.startswith("scenarios/") and name.count("/") == 1:
        name = Path(name).stem  # a shipped scenario by its name
    command = " ".join([PROG, COMMAND, name, "--at", month_str(month),
                        "--seeds", start_state._seed_text(seed_list), "--out", _label(out)])
    text = start_state.render(result, start_state.relative_extends(source, out), command)
    return text, command


def regenerate_text(path: Path) -> str:
    """What the command recorded in the generated file ``path`` writes now.

    Relative paths in the recorded command are taken from the project root.
    """
    words = start_state.recorded_command(path)
    args = _parser().parse_args(words[1:])
    return build(args.scenario, args.at, args.seeds, Path(path))[0]


def _write(path: Path, text: str) -> None:
    atomic_write_text(path, text)


def handler(args, argv) -> int:
    if args.regenerate:
        if args.scenario or args.at or args.seeds or args.out:
            raise ScenarioError("--regenerate", "", "takes no scenario, --at, --seeds or "
                                                    "--out (each file records its own)")
        files = start_state.generated_files(project_root())
        if not files:
            raise ScenarioError("--regenerate", "", f"no generated file in "
                                                    f"{project_root() / start_state.FOLDER}")
        texts = [(path, regenerate_text(path)) for path in files]  # all before any write
        if args.check:
            stale = 0
            for path, text in texts:
                diffs = start_state.differences(path.read_text(encoding="utf-8"), text)
                stale += bool(diffs)
                print(f"{_label(path)}: " + ("up to date" if not diffs else
                                              "STALE\n  " + "\n  ".join(diffs)))
            return 1 if stale else 0
        for path, text in texts:
            _write(path, text)
            print(path if args.quiet else f"Regenerated {_label(path)}")
        return 0
    if args.check:
        raise ScenarioError("--check", "", "only with --regenerate")
    for flag, value in (("SCENARIO", args.scenario), ("--at", args.at), ("--out", args.out)):
        if value is None:
            raise ScenarioError(flag, "", "missing (or use --regenerate)")
    out = Path(args.out).expanduser()
    if out.is_dir():
        raise ScenarioError("--out", "", f"'{args.out}' is a folder; give a file name")
    if not out.parent.is_dir():
        raise ScenarioError("--out", "", f"folder '{out.parent}' does not exist")
    text, command = build(args.scenario, args.at, args.seeds, out)
    try:
        _write(out, text)
    except OSError as err:
        print(f"{PROG}: error: cannot write {err.filename or out}: "
              f"{err.strerror or err}", file=sys.stderr)
        return 1
    print(out if args.quiet else f"Wrote {out}\n  ({command})")
    return 0
