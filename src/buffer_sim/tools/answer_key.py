"""Teachers' answer keys for the worksheets in ``exercises/``, computed from their runs.

A key is built by running the worksheet's own commands (the ``.venv/bin/buffer-sim`` lines
of its ```bash blocks, in this process, into a scratch folder), reading what they wrote
(``difference.csv``, ``timeseries.csv``) and re-running each ``explain`` line through the
API for its decision table. Every answer quotes the numbers those runs give, so the key is
as reproducible as the runs themselves: same scenarios and seed, same key, byte for byte.

Run ``python -m buffer_sim.tools.answer_key exercises/02_order_of_priorities.md`` (or no argument
for all four) to write ``exercises/answers/<worksheet>.md``; ``--check`` compares instead
of writing and exits 1 when a committed key is out of date (after a change to the model).
The same functions let the tests check that every name a worksheet cites appears on the
chart it cites (``citations``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from buffer_sim import api
from buffer_sim.output import explain
from buffer_sim.cli import main as cli_main
from buffer_sim.output.explain import _months_word, _priority_label

__all__ = ["Citation", "WorksheetRuns", "bash_lines", "build_key", "citations", "commands",
           "main", "read_worksheet", "run_worksheet"]

#: how a worksheet calls the command: the one ``make`` installs, from the project folder
COMMAND = ".venv/bin/buffer-sim "
_FENCE = re.compile(r"```bash\n(.*?)```", re.S)
_CODE = re.compile(r"`([^`]+)`")


def bash_lines(path: Path) -> list[str]:
    """Every non-empty line of the worksheet's ```bash blocks."""
    return [line.strip() for block in _FENCE.findall(Path(path).read_text(encoding="utf-8"))
            for line in block.splitlines() if line.strip()]


def commands(path: Path) -> list[str]:
    """The buffer-sim lines of the worksheet's ```bash blocks."""
    return [line for line in bash_lines(path) if line.startswith(COMMAND)]


# --------------------------------------------------------------------------------------
# Which chart names a worksheet cites
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Citation:
    """Names a worksheet tells the class to find on one chart.

    Attributes:
        png: the chart, relative to the folder the commands ran in (``out/.../x.png``).
        names: panel titles or legend entries, exactly as the worksheet writes them.
        where: the worksheet text they come from (for error messages).
    """

    png: str
    names: tuple[str, ...]
    where: str


def citations(path: Path) -> list[Citation]:
    """The charts a worksheet cites and the names it cites on each.

    The rule the worksheets follow: in a paragraph or list item, a code span naming a
    PNG (```overview.png```) is a chart of the report named last before it
    (```out/<folder>/report.html```); every code span after it, up to the next PNG or
    the end of the paragraph, is a panel title or legend entry of that chart.

    Returns:
        One ``Citation`` per PNG mentioned (with no names if none follow it).
    """
    text = Path(path).read_text(encoding="utf-8")
    text = _FENCE.sub("", text)
    folder = None
    found = []
    # Paragraphs and list items: a blank line or a new item ends one.
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:\d+\.|-) )", text):
        current: list | None = None
        for span in _CODE.findall(block):
            span = " ".join(span.split())
            if span.startswith("out/") and span.endswith("/report.html"):
                folder = span.rsplit("/", 1)[0]
            elif span.endswith(".png"):
                png = span if "/" in span else f"{folder}/{span}"
                current = [png, []]
                found.append((current, " ".join(block.split())))
            elif current is not None:
                current[1].append(span)
    return [Citation(png, tuple(names), where) for (png, names), where in found]


# --------------------------------------------------------------------------------------
# Running a worksheet
# --------------------------------------------------------------------------------------

@dataclass
class Explained:
    """One ``explain`` line of a worksheet, re-run for its decision table."""

    scenario: str
    actor: str
    start: str | None
    end: str | None
    overrides: tuple[str, ...]
    table: pd.DataFrame

    def moves(self) -> pd.DataFrame:
        """The actor's changes of policy inside the told months: one row per month in
        which an instrument moved, with ``changes`` ({instrument: (old, new)})."""
        df = self.table[self.table["actor"] == self.actor]
        if self.start:
            df = df[df["month"] >= self.start]
        if self.end:
            df = df[df["month"] <= self.end]
        rows = []
        for _, row in df.iterrows():
            changes = {k: (float(row["previous"].get(k, v)), float(v))
                       for k, v in row["choice"].items()
                       if abs(float(row["previous"].get(k, v)) - float(v)) > 1e-9}
            if changes:
                rows.append({"month": row["month"], "priority": row["deciding_priority"],
                             "changes": changes})
        return pd.DataFrame(rows, columns=["month", "priority", "changes"])


@dataclass
class WorksheetRuns:
    """What a worksheet's commands produced.

    Attributes:
        root: the folder the commands ran in (their ``--out`` is ``root/out``).
        printed: each command line -> what it printed.
        explained: the ``explain`` lines, re-run for their decision tables.
    """

    root: Path
    printed: dict[str, str] = field(default_factory=dict)
    explained: list[Explained] = field(default_factory=list)

    def folder(self, name: str) -> Path:
        return self.root / "out" / name

    def difference(self, folder: str) -> pd.DataFrame:
        return pd.read_csv(self.folder(folder) / "difference.csv")

    def timeseries(self, folder: str) -> pd.DataFrame:
        return pd.read_csv(self.folder(folder) / "timeseries.csv")

    def window(self, folder: str) -> tuple[str, str]:
        import json

        window = json.loads((self.folder(folder) / "manifest.json").read_text())["window"]
        return window["start"], window["end"]


def _option(argv: list[str], name: str, default=None):
    return argv[argv.index(name) + 1] if name in argv else default


def run_worksheet(path: Path, root: Path) -> WorksheetRuns:
    """Run a worksheet's commands in this process, writing into ``root/out``.

    Raises:
        RuntimeError: a command failed (its error output is in the message).
    """
    runs = WorksheetRuns(Path(root))
    for line in commands(path):
        argv = shlex.split(line)[1:]
        if "--out" in argv:
            argv[argv.index("--out") + 1] = str(runs.root / "out")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli_main(argv)
        if code != 0:
            raise RuntimeError(f"{Path(path).name}: '{line}' failed ({code}): {err.getvalue()}")
        runs.printed[line] = out.getvalue()
        _add_explained(runs, argv)
    return runs


