"""What every actor shares: ordered priorities, instruments, candidates, a rule.

An actor is a Mesa agent. Subclasses declare as data which priorities they rank by
default, their thresholds and their starting instruments, and cite the report for
each (in the manner of the Axelrod library's strategies).
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

import mesa

from buffer_sim.decision import RULES, Candidates, Decision, Evaluation, Projection
from buffer_sim.params import Parameters
from buffer_sim.priorities import DEFAULT_THRESHOLDS, PRIORITIES
from buffer_sim.world import INSTRUMENTS, State

PROVOCATION_WORDS = {0: "no test", 1: "a missile test", 2: "a nuclear or ICBM test"}


class PolicyActor(mesa.Agent):
    """A government choosing its instruments each month by looking ahead.

    Attributes:
        priorities: priority names, most important first.
        thresholds: priority -> threshold.
        rule: the decision rule object.
        instruments: instrument -> current value.
        forced: instrument -> value imposed this month by an event.
        pinned: instrument -> value imposed this month by a pin.
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    default_priorities: ClassVar[tuple[str, ...]] = ()
    default_thresholds: ClassVar[dict[str, float]] = {}
    default_instruments: ClassVar[dict[str, float]] = {}
    #: instruments whose values are discrete levels, not continuous settings
    discrete: ClassVar[dict[str, tuple[float, ...]]] = {}

    def __init__(self, model: mesa.Model, priorities=None, thresholds=None,
                 rule: str = "lexicographic", instruments=None) -> None:
        super().__init__(model)
        self.priorities: list[str] = list(priorities or self.default_priorities)
        self.thresholds: dict[str, float] = {**DEFAULT_THRESHOLDS, **self.default_thresholds,
                                             **(thresholds or {})}
        self.rule = RULES[rule]()
        self.instruments: dict[str, float] = {**self.default_instruments, **(instruments or {})}
        self.forced: dict[str, float] = {}
        self.forced_label: str = ""
        self.pinned: dict[str, float] = {}
        self._candidate_sets: dict[tuple, Candidates] = {}
        #: what the array rule reads of the priorities in force (``decision.choose_all``)
        self.rule_inputs: tuple | None = None

    # --- overridable ----------------------------------------------------------
    def active_priorities(self, state: State) -> list[str]:
        """The priority order in force this month."""
        return self.priorities

    def candidates(self, state: State, params: Parameters) -> Candidates:
        """Keep course, or move one continuous instrument one step up or down.

        The first candidate is always "keep course" (after pins and forced values).
        The set depends only on the instruments, pins, forced values, discrete levels
        and the step, so last month's set is reused when none of them changed.
        """
        return self._cached_candidates({**self.pinned, **self.forced}, params.instrument_step)

    def free_candidates(self, state: State, params: Parameters) -> Candidates:
        """The candidates the actor's own priorities would choose from, ignoring pins and
        forced events (the month's history). The same object as ``candidates`` when
        nothing is fixed this month."""
        if not self.pinned and not self.forced:
            return self.candidates(state, params)
        return self._cached_candidates({}, params.instrument_step)

    def _cached_candidates(self, fixed: dict[str, float], step: float) -> Candidates:
        """``options`` as Candidates; a set depends only on the instruments, the fixed
        values, the discrete levels and the step, so a month that repeats them (most
        do) reuses it."""
        key = (tuple(self.instruments.items()), tuple(fixed.items()),
               tuple(self.discrete.items()), step)
        if key not in self._candidate_sets:
            if len(self._candidate_sets) >= 64:  # drop the oldest
                del self._candidate_sets[next(iter(self._candidate_sets))]
            options = self.options(fixed, step)
            self._candidate_sets[key] = Candidates.of(self.name, options,
                                                           self.change_of(options))
        return self._candidate_sets[key]

    def options(self, fixed: dict[str, float], step: float) -> list[dict[str, float]]:
        """The candidate settings: keep course (with ``fixed`` imposed) first."""
        hold = {**self.instruments, **fixed}
        out = [hold]
        for name, value in hold.items():
            if name in fixed or name in self.discrete:
                continue
            lo, hi, _ = INSTRUMENTS[self.name][name]
            for new in (value - step, value + step):
                new = min(max(round(new, 6), lo), hi)
                if abs(new - value) > 1e-9:
                    out.append({**hold, name: new})
        for name, levels in self.discrete.items():
            if name in fixed:
                continue
            base = list(out)
            for level in levels:
                if level != hold[name]:
                    out.extend({**c, name: level} for c in base)
        return out

    # --- the choice ---------------------------------------------------------------
    def change_of(self, options: list[dict[str, float]]) -> list[float]:
        """Each option's total move of the continuous instruments from last month."""
        return [sum(abs(c[k] - self.instruments[k]) for k in c if k not in self.discrete)
                for c in options]

    def adopt(self, candidates: Candidates, index: int, deciding: int | None,
              priorities: list[str], thresholds: list[float], projection: Projection,
              rows: slice) -> Decision:
        """Adopt candidate ``index`` (chosen by ``decision.choose_all``) and record why.

        The record's evaluation and reason text are worked out only when read: a run
        makes hundreds of decisions and an ensemble reads none of their reasons.
        Nothing here is copied: this month's pins, forced values and instruments are
        replaced, never changed in place, when the month is over.
        """
        choice = candidates[index]
        if self.forced and all(choice.get(k) == v for k, v in self.forced.items()):
            tag = "forced"
        elif deciding is None:
            tag = "inertia"
        else:
            tag = priorities[deciding]
        why = partial(reason_text, self.label, self.discrete, choice, self.instruments,
                      self.pinned, self.forced_label, tag, index=index, deciding=deciding)
        evaluate = partial(projection.evaluation, priorities, thresholds, candidates.change,
                           rows)
        decision = Decision(self.name, choice, self.instruments, tag, index, why, evaluate)
        self.instruments = dict(choice)
        return decision

    # --- the reason -----------------------------------------------------------------
    def describe_choice(self, choice: dict[str, float]) -> str:
        return describe_choice(choice, self.instruments, self.discrete)


