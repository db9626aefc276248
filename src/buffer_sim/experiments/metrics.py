"""How well a run explains history: annual trade, error metrics and naive baselines.

Pure functions (no files, no printing, no model runs): ``buffer-sim validate`` and
``buffer-sim calibrate`` feed them a run's monthly time series and the observed
annual table (:func:`buffer_sim.scenario.observed.trade_annual`).

Conventions:
    * The model's *reported* flows are what customs statistics measure, so they are
      what is compared with observed data: ``cn_exports`` = ``cn_exports_customs``
      (commercial exports, plus crude oil until customs stopped reporting it in 2014),
      ``cn_imports`` = ``cn_imports_reported``, ``total`` = their sum. Informal flows
      are aggregated too (``informal_*``), for charts only.
    * Only complete calendar years count: a year is summed only when all 12 of its
      months are in the run.
    * Where several sources state a number for the same year, each source row is
      compared separately, and the rows of one year share that year's weight
      (every year counts once). MAE and RMSE are in US$ million a year, MAPE in
      percent of the observed value, ``direction`` is the share of year-to-year
      changes (between consecutive observed years) whose sign the forecast gets
      right.
    * Baselines use only what was known before the scenario's start year
      (see :func:`persistence` and :func:`linear_trend`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "ALL_SOURCES",
    "METRICS",
    "TRADE_SERIES",
    "Baseline",
    "annual_sums",
    "annual_trade",
    "band_table",
    "compare",
    "coverage",
    "complete_years",
    "direction_share",
    "format_table",
    "interval_score",
    "linear_trend",
    "log_residuals",
    "mae",
    "mape",
    "mean_over_runs",
    "median_over_runs",
    "persistence",
    "rmse",
    "with_derived_totals",
    "yearly_means",
]

#: The compared series, in table order.
TRADE_SERIES: tuple[str, ...] = ("total", "cn_exports", "cn_imports")

#: Model columns summed into each series: what Chinese customs statistics (GACC, and
#: KITA, KDI from them) show. China's exports include the crude oil of Beijing's
#: supplies until customs stopped reporting it (2014): ``cn_exports_customs``. KOTRA's
#: figures from 2014 add an estimate of that crude, so they run above the model's.
REPORTED_COLUMNS: dict[str, tuple[str, ...]] = {
    "total": ("cn_exports_customs", "cn_imports_reported"),
    "cn_exports": ("cn_exports_customs",),
    "cn_imports": ("cn_imports_reported",),
}
#: Model columns of the informal flows (not in customs data; charts only).
INFORMAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "total": ("cn_exports_informal", "cn_imports_informal"),
    "cn_exports": ("cn_exports_informal",),
    "cn_imports": ("cn_imports_informal",),
}

#: Metric names in table order: MAE and RMSE (US$ million a year), MAPE (percent),
#: direction (share of year-to-year changes with the right sign, 0..1).
METRICS: tuple[str, ...] = ("mae", "rmse", "mape", "direction")

#: ``basis`` label of the pooled comparison against every source row.
ALL_SOURCES = "all"

#: Suffix of the basis label of a total derived as exports + imports of one source row.
DERIVED_SUFFIX = " (sum)"

TABLE_COLUMNS = ["series", "basis", "metric", "model", "persistence", "trend", "n_years"]


# --- annual aggregation --------------------------------------------------------------------

def complete_years(dates: Iterable[str]) -> list[int]:
    """Calendar years all 12 of whose months appear in ``dates``.

    Args:
        dates: months as ``"YYYY-MM"`` strings (duplicates are ignored).

    Returns:
        The complete years, ascending.

    Example:
        >>> complete_years(["2009-11", "2009-12"] + [f"2010-{m:02d}" for m in range(1, 13)])
        [2010]
    """
    months: dict[int, set[int]] = {}
    for text in dates:
        year, month = str(text)[:4], str(text)[5:7]
        months.setdefault(int(year), set()).add(int(month))
    return sorted(y for y, ms in months.items() if ms >= set(range(1, 13)))


def annual_sums(timeseries: pd.DataFrame, columns: Sequence[str],
                date_column: str = "date") -> pd.DataFrame:
    """Sum monthly columns over complete calendar years.

    Args:
        timeseries: one row per month, with a ``date_column`` of ``"YYYY-MM"``.
        columns: the columns to sum.
        date_column: name of the month column.

    Returns:
        One row per complete year (index ``year``, int), one column per entry of
        ``columns``. Partial years (fewer than 12 distinct months) are left out.

    Raises:
        KeyError: a column is missing.
    """
    missing = [c for c in (date_column, *columns) if c not in timeseries.columns]
    if missing:
        raise KeyError(f"timeseries lacks the column(s) {', '.join(missing)}")
    years = timeseries[date_column].astype(str).str[:4].astype("int64")
    keep = years.isin(complete_years(timeseries[date_column]))
    frame = timeseries.loc[keep, list(columns)].astype("float64")
    sums = frame.groupby(years[keep].rename("year")).sum()
    return sums.reindex(columns=list(columns)).sort_index()


def annual_trade(timeseries: pd.DataFrame, informal: bool = False) -> pd.DataFrame:
    """China-DPRK trade of a run by complete calendar year, US$ million.

    Args:
        timeseries: a run's monthly time series (``RunResult.timeseries``).
        informal: add the informal flows as ``informal_total``,
            ``informal_cn_exports`` and ``informal_cn_imports``.

    Returns:
        Index ``year``; columns ``total``, ``cn_exports``, ``cn_imports`` (reported
        flows) and, with ``informal``, the informal columns.
    """
    needed = sorted({c for cols in REPORTED_COLUMNS.values() for c in cols}
                    | ({c for cols in INFORMAL_COLUMNS.values() for c in cols}
                       if informal else set()))
    sums = annual_sums(timeseries, needed)
    out = pd.DataFrame(index=sums.index)
    for series in TRADE_SERIES:
        out[series] = sums[list(REPORTED_COLUMNS[series])].sum(axis=1)
    if informal:
        for series in TRADE_SERIES:
            out[f"informal_{series}"] = sums[list(INFORMAL_COLUMNS[series])].sum(axis=1)
    return out


def mean_over_runs(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Element-wise mean of several runs' annual tables (years they all share).

    Args:
        frames: tables from :func:`annual_trade`, one per seed.

    Returns:
        The mean table; with one frame, a copy of it.

    Raises:
        ValueError: ``frames`` is empty.
    """
    stacked, index = _stack(frames)
    return pd.DataFrame(stacked.mean(axis=0), index=index, columns=frames[0].columns)


