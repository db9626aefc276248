"""Decision rules: choosing instruments by looking ahead, and saying why.

Every month each actor proposes a few candidate settings of its instruments (keep
course, or move one instrument a step). All candidates of all actors are projected
together, ``lookahead_months`` ahead, with the world's own transition function and
expected random draws, holding the other actors' current choices fixed (the
DESIGN's bounded-rationality assumption). A rule then ranks the projections against
the actor's ordered priorities.

The rules are small classes in the manner of the Axelrod library's strategies: a
docstring that cites the source of the idea and a ``classifier`` that declares what
the rule needs as data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from buffer_sim.priorities import PRIORITIES
from buffer_sim.world import ACTION_FIELDS, Actions


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
    reason: str
    projected: dict[str, float] = field(default_factory=dict)
    threshold: dict[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(abs(self.choice[k] - self.previous.get(k, self.choice[k])) > 1e-9
                   for k in self.choice)


@dataclass
class Evaluation:
    """What a rule needs about a set of candidates (arrays over candidates).

    Attributes:
        priorities: priority names in the actor's order.
        values: one row of projected values per priority.
        thresholds: one threshold per priority.
        change: size of each candidate's departure from last month's policy.
        hold: index of the keep-course candidate.
    """

    priorities: list[str]
    values: np.ndarray
    thresholds: np.ndarray
    change: np.ndarray
    hold: int

    def scores(self) -> np.ndarray:
        sign = np.array([-1.0 if PRIORITIES[p].at_most else 1.0 for p in self.priorities])
        return self.values * sign[:, None]

    def scales(self) -> np.ndarray:
        return np.array([PRIORITIES[p].scale for p in self.priorities])

    def satisfied(self) -> np.ndarray:
        return np.array([PRIORITIES[p].satisfied(v, t)
                         for p, v, t in zip(self.priorities, self.values, self.thresholds)])


class Lexicographic:
    """Satisficing in order of precedence.

    Keep the candidates that hold priority 1 within its threshold (or, if none can,
    those within ``tie_tolerance`` of the best for it); among those, priority 2; and
    so on. Remaining ties go to the last priority's value less a cost of change.

    Source: the report, Introduction and note 4 — Beijing's "no war, no instability,
    and no nuclear weapons" are "ranked in that order of precedence"; Simon's
    satisficing for the thresholds.
    """

    name = "lexicographic"
    classifier = {"uses_thresholds": True, "order_matters": "strictly", "inertia": True}

    def choose(self, ev: Evaluation, tie_tolerance: float, inertia: float) -> tuple[int, int | None]:
        """Return (chosen index, index of the deciding priority or None for inertia)."""
        scores, scales, sat = ev.scores(), ev.scales(), ev.satisfied()
        alive = np.ones(scores.shape[1], dtype=bool)
        deciding = None
        for k in range(len(ev.priorities)):
            ok = sat[k] & alive
            if ok.any():
                keep = ok
            else:
                best = scores[k][alive].max()
                keep = alive & (scores[k] >= best - tie_tolerance * scales[k])
            if deciding is None and alive[ev.hold] and not keep[ev.hold]:
                deciding = k
            alive = keep
        final = scores[-1] / scales[-1] - inertia * ev.change
        final = np.where(alive, final, -np.inf)
        chosen = int(np.argmax(final))
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
        sign = np.array([-1.0 if PRIORITIES[p].at_most else 1.0 for p in ev.priorities])
        margins = np.clip((scores - (ev.thresholds * sign)[:, None]) / scales[:, None], -3.0, 3.0)
        n = len(ev.priorities)
        weights = 2.0 ** np.arange(n - 1, -1, -1)
        weights = weights / weights.sum()
        contrib = weights[:, None] * margins
        total = contrib.sum(axis=0) - inertia / n * ev.change
        chosen = int(np.argmax(total))
        if chosen == ev.hold:
            return chosen, None
        return chosen, int(np.argmax(contrib[:, chosen] - contrib[:, ev.hold]))


RULES = {rule.name: rule for rule in (Lexicographic, Weighted)}


def build_batch(current: Actions, slices: list[tuple[str, list[dict[str, float]], dict]]
                ) -> tuple[Actions, list[slice]]:
    """All actors' candidates as one batch of Actions.

    Args:
        current: last month's actions (what every actor holds fixed for the others).
        slices: (actor, candidates, extra overrides) per group; a candidate maps the
            actor's instrument names to values; extra overrides apply to the whole group
            (used for the counterfactual "Beijing applies no pressure").

    Returns:
        The batch and the index range of each group.
    """
    base = current.as_dict()
    columns = {f: [] for f in ACTION_FIELDS}
    ranges = []
    start = 0
    for actor, candidates, extra in slices:
        for cand in candidates:
            row = dict(base)
            row.update(extra)
            for name, value in cand.items():
                row[f"{actor}_{name}"] = value
            for f in ACTION_FIELDS:
                columns[f].append(row[f])
        ranges.append(slice(start, start + len(candidates)))
        start += len(candidates)
    return Actions(**{f: np.array(v, dtype=float) for f, v in columns.items()}), ranges


def take(batch, index: slice):
    """A slice of a batched State or Actions."""
    values = (getattr(batch, f) for f in batch.__slots__)
    return type(batch)(*(v[index] if np.ndim(v) else v for v in values))
