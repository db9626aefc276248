"""Arguments checked before any work: counts within limits, numbers finite, ``--set``
paths known, a sweep's grid small enough."""

from __future__ import annotations

import math

from buffer_sim.core.errors import ScenarioError


#: Most model runs one command makes (``--runs``; a sweep's points x runs; a
#: sensitivity analysis's samples x runs): 100000 replay runs take about a quarter of
#: an hour on two cores (200 take ~2 s). More is refused at once, before any work,
#: instead of failing deep inside (a memory error after minutes).
MAX_RUNS = 100_000
#: Most local worker processes (``--workers``).
MAX_WORKERS = 256
#: Whole-number options: attribute -> (option, least, most).
COUNT_OPTIONS = {
    "runs": ("--runs", 1, MAX_RUNS),
    "samples": ("--samples", 2, MAX_RUNS),
    "chunk_size": ("--chunk-size", 1, MAX_RUNS),
    "workers": ("--workers", 1, MAX_WORKERS),
    "box": ("--box", 0, None),
    "start": ("--start", 0, 2**62),
}
#: Number options: attribute -> option (must be finite).
NUMBER_OPTIONS = {"min_coverage": "--min-coverage"}


def check_arguments(args) -> None:
    """Refuse absurd, non-finite or out-of-range options before a command does any work.

    Counts must lie within ``COUNT_OPTIONS`` (``--runs`` at most ``MAX_RUNS``), numbers
    must be finite, every ``--set`` must name a known path with a finite value, and a
    sweep's grid times its runs must stay within ``MAX_RUNS``. Options given as text
    (``validate --runs``, ``calibrate --seeds``) are checked by their command first thing.

    Raises:
        ScenarioError: naming the option and the problem (exit 2, nothing written).
    """
    for attr, (flag, least, most) in COUNT_OPTIONS.items():
        value = getattr(args, attr, None)
        if isinstance(value, bool) or not isinstance(value, int):
            continue
        if value < least:
            raise ScenarioError(flag, "", f"expected a whole number >= {least}, got {value}")
        if most is not None and value > most:
            raise ScenarioError(flag, "", f"{value} is above the limit of {most}"
                                + (" model runs per command" if flag == "--runs" else ""))
    for attr, flag in NUMBER_OPTIONS.items():
        value = getattr(args, attr, None)
        if isinstance(value, float) and not math.isfinite(value):
            raise ScenarioError(flag, "", f"must be a finite number (not NaN or infinity), "
                                          f"got {value}")
    sets = getattr(args, "set", None) or []
    if sets:
        from buffer_sim.experiments.compare import split_set  # lazy: pandas: only when needed
        from buffer_sim.scenario.schema import parse_override  # lazy: Mesa (agents): likewise

        for text in sets:
            path, _ = parse_override(split_set(text)[1] if args.command == "compare" else text)
            if path == ["seed"] and getattr(args, "seed", None) is not None:
                raise ScenarioError("--set", text, f"--seed {args.seed} also gives the seed; "
                                                   "give the seed once")
    runs = getattr(args, "runs", 1) if isinstance(getattr(args, "runs", 1), int) else 1
    if getattr(args, "param", None):
        from buffer_sim.experiments.sweep import parse_param  # lazy: Mesa (via jobs): likewise

        for text in args.param:  # N of PATH=LOW:HIGH:N, before a grid of N is built
            n = str(text).partition("=")[2].split(":")[-1].strip()
            if ":" in str(text) and n.isdigit() and int(n) > MAX_RUNS:
                raise ScenarioError("--param", text, f"{n} values is above the limit of "
                                                     f"{MAX_RUNS} model runs")
        points = math.prod(len(parse_param(text)[1]) for text in args.param)
        if points * runs > MAX_RUNS:
            raise ScenarioError("--param", "", f"{points} grid points x {runs} runs = "
                                               f"{points * runs} model runs, above the limit "
                                               f"of {MAX_RUNS}")
    samples = getattr(args, "samples", None)
    if isinstance(samples, int) and samples * runs > MAX_RUNS:
        raise ScenarioError("--samples", "", f"{samples} samples x {runs} runs is above the "
                                             f"limit of {MAX_RUNS} model runs")
