"""Observed data shipped with the package: trade, trade shares, events, prices, minerals.

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

from buffer_sim.core.errors import ScenarioError

__all__ = [
    "TRADE_SERIES",
    "china_rok_trade",
    "clear_cache",
    "coal_price_monthly",
    "dprk_coal_exports",
    "dprk_coal_exports_annual",
    "dprk_iron_ore_exports",
    "dprk_iron_ore_exports_annual",
    "events",
    "iron_ore_price_monthly",
    "observed_years",
    "prices_monthly",
    "read_trade_file",
    "trade_annual",
    "trade_files",
    "trade_share",
    "use_trade_files",
]

TRADE_FILE = "trade_china_dprk_2004_2015.csv"
SHARE_FILE = "dprk_trade_share_china_2001_2015.csv"
EVENTS_FILE = "events_2003_2019.csv"
ROK_FILE = "china_rok_trade_2013_2014.csv"
PRICES_MONTHLY_FILE = "commodity_prices_monthly_2005_2019.csv"
COAL_EXPORTS_FILE = "dprk_coal_exports_to_china_2007_2015.csv"
IRON_ORE_EXPORTS_FILE = "dprk_iron_ore_exports_to_china_2008_2015.csv"

#: World Bank Pink Sheet series in the monthly price file, by short name.
PRICE_SERIES: dict[str, str] = {
    "coal_newcastle": "WB Pink Sheet: Coal, Australian (Newcastle thermal) [vintage 2024-07]",
    "coal_richards_bay": "WB Pink Sheet: Coal, South African (Richards Bay thermal) [vintage 2024-07]",
    "iron_ore_62fe_cfr_china": (
        "WB Pink Sheet: Iron ore, cfr spot (62% Fe fines, CFR China) [vintage 2024-07]"
    ),
}

#: First month of the 62% Fe CFR China spot series. Earlier iron-ore rows in
#: the Pink Sheet are the annual contract price (US cents per dry metric tonne
#: unit), a different specification that must not be spliced onto the spot.
IRON_ORE_SPOT_START = "2008-12"

# Reliability of a DPRK mineral-export row, best first. "low" rows (an
# aggregator naming no primary source) are never picked for the annual series.
_RELIABILITY_RANK: tuple[str, ...] = ("high", "medium-high", "medium", "derived")

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


#: Columns of the trade CSV, shipped or added with ``--observed FILE``, in order.
TRADE_FILE_COLUMNS: tuple[str, ...] = (
    "year", "total_usd_m", "cn_exports_usd_m", "cn_imports_usd_m", "basis", "source_title",
    "source_url_or_repo_path", "as_stated_note")
#: Of those, the ones a teacher's file must have (the others may be left out).
_REQUIRED_COLUMNS = ("year", "basis", "source_title")

#: Rows added with :func:`use_trade_files` (``--observed FILE``), and their files.
_EXTRA_ROWS: list[pd.DataFrame] = []
_EXTRA_FILES: list[str] = []


@functools.lru_cache(maxsize=1)
def _trade_annual() -> pd.DataFrame:
    raw = _read_csv(TRADE_FILE)
    return _tidy_trade(raw)


def _tidy_trade(raw: pd.DataFrame, label=_basis_label) -> pd.DataFrame:
    rows = []
    for rec in raw.itertuples(index=False):
        url = "" if pd.isna(rec.source_url_or_repo_path) else str(rec.source_url_or_repo_path)
        source = f"{str(rec.source_title).strip()} | {url.strip()}"
        for series, column in TRADE_SERIES.items():
            cell = getattr(rec, column)
            if pd.isna(cell) or not str(cell).strip():
                continue  # not stated by the source; not zero
            rows.append(
                {
                    "year": int(rec.year),
                    "series": series,
                    "value_usd_m": float(cell),
                    "basis": label(rec.basis),
                    "source": source,
                    "note": "" if pd.isna(rec.as_stated_note) else rec.as_stated_note,
                }
            )
    out = pd.DataFrame(rows, columns=["year", "series", "value_usd_m", "basis", "source", "note"])
    out["year"] = out["year"].astype("int64")
    out["value_usd_m"] = out["value_usd_m"].astype("float64")
    return out


def _user_basis(basis: str) -> str:
    """A short label for a known agency, else the basis as the file states it."""
    try:
        return _basis_label(basis)
    except ValueError:
        return " ".join(str(basis).split())


def read_trade_file(path) -> pd.DataFrame:
    """Read a file of observed China-DPRK trade laid out like the shipped one.

    Columns (header row, comma-separated): ``year``, ``total_usd_m``,
    ``cn_exports_usd_m``, ``cn_imports_usd_m`` (US$ million a year; a blank cell
    means "not stated"), ``basis`` (e.g. ``GACC`` or ``KOTRA``; any text), and
    ``source_title``; ``source_url_or_repo_path`` and ``as_stated_note`` may be left
    out. Every row must state at least one number and name its source.

    Args:
        path: the CSV file.

    Returns:
        Tidy rows as :func:`trade_annual` returns them.

    Raises:
        ScenarioError: one line naming the file, the row and field, and the problem.
    """
    name = str(path)
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise ScenarioError(name, "", "file not found") from None
    except IsADirectoryError:
        raise ScenarioError(name, "", "is a folder; give a CSV file") from None
    except UnicodeDecodeError:
        raise ScenarioError(name, "", "not a UTF-8 text file (save the CSV as UTF-8)") from None
    except OSError as err:
        raise ScenarioError(name, "", f"cannot read: {err.strerror or err}") from None
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        problem = " ".join(str(err).split()) or "no header row"
        raise ScenarioError(name, "", f"not a readable CSV file: {problem}") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    unknown = [c for c in raw.columns if c not in TRADE_FILE_COLUMNS]
    if unknown:
        import difflib

        near = difflib.get_close_matches(unknown[0], TRADE_FILE_COLUMNS, n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        raise ScenarioError(name, unknown[0], f"unknown column{hint}; the columns are "
                                              f"{', '.join(TRADE_FILE_COLUMNS)}")
    for column in _REQUIRED_COLUMNS:
        if column not in raw.columns:
            raise ScenarioError(name, column, "missing column (required)")
    values = [c for c in TRADE_FILE_COLUMNS[1:4] if c in raw.columns]
    if not values:
        raise ScenarioError(name, "total_usd_m", "missing column: give at least one of "
                                                 f"{', '.join(TRADE_FILE_COLUMNS[1:4])}")
    if raw.empty:
        raise ScenarioError(name, "", "no data rows below the header")
    for column in TRADE_FILE_COLUMNS:
        if column not in raw.columns:
            raw[column] = pd.NA
    for i, rec in enumerate(raw.itertuples(index=False), start=2):  # line 1 is the header
        where = f"line {i}"
        year = str(rec.year).strip() if not pd.isna(rec.year) else ""
        if not year.isdigit() or not 1990 <= int(year) <= 2100:
            raise ScenarioError(name, f"{where}, year", f"expected a year such as 2016, "
                                                        f"got {year!r}")
        stated = 0
        for column in values:
            cell = getattr(rec, column)
            if pd.isna(cell) or not str(cell).strip():
                continue
            try:
                number = float(str(cell).replace(",", "").strip())
            except ValueError:
                raise ScenarioError(name, f"{where}, {column}", f"expected a number in US$ "
                                                                f"million, got {cell!r}") from None
            if not number > 0 or number != number or number == float("inf"):
                raise ScenarioError(name, f"{where}, {column}", f"expected a positive number "
                                                                f"in US$ million, got {cell!r}")
            stated += 1
        if not stated:
            raise ScenarioError(name, where, f"states no number (fill at least one of "
                                             f"{', '.join(values)})")
        for column in ("basis", "source_title"):
            cell = getattr(rec, column)
            if pd.isna(cell) or not str(cell).strip():
                raise ScenarioError(name, f"{where}, {column}", "empty; every row names its "
                                                                "basis and source")
    for column in values:
        raw[column] = raw[column].map(
            lambda c: c if pd.isna(c) else str(c).replace(",", "").strip())
    return _tidy_trade(raw, label=_user_basis)


def use_trade_files(paths) -> None:
    """Add the rows of teacher-supplied trade files to everything that reads observed trade.

    After this call :func:`trade_annual` and :func:`observed_years` return the shipped
    rows followed by the added ones (charts, the run's report and ``validate`` read
    them there). Every file is read and checked before any is added. ``use_trade_files(())``
    removes the added rows again.

    Args:
        paths: CSV files laid out as :func:`read_trade_file` describes.

    Raises:
        ScenarioError: a file is bad (nothing is added then).
    """
    frames = [read_trade_file(p) for p in paths]
    _EXTRA_ROWS[:] = frames
    _EXTRA_FILES[:] = [str(p) for p in paths]


def trade_files() -> list[str]:
    """The files added with :func:`use_trade_files`, in order."""
    return list(_EXTRA_FILES)


def _trade_with_extra() -> pd.DataFrame:
    base = _trade_annual()
    if not _EXTRA_ROWS:
        return base
    return pd.concat([base, *_EXTRA_ROWS], ignore_index=True)


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


@functools.lru_cache(maxsize=1)
def _prices_monthly() -> pd.DataFrame:
    raw = _read_csv(PRICES_MONTHLY_FILE)
    short = {long: name for name, long in PRICE_SERIES.items()}
    unknown = sorted(set(raw["series"]) - set(short))
    if unknown:
        raise ValueError(f"unknown price series in {PRICES_MONTHLY_FILE}: {unknown[0]!r}")
    year = raw["year"].astype("int64")
    month = raw["month"].astype("int64")
    return pd.DataFrame(
        {
            "month": [f"{y:04d}-{m:02d}" for y, m in zip(year, month, strict=True)],
            "series": raw["series"].map(short),
            "value": raw["value"].astype("float64"),
            "unit": raw["unit"],
            "source": raw["source"].str.strip(),
            "note": raw["note"].fillna(""),
        }
    )


def _mineral_exports(name: str) -> pd.DataFrame:
    raw = _read_csv(name)
    period = raw["period"].str.strip()
    reliability = raw["reliability"].fillna("").str.strip()
    return pd.DataFrame(
        {
            "year": raw["year"].astype("int64"),
            "tonnes": raw["tonnes"].astype("float64"),
            "usd_m": raw["usd_million"].astype("float64"),
            "period": period,
            "full_year": period.eq("full year"),
            "product_basis": raw["product_basis"].fillna(""),
            "data_basis": raw["data_basis"].fillna(""),
            "reliability": reliability,
            "derived": raw["source"].str.strip().str.startswith("DERIVED"),
            "source": raw["source"].str.strip(),
            "note": raw["note"].fillna(""),
        }
    )


@functools.lru_cache(maxsize=1)
def _coal_exports() -> pd.DataFrame:
    return _mineral_exports(COAL_EXPORTS_FILE)


@functools.lru_cache(maxsize=1)
def _iron_ore_exports() -> pd.DataFrame:
    return _mineral_exports(IRON_ORE_EXPORTS_FILE)


def _rank(row: pd.Series) -> tuple[int, int]:
    """Sort key for picking one annual figure: reliability, then China-bound.

    Rows stating DPRK exports to *all* partners (KOTRA mirror statistics) come
    after every China-customs row of the same reliability or worse, because
    the series is meant to be exports to China.
    """
    level = next(
        (i for i, name in enumerate(_RELIABILITY_RANK) if row["reliability"].startswith(name)),
        len(_RELIABILITY_RANK),
    )
    all_partners = "all partners" in row["product_basis"].lower()
    return (int(all_partners), level)


def _annual(table: pd.DataFrame) -> pd.DataFrame:
    """Pick one full-year tonnage and one full-year value per year.

    Tonnes and value are picked separately (a year may state only one of
    them), each with its own source and reliability. Partial years and
    ``low``-reliability rows are left out.
    """
    usable = table[table["full_year"] & ~table["reliability"].str.startswith("low")]
    rows = []
    for year, group in usable.groupby("year", sort=True):
        ordered = group.assign(_key=group.apply(_rank, axis=1)).sort_values("_key", kind="stable")
        record: dict[str, object] = {"year": int(year)}
        for field in ("tonnes", "usd_m"):
            stated = ordered[ordered[field].notna()]
            if stated.empty:
                record.update({field: float("nan"), f"{field}_source": "", f"{field}_reliability": ""})
                continue
            best = stated.iloc[0]
            record.update(
                {
                    field: float(best[field]),
                    f"{field}_source": best["source"],
                    f"{field}_reliability": best["reliability"],
                }
            )
        rows.append(record)
    out = pd.DataFrame(rows)
    out["year"] = out["year"].astype("int64")
    return out


def prices_monthly() -> pd.DataFrame:
    """Return the World Bank Pink Sheet monthly prices in tidy form.

    Returns:
        DataFrame with columns ``month`` (``"YYYY-MM"``), ``series`` (a key of
        :data:`PRICE_SERIES`), ``value`` (float), ``unit``, ``source`` and
        ``note``. Iron ore before :data:`IRON_ORE_SPOT_START` is a different
        specification; :func:`iron_ore_price_monthly` leaves it out.
    """
    return _prices_monthly().copy()


def _price_series(series: str, start: str | None = None) -> pd.Series:
    df = _prices_monthly()
    rows = df[df["series"] == series]
    if start is not None:
        rows = rows[rows["month"] >= start]
    out = pd.Series(rows["value"].to_numpy(), index=pd.Index(rows["month"], name="month"), name=series)
    return out.sort_index()


def coal_price_monthly() -> pd.Series:
    """Return the monthly Australian (Newcastle) thermal coal price, 2005-2019.

    DPRK exports to China are mostly anthracite, which is not quoted on a world
    market; Newcastle is the Asian benchmark and moves with the published
    DPRK-China unit values (US$102/t in 2011 to US$73/t in 2014).

    Returns:
        Series indexed by month (``"YYYY-MM"``), values in US$ per metric
        tonne (World Bank Pink Sheet, July 2024 edition).
    """
    return _price_series("coal_newcastle")


def iron_ore_price_monthly() -> pd.Series:
    """Return the monthly iron-ore price, 62% Fe fines CFR China spot.

    Starts at :data:`IRON_ORE_SPOT_START` (2008-12): earlier Pink Sheet rows
    are the annual contract price, not the spot, and are left out.

    Returns:
        Series indexed by month (``"YYYY-MM"``), values in US$ per dry metric
        tonne (World Bank Pink Sheet, July 2024 edition).
    """
    return _price_series("iron_ore_62fe_cfr_china", start=IRON_ORE_SPOT_START)


def dprk_coal_exports() -> pd.DataFrame:
    """Return every stated figure of DPRK coal exports to China, 2007-2015.

    Returns:
        DataFrame with columns ``year``, ``tonnes`` and ``usd_m`` (float, NaN
        where the source did not state it), ``period`` (``"full year"`` or the
        months covered, e.g. ``"Jan-Nov"``), ``full_year`` (bool),
        ``product_basis``, ``data_basis``, ``reliability`` (``"high ..."``,
        ``"medium-high"``, ``"medium"``, ``"derived - use with care"``,
        ``"low"``), ``derived`` (bool: computed, not published), ``source``
        and ``note``.
    """
    return _coal_exports().copy()


def dprk_iron_ore_exports() -> pd.DataFrame:
    """Return every stated figure of DPRK iron-ore exports to China, 2008-2015.

    Returns:
        The same columns as :func:`dprk_coal_exports`. Sparse: several years
        are only partial (``full_year`` False).
    """
    return _iron_ore_exports().copy()


def dprk_coal_exports_annual() -> pd.DataFrame:
    """Return one full-year coal tonnage and value per year.

    The pick per year and field: full-year rows only, never ``low``
    reliability, best reliability first, rows about exports to all partners
    after China-bound rows. 2015 has no published full-year figure, so its
    tonnes and value are the DERIVED row (KITA 2014 level times KOTRA 2015
    growth); check ``*_reliability`` before leaning on it.

    Returns:
        DataFrame with columns ``year``, ``tonnes``, ``tonnes_source``,
        ``tonnes_reliability``, ``usd_m``, ``usd_m_source``,
        ``usd_m_reliability``; NaN and empty text where no usable row states
        the field.
    """
    return _annual(_coal_exports())


def dprk_iron_ore_exports_annual() -> pd.DataFrame:
    """Return one full-year iron-ore tonnage and value per year.

    Same rules as :func:`dprk_coal_exports_annual`; only a few years have a
    full-year figure (2008 tonnes, 2011 and 2014 values).

    Returns:
        The same columns as :func:`dprk_coal_exports_annual`.
    """
    return _annual(_iron_ore_exports())


def trade_annual() -> pd.DataFrame:
    """Return annual China-DPRK merchandise trade in tidy form.

    One row per number a source actually stated; blank cells are skipped.
    Duplicate years from different sources are kept as separate rows.

    Returns:
        DataFrame with columns ``year`` (int), ``series`` (``"total"``,
        ``"cn_exports"`` or ``"cn_imports"``), ``value_usd_m`` (float, US$
        million), ``basis`` (short label: ``"GACC"``, ``"KOTRA"``, ``"KITA"``,
        ``"KDI"``, ``"CRS/WTA"``, ``"StatKorea"``; an added file's basis as
        stated), ``source`` (title and URL) and ``note`` (how the source stated
        it). Rows added with :func:`use_trade_files` follow the shipped ones.
    """
    return _trade_with_extra().copy()


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
    df = _trade_with_extra()
    mask = (df["year"] >= start_year) & (df["year"] <= end_year)
    return df.loc[mask].reset_index(drop=True)


def clear_cache() -> None:
    """Forget cached tables so the next call reads the files again (added files stay)."""
    for loader in (
        _trade_annual,
        _trade_share,
        _events,
        _china_rok_trade,
        _prices_monthly,
        _coal_exports,
        _iron_ore_exports,
    ):
        loader.cache_clear()
