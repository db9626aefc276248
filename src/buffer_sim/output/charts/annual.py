"""Calendar-year sums of a run's reported trade, and the observed annual values they are
compared with (shared by the trade chart of a run and the trade overlay of several)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.transforms import blended_transform_factory

from buffer_sim.output.charts.layout import Run, values
from buffer_sim.output.charts.series import OBSERVED_NAMES

# Marker shapes for the sources ("basis") of observed data.
BASIS_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "h")


def annual_table(run: Run) -> pd.DataFrame:
    """Calendar-year sums of the run's reported trade.

    Args:
        run: a prepared run.

    Returns:
        One row per year with the sums ``cn_exports``, ``cn_imports`` and
        ``total`` (only those computable; named like the ``series`` of observed
        data), ``months`` (rows in the year) and ``start``/``end`` (date numbers of
        the span the rows cover).
    """
    frame = pd.DataFrame({"year": run.months.year, "start": run.months})
    # China's exports as Chinese customs show them: with the crude oil of Beijing's
    # supplies until customs stopped reporting it in 2014 (``cn_exports_customs``)
    exports = ("cn_exports_customs" if "cn_exports_customs" in run.df.columns
               else "cn_exports_reported")
    if exports in run.df.columns:
        frame["cn_exports"] = values(run, exports)
    if "cn_imports_reported" in run.df.columns:
        frame["cn_imports"] = values(run, "cn_imports_reported")
    if {"cn_exports", "cn_imports"} <= set(frame.columns):
        frame["total"] = frame["cn_exports"] + frame["cn_imports"]
    sums = [c for c in ("cn_exports", "cn_imports", "total") if c in frame.columns]
    grouped = frame.groupby("year")
    table = grouped[sums].sum(min_count=1)
    table["months"] = grouped.size()
    table["start"] = mdates.date2num(grouped["start"].min())
    table["end"] = mdates.date2num(grouped["start"].max() + pd.offsets.MonthBegin(1))
    return table


def year_segments(table: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """x and y of an annual sum drawn as one flat segment per year.

    NaN breaks between segments: an annual sum is a level for its year, not a point to
    interpolate from.
    """
    xs = np.column_stack([table["start"], table["end"], np.full(len(table), np.nan)])
    ys = np.repeat(table[column].to_numpy(float)[:, None], 3, axis=1)
    return xs.ravel(), ys.ravel()


def flag_partial_years(ax: Axes, tables: Sequence[pd.DataFrame]) -> None:
    """Say which annual sums cover fewer than 12 months (not comparable to data).

    Partial years sit at the ends of a run, so the note is anchored inside the
    year's segment: at its start, or at its end for the run's last year.
    """
    notes: dict[int, tuple[float, float, int, bool]] = {}
    for table in tables:
        last_year = table.index.max()
        for year, row in table[table["months"] < 12].iterrows():
            notes.setdefault(int(year), (row["start"], row["end"], int(row["months"]),
                                         year == last_year))
    on_top = blended_transform_factory(ax.transData, ax.transAxes)
    for year, (start, end, months, at_end) in sorted(notes.items()):
        ax.annotate(f"{year}: {months} mo only", xy=(end if at_end else start, 0.97),
                    xycoords=on_top, xytext=(-3 if at_end else 3, 0), textcoords="offset points",
                    ha="right" if at_end else "left", va="top", fontsize=7.5, color="#555555",
                    style="italic", bbox={"facecolor": "white", "edgecolor": "none",
                                          "alpha": 0.8, "pad": 1})


def observed_marks(rows: pd.DataFrame, i: int, n_bases: int):
    """Marker and x positions of the ``i``-th of ``n_bases`` sources' observed years:
    mid-year, nudged per source so equal values from two sources stay visible."""
    nudge = (i - (n_bases - 1) / 2) * 25
    x = mdates.date2num(pd.to_datetime(rows["year"].astype(str) + "-07-01")) + nudge
    return BASIS_MARKERS[i % len(BASIS_MARKERS)], x


def clean_observed(observed: pd.DataFrame | None, runs: Sequence[Run]) -> pd.DataFrame:
    """Observed rows with known series, numeric values and a year inside the runs.

    Raises:
        ValueError: ``observed`` lacks one of the required columns.
    """
    if observed is None or len(observed) == 0:
        return pd.DataFrame(columns=["year", "series", "value_usd_m", "basis"])
    missing = {"year", "series", "value_usd_m"} - set(observed.columns)
    if missing:
        raise ValueError(f"observed data lacks the column(s) {', '.join(sorted(missing))}")
    obs = pd.DataFrame({
        "year": pd.to_numeric(observed["year"], errors="coerce"),
        "series": observed["series"].astype(str),
        "value_usd_m": pd.to_numeric(observed["value_usd_m"], errors="coerce"),
        "basis": (observed["basis"].fillna("unspecified").astype(str)
                  if "basis" in observed.columns else "unspecified"),
    }).dropna(subset=["year", "value_usd_m"])
    years = set().union(*(set(r.months.year) for r in runs))
    obs["year"] = obs["year"].astype(int)
    keep = obs["year"].isin(years) & obs["series"].isin(OBSERVED_NAMES)
    return obs[keep].reset_index(drop=True)
