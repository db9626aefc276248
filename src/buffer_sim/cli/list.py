"""``buffer-sim list``: the shipped scenarios with their periods and first sentences."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

from buffer_sim.cli.common import PROG, width
from buffer_sim.core.errors import ScenarioError
from buffer_sim.core.months import month_str
from buffer_sim.output.text import first_sentences
from buffer_sim.scenario.catalog import project_root, scenario_files, scenarios_dir


def register(sub, _Fmt) -> None:
    lst = sub.add_parser(
        "list", formatter_class=_Fmt, help="list the shipped scenarios",
        description="List the scenarios shipped in scenarios/ (and scenarios/whatif/): "
                    "name, period,\nfile and the first sentence of the description.",
        epilog=f"example:\n  {PROG} list\n  {PROG} run replay_2009_2019   "
               "# run one by its name")
    lst.set_defaults(func=handler)


def handler(args, argv) -> int:
    from buffer_sim.scenario.schema import load_scenario  # lazy: Mesa (agents): when it runs

    folder = scenarios_dir()
    if folder is None:
        print(f"{PROG}: error: no scenarios/ folder found (looked in {project_root()} and "
              f"{Path.cwd()})", file=sys.stderr)
        return 1
    files = scenario_files(folder)  # not the fragments that scenarios extend
    columns = width()
    print(f"Scenarios in {folder}{os.sep}\n")
    for path in files:
        rel = path.relative_to(folder.parent).as_posix()
        try:
            sc = load_scenario(path)
        except ScenarioError as err:
            print(f"{path.stem}  (invalid)  {rel}")
            print(textwrap.fill(str(err), columns, initial_indent="    ",
                                subsequent_indent="    "))
            print()
            continue
        print(f"{sc.name}  {month_str(sc.start)}..{month_str(sc.end)}  {rel}")
        about = first_sentences(sc.description) or "(no description)"
        print(textwrap.fill(about, columns, initial_indent="    ", subsequent_indent="    "))
        print()
    if not files:
        print("(no scenario files)\n")
    print(f"Run one with:  {PROG} run scenarios/NAME.yaml   (or just: {PROG} run NAME)")
    return 0