def _stack(frames: Sequence[pd.DataFrame]) -> tuple[np.ndarray, pd.Index]:
    """(run, year, column) values of the years every run has, and those years."""
    if not frames:
        raise ValueError("no runs to average")
    index = frames[0].index
    for frame in frames[1:]:
        index = index.intersection(frame.index)
    return np.stack([f.loc[index, frames[0].columns].to_numpy(float) for f in frames]), index


# --- observed data -------------------------------------------------------------------------

def with_derived_totals(observed: pd.DataFrame) -> pd.DataFrame:
    """Add ``total`` rows where a source row stated exports and imports but no total.

    The sum belongs to the same source; its ``basis`` gets the suffix ``" (sum)"``
    (e.g. ``"KOTRA (sum)"``) so tables and charts show it was derived. Without it
    the 2008 and 2012 totals would be missing although their parts are stated.

    Args:
        observed: tidy rows as from :func:`buffer_sim.scenario.observed.trade_annual`
            (``year``, ``series``, ``value_usd_m``, ``basis``; ``source`` if present
            identifies the source row).

    Returns:
        A copy with the derived rows appended (same columns).
    """
    obs = observed.reset_index(drop=True)
    keys = ["year", "basis"] + (["source"] if "source" in obs.columns else [])
    added = []
    for _, rows in obs.groupby(keys, sort=True):
        stated = dict(zip(rows["series"], rows["value_usd_m"]))
        if "total" in stated or not {"cn_exports", "cn_imports"} <= set(stated):
            continue
        row = rows[rows["series"] == "cn_exports"].iloc[0].copy()
        row["series"] = "total"
        row["value_usd_m"] = float(stated["cn_exports"]) + float(stated["cn_imports"])
        row["basis"] = f"{row['basis']}{DERIVED_SUFFIX}"
        if "note" in row.index:
            row["note"] = "derived: China's exports + imports stated by this source"
        added.append(row)
    if not added:
        return obs.copy()
    return pd.concat([obs, pd.DataFrame(added)], ignore_index=True)


