"""Observed data shipped with the package: China-DPRK trade, trade shares, events.

The CSV files live in ``buffer_sim/data/observed/`` and are read through
:func:`importlib.resources.files`, so loading works from any working directory
and from an installed wheel. Every row carries the public source it came from
(see ``data/observed/README.md``). Trade figures after 2015 are withheld on
purpose: the model is to be judged on them.

Conventions:
    * A blank cell means the source did not state that number. Blank cells are
      skipped, never read as zero.
    * Figures for the same year from different sources are kept as separate
      rows; pick by ``basis`` (prefer ``GACC`` and ``KOTRA``).
    * ``cn_exports`` is China's exports to the DPRK, ``cn_imports`` China's
      imports from the DPRK.

Loaded tables are cached; every public function returns a fresh copy, so
callers may modify the result freely.
"""

from __future__ import annotations

import functools
import io
from importlib.resources import files

import pandas as pd

__all__ = [
    "TRADE_SERIES",
    "china_rok_trade",
    "clear_cache",
    "events",
    "observed_years",
    "trade_annual",
    "trade_share",
]

TRADE_FILE = "trade_china_dprk_2004_2015.csv"
SHARE_FILE = "dprk_trade_share_china_2001_2015.csv"
EVENTS_FILE = "events_2003_2019.csv"
ROK_FILE = "china_rok_trade_2013_2014.csv"

#: Trade series names, mapped to their column in the trade CSV.
TRADE_SERIES: dict[str, str] = {
    "total": "total_usd_m",
    "cn_exports": "cn_exports_usd_m",
    "cn_imports": "cn_imports_usd_m",
}

# Short basis labels, checked in order against the free-text basis. The
# compiling agency wins over the underlying data ("Statistics Korea (KOTRA
# data)" is StatKorea, "KOTRA (Chinese customs data)" is KOTRA, "Chinese
# customs statistics cited by KDI" is KDI); plain Chinese customs is GACC.
_BASIS_LABELS: tuple[tuple[str, str], ...] = (
    ("statistics korea", "StatKorea"),
    ("kotra", "KOTRA"),
    ("kita", "KITA"),
    ("kdi", "KDI"),
    ("kiep", "KIEP"),
    ("crs", "CRS/WTA"),
    ("world trade atlas", "CRS/WTA"),
    ("gacc", "GACC"),
    ("chinese customs", "GACC"),
)


def _read_csv(name: str) -> pd.DataFrame:
    """Read one packaged CSV as strings, blank cells as NaN.

    Args:
        name: File name inside ``buffer_sim/data/observed``.

    Returns:
        The raw table; every column is text.
    """
    resource = files("buffer_sim") / "data" / "observed" / name
    text = resource.read_text(encoding="utf-8")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])


def _basis_label(basis: str) -> str:
    """Return the short source label for a free-text basis.

    Args:
        basis: Basis text as written in the CSV.

    Returns:
        A short label such as ``"KOTRA"`` or ``"GACC"``.

    Raises:
        ValueError: If no known agency is named in ``basis``.
    """
    lowered = basis.lower()
    for needle, label in _BASIS_LABELS:
        if needle in lowered:
            return label
    raise ValueError(f"unknown basis in observed data: {basis!r}")


def _inter_korean(basis: str) -> bool | None:
    """Tell whether a trade share includes inter-Korean trade.

    Args:
        basis: Basis text from the trade-share CSV.

    Returns:
        True for "incl.", False for "excl.", None when the source does not say.
    """
    lowered = basis.lower()
    if "incl. inter-korean" in lowered:
        return True
    if "excl." in lowered:
        return False
    return None


@functools.lru_cache(maxsize=1)
def _trade_annual() -> pd.DataFrame:
    raw = _read_csv(TRADE_FILE)
    rows = []
    for rec in raw.itertuples(index=False):
        source = f"{rec.source_title.strip()} | {rec.source_url_or_repo_path.strip()}"
        for series, column in TRADE_SERIES.items():
            cell = getattr(rec, column)
            if pd.isna(cell) or not str(cell).strip():
                continue  # not stated by the source; not zero
            rows.append(
                {
                    "year": int(rec.year),
                    "series": series,
                    "value_usd_m": float(cell),
                    "basis": _basis_label(rec.basis),
                    "source": source,
                    "note": "" if pd.isna(rec.as_stated_note) else rec.as_stated_note,
                }
            )
    out = pd.DataFrame(rows)
    out["year"] = out["year"].astype("int64")
    out["value_usd_m"] = out["value_usd_m"].astype("float64")
    return out