def describe_choice(choice: dict[str, float], previous: dict[str, float],
                    discrete: dict) -> str:
    """What changed, in words ("raised enforcement 0.10->0.15", "a missile test")."""
    parts = []
    for name, value in choice.items():
        old = previous.get(name, value)
        if name in discrete:
            if value:
                parts.append(PROVOCATION_WORDS.get(int(value), f"{name} {value:g}"))
        elif abs(value - old) > 1e-9:
            verb = "raised" if value > old else "lowered"
            parts.append(f"{verb} {name} {old:.2f}->{value:.2f}")
    return ", ".join(parts) if parts else "kept its policy"


def reason_text(label: str, discrete: dict, choice: dict, previous: dict, pinned: dict,
                forced_label: str, tag: str, ev: Evaluation, *, index: int,
                deciding: int | None) -> str:
    """The sentence a teacher can read out: what the actor did and why."""
    what = f"{label} {describe_choice(choice, previous, discrete)}"
    if tag == "forced":
        why = f"forced by the event '{forced_label}'"
    elif deciding is None:
        sat = ev.satisfied_by(index)
        if all(sat):
            why = "all its priorities were projected to hold"
        else:
            k = sat.index(False)
            pr = PRIORITIES[ev.priorities[k]]
            why = (f"no alternative did better on {pr.label} "
                   f"({pr.measure} {ev.values[k][index]:.3f} vs threshold {ev.thresholds[k]:.3f})")
    else:
        pr = PRIORITIES[tag]
        v, h, t = ev.values[deciding][index], ev.values[deciding][ev.hold], ev.thresholds[deciding]
        side = "above" if pr.at_most else "below"
        if not pr.satisfied(h, t):
            why = (f"keeping course gave {pr.measure} {h:.3f}, {side} its "
                   f"{pr.label} threshold {t:.3f}; this choice projects {v:.3f}")
        else:
            why = (f"higher priorities held either way and {pr.measure} improves "
                   f"from {h:.3f} to {v:.3f} (threshold {t:.3f})")
    if tag != "forced" and pinned:
        why += " [pinned: " + ", ".join(f"{k}={v:g}" for k, v in pinned.items()) + "]"
    return f"{what} because {why}."
