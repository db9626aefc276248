"""``buffer-sim validate`` and the metrics under it: known numbers, then end to end."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from buffer_sim import metrics
from conftest import DEFAULT_SCENARIO

SHORT_NAME = "validate_2013_2015"
CSV_COLUMNS = ["series", "basis", "metric", "model", "persistence", "trend", "n_years"]


def short_yaml(name: str = SHORT_NAME, start: str = "2013-01", end: str = "2015-12") -> str:
    """A scenario that extends the shipped replay by absolute path and narrows the period
    (the loader drops inherited events outside it)."""
    return (f"name: {name}\nperiod: {{start: {start}, end: {end}}}\n"
            f"extends: {DEFAULT_SCENARIO.resolve()}\n")


@pytest.fixture
def short(tmp_path):
    path = tmp_path / "short.yaml"
    path.write_text(short_yaml(), encoding="utf-8")
    return path


@pytest.fixture
def no_chart(monkeypatch):
    """A placeholder for validation.png (drawing is most of a short validation's time)."""
    from buffer_sim.commands import validate

    monkeypatch.setattr(validate, "chart_png", lambda v: b"\x89PNG\r\n\x1a\n placeholder")


def months(first: str, last: str) -> list[str]:
    return [str(p) for p in pd.period_range(first, last, freq="M")]


def obs_frame(rows) -> pd.DataFrame:
    """(year, series, value, basis) tuples -> the observed layout."""
    return pd.DataFrame(rows, columns=["year", "series", "value_usd_m", "basis"])


# --- error metrics on hand-made numbers -------------------------------------------------------

def test_mae_rmse_mape_known_values():
    assert metrics.mae([1, 2, 3], [2, 2, 5]) == pytest.approx(1.0)
    assert metrics.rmse([1, 2, 3], [2, 2, 5]) == pytest.approx(math.sqrt(5 / 3))
    assert metrics.mape([110, 90], [100, 100]) == pytest.approx(10.0)
    assert metrics.mape([150], [100]) == pytest.approx(50.0)


def test_weights_make_each_year_count_once():
    # Two sources for one year (weights 1/2 each), one for the other (weight 1).
    pred, obs, w = [100, 100, 200], [90, 110, 150], [0.5, 0.5, 1.0]
    assert metrics.mae(pred, obs, w) == pytest.approx((0.5 * 10 + 0.5 * 10 + 50) / 2)
    assert metrics.rmse(pred, obs, w) == pytest.approx(math.sqrt((50 + 50 + 2500) / 2))
    assert metrics.mape(pred, obs, w) == pytest.approx(100 * (0.5 * 10 / 90 + 0.5 * 10 / 110
                                                               + 50 / 150) / 2)


def test_metrics_of_nothing_are_nan():
    assert math.isnan(metrics.mae([], []))
    assert math.isnan(metrics.mape([1], [0]))
    with pytest.raises(ValueError):
        metrics.mae([1, 2], [1])


def test_direction_share_known_values():
    observed = {2010: 5.0, 2011: 6.0, 2012: 7.0, 2013: 4.0}
    assert metrics.direction_share({2010: 1, 2011: 2, 2012: 3, 2013: 1}, observed) == (1.0, 3)
    assert metrics.direction_share({2010: 1, 2011: 2, 2012: 1, 2013: 1}, observed) == \
        (pytest.approx(1 / 3), 3)
    # A forecast that never changes gets no direction right.
    assert metrics.direction_share({y: 9.0 for y in observed}, observed) == (0.0, 3)
    share, n = metrics.direction_share({2010: 1.0}, {2010: 5.0})
    assert math.isnan(share) and n == 0


def test_direction_counts_changes_between_consecutive_observed_years():
    # Gap 2010 -> 2013 counts as one change.
    assert metrics.direction_share({2010: 1, 2011: 0, 2013: 2}, {2010: 1, 2013: 3}) == (1.0, 1)


# --- annual aggregation -----------------------------------------------------------------------

def test_annual_sums_skip_partial_years():
    dates = months("2009-07", "2011-03")
    df = pd.DataFrame({"date": dates, "x": 1.0, "y": np.arange(len(dates), dtype=float)})
    out = metrics.annual_sums(df, ["x", "y"])
    assert list(out.index) == [2010]
    assert out.loc[2010, "x"] == 12.0
    assert out.loc[2010, "y"] == sum(range(6, 18))
    assert metrics.complete_years(dates) == [2010]


def test_annual_sums_need_all_twelve_months():
    dates = [d for d in months("2010-01", "2011-12") if d != "2011-06"]
    df = pd.DataFrame({"date": dates, "x": 2.0})
    assert list(metrics.annual_sums(df, ["x"]).index) == [2010]


def test_annual_trade_compares_reported_and_keeps_informal_apart():
    dates = months("2010-01", "2010-12")
    df = pd.DataFrame({"date": dates, "cn_exports_reported": 10.0, "cn_imports_reported": 5.0,
                       "cn_exports_informal": 1.0, "cn_imports_informal": 0.5})
    out = metrics.annual_trade(df, informal=True)
    assert out.loc[2010, "cn_exports"] == 120.0
    assert out.loc[2010, "cn_imports"] == 60.0
    assert out.loc[2010, "total"] == 180.0
    assert out.loc[2010, "informal_total"] == 18.0
    assert list(metrics.annual_trade(df).columns) == ["total", "cn_exports", "cn_imports"]


def test_mean_over_runs():
    a = pd.DataFrame({"total": [1.0, 3.0]}, index=[2010, 2011])
    b = pd.DataFrame({"total": [3.0, 5.0]}, index=[2010, 2011])
    assert list(metrics.mean_over_runs([a, b])["total"]) == [2.0, 4.0]


# --- observed data and baselines ---------------------------------------------------------------

def test_derived_totals_are_marked_and_only_where_missing():
    obs = obs_frame([(2008, "cn_exports", 2000.0, "KOTRA"), (2008, "cn_imports", 700.0, "KOTRA"),
                     (2011, "total", 5600.0, "KITA"), (2011, "cn_exports", 3100.0, "KITA"),
                     (2011, "cn_imports", 2500.0, "KITA")])
    out = metrics.with_derived_totals(obs)
    added = out.iloc[len(obs):]
    assert len(added) == 1
    assert added.iloc[0][["year", "series", "value_usd_m", "basis"]].tolist() == \
        [2008, "total", 2700.0, "KOTRA (sum)"]


def test_persistence_carries_the_last_year_before_the_start():
    obs = obs_frame([(2006, "total", 50.0, "A"), (2008, "total", 90.0, "A"),
                     (2008, "total", 110.0, "B"), (2010, "total", 500.0, "A")])
    b = metrics.persistence(obs, 2009, "total")
    assert (b.intercept, b.slope, b.fitted_years, b.in_period) == (100.0, 0.0, (2008,), False)
    assert list(b.predict([2009, 2015])) == [100.0, 100.0]


def test_persistence_falls_back_to_the_first_year_in_the_period():
    obs = obs_frame([(2010, "total", 70.0, "A"), (2011, "total", 80.0, "A")])
    b = metrics.persistence(obs, 2009)
    assert (b.intercept, b.fitted_years, b.in_period) == (70.0, (2010,), True)


def test_linear_trend_is_least_squares_on_years_before_the_start():
    obs = obs_frame([(2004, "total", 10.0, "A"), (2005, "total", 22.0, "A"),
                     (2006, "total", 28.0, "A"), (2006, "total", 32.0, "B"),
                     (2012, "total", 999.0, "A")])
    b = metrics.linear_trend(obs, 2009)
    # One point per year (2006 is the mean of its two sources): 10, 22, 30.
    assert b.slope == pytest.approx(10.0)
    assert b.predict([2005])[0] == pytest.approx(20.667, abs=1e-3)
    assert b.fitted_years == (2004, 2005, 2006) and not b.in_period


def test_linear_trend_falls_back_to_the_first_two_years_in_the_period():
    obs = obs_frame([(2008, "total", 5.0, "A"), (2010, "total", 100.0, "A"),
                     (2012, "total", 140.0, "A"), (2013, "total", 999.0, "A")])
    b = metrics.linear_trend(obs, 2009)
    assert b.in_period and b.fitted_years == (2010, 2012)
    assert b.slope == pytest.approx(20.0)
    assert b.predict([2014])[0] == pytest.approx(180.0)


def test_compare_table_weights_sources_within_a_year():
    model = pd.DataFrame({"total": [100.0, 200.0], "cn_exports": [60.0, 120.0],
                          "cn_imports": [40.0, 80.0]}, index=[2010, 2011])
    obs = obs_frame([(2008, "total", 80.0, "A"), (2009, "total", 90.0, "A"),
                     (2010, "total", 90.0, "A"), (2010, "total", 110.0, "B"),
                     (2011, "total", 150.0, "A")])
    table, baselines = metrics.compare(model, obs, 2010)
    assert list(table.columns) == CSV_COLUMNS
    assert set(table["series"]) == {"total"}  # no export or import observations
    assert list(table["basis"].unique()) == ["all", "A", "B"]
    row = table.set_index(["basis", "metric"])
    assert row.loc[("all", "mae"), "model"] == pytest.approx((5 + 5 + 50) / 2)
    assert row.loc[("all", "mae"), "n_years"] == 2
    assert row.loc[("A", "mae"), "model"] == pytest.approx((10 + 50) / 2)
    # Persistence carries 2009 (90); the trend through 2008, 2009 rises 10 a year.
    assert row.loc[("all", "mae"), "persistence"] == pytest.approx((0 + 10 + 60) / 2)
    assert row.loc[("all", "mae"), "trend"] == pytest.approx((5 + 5 + 40) / 2)
    assert row.loc[("all", "direction"), "model"] == 1.0
    assert row.loc[("all", "direction"), "persistence"] == 0.0
    assert row.loc[("all", "direction"), "n_years"] == 1
    assert baselines["total"]["persistence"].fitted_years == (2009,)


def test_log_residuals_square_to_the_calibration_objective():
    model = pd.DataFrame({"total": [100.0, 200.0], "cn_exports": [50.0, 100.0],
                          "cn_imports": [50.0, 100.0]}, index=[2010, 2011])
    obs = obs_frame([(2010, "total", 110.0, "A"), (2010, "total", 90.0, "B"),
                     (2011, "cn_exports", 80.0, "A"), (2012, "total", 1.0, "A")])
    r = metrics.log_residuals(model, obs, range(2009, 2016))
    cells = [(math.log(100 / 110) ** 2 + math.log(100 / 90) ** 2) / 2,
             math.log(100 / 80) ** 2]
    assert float(r @ r) == pytest.approx(sum(cells) / len(cells))


def test_format_table_prints_each_row():
    model = pd.DataFrame({"total": [100.0, 200.0], "cn_exports": [60.0, 120.0],
                          "cn_imports": [40.0, 80.0]}, index=[2010, 2011])
    obs = obs_frame([(2009, "total", 90.0, "A"), (2010, "total", 95.0, "A"),
                     (2011, "total", 150.0, "A")])
    table, _ = metrics.compare(model, obs, 2010)
    text = metrics.format_table(table)
    assert text.splitlines()[0].split() == ["series", "source", "metric", "model",
                                            "persistence", "trend", "n"]
    assert "MAPE %" in text and "direction" in text


# --- the command, end to end --------------------------------------------------------------------

def test_validate_writes_csv_and_chart_and_prints_the_table(cli, short, tmp_path):
    out = tmp_path / "out"
    folder = out / SHORT_NAME
    folder.mkdir(parents=True)
    (folder / "timeseries.csv").write_text("a run's file, kept")
    result = cli("validate", short, "--out", out)
    assert result.code == 0, result.err
    assert sorted(p.name for p in folder.iterdir()) == ["timeseries.csv", "validation.csv",
                                                        "validation.png"]
    assert (folder / "timeseries.csv").read_text() == "a run's file, kept"
    table = pd.read_csv(folder / "validation.csv")
    assert list(table.columns) == CSV_COLUMNS
    assert set(table["series"]) == {"total", "cn_exports", "cn_imports"}
    assert set(table["metric"]) == set(metrics.METRICS)
    assert "all" in set(table["basis"]) and "KOTRA" in set(table["basis"])
    total = table[(table["series"] == "total") & (table["basis"] == "all")]
    assert total.set_index("metric").loc["mae", "n_years"] == 3  # 2013, 2014, 2015
    assert (folder / "validation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for words in ("persistence", "trend", "MAE US$m", "2013, 2014, 2015", "carries 2012"):
        assert words in result.out
    assert not [p for p in out.rglob(".tmp-*")]


def test_validate_is_reproducible_and_averages_runs(cli, short, tmp_path, no_chart):
    assert cli("validate", short, "--out", tmp_path / "a", "--quiet").code == 0
    assert cli("validate", short, "--out", tmp_path / "b", "--quiet").code == 0
    three = cli("validate", short, "--out", tmp_path / "c", "--quiet", "--runs", "3")
    assert three.code == 0, three.err
    assert three.out.strip() == str((tmp_path / "c" / SHORT_NAME).absolute())
    read = {k: (tmp_path / k / SHORT_NAME / "validation.csv").read_bytes() for k in "abc"}
    assert read["a"] == read["b"]
    assert read["a"] != read["c"]


def test_validate_flags_baselines_taken_inside_the_period(cli, tmp_path, no_chart):
    path = tmp_path / "early.yaml"
    path.write_text(short_yaml("early_2004_2008", "2004-01", "2008-12"), encoding="utf-8")
    result = cli("validate", path, "--out", tmp_path)
    assert result.code == 0, result.err
    assert "carries 2004 forward" in result.out
    assert "inside the period" in result.out


@pytest.mark.parametrize("argv, words", [
    (["--runs", "0"], "--runs"),
    (["--runs", "x"], "--runs"),
    (["--seed", "-1"], "--seed"),
])
def test_validate_rejects_bad_options(cli, short, tmp_path, argv, words):
    result = cli("validate", short, "--out", tmp_path / "out", *argv)
    assert result.code == 2
    assert words in result.err
    assert not (tmp_path / "out").exists()


def test_validate_without_observed_years_says_so(cli, tmp_path):
    path = tmp_path / "late.yaml"
    path.write_text(short_yaml("late", "2016-01", "2017-12"), encoding="utf-8")
    result = cli("validate", path, "--out", tmp_path / "out")
    assert result.code == 2
    assert "no complete calendar year with observed" in result.err
    assert not (tmp_path / "out").exists()
