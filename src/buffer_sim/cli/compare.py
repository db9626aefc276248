"""``buffer-sim compare A.yaml B.yaml [C.yaml ...]``: scenarios side by side, same seed."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

from buffer_sim.core.errors import ScenarioError
from buffer_sim.cli.options import add_engine_arguments, engine_choice
from buffer_sim.experiments.compare import NOISE_RULE, check_runs, assign_sets
from buffer_sim.scenario.catalog import resolve_scenario
from buffer_sim.experiments import compare, engines, runner
from buffer_sim.cli.common import progress_bar
from buffer_sim.output.charts.series import METRICS

PROG = "buffer-sim"


def register(subparsers, formatter_class) -> None:
    p = subparsers.add_parser(
        "compare", formatter_class=formatter_class,
        help="run several scenarios with the same seed and chart them together",
        description=textwrap.dedent("""\
            Run two or more scenarios with the same random seed (common random numbers,
            so differences come from the scenarios, not from luck) and write, into
            OUT/compare-<names>/:
              difference.csv  per measure and scenario, over the window (below): final
                              value, mean, maximum and its month, and the difference
                              of each from the first scenario
              timeseries.csv  every scenario's months, a 'scenario' column first
              leverage.png, trade.png, overview.png   the run charts' measures, one
                              panel each, one colour per scenario, events numbered
              compare.png     the headline measures, one panel each
              compare_difference.png   the same panels: each scenario minus the
                              first, from a year before the window on
              report.html     all of it in one page that opens offline
              manifest.json   scenarios, hashes, overrides, seed, window, versions

            The first scenario is the reference. The same file may be given twice
            when --set makes the two differ; the second is named <name>+2.

            The key numbers (printed, difference.csv, report.html) are means, finals
            and maxima over a window of months: by default from the first month in
            which the scenarios' outputs differ to the end, so that a what-if acting
            in 2016 is not averaged with the identical years before it. The window
            used is printed; --from and --to choose another.

            """) + textwrap.fill(
                "--runs N also runs every scenario N times, run i of each with the same "
                "seed (the seeds of 'buffer-sim ensemble', derived from --seed): the charts "
                "shade the 5-95% range of the N runs, and each difference of means gets a "
                "verdict: " + compare_noise_rule() + ". The lines, and the means before "
                "the verdict, stay those of the run with the comparison's seed.", 76),
        epilog=textwrap.dedent(f"""\
            examples:
              {PROG} compare replay_2009_2019 no_thaad_2016
              {PROG} compare replay_2009_2019 no_thaad_2016 --from 2016-07 --to 2017-12
              {PROG} compare replay_2009_2019 no_summits_2018 --runs 20
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
    p.add_argument("--from", dest="start", metavar="YYYY-MM", default=None,
                   help="first month of the key numbers (default: the first month the "
                        "scenarios' outputs differ)")
    p.add_argument("--to", dest="end", metavar="YYYY-MM", default=None,
                   help="last month of the key numbers (default: the last month)")
    p.add_argument("--runs", metavar="N", default=None,
                   help="also run every scenario N times with paired seeds: 5-95%% bands "
                        "on the charts and a verdict on each difference ('within the "
                        "noise' when the 5-95%% range of the N paired differences "
                        "includes 0); default 1: the seed's run only")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar and no summary; print only the output folder")

    add_engine_arguments(p)
    p.set_defaults(func=handler, pool_preload=pool_preload)


def pool_preload(args) -> tuple[str, ...]:
    """What the fork server imports (``options.start_pool_early``): the charts, which
    are drawn on the pool; and the model if ``--runs`` runs it there too. With the
    model alone, each chart worker imported Matplotlib itself, and a comparison
    without runs loaded the compiled model for nothing."""
    try:
        runs = runs_from_text(getattr(args, "runs", None))
    except ScenarioError:  # the handler reports it, before any work
        runs = 1
    if runs == 1:
        return engines.CHART_MODULES
    return (*engines.MODEL_MODULES[:-1], *engines.CHART_MODULES)


def compare_noise_rule() -> str:
    return NOISE_RULE


def runs_from_text(text) -> int:
    """``--runs`` as given: a whole number >= 1 (None: 1), or a one-line error."""
    if text is None:
        return 1
    try:
        value = int(str(text).strip(), 10)
    except ValueError:
        raise ScenarioError("--runs", "", f"expected a whole number >= 1, got {text!r}") \
            from None
    return check_runs(value)