def yearly_means(observed: pd.DataFrame) -> pd.Series:
    """Mean observed value per year (each source row of a year weighted equally).

    Args:
        observed: rows of one series (``year``, ``value_usd_m``).

    Returns:
        Series indexed by year, ascending.
    """
    if len(observed) == 0:
        return pd.Series(dtype="float64", name="value_usd_m")
    return observed.groupby("year")["value_usd_m"].mean().sort_index()


# --- error metrics ----------------------------------------------------------------------------

def _arrays(predicted, observed, weights):
    pred = np.asarray(predicted, dtype=float)
    obs = np.asarray(observed, dtype=float)
    w = np.ones_like(obs) if weights is None else np.asarray(weights, dtype=float)
    if not pred.shape == obs.shape == w.shape:
        raise ValueError("predicted, observed and weights must have the same length")
    if obs.size == 0 or w.sum() <= 0:
        return None
    return pred, obs, w / w.sum()


def mae(predicted, observed, weights=None) -> float:
    """Mean absolute error, optionally weighted.

    Args:
        predicted: forecasts.
        observed: observations, same length.
        weights: non-negative weights (default: equal).

    Returns:
        ``sum(w * |p - o|) / sum(w)``; NaN when there is nothing to compare.

    Example:
        >>> mae([1, 2, 3], [2, 2, 5])
        1.0
    """
    arrays = _arrays(predicted, observed, weights)
    if arrays is None:
        return float("nan")
    pred, obs, w = arrays
    return float(np.sum(w * np.abs(pred - obs)))


def rmse(predicted, observed, weights=None) -> float:
    """Root mean squared error, optionally weighted.

    Returns:
        ``sqrt(sum(w * (p - o)**2) / sum(w))``; NaN when there is nothing to compare.

    Example:
        >>> round(rmse([1, 2, 3], [2, 2, 5]), 6)
        1.290994
    """
    arrays = _arrays(predicted, observed, weights)
    if arrays is None:
        return float("nan")
    pred, obs, w = arrays
    return float(np.sqrt(np.sum(w * (pred - obs) ** 2)))


def mape(predicted, observed, weights=None) -> float:
    """Mean absolute percentage error, in percent of the observed values.

    Returns:
        ``100 * sum(w * |p - o| / |o|) / sum(w)``; NaN when there is nothing to
        compare or an observation is zero.

    Example:
        >>> mape([110, 90], [100, 100])
        10.0
    """
    arrays = _arrays(predicted, observed, weights)
    if arrays is None:
        return float("nan")
    pred, obs, w = arrays
    if np.any(obs == 0):
        return float("nan")
    return float(100.0 * np.sum(w * np.abs(pred - obs) / np.abs(obs)))


def direction_share(predicted: Mapping[int, float], observed: Mapping[int, float]
                    ) -> tuple[float, int]:
    """Share of year-to-year changes whose sign the forecast gets right.

    Changes are taken between consecutive observed years (gaps allowed: with
    observations for 2010 and 2013 the change 2010->2013 counts once). A forecast
    that does not change (persistence) matches only an observed change of exactly
    zero.

    Args:
        predicted: year -> forecast; must cover every year of ``observed``.
        observed: year -> observed value (one value per year).

    Returns:
        ``(share, n_changes)``; share is NaN when fewer than two years are observed.

    Example:
        >>> direction_share({1: 1, 2: 2, 3: 1}, {1: 5, 2: 6, 3: 7})
        (0.5, 2)
    """
    years = sorted(observed)
    if len(years) < 2:
        return float("nan"), 0
    hits = 0
    for a, b in zip(years, years[1:]):
        hits += int(np.sign(predicted[b] - predicted[a]) == np.sign(observed[b] - observed[a]))
    n = len(years) - 1
    return hits / n, n


