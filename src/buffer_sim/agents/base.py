"""What every actor shares: ordered priorities, instruments, candidates, a rule.

An actor is a Mesa agent. Subclasses declare as data which priorities they rank by
default, their thresholds and their starting instruments, and cite the report for
each (in the manner of the Axelrod library's strategies).
"""

from __future__ import annotations

from typing import ClassVar

import mesa

from buffer_sim.core.decision import RULES, Candidates, Decision, Evaluation, Projection
from buffer_sim.core.params import Parameters
from buffer_sim.core.priorities import DEFAULT_THRESHOLDS, PRIORITIES
from buffer_sim.core.world import INSTRUMENTS, State

PROVOCATION_WORDS = {0: "no test", 1: "a missile test", 2: "a nuclear or ICBM test"}


#: Candidate sets by what they depend on (``PolicyActor._cached_candidates``), shared by
#: every model of the process: the runs of an ensemble, a sweep or the app meet the
#: same settings again and again. A set is never changed once made. The replay's
#: first run makes 63 sets (26 us each); a second run, none.
CANDIDATE_SETS: dict[tuple, Candidates] = {}
#: Most sets kept: the cache starts again empty beyond it.
CANDIDATE_SETS_MAX = 1024


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
    #: instruments whose values are discrete levels, not continuous settings (a class
    #: default an actor may replace on itself: Pyongyang's depend on its readiness)
    discrete: dict[str, tuple[float, ...]] = {}
    #: two continuous instruments run by separate arms of the government, which may
    #: each take a step in the same month (the other instruments move one at a time)
    parallel: ClassVar[tuple[str, ...]] = ()

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
        #: what the array rule reads of the priorities in force (``decision.choose_all``)
        self.rule_inputs: tuple | None = None
        #: instrument -> the least value this month's candidates may take: a commitment
        #: the actor made earlier (``options``)
        self.floors: dict[str, float] = {}
        #: what the floors rule out this month, said after the reason
        #: (``REASON_TEMPLATES["committed"]``), or ""
        self.commitment_note: str = ""
        #: instrument -> the largest raise this month's candidates may make, where it is
        #: more than one step: a measure announced whole (``options``)
        self.largest_raise: dict[str, float] = {}

    # --- overridable ----------------------------------------------------------
    def observe(self, state: State, params: Parameters) -> None:
        """See the world at the start of the month, before any choice (a memory an
        actor keeps, a declaration it makes). Nothing by default."""

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
        """``options`` as Candidates; a set depends only on the actor, its instruments,
        the fixed values, the floors, the discrete levels and the step, so a month that
        repeats them (most do) reuses it, and so does any model of the process that
        meets them (``CANDIDATE_SETS``)."""
        key = (type(self), self.name, tuple(self.instruments.items()), tuple(fixed.items()),
               tuple(self.floors.items()), tuple(self.largest_raise.items()),
               tuple(self.discrete.items()), step)
        found = CANDIDATE_SETS.get(key)
        if found is None:
            if len(CANDIDATE_SETS) >= CANDIDATE_SETS_MAX:
                CANDIDATE_SETS.clear()  # (safe where threads share it: one call)
            options = self.options(fixed, step)
            found = CANDIDATE_SETS[key] = Candidates.of(self.name, options,
                                                        self.change_of(options))
        return found

    def options(self, fixed: dict[str, float], step: float) -> list[dict[str, float]]:
        """The candidate settings: keep course (with ``fixed`` imposed) first; no move
        of a free instrument below its floor; raises of whole steps up to its
        ``largest_raise`` where it has one."""
        hold = {**self.instruments, **fixed}
        out = [hold]
        steps: dict[str, list[float]] = {}
        for name, value in hold.items():
            if name in fixed or name in self.discrete:
                continue
            lo, hi, _ = INSTRUMENTS[self.name][name]
            lo = max(lo, self.floors.get(name, lo))
            leaps = int(self.largest_raise.get(name, step) / step + 1e-9)
            for new in (value - step, *(value + k * step for k in range(1, max(leaps, 1) + 1))):
                new = min(max(round(new, 6), lo), hi)
                if abs(new - value) > 1e-9 and new not in steps.get(name, ()):
                    out.append({**hold, name: new})
                    steps.setdefault(name, []).append(new)
        if self.parallel:
            first, second = self.parallel
            out.extend({**hold, first: a, second: b}
                       for a in steps.get(first, []) for b in steps.get(second, []))
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
        why = (self.label, self.discrete, choice, self.instruments, self.pinned,
               self.forced_label, tag, index, deciding, self.rule.name, self.commitment_note)
        decision = Decision(self.name, choice, self.instruments, tag, index, reason_text, why,
                            (projection, priorities, thresholds, candidates.change, rows,
                             self.name),
                            candidates.options, self.rule.name)
        self.instruments = dict(choice)
        return decision