def read_worksheet(path: Path, root: Path, printed: dict[str, str] | None = None
                   ) -> WorksheetRuns:
    """What a worksheet's commands left in ``root``, where they ran as printed (their
    ``--out out`` is ``root/out``): nothing is run again but the ``explain`` lines,
    whose decision tables are not files.

    Args:
        path: the worksheet.
        root: the folder the commands ran in.
        printed: each command line -> what it printed, if kept.
    """
    runs = WorksheetRuns(Path(root), dict(printed or {}))
    for line in commands(path):
        _add_explained(runs, shlex.split(line)[1:])
    return runs


def _add_explained(runs: WorksheetRuns, argv: list[str]) -> None:
    """Re-run an ``explain`` command line's scenario for its decision table."""
    if argv[0] != "explain":
        return
    overrides = tuple(argv[i + 1] for i, a in enumerate(argv) if a == "--set")
    seed = _option(argv, "--seed")
    result = api.run(argv[1], None if seed is None else int(seed), set=list(overrides))
    runs.explained.append(Explained(
        argv[1], _option(argv, "--actor", "beijing"), _option(argv, "--from"),
        _option(argv, "--to"), overrides, explain.decision_table(result.run_result)))


# --------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------

def _f(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}f}"


def _d(value: float, digits: int = 3) -> str:
    text = f"{value:+.{digits}f}"
    return "0" if float(text) == 0 else text


def _priority(name: str) -> str:
    return _priority_label(name)


def _counts(moves: pd.DataFrame, instrument: str | None = None,
            column: str = "priority") -> str:
    """'no war 3, no nuclear weapons 1' for the moves (of one instrument)."""
    if instrument is not None:
        moves = moves[[instrument in c for c in moves["changes"]]]
    counts = Counter(moves[column])
    return ", ".join(f"{_priority(p)} {n}" for p, n in counts.most_common()) or "none"


def _move_list(moves: pd.DataFrame, instrument: str) -> str:
    """'2017-04 0.60→0.85 (no war); ...' for one instrument's moves."""
    parts = []
    for _, row in moves.iterrows():
        if instrument in row["changes"]:
            old, new = row["changes"][instrument]
            parts.append(f"{row['month']} {old:.2f}→{new:.2f} ({_priority(row['priority'])})")
    return "; ".join(parts) or "none"


def _months_in(rows: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    """The rows (moves, decisions) of months ``start`` to ``end`` ('YYYY-MM')."""
    return rows[(rows["month"] >= start) & (rows["month"] <= end)]


def _moved(moves: pd.DataFrame, instruments: tuple[str, ...], up: bool) -> pd.DataFrame:
    """The moves that raised (``up``) or lowered any of ``instruments``."""
    def went(changes: dict) -> bool:
        return any((new > old) if up else (new < old)
                   for name, (old, new) in changes.items() if name in instruments)
    # a boolean Series, not a list: an empty list would select no columns
    return moves[moves["changes"].map(went).astype(bool)]


def _row(diff: pd.DataFrame, metric: str, scenario: str) -> pd.Series:
    return diff[(diff["metric"] == metric) & (diff["scenario"] == scenario)].iloc[0]


def _delta(diff: pd.DataFrame, metric: str, scenario: str, digits: int = 3) -> str:
    """'0.268 (Δ mean -0.452; 10 runs: -0.478 [-0.622, -0.350], beyond the noise)'."""
    row = _row(diff, metric, scenario)
    text = f"{_f(row['mean'], digits)} (Δ mean {_d(row['mean_diff'], digits)}"
    if row.get("runs", 1) > 1:
        text += (f"; {int(row['runs'])} runs: {_d(row['runs_diff_median'], digits)} "
                 f"[{_d(row['runs_diff_q05'], digits)}, {_d(row['runs_diff_q95'], digits)}], "
                 f"{row['verdict']}")
    return text + ")"


def _series(ts: pd.DataFrame, scenario: str | None = None) -> pd.DataFrame:
    if scenario is not None:
        ts = ts[ts["scenario"] == scenario]
    return ts.set_index("date")


def _mean(ts: pd.DataFrame, column: str, start: str, end: str) -> float:
    return float(ts.loc[start:end, column].mean())


def _months_where(mask: pd.Series) -> str:
    """Consecutive months of a boolean series as ranges: '2017-05 to 2017-07, 2017-12'."""
    months = list(mask[mask].index)
    if not months:
        return "no month"
    ranges, start, prev = [], months[0], months[0]
    index = list(mask.index)
    for month in months[1:]:
        if index.index(month) != index.index(prev) + 1:
            ranges.append((start, prev))
            start = month
        prev = month
    ranges.append((start, prev))
    return ", ".join(a if a == b else f"{a} to {b}" for a, b in ranges)


def _first_difference(ts: pd.DataFrame, a: str, b: str) -> str | None:
    """The first month in which any output of scenarios a and b differs."""
    x, y = _series(ts, a), _series(ts, b)
    numeric = [c for c in x.columns if c != "scenario" and pd.api.types.is_numeric_dtype(x[c])]
    differs = (x[numeric] - y[numeric]).abs().max(axis=1) > 1e-12
    return differs[differs].index[0] if differs.any() else None


# --------------------------------------------------------------------------------------
# The keys
# --------------------------------------------------------------------------------------

@dataclass
class Key:
    """Answers in the worksheet's order: (section, question, answer)."""

    answers: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, section: str, question: str, answer: str) -> None:
        self.answers.append((section, question, answer))