# --- baselines ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Baseline:
    """A naive forecast ``intercept + slope * (year - origin)``.

    Attributes:
        name: ``"persistence"`` or ``"trend"``.
        series: the trade series it forecasts.
        intercept: value at ``origin`` (US$ million a year).
        slope: change per year (0 for persistence).
        origin: reference year.
        fitted_years: the observed years it was built from.
        in_period: True when it had to use years inside the scenario's period
            (too few observed before the start), so it is partly in-sample.
    """

    name: str
    series: str
    intercept: float
    slope: float
    origin: int
    fitted_years: tuple[int, ...]
    in_period: bool = False

    def predict(self, years) -> np.ndarray:
        """Forecasts for ``years`` (array-like of ints)."""
        years = np.asarray(list(years), dtype=float)
        return self.intercept + self.slope * (years - self.origin)

    def describe(self) -> str:
        """One line saying what the baseline is built from."""
        span = ", ".join(str(y) for y in self.fitted_years)
        where = " (inside the period: none/too few observed before the start)" \
            if self.in_period else ""
        if self.name == "persistence":
            return (f"{self.series}: persistence carries {span} forward "
                    f"({self.intercept:,.0f}){where}")
        return (f"{self.series}: trend fitted on {span}, {self.slope:+,.0f} a year{where}")


def persistence(observed: pd.DataFrame, start_year: int, series: str = "") -> Baseline | None:
    """The last observed year before ``start_year``, carried forward.

    If no year before ``start_year`` is observed, the first observed year from
    ``start_year`` on is carried instead (``in_period=True``). A year observed by
    several sources contributes the mean of its rows.

    Args:
        observed: rows of one series (``year``, ``value_usd_m``).
        start_year: calendar year of the scenario's start.
        series: name recorded in the baseline.

    Returns:
        The baseline, or None if the series has no observation at all.
    """
    means = yearly_means(observed)
    if means.empty:
        return None
    before = means[means.index < start_year]
    if len(before):
        year, in_period = int(before.index[-1]), False
    else:
        year, in_period = int(means.index[0]), True
    return Baseline("persistence", series, float(means[year]), 0.0, year, (year,), in_period)


def linear_trend(observed: pd.DataFrame, start_year: int, series: str = "",
                 since: int | None = None) -> Baseline | None:
    """A straight line fitted by least squares to the observed years before the start.

    Fitted on every observed year before ``start_year`` (and from ``since`` on, if
    given; one point per year: the mean of its source rows, so a year with three
    sources does not weigh three times). With fewer than two such years, the line
    through the first two observed years from ``start_year`` on is used instead
    (``in_period=True``); with only one observed year at all, the trend is flat.

    Args:
        observed: rows of one series (``year``, ``value_usd_m``).
        start_year: calendar year of the scenario's start (or of the window judged).
        series: name recorded in the baseline.
        since: first year the line may use (the held-back window's trend is built
            from the fitted years only).

    Returns:
        The baseline, or None if the series has no observation at all.
    """
    means = yearly_means(observed)
    if means.empty:
        return None
    before = means[(means.index < start_year)
                   & (means.index >= (since if since is not None else -10**9))]
    if len(before) >= 2:
        points, in_period = before, False
    else:
        points, in_period = means[means.index >= start_year].iloc[:2], True
        if len(points) < 2:
            points = means.iloc[-2:] if len(means) >= 2 else means
    years = points.index.to_numpy(dtype=float)
    origin = int(points.index[-1])
    if len(points) < 2:
        return Baseline("trend", series, float(points.iloc[0]), 0.0, origin,
                        tuple(int(y) for y in points.index), in_period)
    slope, intercept = np.polyfit(years - origin, points.to_numpy(float), 1)
    return Baseline("trend", series, float(intercept), float(slope), origin,
                    tuple(int(y) for y in points.index), in_period)


# --- the comparison table -------------------------------------------------------------------------

