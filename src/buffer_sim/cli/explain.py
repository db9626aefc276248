"""``buffer-sim explain SCENARIO --actor NAME``: an actor's decisions told as a story."""

from __future__ import annotations

import shutil
import sys
import textwrap

from buffer_sim.core.errors import ScenarioError
from buffer_sim.core.months import parse_month, month_str
from buffer_sim.cli.common import progress_bar
from buffer_sim.scenario.catalog import resolve_scenario

PROG = "buffer-sim"


def register(subparsers, formatter_class) -> None:
    p = subparsers.add_parser(
        "explain", formatter_class=formatter_class,
        help="tell an actor's decisions and their reasons in plain language",
        description=textwrap.dedent("""\
            Run a scenario (nothing is written) and tell one actor's decisions as a
            story: one paragraph per change of policy, with the priority that decided
            it, its projected value and its threshold; the months the actor held its
            course are summed up in a sentence; months forced by an event and
            instruments pinned by the scenario are said so."""),
        epilog=textwrap.dedent(f"""\
            examples:
              {PROG} explain replay_2009_2019 --actor beijing --from 2017-01 --to 2018-12
              {PROG} explain scenarios/pressure_2016_2017.yaml --actor pyongyang
              {PROG} explain replay_2009_2019 --set beijing.priorities=no_nukes,no_war"""))
    p.add_argument("scenario", nargs="?", default="scenarios/replay_2009_2019.yaml",
                   metavar="SCENARIO", help="scenario file or name (default: the replay)")
    p.add_argument("--actor", default="beijing", metavar="NAME",
                   help="beijing, pyongyang, washington or seoul (default: beijing)")
    p.add_argument("--from", dest="start", metavar="YYYY-MM", default=None,
                   help="first month to tell (default: the scenario's start)")
    p.add_argument("--to", dest="end", metavar="YYYY-MM", default=None,
                   help="last month to tell (default: the scenario's end)")
    p.add_argument("--seed", metavar="N", default=None,
                   help="random seed (default: the scenario's seed:)")
    p.add_argument("--set", metavar="PATH=VALUE", action="append", default=[],
                   help="override one scenario field, as for 'run' (repeatable)")
    p.set_defaults(func=handler)


def _month(option: str, value):
    if value is None:
        return None
    try:
        return parse_month(value)
    except ValueError as err:
        raise ScenarioError(option, "", str(err)) from None


def handler(args, argv) -> int:
    # lazy: loads pandas; command dispatch: only when the command runs
    from buffer_sim.experiments import runner
    # lazy: loads Mesa (via the actors); command dispatch: only when the command runs
    from buffer_sim.output import explain
    # lazy: loads Mesa; command dispatch: only when the command runs
    from buffer_sim.agents import ACTORS

    actor = args.actor.strip().lower()
    if actor not in ACTORS:
        raise ScenarioError("--actor", "", f"unknown actor '{args.actor}'; expected one of: "
                                           f"{', '.join(ACTORS)}")
    seed = None if args.seed is None else runner.check_seed(args.seed)
    scenario = runner.load(resolve_scenario(args.scenario), seed=seed, overrides=args.set)
    start, end = _month("--from", args.start), _month("--to", args.end)
    period = f"{month_str(scenario.start)}..{month_str(scenario.end)}"
    for option, m in (("--from", start), ("--to", end)):
        if m is not None and not scenario.start <= m <= scenario.end:
            raise ScenarioError(option, "", f"{month_str(m)} is outside the scenario's "
                                            f"period {period}")
    if start is not None and end is not None and end < start:
        raise ScenarioError("--to", "", f"{month_str(end)} is before --from {month_str(start)}")

    if sys.stderr.isatty():
        with progress_bar(scenario.months, scenario.name) as bar:
            result = runner.run(scenario, progress=lambda done, total: bar.update(1))
    else:
        result = runner.run(scenario)
    table = explain.decision_table(result)
    lo = month_str(start if start is not None else scenario.start)
    hi = month_str(end if end is not None else scenario.end)
    paragraphs = explain.narrate(table, actor, start=lo, end=hi)
    width = max(60, min(shutil.get_terminal_size((100, 24)).columns, 100))
    label = explain.actor_label(actor)
    print(f"{label} in {scenario.name}, {lo}..{hi}, seed {scenario.seed}"
          + (f" ({'; '.join(args.set)})" if args.set else "") + ":\n")
    print("\n\n".join(textwrap.fill(p, width) for p in paragraphs))
    return 0