def _key_01(runs: WorksheetRuns) -> Key:
    key = Key()
    ts = _series(pd.read_csv(runs.folder("pressure_2016_2017") / "timeseries.csv"))
    pot, app, real, could = (ts[c] for c in ("leverage_potential", "pressure_applied",
                                             "influence_realized", "influence_potential"))
    tests = ts["pyongyang_provocation"].round()
    last_test = tests[tests > 0].index[-1]
    complete = ts.get("pyongyang_declared_complete")
    declared = (complete[complete > 0].index[0]
                if complete is not None and (complete > 0).any() else None)
    pyongyang = next(e for e in runs.explained if e.actor == "pyongyang")
    test_rows = pyongyang.table[(pyongyang.table["actor"] == "pyongyang")]
    test_rows = test_rows[[c.get("provocation", 0) >= 1 for c in test_rows["choice"]]]
    key.add("Look at", "1. `leverage.png`: the four lines.",
            f"Potential leverage stays between {_f(pot.min())} and {_f(pot.max())} of the DPRK "
            f"economy. Pressure applied peaks at {_f(app.max())} in {app.idxmax()}; before "
            f"2017-06 it never exceeds {_f(app.loc[:'2017-05'].max())}. Realized influence is "
            f"above zero in {_months_where(real > 0)} (at most {_f(real.max())}) and below zero "
            f"in {_months_where(real < 0)} (lowest {_f(real.min())}). Potential influence "
            f"(what a cut-off would have bought) is above 0.5 in "
            f"{int((could > 0.5).sum())} of {len(could)} months.")
    key.add("Look at", "2. Key numbers.",
            f"Mean potential leverage {_f(pot.mean())}, mean pressure applied {_f(app.mean())} "
            f"({app.mean() / pot.mean():.0%} of the potential), mean potential influence "
            f"{_f(could.mean())}, mean realized influence {_f(real.mean())} "
            f"({real.mean() / could.mean():.0%} of the potential influence).")
    enf = ts["beijing_enforcement"]
    before = last_test < enf.idxmax()
    highest = (f"and reaches {_f(enf.max(), 2)} only in {enf.idxmax()}" if before
               else f"(its highest, {_f(enf.max(), 2)}, since {enf.idxmax()})")
    key.add("Look at", "3. `overview.png`: when does Pyongyang stop testing?",
            f"{int((tests == 1).sum())} missile tests and {int((tests == 2).sum())} nuclear "
            f"tests or ICBM launches; the last in {last_test}. Beijing's visible enforcement "
            f"is {_f(ts.loc[last_test, 'beijing_enforcement'], 2)} then {highest}; aid "
            f"(oil and food) is {_f(ts.loc[last_test, 'beijing_aid'], 2)} (0.5 is normal): "
            + ("the tests stop before the squeeze, not after it." if before
               else "the tests stop after the squeeze began."))
    order = (f"it ranks the economy first from {declared}, when its nuclear force is "
             "declared complete" if declared else "its order does not change")
    key.add("Look at", "4. `explain` for Pyongyang: which priority decided each test?",
            f"{len(test_rows)} months with a test, decided by: "
            f"{_counts(test_rows, column='deciding_priority')}; "
            f"{order}.")
    gap = (could - real).groupby(could.index.str[:4]).mean()
    widest = str(gap.idxmax())
    key.add("Debrief", "Two gaps: which is wider, and in which years?",
            f"Leverage: on average Beijing applies {_f(app.mean())} of a potential "
            f"{_f(pot.mean())}, i.e. it leaves {1 - app.mean() / pot.mean():.0%} unused. "
            f"Influence: a cut-off would have bought a mean {_f(could.mean())}, Beijing's "
            f"policy bought {_f(real.mean())} ({real.mean() / could.mean():.0%} of it). The "
            f"influence gap is widest in {widest} (a mean {_f(gap[widest])} a month): a "
            "cut-off would have stopped tests Beijing let happen; what little pressure there was changed "
            "Pyongyang's choice only in the months listed under Look at 1 (Pyongyang's own "
            "priorities put completing its nuclear force first).")
    key.add("Debrief", "Why a counterfactual, and why can it be negative?",
            "Only the comparison with the same world without pressure separates what "
            "pressure caused from what Pyongyang would have done anyway. Negative values "
            "are months in which Pyongyang tests more or reaches out less with the pressure "
            f"than without it: here {_months_where(real < 0)}, lowest "
            f"{_f(real.min())}.")
    key.add("Debrief", "\"A pliant ally would be anathema\": where in `explain`?",
            f"The test months are decided by {_counts(test_rows, column='deciding_priority')}"
            ", mostly against a threshold it stays below \"even so\": Pyongyang tests whatever "
            "Beijing does, because its first priority is completing its deterrent, not Beijing's "
            "approval.")
    key.add("Debrief", "When is realized influence above zero, and what caused it?",
            f"In {_months_where(real > 0)}. Pyongyang's last test is in {last_test}"
            + (f" and its force is declared complete in {declared}" if declared else "")
            + (": the months of influence follow the end of the programme's test series, so "
               "Beijing's pressure tips choices Pyongyang's own programme had already made "
               "easy to forgo." if real[real > 0].index.min() > last_test else
               ": some influence comes while Pyongyang is still testing."))
    key.add("Debrief", "What would have to change for realized influence to rise?",
            f"Pressure applied would have to approach the potential (mean {_f(app.mean())} "
            f"against {_f(pot.mean())}), which Beijing's higher priorities (no war, no "
            "instability) do not call for, or "
            "Pyongyang would have to rank the economy above completing its nuclear force before its "
            "programme is complete ("
            + (f"it does so only from {declared})." if declared
               else "in this run it never declares it complete, so it never does)."))
    name = "compare-replay_2009_2019-full_enforcement_from_2013"
    diff = runs.difference(name)
    start, end = runs.window(name)
    what = "full_enforcement_from_2013"
    key.add("Extension", "Full enforcement from 2013: influence, or a weaker economy?",
            f"Over {start} to {end}: reported imports "
            f"{_delta(diff, 'cn_imports_reported', what, 1)}"
            f" US$m/month, informal trade {_delta(diff, 'informal_trade', what, 1)}, DPRK "
            f"economy {_delta(diff, 'dprk_economy', what)}, DPRK stability "
            f"{_delta(diff, 'stability', what)}, realized influence "
            f"{_delta(diff, 'influence_realized', what)}. Compare the size of the change in "
            "influence with the fall of the economy and of stability, the measure of "
            "Beijing's second priority, no instability.")
    return key