def _year_weights(years: pd.Series) -> np.ndarray:
    """Weight 1/k for each of the k rows of a year: every year counts once."""
    counts = years.map(years.value_counts())
    return (1.0 / counts).to_numpy(float)


def _group_metrics(rows: pd.DataFrame, forecasts: Mapping[str, Mapping[int, float]]) -> list:
    """Metric rows (metric, value per forecaster, n_years) for one group of observations."""
    w = _year_weights(rows["year"])
    obs = rows["value_usd_m"].to_numpy(float)
    years = rows["year"].to_numpy(int)
    n_years = int(rows["year"].nunique())
    per_year = yearly_means(rows).to_dict()
    out = []
    for metric, func in (("mae", mae), ("rmse", rmse), ("mape", mape)):
        values = {name: func([f[y] for y in years], obs, w) for name, f in forecasts.items()}
        out.append((metric, values, n_years))
    values, n_changes = {}, 0
    for name, f in forecasts.items():
        values[name], n_changes = direction_share(f, per_year)
    out.append(("direction", values, n_changes))
    return out


def compare(model_annual: pd.DataFrame, observed: pd.DataFrame, start_year: int,
            end_year: int | None = None, trend_since: int | None = None
            ) -> tuple[pd.DataFrame, dict[str, dict[str, Baseline]]]:
    """Compare a run's annual trade and two baselines with every observed year it covers.

    Args:
        model_annual: from :func:`annual_trade` (or :func:`mean_over_runs`): index
            ``year`` (complete years only), columns ``total``, ``cn_exports``,
            ``cn_imports``.
        observed: tidy observed rows of *all* years (``year``, ``series``,
            ``value_usd_m``, ``basis``); the years before ``start_year`` build the
            baselines, the years in ``model_annual`` from ``start_year`` on are compared.
        start_year: first year compared (the scenario's start, or a window's).
        end_year: last year compared (default: every later year of ``model_annual``).
        trend_since: first year the trend baseline may use (see :func:`linear_trend`).

    Returns:
        ``(table, baselines)``. ``table`` is tidy with columns ``series``, ``basis``
        (``"all"`` = every source row, then each source), ``metric`` (see
        ``METRICS``), ``model``, ``persistence``, ``trend`` and ``n_years`` (years
        compared; for ``direction`` the number of year-to-year changes).
        ``baselines`` maps series -> {"persistence": ..., "trend": ...} for the series
        that have compared years.
    """
    years = [int(y) for y in model_annual.index
             if int(y) >= start_year and (end_year is None or int(y) <= end_year)]
    records, baselines = [], {}
    for series in TRADE_SERIES:
        rows_all = observed[observed["series"] == series]
        rows = rows_all[rows_all["year"].isin(years)].sort_values("year", kind="stable")
        if rows.empty or series not in model_annual.columns:
            continue
        base = {"persistence": persistence(rows_all, start_year, series),
                "trend": linear_trend(rows_all, start_year, series, since=trend_since)}
        baselines[series] = base
        forecasts = {
            "model": {y: float(model_annual.at[y, series]) for y in years},
            **{name: dict(zip(years, b.predict(years))) for name, b in base.items()},
        }
        groups = [(ALL_SOURCES, rows)]
        groups += [(basis, rows[rows["basis"] == basis])
                   for basis in sorted(rows["basis"].astype(str).unique())]
        for basis, group in groups:
            for metric, values, n in _group_metrics(group, forecasts):
                records.append({"series": series, "basis": basis, "metric": metric,
                                **{k: values[k] for k in ("model", "persistence", "trend")},
                                "n_years": n})
    table = pd.DataFrame(records, columns=TABLE_COLUMNS)
    table["n_years"] = table["n_years"].astype("int64")
    return table, baselines


# --- uncertainty: bands, interval score, coverage ------------------------------------------------

#: Nominal coverage of the band reported by ``validate --runs N``: the 5-95% quantiles.
BAND = (0.05, 0.95)