@functools.lru_cache(maxsize=1)
def _trade_share() -> pd.DataFrame:
    raw = _read_csv(SHARE_FILE)
    return pd.DataFrame(
        {
            "year": raw["year"].astype("int64"),
            "china_share_pct": raw["china_share_pct"].astype("float64"),
            "basis": raw["basis"].map(_basis_label),
            "incl_inter_korean": raw["basis"].map(_inter_korean).astype("boolean"),
            "basis_note": raw["basis"],
            "source": raw["source"].str.strip(),
        }
    )


@functools.lru_cache(maxsize=1)
def _events() -> pd.DataFrame:
    raw = _read_csv(EVENTS_FILE)
    dates = pd.to_datetime(raw["date"], format="%Y-%m-%d")  # validates the format
    return pd.DataFrame(
        {
            "date": dates.dt.strftime("%Y-%m-%d"),
            "month": dates.dt.strftime("%Y-%m"),
            "event": raw["event"],
            "category": raw["category"],
            "source": raw["source"].str.strip(),
        }
    )


@functools.lru_cache(maxsize=1)
def _china_rok_trade() -> pd.DataFrame:
    raw = _read_csv(ROK_FILE)
    return pd.DataFrame(
        {
            "year": raw["year"].astype("int64"),
            "total_usd_bn": raw["total_usd_bn"].astype("float64"),
            "qualifier": raw["qualifier"].fillna(""),
            "basis": raw["basis"],
            "source": raw["source"].str.strip(),
        }
    )


def trade_annual() -> pd.DataFrame:
    """Return annual China-DPRK merchandise trade in tidy form.

    One row per number a source actually stated; blank cells are skipped.
    Duplicate years from different sources are kept as separate rows.

    Returns:
        DataFrame with columns ``year`` (int), ``series`` (``"total"``,
        ``"cn_exports"`` or ``"cn_imports"``), ``value_usd_m`` (float, US$
        million), ``basis`` (short label: ``"GACC"``, ``"KOTRA"``, ``"KITA"``,
        ``"KDI"``, ``"CRS/WTA"``, ``"StatKorea"``), ``source`` (title and URL)
        and ``note`` (how the source stated it).
    """
    return _trade_annual().copy()


def trade_share() -> pd.DataFrame:
    """Return China's share of DPRK foreign trade, in percent.

    Returns:
        DataFrame with columns ``year`` (int), ``china_share_pct`` (float),
        ``basis`` (short label, e.g. ``"KOTRA"``), ``incl_inter_korean``
        (nullable bool: whether inter-Korean trade is in the denominator;
        shares with and without it differ a lot), ``basis_note`` (the full
        basis text) and ``source``.
    """
    return _trade_share().copy()


def events() -> pd.DataFrame:
    """Return dated events, 2003-2019.

    Returns:
        DataFrame with columns ``date`` (``"YYYY-MM-DD"`` string, local date,
        first day of multi-day events), ``month`` (``"YYYY-MM"``), ``event``,
        ``category`` (e.g. ``"nuclear_test"``) and ``source``.
    """
    return _events().copy()


def china_rok_trade() -> pd.DataFrame:
    """Return China-ROK total trade for 2013-2014 (US$ billion).

    Returns:
        DataFrame with columns ``year``, ``total_usd_bn``, ``qualifier``
        (e.g. lower bound), ``basis`` (Korean- or Chinese-side) and ``source``.
    """
    return _china_rok_trade().copy()


def observed_years(start_year: int, end_year: int) -> pd.DataFrame:
    """Return :func:`trade_annual` rows for ``start_year`` to ``end_year``.

    Args:
        start_year: First year to keep (inclusive).
        end_year: Last year to keep (inclusive).

    Returns:
        The matching rows of :func:`trade_annual`, index reset.

    Raises:
        ValueError: If ``start_year`` is after ``end_year``.
    """
    if start_year > end_year:
        raise ValueError(f"start_year {start_year} is after end_year {end_year}")
    df = _trade_annual()
    mask = (df["year"] >= start_year) & (df["year"] <= end_year)
    return df.loc[mask].reset_index(drop=True)


def clear_cache() -> None:
    """Forget cached tables so the next call reads the files again."""
    for loader in (_trade_annual, _trade_share, _events, _china_rok_trade):
        loader.cache_clear()