#: What a level of a discrete instrument (Pyongyang's provocation) says the actor did.
ACT_WORDS = {0: "held off testing", 1: "carried out a missile test",
             2: "carried out a nuclear or ICBM test"}

#: One sentence per kind of decision, as a teacher reads it out. ``{did}`` is
#: ``describe_choice``; numbers are printed with as many digits as it takes for the
#: comparison they state to be true (``compare_numbers``); ``{relation}`` is "above",
#: "below" or "at", with "just" when they differ by less than 5e-13. A month
#: in which pins fix some of the actor's instruments is decided as any other, and
#: says so after ``{did}`` (``{pinned}``, the "pinned" template).
REASON_TEMPLATES: dict[str, str] = {
    # an event of the scenario imposed the choice (history as it happened)
    "forced": "{actor} {did} because the scenario's event '{event}' imposed it.",
    # a priority decided: keeping course would have broken it
    "deciding": ("{actor} {did}{pinned} because keeping course would have left the {measure} at "
                 "{kept}, {relation} its threshold of {threshold} for {goal}; this choice "
                 "gives {value}."),
    # a priority decided: higher ones held either way, this one improves
    "improving": ("{actor} {did}{pinned} because its higher priorities held either way and this "
                  "choice moves the {measure} from {kept} to {value} (its threshold for "
                  "{goal} is {threshold})."),
    # inertia: nothing was projected to go wrong
    "inertia": "{actor} {did}{pinned} because all its priorities were projected to hold.",
    # inertia: something would go wrong, but no move would help enough (within the tie
    # tolerance, or, for the actor's least concern, less than ``least_gain``)
    "inertia_short": ("{actor} {did}{pinned} because no alternative did enough better on {goal} (the "
                      "{measure} is {value}, {relation} its threshold of {threshold})."),
    # the weighted rule: the choice scored best on the weighed sum of all priorities;
    # {goal} is the priority whose weighed margin gained most against keeping course
    "weighed": ("{actor} {did}{pinned} because, weighing all its priorities, this choice "
                "scored best; it gained most on {goal}, moving the {measure} from {kept} to "
                "{value} (threshold {threshold})."),
    # the weighted rule kept course: no move scored better on the weighed sum
    "weighed_hold": ("{actor} {did}{pinned} because, weighing all its priorities, no move "
                     "scored better than keeping course."),
    # {pinned} in the others (not forced): the instruments the scenario fixes this month
    "pinned": " ({pins} fixed by the scenario)",
    # after any reason but a forced one: moves an earlier commitment ruled out this month
    "committed": " It could not lower {what}.",
}


def compare_numbers(*values: float) -> list[str]:
    """The numbers as text, with the fewest decimals (at least 3) that keep every
    unequal pair unequal and in the same order, so that a sentence comparing them is
    true ("-0.0104 was below its threshold -0.0100", never "-0.010 ... -0.010")."""
    for digits in range(3, 18):
        texts = [f"{v:.{digits}f}" for v in values]
        nums = [float(t) for t in texts]
        if all((a < b) == (x < y) and (a == b) == (x == y)
               for i, (a, x) in enumerate(zip(values, nums))
               for b, y in zip(values[i + 1:], nums[i + 1:])):
            return [t.replace("-0.000", "0.000") if float(t) == 0 else t for t in texts]
    return [repr(float(v)) for v in values]  # apart only beyond 17 decimals