def _key_02(runs: WorksheetRuns) -> Key:
    key = Key()
    name = ("compare-replay_2009_2019-beijing_denuclearisation_first-"
            "beijing_border_trade_first")
    diff, ts = runs.difference(name), runs.timeseries(name)
    start, end = runs.window(name)
    bt, nn, ref = "beijing_border_trade_first", "beijing_denuclearisation_first", \
        "replay_2009_2019"
    first_bt, first_nn = _first_difference(ts, ref, bt), _first_difference(ts, ref, nn)
    replay, border = runs.explained[0], runs.explained[1]
    replay_moves, border_moves = replay.moves(), border.moves()
    nn_table = explain.decision_table(api.run("beijing_denuclearisation_first").run_result)
    same = _same_choices(replay.table, nn_table, "beijing", replay.start, replay.end)
    key.add("Look at", "1. `compare_difference.png`: enforcement, reported imports, informal "
            "trade.",
            f"Key-number window {start} to {end}. Border trade first: enforcement "
            f"{_delta(diff, 'beijing_enforcement', bt)}, reported imports "
            f"{_delta(diff, 'cn_imports_reported', bt, 1)} US$m/month, informal trade "
            f"{_delta(diff, 'informal_trade', bt, 1)}; the run with the class's seed first "
            f"differs from the replay in {first_bt}. No nuclear weapons first: "
            + (f"first differs in {first_nn}" if first_nn else
               "the line stays at zero: the run with the class's seed is identical to the "
               "replay in every month") + ".")
    key.add("Look at", "2. `compare.png`: pressure applied and realized influence.",
            f"Border trade first: pressure applied {_delta(diff, 'pressure_applied', bt)}, "
            f"realized influence {_delta(diff, 'influence_realized', bt)}. No nuclear weapons "
            f"first: pressure applied {_delta(diff, 'pressure_applied', nn)}, realized "
            f"influence {_delta(diff, 'influence_realized', nn)}.")
    verdicts = [(m, label) for m, label in (("beijing_enforcement", "enforcement"),
                                            ("cn_imports_reported", "reported imports"),
                                            ("informal_trade", "informal trade"))]
    key.add("Look at", "3. Key numbers: Δ mean and verdicts.",
            " ".join(f"{label}: border trade first {_row(diff, m, bt)['verdict']}, no nuclear "
                     f"weapons first {_row(diff, m, nn)['verdict']}." for m, label in verdicts))
    key.add("Look at", "4. The two `explain` outputs: who decides Beijing's moves?",
            f"Replay, {replay.start} to {replay.end}: {_months_word(len(replay_moves))} with a "
            f"move, decided by {_counts(replay_moves)}. Border trade first: "
            f"{_months_word(len(border_moves))} with a move, decided by {_counts(border_moves)}.")
    key.add("Debrief", "Border trade first: enforcement, reported imports, informal trade?",
            f"Enforcement {_delta(diff, 'beijing_enforcement', bt)}; reported imports "
            f"{_delta(diff, 'cn_imports_reported', bt, 1)} US$m/month; informal trade "
            f"{_delta(diff, 'informal_trade', bt, 1)}"
            + (": trade Beijing lets through customs no longer needs to be smuggled. "
               if _row(diff, 'informal_trade', bt)['mean_diff'] < 0 else ". ")
            + "Enforcement moves in the replay: "
            f"{_move_list(replay_moves, 'enforcement')}. With border trade first: "
            f"{_move_list(border_moves, 'enforcement')}.")
    parted = _first_different_choice(replay.table, nn_table, "beijing", replay.start,
                                     replay.end)
    nn_enforcement = _row(diff, "beijing_enforcement", nn)
    verdicts_nn = (f"Ten runs: enforcement {nn_enforcement['verdict']}, "
                   f"reported imports {_row(diff, 'cn_imports_reported', nn)['verdict']}.")
    differs = nn_enforcement["verdict"] == "beyond the noise"
    # a what-if can move a lot in most runs and not at all in a few (the 5-95% band then
    # reaches 0, "within the noise"): where the priorities never conflict
    mostly = abs(float(nn_enforcement.get("runs_diff_median", 0.0))) >= 0.05
    if parted is None:
        why = ("Whenever one of the top three needed a move, the same move suited the other "
               "two (or they held either way), so their order never had to break a tie: the "
               "three did not conflict in these months.")
    else:
        month, mine, theirs = parted
        why = (f"The first month the orders part is {month}: the replay's Beijing "
               f"{_choice_text(mine['choice'])} ({_decided(mine)}), with no nuclear weapons "
               f"first {_choice_text(theirs['choice'])} ({_decided(theirs)}): there the "
               "programme's threat called for pressure that the replay's higher priorities "
               "would not allow. Before it, whenever one of the top three needed a move, the "
               "same move suited the other two.")
    key.add("Debrief", "No nuclear weapons first: when, how much, and what held the replay "
            "back?",
            f"Enforcement {_delta(diff, 'beijing_enforcement', nn)}; reported imports "
            f"{_delta(diff, 'cn_imports_reported', nn, 1)} US$m/month. In the replay "
            f"Beijing's moves {replay.start} to {replay.end} are decided by "
            f"{_counts(replay_moves)}. With no nuclear weapons first Beijing makes the same "
            f"choice in {same[0]} of {same[1]} months. {why} {verdicts_nn}")
    overrule = _overrules(replay.table, border.table, border.start, border.end)
    key.add("Debrief", "Where does border trade overrule a priority that decides in the replay?",
            ("; ".join(f"{m}: with border trade first Beijing sets "
                       f"{_choice_text(b)} (border trade), where the replay has "
                       f"{_choice_text(r)} ("
                       + ("held its course" if p == "inertia" else _priority(p)) + ")"
                       for m, b, r, p in overrule[:4])
             or "nowhere in these months")
            + (f"; {len(overrule)} such months in all." if overrule else "."))
    key.add("Debrief", "What did the order cost or buy in realized influence?",
            f"Border trade first: realized influence {_delta(diff, 'influence_realized', bt)};"
            f" pressure applied {_delta(diff, 'pressure_applied', bt)}. Realized influence is "
            f"above zero in the replay in "
            f"{_months_where(_series(ts, ref)['influence_realized'] > 0)} (Pyongyang tests "
            "less or reaches out more under the pressure than without it); with border trade "
            "first in "
            f"{_months_where(_series(ts, bt)['influence_realized'] > 0)}.")
    evidence = ("history's quiet 2016 is evidence for the report's order, as a Beijing "
                "with denuclearisation first would have pressed from the 2016 tests on. ")
    if parted is None:
        reading = (f"No nuclear weapons first gives the same choices in {same[0]} of "
                   f"{same[1]} months of {replay.start} to {replay.end}, so Beijing's "
                   "behaviour then cannot tell the orders of the top three apart: the "
                   "ranking describes a policy whose goals did not conflict. ")
    elif differs:
        reading = (f"The orders part in {parted[0]}, and over ten runs the difference in "
                   "enforcement is beyond the noise: the months after a test, when stopping "
                   "the programme would have shaken the regime, tell the orders apart; "
                   + evidence)
    elif mostly:
        reading = (f"The orders part in {parted[0]}; over ten runs enforcement rises by "
                   f"{_d(nn_enforcement['runs_diff_median'])} in the median run, but the band "
                   "reaches zero (\"within the noise\"): in some histories stability lets "
                   "the replay's Beijing press for the programme too, and the two orders "
                   "agree. Where stopping the programme would have shaken the regime they "
                   "part: " + evidence)
    else:
        reading = (f"The orders part in {parted[0]}, yet over ten runs the difference in "
                   f"enforcement is {nn_enforcement['verdict']}: the goals conflicted at the "
                   "margin only, so Beijing's record barely tells the orders of the top three "
                   "apart. ")
    key.add("Debrief", "Description or explanation?",
            reading + "The evidence is a month in which the priorities conflict hard: a move "
            "that risked instability to stop a test (or the reverse).")
    ni_folder = "compare-replay_2009_2019-beijing_no_instability_first"
    ni, ni_ts = runs.difference(ni_folder), runs.timeseries(ni_folder)
    ni_start, ni_end = runs.window(ni_folder)
    ni_name = "beijing_no_instability_first"
    first_ni = _first_difference(ni_ts, ref, ni_name)
    key.add("Try it yourself", "No instability first: does the crackdown change?",
            f"Key-number window {ni_start} to {ni_end}. "
            + ("The run with the class's seed is identical to the replay in every month. "
             if first_ni is None else f"The run with the class's seed first differs in "
             f"{first_ni}. ")
            + f"Ten runs: crackdown {_delta(ni, 'beijing_crackdown', ni_name)}, reported "
            f"imports {_delta(ni, 'cn_imports_reported', ni_name, 1)} US$m/month, enforcement "
            f"{_delta(ni, 'beijing_enforcement', ni_name)}. A difference in some runs only "
            "means no war and no instability conflict only in some histories.")
    strict_folder = "compare-replay_2009_2019-strict_coal_ban_2016-strict_ban_no_nukes_first"
    strict, strict_name, strict_nn = (runs.difference(strict_folder), "strict_coal_ban_2016",
                                      "strict_ban_no_nukes_first")
    s_start, s_end = runs.window(strict_folder)
    strict_moves = runs.explained[2].moves()
    extra = (_row(strict, "beijing_enforcement", strict_nn)["mean"]
             - _row(strict, "beijing_enforcement", strict_name)["mean"])
    raised = _moved(strict_moves, ("enforcement",), up=True)
    why = ("In the model the exemption's cover kept 2016 quiet: without it, what customs let "
           "through is a breach Washington can pin on Beijing, which raises enforcement in "
           f"{raised['month'].iloc[0]} for {_priority(raised['priority'].iloc[0])}; what "
           "customs stop partly goes informal, so the DPRK economy barely notices. With the "
           "exemption, letting coal through cost Beijing nothing with Washington: the "
           "report's \"generous interpretation\" is the reading its priorities chose." if len(raised) else
           "Even without the exemption Beijing does not raise enforcement in these months: "
           "its priorities, not the exemption's cover, kept 2016 quiet.")
    key.add("Try it yourself", "Why was Beijing quiet in 2016: its priorities or the exemption?",
            f"Key-number window {s_start} to {s_end}. Strict ban: enforcement "
            f"{_delta(strict, 'beijing_enforcement', strict_name)}, reported imports "
            f"{_delta(strict, 'cn_imports_reported', strict_name, 1)} US$m/month, informal "
            f"trade {_delta(strict, 'informal_trade', strict_name, 1)}, DPRK economy "
            f"{_delta(strict, 'dprk_economy', strict_name)}. Beijing's moves under the strict "
            f"ban: {_move_list(strict_moves, 'enforcement')}. With no nuclear weapons first "
            f"as well: enforcement {_delta(strict, 'beijing_enforcement', strict_nn)}, "
            f"reported imports {_delta(strict, 'cn_imports_reported', strict_nn, 1)} "
            f"US$m/month, {_d(extra)} enforcement beyond the strict ban alone. {why}")
    weighing, weighing_nn = runs.explained[3], runs.explained[4]
    w_moves, wn_moves = weighing.moves(), weighing_nn.moves()
    pressed = _moved(_months_in(w_moves, "2017-01", "2017-04"), ("enforcement",), up=True)
    nn_raised = _moved(wn_moves, ("enforcement",), up=True)
    replay_2017 = _moved(_months_in(replay_moves, "2017-01", "2017-04"), ("enforcement",),
                         up=True)
    verdict = (
        ("The weighing Beijing presses in early 2017 as well, so both readings fit 2017 "
         "in this run. " if len(pressed) else
         "The weighing Beijing does not press in early 2017, where the ranking Beijing of "
         "the replay does"
         + (f" ({_move_list(replay_2017, 'enforcement')})" if len(replay_2017) else "")
         + ": weighing loses the February step. ")
        + ("With no nuclear weapons first it raises enforcement from "
           f"{nn_raised['month'].iloc[0]} on: under weighing the order matters too, though "
           "a high priority can now be traded against a large gain on a low one, while "
           "under ranking a lower priority speaks only when the higher ones hold either "
           "way." if len(nn_raised) else
           "With no nuclear weapons first it does not raise enforcement either: the order "
           "does not matter in these months even under weighing."))
    key.add("Try it yourself", "Ranking or weighing: which reading fits 2016 and 2017?",
            f"{weighing.start} to {weighing.end}, the class's seed. Weighing, the report's "
            f"order: {_months_word(len(w_moves))} with a move; enforcement "
            f"{_move_list(w_moves, 'enforcement')}. Weighing, no nuclear weapons first: "
            f"{_months_word(len(wn_moves))} with a move; enforcement "
            f"{_move_list(wn_moves, 'enforcement')}. {verdict}")
    return key


