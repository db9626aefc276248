"""Tests for the packaged observed data (buffer_sim.scenario.observed)."""

import pandas as pd
import pytest

from buffer_sim.scenario import observed

ALL_TABLES = [observed.trade_annual, observed.trade_share, observed.events, observed.china_rok_trade]


@pytest.mark.parametrize("load", ALL_TABLES, ids=lambda f: f.__name__)
def test_every_row_has_a_source(load):
    df = load()
    assert len(df) > 0
    assert df["source"].notna().all()
    assert (df["source"].str.strip().str.len() > 0).all()


def test_trade_annual_shape_and_types():
    df = observed.trade_annual()
    assert list(df.columns[:5]) == ["year", "series", "value_usd_m", "basis", "source"]
    assert pd.api.types.is_integer_dtype(df["year"])
    assert pd.api.types.is_float_dtype(df["value_usd_m"])
    assert set(df["series"]) <= {"total", "cn_exports", "cn_imports"}
    assert set(df["basis"]) <= {"GACC", "KOTRA", "KITA", "KDI", "CRS/WTA", "StatKorea"}
    assert (df["value_usd_m"] > 0).all()
    # 18 source rows holding 30 stated numbers.
    assert len(df) == 30


def test_trade_years_within_2001_2015():
    assert observed.trade_annual()["year"].between(2001, 2015).all()
    assert observed.trade_share()["year"].between(2001, 2015).all()


def test_kotra_2014_total():
    df = observed.trade_annual()
    kotra = df[(df["year"] == 2014) & (df["series"] == "total") & (df["basis"] == "KOTRA")]
    assert len(kotra) >= 1
    assert set(kotra["value_usd_m"]) <= {6360.0, 6390.0}


def test_blank_cells_are_skipped_not_zero():
    df = observed.trade_annual()
    assert df[df["year"] == 2009]["series"].tolist() == ["total"]
    # 2008 states exports and imports but no total.
    assert sorted(df[df["year"] == 2008]["series"]) == ["cn_exports", "cn_imports"]


def test_duplicate_years_kept():
    df = observed.trade_annual()
    totals_2010 = df[(df["year"] == 2010) & (df["series"] == "total")]
    assert len(totals_2010) == 3
    assert totals_2010["source"].nunique() == 3


def test_trade_share():
    df = observed.trade_share()
    assert {"year", "china_share_pct", "basis", "source"} <= set(df.columns)
    assert df["china_share_pct"].between(0, 100).all()
    row_2015 = df[df["year"] == 2015].iloc[0]
    assert row_2015["china_share_pct"] == pytest.approx(91.3)
    assert row_2015["basis"] == "KOTRA"
    assert not row_2015["incl_inter_korean"]


def test_events_include_sixth_nuclear_test():
    ev = observed.events()
    hit = ev[ev["date"] == "2017-09-03"]
    assert len(hit) == 1
    assert hit["category"].iloc[0] == "nuclear_test"
    assert hit["month"].iloc[0] == "2017-09"
    assert ev["date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


def test_observed_years_filters():
    df = observed.observed_years(2010, 2012)
    assert set(df["year"]) == {2010, 2011, 2012}
    with pytest.raises(ValueError):
        observed.observed_years(2015, 2010)


def test_returns_copies():
    df = observed.trade_annual()
    df.loc[:, "value_usd_m"] = 0.0
    assert (observed.trade_annual()["value_usd_m"] > 0).all()


def test_loads_from_another_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    observed.clear_cache()
    try:
        for load in ALL_TABLES:
            assert len(load()) > 0
        assert len(observed.observed_years(2004, 2015)) == 30
    finally:
        observed.clear_cache()


# --- world prices and DPRK mineral exports (issue 13) -------------------------


def test_coal_price_is_a_complete_monthly_series_2005_2019():
    coal = observed.coal_price_monthly()
    assert coal.index[0] == "2005-01" and coal.index[-1] == "2019-12"
    assert len(coal) == 15 * 12 and coal.index.is_unique and coal.index.is_monotonic_increasing
    assert (coal > 0).all()


def test_coal_price_fell_every_year_2011_to_2015():
    # The fact the issue rests on: prices, not volumes, explain the fall in value.
    coal = observed.coal_price_monthly()
    annual = coal.groupby(coal.index.str[:4]).mean()
    falls = [annual[str(y + 1)] < annual[str(y)] for y in range(2011, 2015)]
    assert all(falls), annual.loc["2011":"2015"].to_dict()


def test_iron_ore_price_starts_with_the_spot_series():
    ore = observed.iron_ore_price_monthly()
    assert ore.index[0] == observed.IRON_ORE_SPOT_START
    assert ore.index[-1] == "2019-12"
    assert len(ore) == len(pd.period_range(observed.IRON_ORE_SPOT_START, "2019-12", freq="M"))
    # Spot in US$/dry tonne: tens to low hundreds, never the cents-per-unit contract figures.
    assert ore.between(30, 250).all()


def test_price_rows_keep_their_source():
    prices = observed.prices_monthly()
    assert set(prices["series"]) == set(observed.PRICE_SERIES)
    assert prices["source"].str.contains("World Bank").all()


@pytest.mark.parametrize("load", [observed.dprk_coal_exports, observed.dprk_iron_ore_exports])
def test_mineral_export_rows_have_source_and_reliability(load):
    df = load()
    assert len(df) > 0
    assert (df["source"].str.len() > 0).all()
    assert (df["reliability"].str.len() > 0).all()
    assert df["year"].between(2007, 2015).all()
    # Every row states at least one of the two numbers.
    assert (df["tonnes"].notna() | df["usd_m"].notna()).all()


def test_coal_exports_annual_one_row_per_year_from_full_year_rows():
    rows = observed.dprk_coal_exports()
    annual = observed.dprk_coal_exports_annual()
    assert annual["year"].is_unique
    full = rows[rows["full_year"]]
    for rec in annual.itertuples():
        for field in ("tonnes", "usd_m"):
            value = getattr(rec, field)
            if pd.isna(value):
                continue
            picked = full[(full["year"] == rec.year) & (full[field] == value)]
            assert len(picked) >= 1, (rec.year, field)
            assert not picked["reliability"].str.startswith("low").all()


def test_coal_exports_annual_matches_published_unit_prices():
    # KDI/NK Resource Institute published unit values 2012-2014 (US$/t); the
    # picked value divided by the picked tonnes must reproduce them.
    annual = observed.dprk_coal_exports_annual().set_index("year")
    unit = annual["usd_m"] * 1e6 / annual["tonnes"]
    assert unit[2012] == pytest.approx(100.9, abs=1.0)
    assert unit[2013] == pytest.approx(83.4, abs=1.0)
    assert unit[2014] == pytest.approx(73.4, abs=1.0)


def test_coal_2015_is_the_derived_row_not_the_aggregator():
    annual = observed.dprk_coal_exports_annual().set_index("year")
    assert annual.loc[2015, "usd_m_reliability"].startswith("derived")
    assert annual.loc[2015, "usd_m"] != 925.0  # the low-reliability aggregator figure


def test_iron_ore_annual_is_sparse_and_full_year_only():
    annual = observed.dprk_iron_ore_exports_annual()
    rows = observed.dprk_iron_ore_exports()
    assert set(annual["year"]) == set(rows.loc[rows["full_year"], "year"])
    assert annual["usd_m"].notna().sum() >= 2
