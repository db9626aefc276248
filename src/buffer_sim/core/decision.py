"""Decision rules: choosing instruments by looking ahead, and saying why.

Every month each actor proposes a few candidate settings of its instruments (keep
course, or move one instrument a step). All candidates of all actors are projected
together, ``lookahead_months`` ahead, with the world's own transition function and
expected random draws, holding the other actors' current choices fixed (the
DESIGN's bounded-rationality assumption). A rule then ranks the projections against
the actor's ordered priorities.

Mechanics: ``build_batch`` stacks every group's candidates into one batch,
``world.project_batch`` projects the batch in one call (every priority's measure is a
row of the projection), and ``choose_all`` applies every group's rule: the
lexicographic rule of all groups in one compiled loop. An ``Evaluation`` of a group's
rows is built when a reason is read, or for a rule that needs one.

The rules are small classes in the manner of the Axelrod library's strategies, each
with a docstring that cites the source of the idea.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Callable

import numpy as np

from buffer_sim.core import jit
from buffer_sim.core.params import Parameters
from buffer_sim.core.priorities import PRIORITIES
from buffer_sim.core.world import ACTION_FIELDS, ACTIONS_DTYPE, Actions, Projected, State


@dataclass
class Decision:
    """One actor's choice for one month and the reason for it.

    Attributes:
        actor: the actor's name.
        choice: instrument -> chosen value.
        previous: instrument -> last month's value.
        deciding: the priority that decided the choice, or "inertia", "forced", "pinned".
        index: the chosen candidate's place among the actor's candidates (``options``).
        rule: the name of the decision rule that chose.
        reason: a sentence a teacher can read out.
        evaluation: the candidates' projected values (an ``Evaluation``).
        projected: priority -> projected value of the chosen candidate.
        threshold: priority -> the actor's threshold.
    """

    actor: str
    choice: dict[str, float]
    previous: dict[str, float]
    deciding: str
    index: int = 0
    #: writes the reason: ``explain(*why, evaluation)``
    explain: Callable[..., str] = field(default=lambda *args: "", repr=False, compare=False)
    #: ``explain``'s arguments before the evaluation
    why: tuple = field(default=(), repr=False, compare=False)
    #: what the evaluation is read from: the month's ``Projection``, then the arguments
    #: of its ``evaluation``; empty for none. Arguments, not a function that closes
    #: over them: a run keeps every decision, and fewer objects per decision leave
    #: Python's cyclic collector less to scan.
    evaluated_from: tuple = field(default=(), repr=False, compare=False)
    #: the candidates the actor chose among (instrument -> value each, keep course first)
    options: list[dict[str, float]] = field(default_factory=list, repr=False, compare=False)
    #: the rule that chose ("lexicographic" or "weighted"): how the reason is worded
    rule: str = "lexicographic"

    # A run makes hundreds of decisions and few of their records are read (an
    # ensemble reads none), so they are worked out when first read.
    @cached_property
    def evaluation(self) -> "Evaluation | None":
        if not self.evaluated_from:
            return None
        projection, *arguments = self.evaluated_from
        return projection.evaluation(*arguments)

    @cached_property
    def reason(self) -> str:
        """A sentence a teacher can read out."""
        return self.explain(*self.why, self.evaluation)

    @cached_property
    def projected(self) -> dict[str, float]:
        """Priority -> projected value of the chosen candidate."""
        ev = self.evaluation
        if ev is None:
            return {}
        return {p: float(ev.values[k][self.index]) for k, p in enumerate(ev.priorities)}

    @cached_property
    def threshold(self) -> dict[str, float]:
        """Priority -> the actor's threshold."""
        ev = self.evaluation
        return {} if ev is None else dict(zip(ev.priorities, ev.thresholds))

    @property
    def changed(self) -> bool:
        return any(abs(self.choice[k] - self.previous.get(k, self.choice[k])) > 1e-9
                   for k in self.choice)