def _actor_months(table: pd.DataFrame, actor: str, start, end) -> pd.DataFrame:
    """An actor's rows of a decision table, months ``start`` to ``end``."""
    return _months_in(table[table["actor"] == actor], start, end)


def _same_choices(a: pd.DataFrame, b: pd.DataFrame, actor: str, start, end) -> tuple[int, int]:
    """(months with the same choice, months) of an actor in two decision tables."""
    x, y = _actor_months(a, actor, start, end), _actor_months(b, actor, start, end)
    same = sum(p == q for p, q in zip(x["choice"], y["choice"]))
    return same, len(x)


def _first_different_choice(a: pd.DataFrame, b: pd.DataFrame, actor: str, start, end):
    """(month, row in ``a``, row in ``b``) of the first month in which an actor's choices
    in two decision tables differ, or None."""
    x, y = _actor_months(a, actor, start, end), _actor_months(b, actor, start, end)
    for (_, p), (_, q) in zip(x.iterrows(), y.iterrows()):
        if p["choice"] != q["choice"]:
            return p["month"], p, q
    return None


def _decided(row) -> str:
    priority = row["deciding_priority"]
    return "held its course" if priority == "inertia" else f"decided by {_priority(priority)}"


def _choice_text(choice: dict) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in choice.items())


