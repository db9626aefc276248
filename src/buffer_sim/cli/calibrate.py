"""``buffer-sim calibrate``: fit the trade-growth coefficients to the years up to ``--until``.

The method, the fitted coefficients and why each is fitted are in
``buffer_sim.experiments.calibration``. Writes ``scenarios/calibrated_parameters.yaml`` (or
``--out FILE``) atomically and prints the in-sample fit beside the baselines.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from buffer_sim.core.errors import ScenarioError
from buffer_sim.experiments.calibration import (DEFAULT_MAXITER, DEFAULT_SEEDS, DEFAULT_UNTIL,
                                                FIT_END, relative_label, overrides)
from buffer_sim.scenario.catalog import DEFAULT_SCENARIO, project_root, resolve_scenario
from buffer_sim.experiments.metrics import format_table
from buffer_sim.experiments import calibration, runner
from buffer_sim.output.files import atomic_write_text

PROG = "buffer-sim"
DEFAULT_FILE = "scenarios/calibrated_parameters.yaml"
MAX_SEEDS = 100
MAX_ITER = 100


def register(subparsers, formatter_class) -> None:
    p = subparsers.add_parser(
        "calibrate", formatter_class=formatter_class,
        help="fit the trade-growth coefficients to the observed years up to --until "
             f"(default {DEFAULT_UNTIL})",
        description=textwrap.dedent(f"""\
            Fit the declared coefficients (trade_growth_base_per_month,
            trade_growth_from_warmth, trade_growth_from_engagement,
            import_growth_premium_per_month, import_growth_from_prices; bounds and
            reasons in buffer_sim/experiments/calibration.py) to observed annual China-DPRK trade from the
            scenario's start to December of --until (default {DEFAULT_UNTIL}; at most
            {FIT_END[:4]}, the last observed year).

            Split sample: the observed years after --until are held back. The file
            records its window, and 'buffer-sim validate' scores the fitted years and
            the held-back years separately, so the held-back score is a test the
            fit has not seen.

            Objective: mean squared error of log annual reported trade (total, China's
            exports, China's imports) against every source row; each series-year
            counts once. The model's values are the mean of --seeds runs with the
            same seeds at every evaluation (seed, seed+1, ...: common random
            numbers). Only the months up to December of --until are simulated.

            Method: scipy.optimize.minimize, Powell with bounds in unit-scaled
            coordinates, from the package defaults, fixed tolerances and --maxiter:
            the same command gives a byte-identical file.

            Writes FILE: a header comment (method, provenance, objective before and
            after) and a parameters: mapping that a scenario can 'extends:'. Prints
            the in-sample fit beside the persistence and trend baselines (the table
            of 'buffer-sim validate')."""),
        epilog=textwrap.dedent(f"""\
            examples:
              {PROG} calibrate                     # fit 2009-2013, hold back 2014-2015
              {PROG} calibrate --until 2015        # fit every observed year (no test left)
              {PROG} calibrate --seeds 5 --maxiter 10
              {PROG} calibrate --out /tmp/fit.yaml --quiet
              {PROG} validate --set parameters.trade_growth_from_warmth=0.05   # try a value"""))
    p.add_argument("--scenario", metavar="SCENARIO", default=DEFAULT_SCENARIO,
                   help=f"scenario to calibrate (default: {DEFAULT_SCENARIO})")
    p.add_argument("--out", metavar="FILE", default=None,
                   help=f"calibration file to write (default: {DEFAULT_FILE} in the project)")
    p.add_argument("--until", metavar="YEAR", default=str(DEFAULT_UNTIL),
                   help=f"last year fitted; later observed years are held back for "
                        f"'validate' (default: {DEFAULT_UNTIL}; at most {FIT_END[:4]})")
    p.add_argument("--seeds", metavar="K", default=str(DEFAULT_SEEDS),
                   help=f"runs averaged per evaluation (default: {DEFAULT_SEEDS})")
    p.add_argument("--maxiter", metavar="N", default=str(DEFAULT_MAXITER),
                   help=f"Powell iterations at most (default: {DEFAULT_MAXITER})")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar and no table; print only the file written")
    p.set_defaults(func=handler)


def _whole(option: str, value, lo: int, hi: int) -> int:
    try:
        number = int(str(value).strip(), 10)
    except ValueError:
        raise ScenarioError(option, "", f"expected a whole number >= {lo}, got {value!r}") \
            from None
    if not lo <= number <= hi:
        raise ScenarioError(option, "", f"{number} is out of range [{lo}, {hi}]")
    return number


def out_path(arg: str | None) -> Path:
    """``--out`` as given (relative to the current folder), or the project's file."""
    if arg is None:
        return project_root() / DEFAULT_FILE
    path = Path(arg).expanduser()
    if path.is_dir():
        raise ScenarioError("--out", "", f"'{arg}' is a folder; give a file name")
    if not path.parent.is_dir():
        raise ScenarioError("--out", "", f"folder '{path.parent}' does not exist")
    return path


def command_text(args) -> str:
    """The command recorded in the file's header: stable, no absolute paths."""
    parts = [PROG, "calibrate"]
    scenario = relative_label(args.scenario_path, project_root())
    if scenario != DEFAULT_SCENARIO:
        parts += ["--scenario", scenario]
    parts += ["--until", str(args.until_n), "--seeds", str(args.seeds_n),
              "--maxiter", str(args.maxiter_n)]
    return " ".join(parts)


def summary(result, path: Path) -> str:
    width = max(len(n) for n in result.values)
    lines = [
        f"Calibrated {result.scenario.name} on {result.window[0]}..{result.window[1]}: "
        f"{result.evaluations} evaluations x {len(result.seeds)} seed(s), "
        f"{result.iterations} Powell iteration(s) ({result.message.rstrip('.')}).",
        f"Objective (mean squared log error): {result.objective_before:.4f} at the defaults "
        f"-> {result.objective_after:.4f} fitted.",
        "",
        *[f"  {name:<{width}}  {result.defaults[name]:>9.4g} -> {value:.4g}"
          for name, value in result.values.items()],
        "",
        f"In-sample fit {result.window[0][:4]}-{result.window[1][:4]} with the fitted values "
        "(as 'buffer-sim validate'; mean of the seeds):",
        format_table(result.table_after),
        "",
        "Before, at the package defaults (every source pooled):",
        format_table(result.table_before, bases=["all"]),
        "",
        f"Wrote {path}",
        "Try it:  buffer-sim validate " + " ".join(f"--set {o}" for o in
                                                   overrides(result.values)),
    ]
    return "\n".join(lines)


def handler(args, argv) -> int:
    args.seeds_n = _whole("--seeds", args.seeds, 1, MAX_SEEDS)
    args.maxiter_n = _whole("--maxiter", args.maxiter, 1, MAX_ITER)
    args.until_n = calibration.check_until(args.until)
    path = out_path(args.out)
    args.scenario_path = resolve_scenario(args.scenario)
    scenario = runner.load(args.scenario_path)
    calibration.fit_window(scenario, args.until_n)  # fails early if no year is covered

    budget = calibration.max_evaluations(args.maxiter_n, len(calibration.DECLARED)) + 3
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        with tqdm(total=budget, desc=f"calibrate {scenario.name}", unit="eval",
                  file=sys.stderr, leave=False, dynamic_ncols=True) as bar:
            result = calibration.calibrate(scenario, seeds=args.seeds_n,
                                           maxiter=args.maxiter_n,
                                           progress=lambda: bar.update(1),
                                           until=args.until_n)
    else:
        result = calibration.calibrate(scenario, seeds=args.seeds_n, maxiter=args.maxiter_n,
                                       until=args.until_n)
    text = calibration.render_yaml(result, calibration.relative_label(
        args.scenario_path, _root()), command_text(args))
    try:
        atomic_write_text(path, text)
    except OSError as err:
        reason = err.strerror or str(err)
        print(f"{PROG}: error: cannot write {err.filename or path}: {reason}", file=sys.stderr)
        return 1
    print(path if args.quiet else summary(result, path))
    return 0


def _root() -> Path:
    return project_root()
