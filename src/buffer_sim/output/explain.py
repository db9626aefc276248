"""Decisions told as a story: one paragraph per change of policy, not one line per month.

``narrate`` turns an actor's month-by-month decisions into paragraphs a teacher can
read out. Consecutive months in which the actor moved the same instruments in the same
direction for the same deciding priority, each month holding it or each falling short
of it, become one paragraph ("From 2017-08 to
2017-10 Beijing raised enforcement from 0.25 to 1.00 (3 steps) because of no nuclear
weapons ..."); the months it then held its course are summed up in one sentence ("It
then held its policy for 7 months: all its priorities were projected to hold."); months
forced by an event and instruments pinned by the scenario are said so.

Pure: a DataFrame of decisions in, a list of strings out. The richest input is
``decision_table(result)``, which adds to ``runner.decisions_frame`` the structured
fields of every ``Decision`` (previous instruments, projected values, thresholds, pins,
the forcing event). A plain ``decisions.csv`` read back from disk works too; the
narrative then quotes the recorded reasons instead of the projected numbers.

Example::

    from buffer_sim.experiments import runner
    from buffer_sim.output import explain
    result = runner.run("scenarios/replay_2009_2019.yaml")
    for paragraph in explain.narrate(explain.decision_table(result), "beijing",
                                     start="2017-01", end="2018-12"):
        print(paragraph, end="\\n\\n")
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import pandas as pd

from buffer_sim.core.months import month_str, parse_month
from buffer_sim.agents import ACTORS
from buffer_sim.core.priorities import PRIORITIES
from buffer_sim.agents.base import compare_numbers, PROVOCATION_WORDS

#: Decision columns ``narrate`` needs; ``decision_table`` adds the optional rich ones.
REQUIRED_COLUMNS = ("month", "actor", "choice", "deciding_priority", "reason")
RICH_COLUMNS = ("previous", "projected", "threshold", "pinned", "event", "forced",
                "administration", "rule")

_EPS = 1e-9
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


# --- the input table -------------------------------------------------------------------------

def decision_table(result) -> pd.DataFrame:
    """Every decision of a finished run with its structured fields.

    Args:
        result: a ``runner.RunResult`` (or anything with ``.model.decisions`` and
            ``.scenario``).

    Returns:
        One row per actor and month: ``month`` ('YYYY-MM'), ``actor``, ``choice`` and
        ``previous`` (instrument -> value dicts), ``deciding_priority``, ``reason``,
        ``projected`` and ``threshold`` (priority -> value dicts, in the actor's order
        that month), ``pinned`` (instrument -> (value, reason) pinned that month) and
        ``event`` (label of the event that forced the choice, or ""), ``forced``
        (instrument -> value the event set), ``administration`` (label of an event
        that changed the actor's priorities that month, or "") and ``rule`` (the
        decision rule that chose: "lexicographic" or "weighted").
    """
    scenario = result.scenario
    forced, forced_set, administration = {}, {}, {}
    for event in getattr(scenario, "events", ()):
        if event.kind == "forced_action" and event.actor:
            forced.setdefault((event.month, event.actor), event.label)
            # a move (change:) lands where the month's choice shows
            forced_set.setdefault((event.month, event.actor), {}).update(
                event.set or dict.fromkeys(getattr(event, "change", None) or {}))
        elif event.kind == "administration" and event.actor:
            administration.setdefault((event.month, event.actor), event.label)
    pins = list(getattr(scenario, "pins", ()))
    rows = []
    for month, d in result.model.decisions:
        pinned = {p.instrument: (float(p.value), p.reason) for p in pins
                  if p.actor == d.actor and p.start <= month <= p.end}
        rows.append({
            "month": month_str(month), "actor": d.actor, "choice": dict(d.choice),
            "previous": dict(d.previous), "deciding_priority": d.deciding, "reason": d.reason,
            "projected": dict(d.projected), "threshold": dict(d.threshold), "pinned": pinned,
            "event": forced.get((month, d.actor), "") if d.deciding == "forced" else "",
            "forced": ({k: float(d.choice[k] if v is None else v)
                        for k, v in forced_set.get((month, d.actor), {}).items()}
                       if d.deciding == "forced" else {}),
            "administration": administration.get((month, d.actor), ""),
            "rule": d.rule,
        })
    return pd.DataFrame(rows, columns=[*REQUIRED_COLUMNS[:3], "previous", *REQUIRED_COLUMNS[3:],
                                       *RICH_COLUMNS[1:]])


def parse_choice(text) -> dict[str, float]:
    """'enforcement=0.75 aid=0.50' (as in decisions.csv) -> {'enforcement': 0.75, ...}."""
    if isinstance(text, dict):
        return {k: float(v) for k, v in text.items()}
    out = {}
    for part in str(text).split():
        name, _, value = part.partition("=")
        try:
            out[name] = float(value)
        except ValueError:
            continue
    return out


# --- one month, classified -----------------------------------------------------------------

@dataclass
class _Month:
    month: str
    kind: str                      # "change", "hold", "forced"
    deciding: str
    reason: str
    choice: dict[str, float]
    changes: dict[str, tuple[float, float]]   # freely chosen moves: name -> (old, new)
    pinned: dict[str, tuple[float, str]] = field(default_factory=dict)
    pin_moves: dict[str, tuple[float, float]] = field(default_factory=dict)
    projected: dict[str, float] | None = None
    threshold: dict[str, float] | None = None
    event: str = ""
    forced: dict[str, tuple[float, float]] = field(default_factory=dict)
    administration: str = ""
    rule: str = "lexicographic"
    actor: str = ""

    @property
    def weighs(self) -> bool:
        return self.rule == "weighted"

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(self.projected or ())

    def signature(self) -> tuple:
        """What makes consecutive months one paragraph: priority, direction, and whether
        the move held the deciding priority (one sentence says "within its threshold"
        or "below it even so" for the whole paragraph, so it must be true of each
        month)."""
        if self.kind == "change":
            return ("change", self.deciding,
                    tuple(sorted((k, _direction(k, old, new)) for k, (old, new)
                                 in self.changes.items())), self.held())
        return (self.kind,)

    def held(self) -> bool | None:
        """Whether the chosen move held the deciding priority; None where the month
        does not say (no projection, or a tag that is not a priority)."""
        p = _priority(self.deciding)
        if p is None or not self.projected or self.deciding not in self.projected:
            return None
        threshold = (self.threshold or {}).get(self.deciding, math.nan)
        if not math.isfinite(threshold):
            return None
        return bool(p.satisfied(self.projected[self.deciding], threshold))


def _direction(name: str, old: float, new: float):
    if name in _discrete_instruments():
        return new  # a test is an act: its level, not up or down
    return 1 if new > old else -1


def _discrete_instruments() -> set[str]:
    return {name for cls in ACTORS.values() for name in getattr(cls, "discrete", {})}


# the pinned and forced sentences of actors.base.REASON_TEMPLATES
_PINNED_IN_REASON = re.compile(r" \(([^()]*) fixed by the scenario\)(?= because)")
_FORCED_IN_REASON = re.compile(r"because the scenario's event '(.*)' imposed it")


def _months(df: pd.DataFrame, actor: str) -> list[_Month]:
    rows = df[df["actor"] == actor].sort_values("month", kind="stable")
    rich = all(c in rows.columns for c in ("previous", "projected", "threshold"))
    discrete = _discrete_instruments()
    out: list[_Month] = []
    last: dict[str, float] | None = None
    for row in rows.itertuples(index=False):
        row = row._asdict()
        choice = parse_choice(row["choice"])
        if rich and isinstance(row.get("previous"), dict):
            previous = {k: float(v) for k, v in row["previous"].items()}
        else:
            previous = dict(last) if last is not None else dict(choice)
        for name in discrete:  # an act (a test) is not carried over from month to month
            if name in previous:
                previous[name] = 0.0
        last = choice
        pinned = row.get("pinned") if isinstance(row.get("pinned"), dict) else None
        if pinned is None:  # a plain decisions.csv: pins are noted in the reason
            match = _PINNED_IN_REASON.search(str(row["reason"]))
            pinned = {}
            if match:
                pins = match.group(1).replace(" at ", "=").replace(" and ", " ")
                for k, v in parse_choice(pins).items():
                    pinned[k] = (v, "")
            elif str(row["deciding_priority"]) == "forced" and out:
                pinned = dict(out[-1].pinned)  # a forced month does not note the pins
        moves = {k: (previous.get(k, v), v) for k, v in choice.items()
                 if abs(v - previous.get(k, v)) > _EPS}
        pin_moves = {k: mv for k, mv in moves.items() if k in pinned}
        free = {k: mv for k, mv in moves.items() if k not in pinned}
        forced_moves = {}
        deciding = str(row["deciding_priority"])
        event = str(row.get("event") or "")
        forced_set = row.get("forced") if isinstance(row.get("forced"), dict) else None
        if deciding == "forced":
            kind = "forced"
            if forced_set is None:
                free = moves  # which instruments the event set is not recorded
            else:
                free = {k: mv for k, mv in moves.items()
                        if k not in forced_set and k not in pinned}
                forced_moves = {k: moves.get(k, (v, v)) for k, v in forced_set.items()}
            if not event:
                match = _FORCED_IN_REASON.search(str(row["reason"]))
                event = match.group(1) if match else ""
        elif free:
            kind = "change"
        else:
            kind = "hold"
        projected = row.get("projected") if rich and isinstance(row.get("projected"), dict) else None
        threshold = row.get("threshold") if rich and isinstance(row.get("threshold"), dict) else None
        if kind == "forced" and not forced_moves:
            forced_moves, free = free, {}
        out.append(_Month(str(row["month"]), kind, deciding, str(row["reason"]), choice, free,
                          pinned, pin_moves, projected, threshold, event, forced_moves,
                          str(row.get("administration") or ""), _rule(row), actor))
    return out


def _rule(row: dict) -> str:
    """The rule that chose: recorded in a decision table; a plain decisions.csv has only
    the reason, which a weighing actor's template words alike every month."""
    if isinstance(row.get("rule"), str) and row["rule"]:
        return row["rule"]
    return "weighted" if _WEIGHED_IN_REASON in str(row["reason"]) else "lexicographic"


