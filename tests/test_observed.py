"""Tests for the packaged observed data (buffer_sim.observed)."""

import pandas as pd
import pytest

from buffer_sim import observed

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