def _overrules(replay: pd.DataFrame, other: pd.DataFrame, start, end):
    """Months where ``other``'s Beijing choice differs from the replay's and was decided
    by border trade, while the replay's was decided by another priority."""
    x = _actor_months(replay, "beijing", start, end).set_index("month")
    y = _actor_months(other, "beijing", start, end).set_index("month")
    out = []
    for month in y.index:
        r, b = x.loc[month], y.loc[month]
        if b["deciding_priority"] == "border_trade" and b["choice"] != r["choice"] \
                and r["deciding_priority"] != "border_trade":
            changed = {k: v for k, v in b["choice"].items() if v != r["choice"].get(k)}
            out.append((month, changed, {k: r["choice"][k] for k in changed},
                        r["deciding_priority"]))
    return out


def _key_03(runs: WorksheetRuns) -> Key:
    key = Key()
    name = "compare-replay_2009_2019-no_thaad_2016"
    diff, ts = runs.difference(name), runs.timeseries(name)
    start, end = runs.window(name)
    ref, what = _series(ts, "replay_2009_2019"), _series(ts, "no_thaad_2016")
    gap = what["warmth_cn_rok"] - ref["warmth_cn_rok"]
    at = ["2016-06", "2017-12", end]
    seoul = runs.explained[0]
    moves = seoul.moves()
    align = moves[["alignment" in c for c in moves["changes"]]]
    rows = _actor_months(seoul.table, "seoul", seoul.start, seoul.end)
    changed = rows[rows["administration"] != ""]
    orders = [" > ".join(_priority(p) for p in order)
              for order in dict.fromkeys(tuple(r) for r in rows["projected"])]
    key.add("Look at", "1. `overview.png`, warmth China–ROK.",
            "Replay: " + ", ".join(f"{m} {_f(ref.loc[m, 'warmth_cn_rok'])}" for m in at)
            + "; without THAAD: "
            + ", ".join(f"{m} {_f(what.loc[m, 'warmth_cn_rok'])}" for m in at)
            + f". Lowest in the replay: {_f(ref.loc['2016-06':, 'warmth_cn_rok'].min())} in "
            f"{ref.loc['2016-06':, 'warmth_cn_rok'].idxmin()}; without THAAD it moves by "
            f"{_d(what.loc[end, 'warmth_cn_rok'] - what.loc['2016-06', 'warmth_cn_rok'])} "
            f"from 2016-06 to {end}.")
    key.add("Look at", "2. `compare_difference.png`.",
            f"Warmth China–ROK difference {_d(gap.loc[end])} at {end} (largest "
            f"{_d(gap.max())} in {gap.idxmax()}); tension "
            f"{_delta(diff, 'tension', 'no_thaad_2016')};"
            f" warmth China–DPRK {_delta(diff, 'warmth_cn_dprk', 'no_thaad_2016')}; Beijing's "
            f"enforcement {_delta(diff, 'beijing_enforcement', 'no_thaad_2016')}.")
    key.add("Look at", "3. Key numbers: Δ mean of warmth China–ROK.",
            f"Over {start} to {end}: {_delta(diff, 'warmth_cn_rok', 'no_thaad_2016')}.")
    key.add("Look at", "4. `explain` for Seoul.",
            f"Alignment moves when free: {_move_list(moves, 'alignment')}; decided by "
            f"{_counts(align)}. Priorities change in "
            + (", ".join(f"{m} ({label})" for m, label in
                         zip(changed["month"], changed["administration"])) or "no month")
            + "; Seoul's orders in these months: " + "; then ".join(orders) + ".")
    key.add("Debrief", "How large is the THAAD effect, and how long does it last?",
            f"Mean {_d(_row(diff, 'warmth_cn_rok', 'no_thaad_2016')['mean_diff'])} over "
            f"{start} to {end}, {_d(gap.loc[end])} at the end (largest {_d(gap.max())} in "
            f"{gap.idxmax()}), on a scale from −1 to 1: "
            + ("the chill lasts to the end of the run." if gap.loc[end] >= 0.5 * gap.max()
               else "the chill fades before the end of the run."))
    key.add("Debrief", "Which of Seoul's goals did THAAD serve, and which did it cost?",
            f"Free, Seoul's moves are decided by {_counts(moves)}; alignment falls to "
            f"{_f(what.loc[end, 'seoul_alignment'], 2)} (THAAD holds it at "
            f"{_f(ref.loc[end, 'seoul_alignment'], 2)}). THAAD served alliance security and "
            "cost ties with Beijing.")
    key.add("Debrief", "Did the chill with Seoul push Beijing closer to Pyongyang?",
            f"Warmth China–DPRK {_delta(diff, 'warmth_cn_dprk', 'no_thaad_2016')}, Beijing's "
            f"enforcement {_delta(diff, 'beijing_enforcement', 'no_thaad_2016')}, against "
            f"warmth China–ROK {_delta(diff, 'warmth_cn_rok', 'no_thaad_2016')}: in the model "
            + ("the effect on Beijing and Pyongyang is small next to the THAAD effect itself."
               if abs(_row(diff, 'warmth_cn_dprk', 'no_thaad_2016')['mean_diff'])
               < 0.1 * abs(_row(diff, 'warmth_cn_rok', 'no_thaad_2016')['mean_diff'])
               else "the chill also moves Beijing's relations with Pyongyang."))
    key.add("Debrief", "What does the model leave out?",
            "Not a numbers question. Points to draw out: the boycotts of Korean firms and "
            "tourism (the model has no China–ROK trade), public opinion in both countries, "
            "and the US alliance as more than one posture variable.")
    return key