_WEIGHED_IN_REASON = "weighing all its priorities"


# --- words -------------------------------------------------------------------------------------

def actor_label(actor: str) -> str:
    cls = ACTORS.get(actor)
    return getattr(cls, "label", "") or actor.capitalize()


def _priority(name: str):
    return PRIORITIES.get(name)


def _priority_label(name: str) -> str:
    p = _priority(name)
    return p.label if p else name.replace("_", " ")


def _measure(name: str, actor: str = "") -> str:
    p = _priority(name)
    if p is None:
        return name.replace("_", " ")
    return (p.measure_for(actor).removeprefix("projected ")
            .replace(" (ratio to now)", " relative to now"))


def _num(x: float) -> str:
    """Projected values: three decimals, or three significant digits when tiny."""
    if x != 0 and abs(x) < 0.01:
        return f"{x:.2g}" if abs(x) >= 0.001 else f"{x:.1e}"
    return f"{x:.3f}" if abs(x) < 1 else f"{x:.2f}"


def _nums(*values: float) -> list[str]:
    """Values one sentence compares: as ``_num`` unless that would print unequal values
    alike or out of order; then with the digits that keep the comparison true."""
    texts = [_num(v) for v in values]
    shown = [float(t) for t in texts]
    if all((a < b) == (x < y) and (a == b) == (x == y) for i, (a, x) in
           enumerate(zip(values, shown)) for b, y in zip(values[i + 1:], shown[i + 1:])):
        return texts

    return compare_numbers(*values)


