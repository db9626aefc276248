"""Outcomes: one number per run, computed from the run's time series.

The run's time series is a DataFrame like ``timeseries.csv`` (``date`` then every
output column). ``OUTCOMES`` names the outcomes; some take an argument after a colon
(``enforcement_first_above:0.75``, ``mean:tension``). ``get_outcome("NAME[:ARG]")``
returns the function. Sweeps, sensitivity analyses and scenario discovery measure them.

``fact:NAME`` is 1 where one of the report's stylized facts (``facts.REPLAY_FACTS``)
holds in the run and 0 where it does not; averaged over ``--runs``, the share of seeds.
So ``buffer-sim discover replay_2009_2019_robust --outcome fact:NAME --where "< 0.5"``
finds the assumptions under which the model loses a piece of history.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
import pandas as pd

from buffer_sim.core.errors import ScenarioError
from buffer_sim.core.months import month_str, month_year
from buffer_sim.experiments.facts import FACT_YEARS, REPLAY_FACTS


@dataclass(frozen=True)
class Outcome:
    """A named measure of one run.

    Attributes:
        doc: what it measures, with its unit.
        fn: ``fn(timeseries, arg) -> float`` (NaN when undefined for the run).
        arg: what ``NAME:ARG`` takes (None: no argument); ``default`` if omitted.
        years: calendar years the scenario must overlap, if any.
        whole: whether it must cover all of ``years``, not only some.
    """

    doc: str
    fn: Callable[[pd.DataFrame, object], float]
    arg: str | None = None
    default: object = None
    years: tuple[int, int] | None = None
    whole: bool = False


def _fact(df: pd.DataFrame, name: str) -> float:
    return float(REPLAY_FACTS[name].holds(df.set_index("date")))


def _years(df: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    year = df["date"].str.slice(0, 4).astype(int)
    return df[(year >= first) & (year <= last)]


def _first_above(df: pd.DataFrame, level: float) -> float:
    above = np.flatnonzero(df["beijing_enforcement"].to_numpy() > level)
    return float(above[0]) if len(above) else math.nan


def _window_mean(df: pd.DataFrame, column: str, first: str, last: str) -> float:
    window = df[(df["date"] >= first) & (df["date"] <= last)][column]
    return float(window.mean()) if len(window) else math.nan


def _column(df: pd.DataFrame, name: str) -> np.ndarray:
    return df[name].to_numpy(dtype=np.float64)


OUTCOMES: dict[str, Outcome] = {
    "imports_2017_2018": Outcome(
        "mean of China's reported imports from the DPRK over 2017-2018, US$ million/month",
        lambda df, _: float(_years(df, 2017, 2018)["cn_imports_reported"].mean()),
        years=(2017, 2018)),
    "peak_enforcement": Outcome(
        "highest Beijing enforcement in the period, 0..1",
        lambda df, _: float(_column(df, "beijing_enforcement").max())),
    "enforcement_first_above": Outcome(
        "month (0 = the first month) when Beijing's enforcement first exceeds LEVEL; "
        "NaN if never",
        lambda df, level: _first_above(df, level), arg="LEVEL", default=0.75),
    "mean_tension": Outcome("mean tension over the period, 0..1",
                            lambda df, _: float(_column(df, "tension").mean())),
    "min_stability": Outcome("lowest DPRK stability in the period, 0..1",
                             lambda df, _: float(_column(df, "stability").min())),
    "mean_influence": Outcome("mean realized influence of Beijing over Pyongyang, -1..1",
                              lambda df, _: float(_column(df, "influence_realized").mean())),
    "final_warmth_cn_dprk": Outcome("China-DPRK warmth in the last month, -1..1",
                                    lambda df, _: float(_column(df, "warmth_cn_dprk")[-1])),
    "enforcement_2017": Outcome(
        "mean of Beijing's visible enforcement over 2017, 0..1",
        lambda df, _: float(_years(df, 2017, 2017)["beijing_enforcement"].mean()),
        years=(2017, 2017)),
    "window_mean": Outcome(
        "mean of COLUMN over the months FROM..TO (YYYY-MM), e.g. "
        "window_mean:beijing_crackdown@2018-01..2019-12",
        lambda df, arg: _window_mean(df, *arg), arg="COLUMN@FROM..TO"),
    "mean": Outcome("mean of any output COLUMN over the period",
                    lambda df, col: float(_column(df, col).mean()), arg="COLUMN"),
    "max": Outcome("largest value of COLUMN", lambda df, col: float(_column(df, col).max()),
                   arg="COLUMN"),
    "min": Outcome("smallest value of COLUMN", lambda df, col: float(_column(df, col).min()),
                   arg="COLUMN"),
    "final": Outcome("value of COLUMN in the last month",
                     lambda df, col: float(_column(df, col)[-1]), arg="COLUMN"),
    "fact": Outcome(
        "1 if the report's stylized fact NAME holds in the run, else 0 (the share of "
        "seeds, averaged over --runs); the names: buffer_sim.experiments.facts",
        _fact, arg="NAME", years=FACT_YEARS, whole=True),
}


def outcome_help() -> str:
    """One line per outcome, for ``--help``."""
    lines = []
    for name, o in OUTCOMES.items():
        label = f"{name}:{o.arg}" if o.arg else name
        default = f" (default {o.default})" if o.default is not None else ""
        lines.append(f"  {label:<30} {o.doc}{default}")
    return "\n".join(lines)


def outcome_names() -> str:
    return ", ".join(f"{n}:{o.arg}" if o.arg else n for n, o in OUTCOMES.items())


def parse_outcome(text: str) -> tuple[str, object]:
    """'enforcement_first_above:0.75' -> ('enforcement_first_above', 0.75); checks it."""
    # lazy: the model loads Mesa; the CLI imports this module to build its parsers, which load no Mesa
    from buffer_sim.model import output_columns

    name, colon, arg_text = str(text).strip().partition(":")
    name, arg_text = name.strip(), arg_text.strip()
    if name not in OUTCOMES:
        close = difflib.get_close_matches(name, list(OUTCOMES), n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ScenarioError("--outcome", "", f"unknown outcome {text!r}{hint}; expected one of: "
                                             f"{outcome_names()}")
    o = OUTCOMES[name]
    if o.arg is None:
        if colon:
            raise ScenarioError("--outcome", "", f"{name} takes no argument, got {text!r}")
        return name, None
    if not arg_text:
        if o.default is None:
            raise ScenarioError("--outcome", "", f"{name} needs {o.arg}: {name}:{o.arg}")
        return name, o.default
    if o.arg == "COLUMN@FROM..TO":
        column, at, window = arg_text.partition("@")
        first, dots, last = window.partition("..")
        months = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
        if not at or not dots or not months.match(first.strip()) or not months.match(
                last.strip()) or first.strip() > last.strip():
            raise ScenarioError("--outcome", "", f"{name} needs COLUMN@YYYY-MM..YYYY-MM "
                                                 f"(first month not after the last), got "
                                                 f"{arg_text!r}")
        parse_outcome(f"mean:{column.strip()}")  # the column must exist
        return name, (column.strip(), first.strip(), last.strip())
    if o.arg == "NAME":
        if arg_text not in REPLAY_FACTS:
            close = difflib.get_close_matches(arg_text, list(REPLAY_FACTS), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ScenarioError("--outcome", "", f"unknown fact {arg_text!r}{hint}; expected "
                                                 f"one of: {', '.join(REPLAY_FACTS)}")
        return name, arg_text
    if o.arg == "COLUMN":
        columns = output_columns()
        if arg_text not in columns:
            close = difflib.get_close_matches(arg_text, columns, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ScenarioError("--outcome", "", f"unknown column {arg_text!r}{hint}; see the "
                                                 "columns of timeseries.csv")
        return name, arg_text
    try:
        value = float(arg_text)
    except ValueError:
        raise ScenarioError("--outcome", "", f"{name}:{o.arg} needs a number, got "
                                             f"{arg_text!r}") from None
    if not math.isfinite(value):
        raise ScenarioError("--outcome", "", f"{name}:{o.arg} needs a finite number")
    return name, value


@lru_cache(maxsize=64)
def get_outcome(text: str) -> Callable[[pd.DataFrame], float]:
    """The function of an outcome name (``ScenarioError`` if unknown)."""
    name, arg = parse_outcome(text)
    fn = OUTCOMES[name].fn
    return lambda df: fn(df, arg)


def check_outcome(text: str, scenario) -> str:
    """Validate an outcome against a scenario (e.g. it covers the years it needs)."""
    name, _ = parse_outcome(text)
    years, whole = OUTCOMES[name].years, OUTCOMES[name].whole
    first, last = month_year(scenario.start), month_year(scenario.end)
    if years and (last < years[0] or first > years[1]
                  or whole and (first > years[0] or last < years[1])):
        raise ScenarioError("--outcome", "", f"{name} needs a period that covers "
                                             f"{years[0]}-{years[1]}; {scenario.name} runs "
                                             f"{month_str(scenario.start)}.."
                                             f"{month_str(scenario.end)}")
    return text
