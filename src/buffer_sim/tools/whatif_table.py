"""The what-if table: every shipped what-if against the replay on its headline measures.

Issue 12 asks each what-if in ``scenarios/whatif/`` to move its headline measure, in the
window where it acts, by at least 0.05 on a 0..1 scale or 10% for trade, and a closing
note to give the table of each what-if against the replay. This prints it from the
model, every scenario with the same seeds (common random numbers, as the tests run
them)::

    python -m buffer_sim.tools.whatif_table              # 20 seeds, a Markdown table
    python -m buffer_sim.tools.whatif_table --seeds 5    # a quicker look

``HEADLINES`` declares each what-if's measures and windows as ``tests/test_whatifs.py``
judges them: the headline with the size the issue asks (``floor``), and the measures
that tell how it came about (no floor). The rows of one what-if come from the same runs.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from buffer_sim.experiments.engines import call_in_parallel
from buffer_sim.experiments.outcomes import get_outcome
from buffer_sim.model import run_model, timeseries_rows
from buffer_sim.scenario.catalog import project_root
from buffer_sim.scenario.schema import load_scenario

#: The share of trade and the change on a 0..1 scale a what-if's headline must move by.
TRADE_FLOOR, SCALE_FLOOR = 0.10, 0.05
SEEDS = 20


@dataclass(frozen=True)
class Headline:
    """One measure of one what-if: the mean of ``column`` over ``start``..``end``.

    Attributes:
        whatif: the file's name in ``scenarios/whatif/``.
        column: an output column (``timeseries.csv``).
        start, end: the window, months 'YYYY-MM'.
        floor: +1 or -1 if this is a headline that must rise or fall by the issue's
            floor (``TRADE_FLOOR`` for trade, ``SCALE_FLOOR`` otherwise); 0 for a
            measure shown for how the headline came about.
        size: the size the issue asks of this what-if when it names one (a share for
            trade), in place of the floor.
    """

    whatif: str
    column: str
    start: str
    end: str
    floor: int = 0
    size: float | None = None

    @property
    def asked(self) -> float:
        """The least move the issue asks, in the units of ``effect``."""
        if self.size is not None:
            return self.size
        return TRADE_FLOOR if self.trade else SCALE_FLOOR

    @property
    def trade(self) -> bool:
        return self.column.startswith("cn_")

    def effect(self, replay: float, what_if: float) -> float:
        """The what-if's change: relative for trade, a difference otherwise."""
        return what_if / replay - 1.0 if self.trade else what_if - replay

    def holds(self, replay: float, what_if: float) -> bool | None:
        """Whether the headline moves by the issue's floor (None: no floor asked)."""
        if not self.floor:
            return None
        return self.floor * self.effect(replay, what_if) >= self.asked


HEADLINES: tuple[Headline, ...] = (
    Headline("no_jang_purge_2013", "warmth_cn_dprk", "2014-01", "2015-12", +1),
    Headline("no_jang_purge_2013", "cn_imports_reported", "2014-01", "2015-12"),
    Headline("full_enforcement_from_2013", "cn_imports_reported", "2013-01", "2015-12", -1),
    Headline("coal_at_2011_price", "cn_imports_reported", "2014-01", "2015-12", +1),
    # issue 12 names this what-if's sizes: enforcement from the 2016 tests on
    Headline("beijing_denuclearisation_first", "beijing_enforcement", "2016-01", "2016-12", +1,
             0.2),
    Headline("beijing_denuclearisation_first", "cn_imports_reported", "2016-01", "2017-12", -1,
             0.15),
    Headline("strict_coal_ban_2016", "beijing_enforcement", "2016-04", "2016-12", +1),
    Headline("strict_coal_ban_2016", "cn_imports_reported", "2016-04", "2016-12"),
    Headline("strict_coal_ban_2016", "cn_imports_informal", "2016-04", "2016-12"),
    Headline("no_thaad_2016", "warmth_cn_rok", "2016-07", "2019-12", +1),
    Headline("no_secondary_sanctions_2017", "cn_imports_reported", "2017-01", "2018-12", +1),
    Headline("no_secondary_sanctions_2017", "cn_imports_informal", "2017-01", "2018-12"),
    Headline("beijing_weighs_its_priorities", "beijing_enforcement", "2017-01", "2017-12", -1),
    Headline("no_summits_2018", "tension", "2018-04", "2018-12", +1),
    Headline("no_summits_2018", "warmth_cn_dprk", "2018-04", "2018-12", -1),
)


def _window_means(path: str, seed: int, windows: tuple[tuple[str, str, str], ...]
                  ) -> list[float]:
    """One run's mean of each (column, start, end) window (the ``window_mean`` outcome
    of sweeps and sensitivity analyses)."""
    df = pd.DataFrame(timeseries_rows(run_model(load_scenario(path), seed=seed)))
    return [get_outcome(f"window_mean:{column}@{start}..{end}")(df)
            for column, start, end in windows]


def table(seeds=tuple(range(SEEDS)), headlines=HEADLINES, root: Path | None = None,
          workers: int | None = None) -> list[dict]:
    """Each headline's replay and what-if means over ``seeds``, the effect and whether
    it holds the issue's floor; one dict per headline, in ``headlines`` order."""
    root = root or project_root()
    replay = str(root / "scenarios" / "replay_2009_2019.yaml")
    windows = tuple(dict.fromkeys((h.column, h.start, h.end) for h in headlines))
    names = tuple(dict.fromkeys(h.whatif for h in headlines))
    paths = [replay] + [str(root / "scenarios" / "whatif" / f"{n}.yaml") for n in names]
    calls = [(_window_means, (path, int(seed), windows), {}) for path in paths
             for seed in seeds]
    means = np.array(call_in_parallel(calls, workers=workers)).reshape(
        len(paths), len(seeds), len(windows)).mean(axis=1)
    rows = []
    for h in headlines:
        w = windows.index((h.column, h.start, h.end))
        base, what_if = means[0, w], means[1 + names.index(h.whatif), w]
        rows.append({"whatif": h.whatif, "measure": f"{h.column} {h.start}..{h.end}",
                     "replay": float(base), "what_if": float(what_if),
                     "effect": float(h.effect(base, what_if)), "trade": h.trade,
                     "floor": h.floor, "asked": h.asked, "holds": h.holds(base, what_if)})
    return rows


def markdown(rows: list[dict], seeds: int) -> str:
    """The table as the closing notes give it."""
    lines = [f"What-ifs against the replay, means over {seeds} seeds (common random numbers).",
             "", "| what-if | measure, window | replay | what-if | change | asked | holds |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        change = f"{r['effect']:+.1%}" if r["trade"] else f"{r['effect']:+.3f}"
        size = f"{r['asked']:.0%}" if r["trade"] else f"{r['asked']:.2f}"
        asked = (("+" if r["floor"] > 0 else "-") + size) if r["floor"] else ""
        holds = {True: "yes", False: "**no**", None: ""}[r["holds"]]
        lines.append(f"| {r['whatif']} | {r['measure']} | {r['replay']:.4g} | "
                     f"{r['what_if']:.4g} | {change} | {asked} | {holds} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m buffer_sim.tools.whatif_table",
        description="Every shipped what-if against the replay on its headline measures, "
                    "the same seeds for all (a Markdown table for closing notes).")
    parser.add_argument("--seeds", type=int, default=SEEDS, metavar="N",
                        help=f"seeds 0..N-1 (default {SEEDS}, as the tests)")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds: expected a whole number >= 1, got {args.seeds}")
    rows = table(tuple(range(args.seeds)))
    print(markdown(rows, args.seeds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