def _months_word(n: int) -> str:
    return f"{n} month" if n == 1 else f"{n} months"


def _span(first: str, last: str) -> str:
    return f"In {first}" if first == last else f"From {first} to {last}"


def _act(name: str, level: float) -> str:
    if name == "provocation":
        word = PROVOCATION_WORDS.get(int(round(level)), f"provocation {level:g}")
        return f"carried out {word}" if level else "held back from testing"
    return f"set {name} to {level:g}"


def _moves(first: dict[str, tuple[float, float]], last: dict[str, tuple[float, float]] | None = None,
           months: int = 1) -> str:
    """'raised enforcement from 0.25 to 1.00 (3 steps)': the moves of ``first`` (name ->
    (old, new)), from their values before the first month to those after the last."""
    last = first if last is None else last
    parts = []
    discrete = _discrete_instruments()
    for name in first:
        if name in discrete:
            parts.append(_act(name, first[name][1]))
            continue
        old, new = first[name][0], last[name][1]
        verb = "raised" if new > old else "lowered"
        steps = f" ({months} steps)" if months > 1 else ""
        parts.append(f"{verb} {name} from {old:.2f} to {new:.2f}{steps}")
    return _join(parts)


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _why_change(m: _Month, last: _Month) -> str:
    """Why the actor moved, from the deciding priority's projected value and threshold."""
    name = m.deciding
    label = _priority_label(name)
    if m.projected is None or name not in (m.projected or {}):
        reason = m.reason.split(" because ", 1)[-1].rstrip(".")
        if _priority(name) is None:  # "inertia", "pinned" or an unknown tag
            return f"because {reason}"
        return f"because of {label}: {reason}"
    order = list(m.projected)
    rank = order.index(name)
    rank_word = f"its {_ORDINALS[rank]} priority" if rank < len(_ORDINALS) else "a priority"
    p = _priority(name)
    value, threshold = m.projected[name], m.threshold.get(name, math.nan)
    measure = _measure(name, m.actor)
    final = (last.projected[name] if last is not m and last.projected
             and name in last.projected else None)
    if p is None or not math.isfinite(threshold):
        later = "" if final is None else f" ({_num(final)} by {last.month})"
        return f"because of {label} ({rank_word}): projected {measure} {_num(value)}{later}"
    bound = "at most" if p.at_most else "at least"
    # the last month's value is compared with the threshold too: digits that keep it apart
    if final is None:
        value_text, threshold_text = _nums(value, threshold)
        later = ""
    else:
        value_text, final_text, threshold_text = _nums(value, final, threshold)
        later = f" ({final_text} by {last.month})"
    if m.weighs:
        return (f"because, weighing all its priorities, this move scored best; it gained most "
                f"on {label} ({rank_word}): projected {measure} {value_text}{later} "
                f"(threshold {bound} {threshold_text})")
    if p.satisfied(value, threshold):
        if rank == len(order) - 1:
            tail = "the higher priorities held either way, and this improved it"
        else:
            tail = "keeping course would not have held it"
        return (f"because of {label} ({rank_word}): with this move projected {measure} was "
                f"{value_text}{later}, within its threshold ({bound} {threshold_text}); "
                f"{tail}")
    side = "above" if p.at_most else "below"
    return (f"because of {label} ({rank_word}): projected {measure} {value_text}{later} was "
            f"{side} its threshold {threshold_text} even so, and this was the best it could do")