@dataclass
class Evaluation:
    """What a rule needs about a set of candidates.

    Candidates are few (under ten), so rows are plain lists, one value per candidate.

    Attributes:
        priorities: priority names in the actor's order.
        values: one row of projected values per priority.
        thresholds: one threshold per priority.
        change: size of each candidate's departure from last month's policy.
        hold: index of the keep-course candidate.
        actor: whose evaluation (a priority may be measured its own way for an actor:
            ``Priority.readings``).
    """

    priorities: list[str]
    values: list[list[float]]
    thresholds: list[float]
    change: list[float]
    hold: int
    actor: str = ""

    @cached_property
    def goals(self) -> list[tuple[list[float], float, float]]:
        """(scores, bar, scale) per priority, signed so that higher is better.

        A score is the value, negated for priorities that must stay at or below their
        threshold; the bar is the threshold signed alike, so a candidate holds the
        priority exactly when its score is at least the bar.
        """
        goals = []
        for name, values, threshold in zip(self.priorities, self.values, self.thresholds):
            priority = PRIORITIES[name]
            if priority.at_most:
                values, threshold = [-v for v in values], -threshold
            goals.append((values, threshold, priority.scale))
        return goals

    def scores(self) -> np.ndarray:
        """(priority, candidate) array of scores (higher is better)."""
        return np.array([scores for scores, _, _ in self.goals])

    def scales(self) -> np.ndarray:
        return np.array([scale for _, _, scale in self.goals])

    def satisfied_by(self, index: int) -> list[bool]:
        """Which priorities candidate ``index`` is projected to hold."""
        return [scores[index] >= bar for scores, bar, _ in self.goals]


class Lexicographic:
    """Satisficing in order of precedence.

    Keep the candidates that hold priority 1 within its threshold (or, if none can,
    those within ``tie_tolerance`` of the best for it); among those, priority 2; and
    so on. If keeping course survives every filter, the actor keeps course: there is
    no reason to act when nothing is projected to go wrong (satisficing). Otherwise
    the survivors are ranked by the last priority's value less a cost of change.
    The last priority, when no candidate holds it and nothing above it has moved the
    actor, moves it only for a gain of at least ``least_gain`` of its scale: the least
    of an actor's concerns does not turn its instruments for a sliver.

    Source: the report, Introduction and note 4 — Beijing's "no war, no instability,
    and no nuclear weapons" are "ranked in that order of precedence"; Simon's
    satisficing for the thresholds.
    """

    name = "lexicographic"

    def choose(self, ev: Evaluation, tie_tolerance: float, inertia: float,
               least_gain: float = 0.0) -> tuple[int, int | None]:
        """Return (chosen index, index of the deciding priority or None for inertia)."""
        chosen, deciding = lexicographic(
            ev.scores(), np.array([bar for _, bar, _ in ev.goals]), ev.scales(),
            np.asarray(ev.change, dtype=float), ev.hold, tie_tolerance, inertia, least_gain)
        return chosen, None if deciding < 0 else deciding


def lexicographic(scores, bars, scales, change, hold, tie_tolerance, inertia, least_gain):
    """The ``Lexicographic`` rule on arrays; it runs as Python and compiled.

    Args:
        scores: (priority, candidate) signed scores, higher is better, priorities in
            the actor's order.
        bars: the thresholds signed alike (a score at or above its bar holds).
        scales: each priority's scale (for ties and the final ranking).
        change: each candidate's departure from last month's policy.
        hold: index of the keep-course candidate.
        tie_tolerance, inertia, least_gain: the parameters of those names.

    Returns:
        (chosen index, index of the deciding priority, or -1 for keeping course).
    """
    n_priorities = scores.shape[0]
    last = n_priorities - 1
    alive = np.ones(scores.shape[1], dtype=np.bool_)
    deciding = -1
    for k in range(n_priorities):
        row = scores[k]
        keep = alive & (row >= bars[k])
        if not keep.any():
            best = row[alive].max()
            if k == last and alive[hold] and best - row[hold] < least_gain * scales[k]:
                return hold, -1
            keep = alive & (row >= best - tie_tolerance * scales[k])
        if deciding < 0 and alive[hold] and not keep[hold]:
            deciding = k
        alive = keep
    if alive[hold]:
        return hold, -1
    final = np.where(alive, scores[last] / scales[last] - inertia * change, -np.inf)
    chosen = int(np.argmax(final))  # the first of equals, in candidate order
    if deciding < 0 and chosen != hold:
        deciding = last
    return chosen, deciding