def interval_score(lower, upper, observed, alpha: float = 0.1, weights=None) -> float:
    """Interval score of central ``(1 - alpha)`` intervals (Gneiting & Raftery 2007, eq. 43).

    ``IS = (u - l) + (2 / alpha) * (l - x) * [x < l] + (2 / alpha) * (x - u) * [x > u]``:
    the width of the band plus a penalty for each observation outside it, growing
    with the miss. Lower is better; a band made wide to cover everything pays its
    width. Averaged with ``weights`` (default: equal).

    Example:
        >>> interval_score([90, 90], [110, 110], [100, 120], alpha=0.1)
        120.0
    """
    lo, hi, x = (np.asarray(v, dtype=float) for v in (lower, upper, observed))
    if x.size == 0:
        return float("nan")
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    score = (hi - lo) + (2.0 / alpha) * np.clip(lo - x, 0, None) \
        + (2.0 / alpha) * np.clip(x - hi, 0, None)
    return float(np.sum(w * score) / np.sum(w))


def coverage(lower, upper, observed, weights=None) -> float:
    """Share of observations inside ``[lower, upper]`` (weighted; NaN if none).

    Example:
        >>> coverage([0, 0, 0], [1, 1, 1], [0.5, 2, 1])
        0.6666666666666666
    """
    lo, hi, x = (np.asarray(v, dtype=float) for v in (lower, upper, observed))
    if x.size == 0:
        return float("nan")
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    inside = (x >= lo) & (x <= hi)
    return float(np.sum(w * inside) / np.sum(w))


BAND_COLUMNS = ["series", "n_years", "median_mae", "persistence_mae", "trend_mae",
                "median_mape", "persistence_mape", "trend_mape", "band_width",
                "interval_score", "coverage", "nominal", "share_beat_persistence",
                "share_beat_trend"]


def band_table(runs: Sequence[pd.DataFrame], observed: pd.DataFrame,
               baselines: Mapping[str, Mapping[str, Baseline]], years: Iterable[int]
               ) -> pd.DataFrame:
    """Score an ensemble's 5-95% band and its runs against observed years and baselines.

    Per series: the median of the runs as a forecast (MAE, MAPE) beside both
    baselines; the band's mean width over the observed years; the interval score
    (:func:`interval_score`, alpha 0.1) and the coverage (share of observations
    inside the band; the nominal is 0.9); and the share of runs whose own MAE beats
    each baseline's. Source rows of one year share its weight, as in :func:`compare`.

    Args:
        runs: one annual table per run (:func:`annual_trade`).
        observed: tidy observed rows.
        baselines: series -> {"persistence": ..., "trend": ...} for this window.
        years: the years judged.

    Returns:
        One row per series with observations in ``years``; columns ``BAND_COLUMNS``.
    """
    years = sorted(int(y) for y in years)
    records = []
    for series in TRADE_SERIES:
        if series not in baselines:
            continue
        rows = observed[(observed["series"] == series) & observed["year"].isin(years)]
        rows = rows[rows["year"].isin(runs[0].index)].sort_values("year", kind="stable")
        if rows.empty:
            continue
        row_years = rows["year"].to_numpy(int)
        obs = rows["value_usd_m"].to_numpy(float)
        w = _year_weights(rows["year"])
        stack = np.stack([r.loc[row_years, series].to_numpy(float) for r in runs])
        lo, med, hi = np.quantile(stack, [BAND[0], 0.5, BAND[1]], axis=0)
        base = baselines[series]
        base_pred = {name: b.predict(row_years) for name, b in base.items()}
        base_mae = {name: mae(p, obs, w) for name, p in base_pred.items()}
        run_mae = np.array([mae(r, obs, w) for r in stack])
        per_year = pd.DataFrame({"year": row_years, "lo": lo, "hi": hi}).groupby("year").first()
        records.append({
            "series": series, "n_years": int(rows["year"].nunique()),
            "median_mae": mae(med, obs, w), "persistence_mae": base_mae["persistence"],
            "trend_mae": base_mae["trend"], "median_mape": mape(med, obs, w),
            "persistence_mape": mape(base_pred["persistence"], obs, w),
            "trend_mape": mape(base_pred["trend"], obs, w),
            "band_width": float((per_year["hi"] - per_year["lo"]).mean()),
            "interval_score": interval_score(lo, hi, obs, alpha=1 - (BAND[1] - BAND[0]),
                                             weights=w),
            "coverage": coverage(lo, hi, obs, w), "nominal": BAND[1] - BAND[0],
            "share_beat_persistence": float(np.mean(run_mae < base_mae["persistence"])),
            "share_beat_trend": float(np.mean(run_mae < base_mae["trend"])),
        })
    return pd.DataFrame(records, columns=BAND_COLUMNS)