def _why_hold(run: list[_Month]) -> str:
    """Why the actor kept course over a run of months, counted by reason."""
    counts: dict[str, int] = {}
    extreme: dict[str, tuple[float, float, bool, str]] = {}
    for m in run:
        key, detail = _hold_reason(m)
        counts[key] = counts.get(key, 0) + 1
        if detail is not None:
            prev = extreme.get(key)
            value, at_most = detail[0], detail[2]
            if prev is None or (value > prev[0] if at_most else value < prev[0]):
                extreme[key] = detail

    def words(key: str) -> str:
        if key not in extreme:
            return key
        value, threshold, at_most, measure = extreme[key]
        bound = "" if counts[key] == 1 else ("up to " if at_most else "down to ")
        value_text, threshold_text = _nums(value, threshold)
        return f"{key} (projected {measure} {bound}{value_text}, threshold {threshold_text})"

    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(ordered) == 1:
        text = words(ordered[0][0])
    else:
        text = "; ".join(f"in {n} {'month' if n == 1 else 'months'} {words(key)}"
                         for key, n in ordered)
    # what an earlier commitment ruled out in these months (a raise that still stood)
    committed = list(dict.fromkeys(match.group(1) for m in run
                                   if (match := _COMMITTED_IN_REASON.search(m.reason))))
    if committed:
        text += "; a raise still stood: it could not lower " + " or ".join(committed)
    return text