def _lexicographic_groups(matrix, bounds, rows, signs, bars, scales, change, tie_tolerance,
                          inertia, least_gain, out):
    """``lexicographic`` for every group of a batch (compiled by ``choose_all``).

    Group g holds candidates ``bounds[4g]:bounds[4g + 1]`` of the batch (keep course
    first) and ranks priorities ``bounds[4g + 2]:bounds[4g + 3]`` of ``rows`` (rows of
    the projection ``matrix`` that measure them), ``signs`` (-1 for a priority to keep
    at or below its threshold), ``bars`` and ``scales`` alike. Writes group g's chosen
    index to ``out[0, g]``, its deciding priority (or -1) to ``out[1, g]``.
    """
    for g in range(out.shape[1]):
        a, b, first, last = bounds[4 * g], bounds[4 * g + 1], bounds[4 * g + 2], bounds[4 * g + 3]
        scores = np.empty((last - first, b - a))
        for k in range(last - first):
            scores[k] = signs[first + k] * matrix[rows[first + k], a:b]
        chosen, deciding = lexicographic(scores, bars[first:last], scales[first:last],
                                         change[a:b], 0, tie_tolerance, inertia, least_gain)
        out[0, g] = chosen
        out[1, g] = deciding


class Weighted:
    """A weighted sum of threshold margins, weights halving down the priority order.

    Each priority contributes its margin over the threshold in units of its scale
    (capped at three), weighted 2^(n-1-k) for the k-th of n priorities; the cost of
    change is subtracted. The alternative to strict precedence: trade-offs allowed.

    Source: DESIGN ("a weighted sum with weights derived from the priority order");
    multi-attribute utility as the classical contrast to lexicographic choice.
    """

    name = "weighted"

    def choose(self, ev: Evaluation, tie_tolerance: float, inertia: float,
               least_gain: float = 0.0) -> tuple[int, int | None]:
        # (least_gain is the lexicographic rule's: weights already trade small gains off)
        scores, scales = ev.scores(), ev.scales()
        bars = np.array([bar for _, bar, _ in ev.goals])
        margins = np.clip((scores - bars[:, None]) / scales[:, None], -3.0, 3.0)
        n = len(ev.priorities)
        weights = 2.0 ** np.arange(n - 1, -1, -1)
        weights = weights / weights.sum()
        contrib = weights[:, None] * margins
        total = contrib.sum(axis=0) - inertia / n * np.array(ev.change)
        chosen = int(np.argmax(total))
        if chosen == ev.hold:
            return chosen, None
        return chosen, int(np.argmax(contrib[:, chosen] - contrib[:, ev.hold]))


RULES = {rule.name: rule for rule in (Lexicographic, Weighted)}


@dataclass(frozen=True)
class Candidates:
    """One actor's candidate settings for a month; reads like the list of ``options``.

    Attributes:
        options: instrument -> value, one dict per candidate; the first keeps course.
        change: each candidate's departure from last month's policy (cost of change).
        columns: where the instruments sit among ``ACTION_FIELDS`` (a slice when they
            are neighbours, as every actor's are).
        table: (candidate, instrument) values, instruments in ``columns`` order.
    """

    options: list[dict[str, float]]
    change: list[float]
    columns: slice | list[int]
    table: np.ndarray

    @classmethod
    def of(cls, actor: str, options: list[dict[str, float]], change: list[float]
           ) -> "Candidates":
        names = list(options[0])
        table = np.array([[option[k] for k in names] for option in options], dtype=float)
        columns = [_FIELD_COLUMN[f"{actor}_{name}"] for name in names]
        if columns == list(range(columns[0], columns[-1] + 1)):
            return cls(options, change, slice(columns[0], columns[-1] + 1), table)
        return cls(options, change, columns, table)

    def __len__(self) -> int:
        return len(self.options)

    def __getitem__(self, index: int) -> dict[str, float]:
        return self.options[index]

    def keep_course(self) -> "Candidates":
        """The keep-course candidate alone (for a counterfactual group); made once, as
        a set of candidates is used month after month."""
        kept = self.__dict__.get("_kept")
        if kept is None:
            kept = Candidates(self.options[:1], self.change[:1], self.columns, self.table[:1])
            object.__setattr__(self, "_kept", kept)  # a cache, not a field: still frozen
        return kept

    def __iter__(self):
        return iter(self.options)