def _relation(value: float, threshold: float) -> str:
    if value == threshold:
        return "at"
    word = "above" if value > threshold else "below"
    return word if abs(value - threshold) >= 5e-13 else f"just {word}"


def _level(value: float) -> str:
    """An instrument's level: 2 decimals, or more where the level has them."""
    text = f"{value:.2f}"
    return text if float(text) == round(value, 6) else f"{round(value, 6):g}"


def describe_choice(choice: dict[str, float], previous: dict[str, float],
                    discrete: dict) -> str:
    """What the actor did, as a verb phrase ("raised enforcement from 0.10 to 0.35",
    "carried out a missile test", "held off testing", "kept its policy")."""
    parts = []
    for name, value in choice.items():
        old = previous.get(name, value)
        if name in discrete:
            parts.append(ACT_WORDS.get(int(value), f"set {name} to {value:g}")
                         if name == "provocation" else f"set {name} to {value:g}")
        elif abs(value - old) > 1e-9:
            verb = "raised" if value > old else "lowered"
            parts.append(f"{verb} {name} from {_level(old)} to {_level(value)}")
    if not parts:
        return "kept its policy"
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def reason_text(label: str, discrete: dict, choice: dict, previous: dict, pinned: dict,
                forced_label: str, tag: str, index: int, deciding: int | None, rule: str,
                committed: str, ev: Evaluation) -> str:
    """The sentence a teacher can read out: what the actor did and why, by the
    template of its kind of decision (``REASON_TEMPLATES``) and of its rule: a
    weighing actor's choice is the best weighed sum, not the survivor of filters.
    (``Decision.reason`` calls it with the decision's ``why`` and its evaluation.)"""
    pins = " and ".join(f"{k} at {v:g}" for k, v in pinned.items())
    words = {"actor": label, "did": describe_choice(choice, previous, discrete),
             "pinned": REASON_TEMPLATES["pinned"].format(pins=pins) if pinned else ""}
    if tag == "forced":
        return REASON_TEMPLATES["forced"].format(event=forced_label, **words)
    kind = _kind_of_decision(ev, tag, index, deciding, rule, words)
    text = REASON_TEMPLATES[kind].format(**words)
    # a commitment matters only where keeping course did not already hold everything
    # (then the rule keeps course whatever the other candidates are)
    if committed and kind != "inertia":
        text += REASON_TEMPLATES["committed"].format(what=committed)
    return text


def _kind_of_decision(ev: Evaluation, tag: str, index: int, deciding: int | None, rule: str,
                      words: dict) -> str:
    """The ``REASON_TEMPLATES`` entry of a decision that was not forced; adds the
    numbers its template names to ``words``."""
    if rule == "weighted":
        if deciding is None:
            return "weighed_hold"
        pr = PRIORITIES[tag]
        value, kept, threshold = compare_numbers(ev.values[deciding][index],
                                                 ev.values[deciding][ev.hold],
                                                 ev.thresholds[deciding])
        words.update(goal=pr.label, measure=pr.measure_for(ev.actor), value=value, kept=kept,
                     threshold=threshold)
        return "weighed"
    if deciding is None:
        sat = ev.satisfied_by(index)
        if all(sat):
            return "inertia"
        k = sat.index(False)
        pr = PRIORITIES[ev.priorities[k]]
        value, threshold = compare_numbers(ev.values[k][index], ev.thresholds[k])
        words.update(goal=pr.label, measure=pr.measure_for(ev.actor), value=value, threshold=threshold,
                     relation=_relation(ev.values[k][index], ev.thresholds[k]))
        return "inertia_short"
    pr = PRIORITIES[tag]
    v, h, t = ev.values[deciding][index], ev.values[deciding][ev.hold], ev.thresholds[deciding]
    value, kept, threshold = compare_numbers(v, h, t)
    words.update(goal=pr.label, measure=pr.measure_for(ev.actor), value=value, kept=kept,
                 threshold=threshold, relation=_relation(h, t))
    return "improving" if pr.satisfied(h, t) else "deciding"