_COMMITTED_IN_REASON = re.compile(r" It could not lower (.+?)\.$")


def _hold_reason(m: _Month) -> tuple[str, tuple[float, float, bool, str] | None]:
    if m.weighs and m.deciding != "pinned":
        return "weighing all its priorities, no move scored better", None
    if m.projected is not None and m.threshold is not None:
        for name, value in m.projected.items():
            p = _priority(name)
            threshold = m.threshold.get(name)
            if p is None or threshold is None:
                continue
            if not p.satisfied(value, threshold):
                return (f"no move would have done better on {_priority_label(name)}",
                        (value, threshold, p.at_most, _measure(name, m.actor)))
        return "all its priorities were projected to hold", None
    reason = m.reason.split(" because ", 1)[-1].rstrip(".")
    reason = _PINNED_IN_REASON.sub("", reason).strip()
    reason = re.sub(r"\s*\(.*\)$", "", reason)  # numbers differ from month to month
    return reason, None


def _policy(choice: dict[str, float]) -> str:
    discrete = _discrete_instruments()
    return ", ".join(f"{k} {v:.2f}" for k, v in choice.items() if k not in discrete)


def _order_words(order: tuple[str, ...]) -> str:
    return " > ".join(_priority_label(p) for p in order)


# --- paragraphs --------------------------------------------------------------------------------

def _groups(months: list[_Month]) -> list[list[_Month]]:
    """Consecutive months of one kind; changes also share priority and direction;
    a new priority order or a new set of pins starts a new group."""
    groups: list[list[_Month]] = []
    for m in months:
        if groups:
            prev = groups[-1][-1]
            same = (m.signature() == prev.signature() and m.kind != "forced"
                    and m.order == prev.order and m.rule == prev.rule
                    and {k: v for k, (v, _) in m.pinned.items()}
                    == {k: v for k, (v, _) in prev.pinned.items()}
                    and not m.pin_moves)
            if same:
                groups[-1].append(m)
                continue
        groups.append([m])
    return groups


def _pin_note(months: list[_Month], index: int, who: str) -> str:
    """Sentences about pins that begin or end at ``months[index]``."""
    m = months[index]
    before = months[index - 1].pinned if index > 0 else {}
    notes = []
    for name, (value, reason) in m.pinned.items():
        if name in before and abs(before[name][0] - value) < _EPS:
            continue
        end = m.month
        for later in months[index:]:
            if name in later.pinned and abs(later.pinned[name][0] - value) < _EPS:
                end = later.month
            else:
                break
        why = f" ({reason})" if reason else ""
        span = f"from {m.month} to {end}" if end != m.month else f"in {m.month}"
        moved = ""
        if name in m.pin_moves and m.kind != "forced":
            moved = f", moving it from {m.pin_moves[name][0]:.2f}"
        notes.append(f"The scenario pinned {who}'s {name} at {value:g} {span}{moved}{why}; "
                     f"{who} did not choose it in those months.")
    for name in before:
        if name not in m.pinned:
            notes.append(f"From {m.month} {who} chose its {name} freely again.")
    return " ".join(notes)