def build_batch(current: Actions, groups: list[tuple[str, Candidates, dict]]
                ) -> tuple[np.ndarray, list[slice]]:
    """All actors' candidates as one batch (``world.ACTIONS_DTYPE``, one element per
    candidate).

    Every candidate starts as the current actions; each group then overrides its
    actor's instruments with its candidates.

    Args:
        current: last month's actions (what every actor holds fixed for the others).
        groups: (actor, candidates, extra overrides) per group; extra overrides apply to
            the whole group (used for the counterfactual "Beijing applies no pressure").

    Returns:
        The batch and the index range of each group.
    """
    ranges = []
    start = 0
    for _, candidates, _ in groups:
        stop = start + len(candidates.options)  # (the list's len: no Python call)
        ranges.append(slice(start, stop))
        start = stop
    # Filled as a plain (candidate, field) matrix, a block per group, then viewed as
    # records: the same memory, so nothing is copied.
    matrix = np.empty((start, len(ACTION_FIELDS)))
    matrix[:] = current
    for (_, candidates, extra), rows in zip(groups, ranges):
        matrix[rows, candidates.columns] = candidates.table
        # the group's overrides win, even over its own actor's candidates (the
        # counterfactuals set Beijing's pressure instruments on Beijing's hold)
        for name, value in extra.items():
            matrix[rows, _FIELD_COLUMN[name]] = value
    return matrix.view(ACTIONS_DTYPE)[:, 0], ranges


_FIELD_COLUMN = {name: k for k, name in enumerate(ACTION_FIELDS)}


@cache
def priority_row(actor: str, priority: str) -> int:
    """The row of a projection (``world.Projected`` field) that measures ``priority``
    for ``actor`` (looked up once: every evaluation a run's reasons read asks again)."""
    return Projected._fields.index(PRIORITIES[priority].metric_for(actor))


class Projection:
    """A batch's projection: every ``world.Projected`` field (which include every
    priority's measure) for every candidate.

    Args:
        matrix: ``world.project_batch``'s result, a row per ``Projected`` field.
        now: the world this month.
    """

    def __init__(self, matrix: np.ndarray, now: State) -> None:
        self.matrix, self.now = matrix, now

    def evaluation(self, priorities: list[str], thresholds: list[float], change: list[float],
                   rows: slice, actor: str = "") -> Evaluation:
        """The candidates ``rows`` of the batch as ``actor``'s ``Evaluation`` (keep
        course first)."""
        return Evaluation(list(priorities),
                          [self.matrix[priority_row(actor, p), rows].tolist()
                           for p in priorities],
                          list(thresholds), list(change), hold=0, actor=actor)


def _rule_inputs(actor, now: State) -> tuple:
    """An actor's priorities in force, their thresholds, and the projection rows, signs,
    signed bars and scales the array rule reads. Kept while the same priority list and threshold
    dict are in force: events and the app replace them, never change them in place."""
    priorities = actor.active_priorities(now)
    cached = actor.rule_inputs
    if cached is None or cached[0] is not priorities or cached[1] is not actor.thresholds:
        thresholds = [float(actor.thresholds[p]) for p in priorities]
        rows = [priority_row(actor.name, p) for p in priorities]
        signs = [-1.0 if PRIORITIES[p].at_most else 1.0 for p in priorities]
        bars = [sign * t for sign, t in zip(signs, thresholds)]
        scales = [PRIORITIES[p].scale for p in priorities]
        cached = actor.rule_inputs = (priorities, actor.thresholds,
                                      (priorities, thresholds, rows, signs, bars, scales))
    return cached[2]


def _compiled_rule():
    return jit.compiled(_lexicographic_groups, jitable=(lexicographic,))


def warm_up() -> None:
    """Load (or compile) the compiled rule loop now, with the argument types a month
    passes it."""
    if not jit.available():
        return
    ints, floats = np.zeros(4, dtype=np.int64), np.zeros(1)
    ints[1] = 1
    _compiled_rule()(np.zeros((1, 1)), ints, ints[:1], floats, floats, floats, floats,
                     0.0, 0.0, 0.0, np.empty((2, 1), dtype=np.int64))