def median_over_runs(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Element-wise median of several runs' annual tables (years they all share)."""
    stacked, index = _stack(frames)
    return pd.DataFrame(np.median(stacked, axis=0), index=index, columns=frames[0].columns)


def log_residuals(model_annual: pd.DataFrame, observed: pd.DataFrame,
                  years: Iterable[int]) -> np.ndarray:
    """Weighted log errors whose sum of squares is the calibration objective.

    The objective is the mean over (series, year) cells of the mean over that
    cell's source rows of ``(log model - log observed)**2``: every series-year
    counts once and the sources of a year share its weight. Residual ``i`` is
    ``(log m - log o_i) * sqrt(1 / (k_cell * n_cells))``, in a fixed order
    (series as in ``TRADE_SERIES``, then year, then row order).

    Args:
        model_annual: index ``year``; columns ``total``, ``cn_exports``, ``cn_imports``.
        observed: tidy observed rows.
        years: the years to fit (those missing from ``model_annual`` are skipped).

    Returns:
        The residual vector (empty if nothing is observed in ``years``).
    """
    years = {int(y) for y in years} & {int(y) for y in model_annual.index}
    cells = []
    for series in TRADE_SERIES:
        rows = observed[(observed["series"] == series) & observed["year"].isin(years)]
        for year, group in rows.groupby("year", sort=True):
            model = max(float(model_annual.at[year, series]), 1e-9)
            cells.append(np.log(model) - np.log(group["value_usd_m"].to_numpy(float)))
    if not cells:
        return np.zeros(0)
    n = len(cells)
    return np.concatenate([c * np.sqrt(1.0 / (len(c) * n)) for c in cells])


# --- text ---------------------------------------------------------------------------------------

_METRIC_LABELS = {"mae": "MAE US$m", "rmse": "RMSE US$m", "mape": "MAPE %",
                  "direction": "direction"}
_SERIES_LABELS = {"total": "total", "cn_exports": "CN exports", "cn_imports": "CN imports"}


def _cell(metric: str, value: float) -> str:
    if value is None or not np.isfinite(value):
        return "-"
    if metric == "direction":
        return f"{value:.2f}"
    if metric == "mape":
        return f"{value:.1f}"
    return f"{value:,.0f}"


def format_table(table: pd.DataFrame, bases: Iterable[str] | None = None) -> str:
    """The comparison table as aligned text, one line per series, source and metric.

    Args:
        table: from :func:`compare`.
        bases: only these ``basis`` values (default: all).

    Returns:
        The text, without a trailing newline.
    """
    rows = table if bases is None else table[table["basis"].isin(list(bases))]
    header = ["series", "source", "metric", "model", "persistence", "trend", "n"]
    lines = [[_SERIES_LABELS.get(r.series, r.series), r.basis,
              _METRIC_LABELS.get(r.metric, r.metric),
              _cell(r.metric, r.model), _cell(r.metric, r.persistence),
              _cell(r.metric, r.trend), str(r.n_years)]
             for r in rows.itertuples(index=False)]
    widths = [max(len(x) for x in col) for col in zip(header, *lines)]
    out, previous = [], None
    for i, line in enumerate([header, *lines]):
        key = tuple(line[:2])
        if i > 1 and key != previous and line[2] == _METRIC_LABELS["mae"]:
            out.append("")
        previous = key
        out.append("  ".join(cell.ljust(w) if j < 3 else cell.rjust(w)
                             for j, (cell, w) in enumerate(zip(line, widths))).rstrip())
    return "\n".join(out)