def _order_note(months: list[_Month], index: int, actor: str, who: str) -> str:
    """A sentence when the actor's priority order is new at ``months[index]``."""
    m = months[index]
    if not m.order:
        return ""
    verb, weights = (("weighed its priorities", " (each counting twice the next)") if m.weighs
                     else ("ranked its priorities", ""))
    if index == 0:
        return f"In {m.month} {who} {verb} {_order_words(m.order)}{weights}."
    if m.order == months[index - 1].order and m.rule == months[index - 1].rule:
        return ""
    if m.administration:
        cause = f" ('{m.administration}')"
    elif actor == "pyongyang" and "completion" in m.order:
        # back to completing the force: a major test broke the declared moratorium
        cause = (" (a nuclear or long-range test withdrew its declaration that the force "
                 "was complete)")
    elif actor == "pyongyang":
        # the declaration's two conditions and its commitment (agents/pyongyang.py)
        cause = (" (its nuclear force declared complete: the programme past its credible "
                 "level, and the economy down over half a year as far as its survival "
                 "threshold allows; with it a moratorium on nuclear and long-range tests)")
    else:
        cause = ""
    return f"From {m.month} {who} {verb} {_order_words(m.order)}{weights} instead{cause}."


def narrate(decisions: pd.DataFrame, actor: str, start=None, end=None) -> list[str]:
    """An actor's decisions as paragraphs, one per change of policy.

    Consecutive months with the same deciding priority, the same direction of change
    and the same verdict on that priority's threshold make one paragraph; the months
    the actor then kept its course are summed up in a sentence at the end of it.
    Months forced by an event, instruments pinned by the scenario and changes of the
    priority order (a new administration) are said so.

    Args:
        decisions: ``decision_table(result)`` (richest), ``RunResult.decisions`` or a
            ``decisions.csv`` read with pandas: at least the columns ``month``,
            ``actor``, ``choice``, ``deciding_priority``, ``reason``.
        actor: "beijing", "pyongyang", "washington" or "seoul".
        start, end: first and last month to tell ('YYYY-MM'); default: all.

    Returns:
        Paragraphs in chronological order; a single sentence if the actor made no
        decision in the window.

    Raises:
        ValueError: a required column is missing, or ``start``/``end`` is not a month.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in decisions.columns]
    if missing:
        raise ValueError(f"the decisions table lacks the column(s) {', '.join(missing)}")
    who = actor_label(actor)
    lo = month_str(parse_month(start)) if start is not None else None
    hi = month_str(parse_month(end)) if end is not None else None
    months = [m for m in _months(decisions, actor)
              if (lo is None or m.month >= lo) and (hi is None or m.month <= hi)]
    if not months:
        window = f" between {lo or 'the start'} and {hi or 'the end'}" if (lo or hi) else ""
        return [f"{who} made no recorded decision{window}."]

    paragraphs: list[str] = []
    for group in _groups(months):
        first, last = group[0], group[-1]
        index = months.index(first)
        notes = [n for n in (_order_note(months, index, actor, who),
                             _pin_note(months, index, who)) if n]
        n = len(group)
        if first.kind == "hold":
            why = _why_hold(group)
            if paragraphs and not notes:
                to = "" if n == 1 else f" (to {last.month})"
                paragraphs[-1] += f" It then held its policy for {_months_word(n)}{to}: {why}."
                continue
            text = (f"{_span(first.month, last.month)} {who} held its policy "
                    f"({_policy(first.choice)}) for {_months_word(n)}: {why}.")
        elif first.kind == "forced":
            event = f" by the event '{first.event}'" if first.event else " by an event"
            acts = _moves(first.forced) or "kept its policy"
            text = f"In {first.month} {who}'s choice was forced{event}: it {acts}."
            if first.changes:
                text += f" It also {_moves(first.changes)}."

        else:
            text = (f"{_span(first.month, last.month)} {who} "
                    f"{_moves(first.changes, last.changes, n)} "
                    f"{_why_change(first, last)}.")
        paragraphs.append(" ".join([*notes, text]))
    return paragraphs


def actors_in(decisions: pd.DataFrame) -> list[str]:
    """The actors with decisions, in the order they first appear."""
    return list(dict.fromkeys(decisions["actor"]))
