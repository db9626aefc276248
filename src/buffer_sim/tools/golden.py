"""Golden values of the default run: pin the model's behaviour; refresh when intended.

The default scenario (``scenarios/replay_2009_2019.yaml``) with its own seed is run
once, and a few key outputs are summarised year by year: annual means of tension,
Beijing's enforcement, the three leverage measures (potential, pressure applied,
influence realized), China-DPRK warmth, the DPRK economy and stability, and annual sums
of the four trade flows. ``tests/test_golden.py`` compares them with
``tests/golden/replay_2009_2019.json``, so that a change in behaviour nobody intended
fails CI. When the change is intended (a retuned coefficient, a new mechanism), refresh
the file and commit it with the change::

    python -m buffer_sim.tools.golden --refresh      # or: make golden
    python -m buffer_sim.tools.golden                # compare only; exit 1 on a difference

Tolerance: relative 1e-6 (absolute 1e-9 for values near zero). A run is deterministic
— same scenario, same seed, same random draws, byte-identical CSV files — so on one
machine the values agree exactly. The tolerance only absorbs last-digit differences of
the maths library (exp, log, pow) between platforms and numpy builds. It is not a
licence for small model changes: those move the values by far more than 1e-6.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from buffer_sim.scenario.catalog import project_root
from buffer_sim.experiments import runner
from buffer_sim.output.files import atomic_write_text

GOLDEN_NAME = "replay_2009_2019.json"
DEFAULT_SCENARIO = "scenarios/replay_2009_2019.yaml"
MEAN_COLUMNS = ("tension", "beijing_enforcement", "pressure_applied", "influence_realized",
                "leverage_potential", "warmth_cn_dprk", "dprk_economy", "stability")
SUM_COLUMNS = ("cn_exports_reported", "cn_imports_reported", "cn_exports_informal",
               "cn_imports_informal")
RELATIVE_TOLERANCE = 1e-6
ABSOLUTE_TOLERANCE = 1e-9
REFRESH_COMMAND = "python -m buffer_sim.tools.golden --refresh"


def golden_file() -> Path:
    """``tests/golden/replay_2009_2019.json`` in the source checkout."""
    return project_root() / "tests" / "golden" / GOLDEN_NAME


def compute(scenario=None, seed=None) -> dict:
    """The golden values of a run (default: the default scenario with its own seed)."""
    path = Path(scenario) if scenario is not None else project_root() / DEFAULT_SCENARIO
    result = runner.run(path, seed=seed)
    df = result.timeseries
    years = df["date"].str[:4]
    means = df.groupby(years)[list(MEAN_COLUMNS)].mean()
    sums = df.groupby(years)[list(SUM_COLUMNS)].sum()
    sc = result.scenario
    rel = path.resolve()
    try:
        rel = rel.relative_to(project_root())
    except ValueError:
        pass
    return {
        "about": "Annual means and sums of the default run; see buffer_sim/tools/golden.py. "
                 f"Refresh when a change is intended: {REFRESH_COMMAND}",
        "scenario": rel.as_posix(),
        "name": sc.name,
        "seed": sc.seed,
        "content_hash": sc.content_hash,
        "months": result.months,
        "tolerance": {"relative": RELATIVE_TOLERANCE, "absolute": ABSOLUTE_TOLERANCE},
        "annual_means": {c: {y: float(v) for y, v in means[c].items()} for c in MEAN_COLUMNS},
        "annual_sums": {c: {y: float(v) for y, v in sums[c].items()} for c in SUM_COLUMNS},
    }


def differences(golden: dict, current: dict, rel: float = RELATIVE_TOLERANCE,
                abs_tol: float = ABSOLUTE_TOLERANCE) -> list[str]:
    """Every golden value the current run does not reproduce, as readable lines."""
    out = []
    for key in ("name", "seed", "months"):
        if golden.get(key) != current.get(key):
            out.append(f"{key}: golden {golden.get(key)!r}, now {current.get(key)!r}")
    for table in ("annual_means", "annual_sums"):
        old, new = golden.get(table, {}), current.get(table, {})
        for column in sorted(set(old) | set(new)):
            a, b = old.get(column, {}), new.get(column, {})
            for year in sorted(set(a) | set(b)):
                x, y = a.get(year), b.get(year)
                if x is None or y is None:
                    out.append(f"{table}.{column}[{year}]: golden {x!r}, now {y!r}")
                elif not math.isclose(x, y, rel_tol=rel, abs_tol=abs_tol):
                    change = f" ({(y - x) / abs(x):+.2%})" if x else ""
                    out.append(f"{table}.{column}[{year}]: golden {x:.9g}, now {y:.9g}{change}")
    if out and golden.get("content_hash") != current.get("content_hash"):
        out.append("(the scenario's content changed since the golden file was written)")
    return out


def load(path=None) -> dict:
    path = Path(path) if path is not None else golden_file()
    return json.loads(path.read_text(encoding="utf-8"))


def write(values: dict, path=None) -> Path:
    path = Path(path) if path is not None else golden_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(path, json.dumps(values, indent=2) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m buffer_sim.tools.golden",
        description="Compare the default run with its golden values, or refresh them.")
    parser.add_argument("--refresh", action="store_true",
                        help="rewrite the golden file from the current model")
    parser.add_argument("--file", default=None,
                        help=f"golden file (default: tests/golden/{GOLDEN_NAME})")
    args = parser.parse_args(argv)
    path = Path(args.file) if args.file else golden_file()
    current = compute()
    if args.refresh:
        changed = differences(load(path), current) if path.exists() else None
        write(current, path)
        what = "a new file" if changed is None else f"{len(changed)} difference(s)"
        print(f"wrote {path}: {current['name']}, seed {current['seed']}, "
              f"{current['months']} months; {what}")
        for line in (changed or [])[:20]:
            print(f"  {line}")
        return 0
    if not path.exists():
        print(f"no golden file at {path}; create it with: {REFRESH_COMMAND}", file=sys.stderr)
        return 1
    diff = differences(load(path), current)
    if diff:
        print(f"{len(diff)} golden value(s) differ from {path}:", file=sys.stderr)
        for line in diff:
            print(f"  {line}", file=sys.stderr)
        print(f"If the change is intended: {REFRESH_COMMAND}", file=sys.stderr)
        return 1
    print(f"golden values reproduced ({path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
