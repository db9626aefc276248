"""Decision rules: choosing instruments by looking ahead, and saying why.

Every month each actor proposes a few candidate settings of its instruments (keep
course, or move one instrument a step). All candidates of all actors are projected
together, ``lookahead_months`` ahead, with the world's own transition function and
expected random draws, holding the other actors' current choices fixed (the
DESIGN's bounded-rationality assumption). A rule then ranks the projections against
the actor's ordered priorities.

Mechanics: ``build_batch`` stacks every group's candidates into one batch,
``world.project_batch`` projects the batch in one call, and a ``Projection``
computes each priority's metric once on the whole batch; each actor then reads its
own rows into an ``Evaluation`` and its rule picks one.

The rules are small classes in the manner of the Axelrod library's strategies: a
docstring that cites the source of the idea and a ``classifier`` that declares what
the rule needs as data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import numpy as np

from buffer_sim.params import Parameters
from buffer_sim.priorities import PRIORITIES
from buffer_sim.world import ACTION_FIELDS, ACTIONS_DTYPE, Actions, State


@dataclass
class Decision:
    """One actor's choice for one month and the reason for it.

    Attributes:
        actor: the actor's name.
        choice: instrument -> chosen value.
        previous: instrument -> last month's value.
        deciding: the priority that decided the choice, or "inertia", "forced", "pinned".
        reason: a sentence a teacher can read out.
        projected: priority -> projected value of the chosen candidate.
        threshold: priority -> the actor's threshold.
    """

    actor: str
    choice: dict[str, float]
    previous: dict[str, float]
    deciding: str
    #: the candidates' evaluation and the chosen one's index in it
    evaluation: "Evaluation | None" = field(default=None, repr=False, compare=False)
    index: int = field(default=0, repr=False, compare=False)
    #: writes ``reason`` when it is first read
    explain: Callable[[], str] = field(default=lambda: "", repr=False, compare=False)

    # The records below are read for few of the hundreds of decisions in a run (an
    # ensemble reads none), so they are worked out when first read.
    @cached_property
    def reason(self) -> str:
        """A sentence a teacher can read out."""
        return self.explain()

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
    """

    priorities: list[str]
    values: list[list[float]]
    thresholds: list[float]
    change: list[float]
    hold: int

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

    def satisfied(self) -> np.ndarray:
        """(priority, candidate) array: is the value on the right side of the threshold?"""
        return np.array([[score >= bar for score in scores] for scores, bar, _ in self.goals])

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

    Source: the report, Introduction and note 4 — Beijing's "no war, no instability,
    and no nuclear weapons" are "ranked in that order of precedence"; Simon's
    satisficing for the thresholds.
    """

    name = "lexicographic"
    classifier = {"uses_thresholds": True, "order_matters": "strictly", "inertia": True}

    def choose(self, ev: Evaluation, tie_tolerance: float, inertia: float) -> tuple[int, int | None]:
        """Return (chosen index, index of the deciding priority or None for inertia)."""
        alive = list(range(len(ev.change)))
        deciding = None
        for k, (scores, bar, scale) in enumerate(ev.goals):
            keep = [i for i in alive if scores[i] >= bar]
            if not keep:
                best = max(scores[i] for i in alive)
                keep = [i for i in alive if scores[i] >= best - tie_tolerance * scale]
            if deciding is None and ev.hold in alive and ev.hold not in keep:
                deciding = k
            alive = keep
        if ev.hold in alive:
            return ev.hold, None
        scores, _, scale = ev.goals[-1]
        final = [scores[i] / scale - inertia * ev.change[i] for i in alive]
        chosen = alive[final.index(max(final))]
        if deciding is None and chosen != ev.hold:
            deciding = len(ev.priorities) - 1
        return chosen, deciding


class Weighted:
    """A weighted sum of threshold margins, weights halving down the priority order.

    Each priority contributes its margin over the threshold in units of its scale
    (capped at three), weighted 2^(n-1-k) for the k-th of n priorities; the cost of
    change is subtracted. The alternative to strict precedence: trade-offs allowed.

    Source: DESIGN ("a weighted sum with weights derived from the priority order");
    multi-attribute utility as the classical contrast to lexicographic choice.
    """

    name = "weighted"
    classifier = {"uses_thresholds": True, "order_matters": "by weight", "inertia": True}

    def choose(self, ev: Evaluation, tie_tolerance: float, inertia: float) -> tuple[int, int | None]:
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
        columns = [ACTION_FIELDS.index(f"{actor}_{name}") for name in names]
        if columns == list(range(columns[0], columns[-1] + 1)):
            columns = slice(columns[0], columns[-1] + 1)
        return cls(options, change, columns, table)

    def __len__(self) -> int:
        return len(self.options)

    def __getitem__(self, index: int) -> dict[str, float]:
        return self.options[index]

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
        ranges.append(slice(start, start + len(candidates)))
        start += len(candidates)
    # Filled as a plain (candidate, field) matrix, a block per group, then viewed as
    # records: the same memory, so nothing is copied.
    matrix = np.empty((start, len(ACTION_FIELDS)))
    matrix[:] = current
    for (_, candidates, extra), rows in zip(groups, ranges):
        for name, value in extra.items():
            matrix[rows, _FIELD_COLUMN[name]] = value
        matrix[rows, candidates.columns] = candidates.table
    return matrix.view(ACTIONS_DTYPE)[:, 0], ranges


_FIELD_COLUMN = {name: k for k, name in enumerate(ACTION_FIELDS)}


class Projection:
    """Every priority's projected value for every row of a batch.

    Metrics are elementwise over candidates, so each is computed once, on the whole
    batch, the first time an actor asks for it; each actor reads its own rows.
    """

    def __init__(self, projected: State, now: State, actions: Actions, params: Parameters,
                 size: int) -> None:
        self.projected, self.now, self.actions, self.params = projected, now, actions, params
        self.size = size
        self._metrics: dict[str, list[float]] = {}

    def metric(self, priority: str) -> list[float]:
        """One priority's value for every row of the batch."""
        values = self._metrics.get(priority)
        if values is None:
            value = PRIORITIES[priority].metric(self.projected, self.now, self.actions, self.params)
            if type(value) is not np.ndarray or value.shape != (self.size,):
                # a metric that does not depend on the candidates
                value = np.broadcast_to(np.asarray(value, dtype=float), (self.size,))
            values = self._metrics[priority] = value.tolist()
        return values

    def values(self, priorities: list[str], rows: slice) -> list[list[float]]:
        """One row of values per priority for the batch rows of one group."""
        return [self.metric(p)[rows] for p in priorities]