def _threshold(explained: Explained, moves: pd.DataFrame, priority: str) -> float:
    """The actor's threshold for a priority in the first of these moves' months."""
    table = explained.table
    row = table[(table["actor"] == explained.actor)
                & (table["month"] == moves["month"].iloc[0])].iloc[0]
    return float(row["threshold"][priority])


def _key_04(runs: WorksheetRuns) -> Key:
    key = Key()
    beijing = runs.explained[0]
    moves = beijing.moves()
    name = "compare-replay_2009_2019-no_summits_2018"
    diff, ts = runs.difference(name), runs.timeseries(name)
    start, end = runs.window(name)
    ref, what = _series(ts, "replay_2009_2019"), _series(ts, "no_summits_2018")
    raises = _moved(moves, ("enforcement",), up=True)
    raises17 = raises[raises["month"].str.startswith("2017")]
    moves16 = Explained(beijing.scenario, "beijing", "2016-01", "2016-12", (),
                        beijing.table).moves()
    # the let-go: a lower visible enforcement or a lighter crackdown on smuggling
    lowers = _moved(moves, ("enforcement", "crackdown"), up=False)
    lowers18 = lowers[lowers["month"].str.startswith("2018")]
    key.add("Look at", "1. `explain`: the 2017 raises, the 2018 let-go, aid.",
            f"Enforcement: {_move_list(moves, 'enforcement')}. Crackdown: "
            f"{_move_list(moves, 'crackdown')}. Aid: {_move_list(moves, 'aid')}. The 2017 "
            f"raises are decided by {_counts(raises17)}; the 2018 let-go (enforcement or "
            f"crackdown lowered) by {_counts(lowers18)}.")
    rows = []
    for label, frame in (("replay", ref), ("without the summits", what)):
        rows.append(f"{label}: reported imports "
                    f"{_f(_mean(frame, 'cn_imports_reported', '2017-01', '2017-12'), 1)}"
                    f" in 2017, {_f(_mean(frame, 'cn_imports_reported', '2018-01', '2019-12'), 1)}"
                    f" in 2018–2019; informal imports "
                    f"{_f(_mean(frame, 'cn_imports_informal', '2017-01', '2017-12'), 1)} and "
                    f"{_f(_mean(frame, 'cn_imports_informal', '2018-01', '2019-12'), 1)}")
    key.add("Look at", "2. `trade.png`: reported against informal imports (US$m/month, means).",
            "; ".join(rows) + ".")
    parts = []
    for column in ("beijing_enforcement", "beijing_crackdown", "beijing_aid", "tension"):
        parts.append(f"{column.replace('beijing_', 'Beijing ')}: replay "
                     f"{_f(_mean(ref, column, '2018-01', '2019-12'), 2)}, without the summits "
                     f"{_f(_mean(what, column, '2018-01', '2019-12'), 2)}")
    key.add("Look at", "3. `overview.png` (means 2018–2019).", "; ".join(parts) + ".")
    key.add("Look at", "4. `compare_difference.png`.",
            f"Tension {_delta(diff, 'tension', 'no_summits_2018')}; warmth China–DPRK "
            f"{_delta(diff, 'warmth_cn_dprk', 'no_summits_2018')}; informal trade "
            f"{_delta(diff, 'informal_trade', 'no_summits_2018', 1)}.")
    key.add("Look at", "5. Key numbers.",
            f"Over {start} to {end}: tension {_delta(diff, 'tension', 'no_summits_2018')}, "
            f"Beijing's enforcement {_delta(diff, 'beijing_enforcement', 'no_summits_2018')}, "
            f"informal trade {_delta(diff, 'informal_trade', 'no_summits_2018', 1)}.")
    key.add("Debrief", "Did the 2017 squeeze come from no war, no nuclear weapons, or another?",
            f"The 2017 raises of enforcement: {_move_list(raises17, 'enforcement')}; tension "
            "in those months: "
            + ", ".join(f"{m} {_f(ref.loc[m, 'tension'])}" for m in raises17["month"])
            + f" (the 2016 mean was {_f(_mean(ref, 'tension', '2016-01', '2016-12'))}). "
            f"Most raises are decided by {_priority(raises17['priority'].mode()[0])}"
            + (": the squeeze came when keeping course would have let the war danger "
               "Beijing projects (the course of the standoff and part of the crisis's peak) "
               "pass its no-war threshold "
               f"({_f(_threshold(beijing, raises17, 'no_war'), 2)})."
               if raises17["priority"].mode()[0] == "no_war" else ".")
            + f" In 2016 (before the `explain` window) enforcement moved: "
            f"{_move_list(moves16, 'enforcement')}: Beijing did not wait entirely, but "
            "the moves of 2016 stopped short of full enforcement.")
    summits_table = explain.decision_table(api.run("no_summits_2018").run_result)
    other = Explained("no_summits_2018", "beijing", "2018-01", "2019-12", (), summits_table)
    other_moves = other.moves()
    key.add("Debrief", "Without the summits: higher tension, longer pressure?",
            f"Tension 2018–2019: replay {_f(_mean(ref, 'tension', '2018-01', '2019-12'))}, "
            f"without the summits {_f(_mean(what, 'tension', '2018-01', '2019-12'))}. "
            f"Beijing's enforcement 2018–2019, replay: "
            f"{_move_list(beijing.moves().query('month >= \"2018-01\"'), 'enforcement')}; "
            f"without the summits: {_move_list(other_moves, 'enforcement')}. Beijing's moves "
            f"without the summits in 2018–2019 are decided by {_counts(other_moves)}.")
    key.add("Debrief", "Which enforcement instrument did Beijing use in 2017 and relax in 2018?",
            "Visible enforcement: peak "
            f"{_f(ref.loc['2017-01':'2017-12', 'beijing_enforcement'].max(), 2)}"
            f" in 2017, mean {_f(_mean(ref, 'beijing_enforcement', '2018-07', '2019-12'), 2)} "
            f"from 2018-07. Crackdown on smuggling: at most "
            f"{_f(ref.loc['2017-01':'2019-12', 'beijing_crackdown'].max(), 2)} in 2017–2019"
            + (" (never used in this run). "
               if ref.loc["2017-01":"2019-12", "beijing_crackdown"].max() == 0 else ". ")
            + f"Aid (oil and food) goes from {_f(ref.loc['2017-01', 'beijing_aid'], 2)} in "
            f"2017-01 to {_f(ref.loc['2019-12', 'beijing_aid'], 2)} in 2019-12. Informal "
            f"imports: {_f(_mean(ref, 'cn_imports_informal', '2017-01', '2017-12'), 1)}"
            f" US$m/month in 2017, {_f(_mean(ref, 'cn_imports_informal', '2018-01', '2019-12'), 1)}"
            " in 2018–2019; reported imports: "
            f"{_f(_mean(ref, 'cn_imports_reported', '2017-01', '2017-12'), 1)} and "
            f"{_f(_mean(ref, 'cn_imports_reported', '2018-01', '2019-12'), 1)}: the weakening "
            "shows where the bans on the books do not reach.")
    warmth = ", ".join(f"{m.replace('warmth_', '').replace('_', '–').upper()} "
                       f"{_d(-_row(diff, m, 'no_summits_2018')['mean_diff'])}"
                       for m in ("warmth_cn_dprk", "warmth_cn_rok"))
    extra = []
    for m in ("warmth_us_dprk", "warmth_rok_dprk", "warmth_cn_us"):
        extra.append(f"{m.replace('warmth_', '').replace('_', '–').upper()} "
                     f"{_d(_mean(ref, m, start, end) - _mean(what, m, start, end))}")
    key.add("Debrief", "Who gained most leverage from the summits?",
            f"What the summits add to warmth (replay minus without, mean over {start} to "
            f"{end}): {warmth}, {', '.join(extra)}. Argue from the largest gain and from the "
            "deciding priorities in `explain --actor washington`.")
    return key