#: The last month's arrays of ``_rule_arrays``: (key, the objects it names, arrays),
#: read and replaced whole (threads cannot mix two months). The objects are held so
#: that no other object takes their ids while the key names them.
_last_rule_arrays: tuple = ([], (), None)


_RuleArrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _rule_arrays(groups: list[tuple], lexicographic_groups: list[tuple], width: int
                 ) -> _RuleArrays:
    """What the compiled loop reads besides the projection: each group's bounds, the
    projection rows of its priorities, their signs, signed bars and scales, and the cost
    of change of each candidate at its column of the projection.

    They depend only on the groups' candidates, columns and rule inputs, which stay the
    same objects while no actor moves (in the replay, 83 of 132 months): such a month
    reuses the last one's arrays (the loop only reads them).
    """
    global _last_rule_arrays
    # ids, not the objects: a different Candidates would compare its arrays
    key: list = [(id(candidates), rows) for _, candidates, rows in groups]
    key += [(g, id(inputs)) for g, _, _, inputs in lexicographic_groups]
    key.append(width)
    last_key, _, arrays = _last_rule_arrays
    if key == last_key:
        return arrays
    bounds: list[int]
    table_rows: list[int]
    bounds, table_rows, signs, bars, scales = [], [], [], [], []
    change = np.zeros(width)
    for _, candidates, rows in groups:
        change[rows] = candidates.change
    for _, _, rows, (_, _, r, sign, bar, scale) in lexicographic_groups:
        bounds += (rows.start, rows.stop, len(table_rows), len(table_rows) + len(r))
        table_rows += r
        signs += sign
        bars += bar
        scales += scale
    arrays = (np.array(bounds, dtype=np.int64), np.array(table_rows, dtype=np.int64),
              np.array(signs, dtype=float), np.array(bars, dtype=float),
              np.array(scales, dtype=float), change)
    _last_rule_arrays = (key, ([c for _, c, _ in groups], [i for *_, i in lexicographic_groups]),
                         arrays)
    return arrays


def choose_all(groups: list[tuple], projection: Projection, params: Parameters,
               compiled: bool = True) -> list[tuple[int, int | None, list[str], list[float]]]:
    """Every group's choice by its actor's rule.

    Args:
        groups: (actor, candidates, rows of the batch) per group: any columns of the
            projection, in any order; columns no group names are not read.
        projection: the batch's projection.
        params: for the tie tolerance, inertia and least gain.
        compiled: run the lexicographic rule of all groups as one compiled loop.

    Returns:
        Per group: (chosen index among its candidates, index of the deciding priority
        or None, the priorities in force, their thresholds).
    """
    now = projection.now
    results: list = [None] * len(groups)
    lexicographic_groups = []
    inputs_of = [_rule_inputs(actor, now) for actor, _, _ in groups]
    for g, ((actor, candidates, rows), inputs) in enumerate(zip(groups, inputs_of)):
        priorities, thresholds, *_ = inputs
        if isinstance(actor.rule, Lexicographic):
            lexicographic_groups.append((g, candidates, rows, inputs))
        else:
            ev = projection.evaluation(priorities, thresholds, candidates.change, rows,
                                       actor.name)
            index, deciding = actor.rule.choose(ev, params.tie_tolerance, params.inertia,
                                                params.least_gain)
            results[g] = (index, deciding, priorities, thresholds)
    if lexicographic_groups:
        out = np.empty((2, len(lexicographic_groups)), dtype=np.int64)
        loop = _compiled_rule() if compiled and jit.available() else _lexicographic_groups
        loop(projection.matrix, *_rule_arrays(groups, lexicographic_groups,
                                              projection.matrix.shape[1]),
             float(params.tie_tolerance), float(params.inertia), float(params.least_gain), out)
        chosen, deciding = out.tolist()
        for (g, _, _, (priorities, thresholds, *_)), c, d in zip(lexicographic_groups,
                                                                  chosen, deciding):
            results[g] = (c, None if d < 0 else d, priorities, thresholds)
    return results