def entries_from_args(args_scenarios, sets) -> list[tuple[Path, list[str]]]:
    """Resolve the scenario arguments and give each its ``--set`` overrides."""
    # lazy: loads Mesa (via the actors); command dispatch: only when the command runs
    from buffer_sim.scenario.schema import load_scenario

    if len(args_scenarios) < 2:
        raise ScenarioError("compare", "", "needs at least two scenarios (give the same file "
                                           "twice with --set 2:PATH=VALUE for a what-if)")
    paths = [resolve_scenario(a) for a in args_scenarios]
    names = [load_scenario(p).name for p in paths]
    per = assign_sets(args_scenarios, names, sets)
    return list(zip(paths, per))


def handler(args, argv) -> int:
    seed = None if args.seed is None else runner.check_seed(args.seed)
    out_dir = Path(args.out).expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise ScenarioError("--out", "", f"'{args.out}' exists and is not a folder")
    entries = entries_from_args(args.scenarios, args.set)
    scenarios = compare.load_all(entries, seed=seed)  # validates before any run
    start = getattr(args, "start", None)
    end = getattr(args, "end", None)
    runs = runs_from_text(getattr(args, "runs", None))
    start = None if start is None else compare.check_month("--from", start)
    end = None if end is None else compare.check_month("--to", end)
    compare.check_window(scenarios, start, end)
    options = dict(seed=seed, start=start, end=end, runs=runs,
                   choice=engine_choice(args))
    total = compare.total_months(scenarios, runs)
    show_bar = not args.quiet and sys.stderr.isatty()
    if show_bar:
        with progress_bar(total, "compare") as bar:
            result = compare.run_comparison(
                entries, progress=lambda done, _total: bar.update(done - bar.n), **options)
    else:
        result = compare.run_comparison(entries, **options)
    try:
        folder = compare.write_comparison(result, out_dir, command_line=[PROG, *argv],
                                          workers=getattr(args, "workers", None))
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
    """What ran, the window, and the headline measures: each scenario against the first.

    With runs, each difference is followed by the N runs' median paired difference,
    its 5-95% range and the verdict (``compare.NOISE_RULE``).
    """
    diff = result.difference.set_index(["metric", "scenario"])
    labels = result.labels
    runs = result.runs
    lines = [f"Compared {len(labels)} scenarios with seed {result.seed}: "
             + ", ".join(labels) + f" (reference: {labels[0]})."]
    if runs is not None:
        lines.append(f"Every scenario also ran {runs.count} times with paired seeds.")
    if result.window is not None:
        lines.append(f"Key numbers over {result.window}: {result.window.how} "
                     "(choose with --from/--to).")
    lines.append("Mean over those months (difference from the reference)"
                 + (f"; then the {runs.count} runs' median difference [5%, 95%] and the "
                    "verdict ('within the noise': that range includes 0):"
                    if runs is not None else ":"))
    rows = []
    for column, digits in compare.HEADLINES:
        if (column, labels[0]) not in diff.index:
            continue
        words, unit = METRICS.get(column, (column, ""))
        cells = []
        for i, label in enumerate(labels):
            r = diff.loc[(column, label)]
            if i == 0:
                cells.append(_num(r["mean"], digits))
                continue
            cell = f"{_num(r['mean'], digits)} ({_signed(r['mean_diff'], digits)})"
            if runs is not None and isinstance(r.get("verdict"), str):
                cell += (f"  runs: {_signed(r['runs_diff_median'], digits)} "
                         f"[{_signed(r['runs_diff_q05'], digits)}, "
                         f"{_signed(r['runs_diff_q95'], digits)}] {r['verdict']}")
            cells.append(cell)
        rows.append((f"{words}, {unit}", cells))
    width = max((len(w) for w, _ in rows), default=0)
    columns = [max([len(labels[i])] + [len(cells[i]) for _, cells in rows])
               for i in range(len(labels))]
    lines.append(f"  {'':<{width}}  " + "   ".join(f"{label:<{w}}" for label, w in
                                                      zip(labels, columns)).rstrip())
    for words, cells in rows:
        lines.append(f"  {words:<{width}}  " + "   ".join(
            f"{cell:<{w}}" for cell, w in zip(cells, columns)).rstrip())
    lines += [f"Files in {folder}{os.sep}",
              "  data:   difference.csv  timeseries.csv  manifest.json",
              "  charts: compare.png  compare_difference.png  leverage.png  trade.png  "
              "overview.png",
              "  page:   report.html"]
    return "\n".join(lines)


def _num(x, digits: int) -> str:
    return "–" if x != x else f"{x:.{digits}f}"


def _signed(x, digits: int) -> str:
    """A difference with enough decimals to show it: never "+0.00" for a non-zero one."""
    if x != x:
        return "–"
    if x == 0:
        return "0"
    text = f"{x:+.{digits}f}"
    while float(text) == 0 and digits < 8:
        digits += 1
        text = f"{x:+.{digits}f}"
    return text