_BUILDERS: dict[str, Callable[[WorksheetRuns], Key]] = {
    "01_leverage_without_influence": _key_01,
    "02_order_of_priorities": _key_02,
    "03_thaad_and_the_courtship": _key_03,
    "04_squeeze_and_let_go": _key_04,
}


def render(path: Path, key: Key) -> str:
    """The key as Markdown."""
    title = Path(path).read_text(encoding="utf-8").splitlines()[0].lstrip("# ")
    lines = [f"# Answer key — {title}", "",
             f"*For the teacher. Generated from the runs of `exercises/{Path(path).name}` by "
             f"`python -m buffer_sim.tools.answer_key exercises/{Path(path).name}`; every number "
             "below is what those commands give (same scenarios, same seed). Regenerate after "
             "a change to the model; the tests check it is up to date.*"]
    section = None
    for part, question, answer in key.answers:
        if part != section:
            lines += ["", f"## {part}"]
            section = part
        lines += ["", f"**{question}**", "", answer]
    return "\n".join(lines) + "\n"


def build_key(path: Path, runs: WorksheetRuns) -> str:
    """The answer key of a worksheet from its runs.

    Raises:
        KeyError: no key is written for this worksheet.
    """
    return render(path, _BUILDERS[Path(path).stem](runs))


def key_path(path: Path) -> Path:
    return Path(path).parent / "answers" / Path(path).name


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m buffer_sim.tools.answer_key",
        description="Run each worksheet's commands and write its teacher's answer key to "
                    "exercises/answers/<worksheet>.md.")
    parser.add_argument("worksheets", nargs="*", type=Path,
                        help="worksheet files (default: every exercises/*.md)")
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed keys instead of writing; exit 1 "
                             "if one is out of date")
    args = parser.parse_args(argv)
    paths = args.worksheets or sorted(Path("exercises").glob("*.md"))
    stale = []
    for path in paths:
        if path.stem not in _BUILDERS:
            print(f"answer_key: error: {path}: no answer key is written for this worksheet",
                  file=sys.stderr)
            return 2
        with tempfile.TemporaryDirectory() as tmp:
            text = build_key(path, run_worksheet(path, Path(tmp)))
        target = key_path(path)
        if args.check:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                stale.append(str(target))
            continue
        target.parent.mkdir(exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(target)
    if stale:
        print("answer_key: out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
