"""``buffer-sim compare A.yaml B.yaml [C.yaml ...]``: scenarios side by side, same seed."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

from buffer_sim.errors import ScenarioError

PROG = "buffer-sim"

#: (column, words) of the lines printed after a comparison.
SUMMARY = (
    ("pressure_applied", "pressure applied"),
    ("beijing_enforcement", "Beijing's enforcement"),
    ("cn_imports_reported", "China's reported imports, US$ m/month"),
    ("tension", "tension"),
    ("stability", "DPRK stability"),
    ("dprk_economy", "DPRK economy"),
)


def register(subparsers, formatter_class) -> None:
    p = subparsers.add_parser(
        "compare", formatter_class=formatter_class,
        help="run several scenarios with the same seed and chart them together",
        description=textwrap.dedent("""\
            Run two or more scenarios with the same random seed (common random numbers,
            so differences come from the scenarios, not from luck) and write, into
            OUT/compare-<names>/:
              difference.csv  per measure and scenario: final value, mean, maximum and
                              its month, and the difference of each from the first
                              scenario
              timeseries.csv  every scenario's months, a 'scenario' column first
              leverage.png, trade.png, overview.png   the run charts, all scenarios
                              overlaid on shared axes
              compare.png     small multiples of the key measures
              report.html     all of it in one page that opens offline
              manifest.json   scenarios, hashes, overrides, seed, versions

            The first scenario is the reference. The same file may be given twice
            when --set makes the two differ; the second is named <name>+2."""),
        epilog=textwrap.dedent(f"""\
            examples:
              {PROG} compare replay_2009_2019 no_thaad_2016
              {PROG} compare scenarios/replay_2009_2019.yaml scenarios/whatif/*.yaml
              {PROG} compare replay_2009_2019 replay_2009_2019 \\
                  --set 2:beijing.priorities=no_nukes,no_war,no_instability
              {PROG} compare a.yaml b.yaml --set b.yaml:parameters.inertia=2 --seed 7

            --set PATH=VALUE applies to every scenario; PREFIX:PATH=VALUE only to the
            scenarios PREFIX names: a position (1, 2, ...), the argument as given, its
            file name (b.yaml) or stem (b), the scenario's name, or its label (name+2)."""))
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="two or more scenario files or names (see 'buffer-sim list')")
    p.add_argument("--seed", metavar="N", default=None,
                   help="the seed of every run (default: the first scenario's seed:)")
    p.add_argument("--out", metavar="DIR", default="out",
                   help="parent folder of the comparison's folder (default: out/)")
    p.add_argument("--set", metavar="[SCENARIO:]PATH=VALUE", action="append", default=[],
                   help="override a field in every scenario, or with a prefix in one "
                        "(repeatable)")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar and no summary; print only the output folder")
    p.set_defaults(func=handler)


def entries_from_args(args_scenarios, sets) -> list[tuple[Path, list[str]]]:
    """Resolve the scenario arguments and give each its ``--set`` overrides."""
    from buffer_sim.cli import resolve_scenario
    from buffer_sim.compare import assign_sets
    from buffer_sim.scenario import load_scenario

    if len(args_scenarios) < 2:
        raise ScenarioError("compare", "", "needs at least two scenarios (give the same file "
                                           "twice with --set 2:PATH=VALUE for a what-if)")
    paths = [resolve_scenario(a) for a in args_scenarios]
    names = [load_scenario(p).name for p in paths]
    per = assign_sets(args_scenarios, names, sets)
    return list(zip(paths, per))


def handler(args, argv) -> int:
    from buffer_sim import compare, runner
    from buffer_sim.cli import _progress_bar

    seed = None if args.seed is None else runner.check_seed(args.seed)
    out_dir = Path(args.out).expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise ScenarioError("--out", "", f"'{args.out}' exists and is not a folder")
    entries = entries_from_args(args.scenarios, args.set)
    scenarios = compare.load_all(entries, seed=seed)  # validates before any run
    total = sum(sc.months for sc in scenarios)
    show_bar = not args.quiet and sys.stderr.isatty()
    if show_bar:
        with _progress_bar(total, "compare") as bar:
            result = compare.run_comparison(
                entries, seed=seed, progress=lambda done, _total: bar.update(done - bar.n))
    else:
        result = compare.run_comparison(entries, seed=seed)
    try:
        folder = compare.write_comparison(result, out_dir, command_line=[PROG, *argv])
    except OSError as err:
        print(f"{PROG}: error: could not write the comparison to {out_dir}: {err}",
              file=sys.stderr)
        return 1
    if args.quiet:
        print(folder)
        return 0
    print(summary(result, folder))
    return 0


def summary(result, folder: Path) -> str:
    """What ran and the mean of a few measures, each scenario against the first."""
    diff = result.difference.set_index(["metric", "scenario"])
    labels = result.labels
    width = max(len(w) for _, w in SUMMARY)
    lines = [f"Compared {len(labels)} scenarios with seed {result.seed}: "
             + ", ".join(labels) + f" (reference: {labels[0]}).",
             "Mean over the period (difference from the reference):"]
    for column, words in SUMMARY:
        if (column, labels[0]) not in diff.index:
            continue
        cells = []
        for i, label in enumerate(labels):
            r = diff.loc[(column, label)]
            cells.append(f"{r['mean']:.3g}" if i == 0 else
                         f"{r['mean']:.3g} ({r['mean_diff']:+.3g})")
        lines.append(f"  {words:<{width}}  " + "   ".join(cells))
    lines += [f"Files in {folder}{os.sep}",
              "  data:   difference.csv  timeseries.csv  manifest.json",
              "  charts: compare.png  leverage.png  trade.png  overview.png",
              "  page:   report.html"]
    return "\n".join(lines)
