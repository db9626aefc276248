"""Tests of buffer_sim.plots: every chart is written, valid, reproducible and atomic."""

from __future__ import annotations

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from buffer_sim import plots

WARMTH = ["warmth_cn_dprk", "warmth_us_dprk", "warmth_rok_dprk", "warmth_cn_rok", "warmth_cn_us"]
INSTRUMENTS = ["beijing_enforcement", "beijing_aid", "beijing_engagement", "pyongyang_outreach",
               "washington_pressure", "washington_military", "washington_engagement",
               "seoul_engagement", "seoul_alignment", "seoul_china_ties"]

EVENTS = [
    ("2016-01", "Fourth nuclear test", "forced_action"),
    ("2016-03", "UNSC Resolution 2270", "resolution"),
    ("2016-03", "Second event in the same month", "diplomatic_shock"),
    ("2016-04", "A deliberately very long label that must be shortened", "parameter_change"),
    ("2017-01", "Trump administration", "administration"),
    ("2017-09", "UNSC Resolution 2375", "resolution"),
    ("2018-04", "Panmunjom summit", "diplomatic_shock"),
    ("2030-01", "Outside the run, ignored", "resolution"),
]


def synthetic_run(months: int = 36, seed: int = 7, start: str = "2016-01") -> pd.DataFrame:
    """A plausible, deterministic time series with every column the charts use."""
    rng = np.random.default_rng(seed)
    t = np.arange(months)
    dates = pd.period_range(start, periods=months, freq="M").strftime("%Y-%m")

    def walk(level, scale, lo, hi):
        return np.clip(level + np.cumsum(rng.normal(0, scale, months)), lo, hi)

    potential = np.clip(0.6 + 0.2 * np.sin(t / 8), 0, 1)
    df = pd.DataFrame({
        "date": dates,
        "leverage_potential": potential,
        "pressure_applied": walk(0.3, 0.04, 0, 1),
        "influence_realized": np.clip(0.2 * np.sin(t / 5) + rng.normal(0, 0.05, months), -1, 1),
        "cn_exports_reported": np.clip(250 - 3 * t + rng.normal(0, 15, months), 0, None),
        "cn_imports_reported": np.clip(200 - 5 * t + rng.normal(0, 15, months), 0, None),
        "cn_exports_informal": np.clip(20 + 1.5 * t + rng.normal(0, 4, months), 0, None),
        "cn_imports_informal": np.clip(10 + 2 * t + rng.normal(0, 4, months), 0, None),
        "tension": walk(0.4, 0.05, 0, 1),
        "stability": walk(0.8, 0.02, 0, 1),
        "nuclear": np.maximum.accumulate(walk(0.5, 0.02, 0, 1)),
        "dprk_economy": walk(1.0, 0.02, 0.5, 1.5),
        "sanctions_scope": np.minimum(1, 0.2 + 0.02 * t),
        "pyongyang_provocation": rng.choice([0, 0, 0, 0, 1, 1, 2], size=months),
    })
    for name in WARMTH:
        df[name] = walk(0.0, 0.08, -1, 1)
    for name in INSTRUMENTS:
        df[name] = walk(0.4, 0.06, 0, 1)
    return df


def observed_annual() -> pd.DataFrame:
    """Observed annual trade from two sources, with one year outside the run."""
    rows = [(2015, "total", 5700, "GACC"), (2016, "total", 5400, "GACC"),
            (2016, "cn_exports", 3100, "GACC"), (2016, "cn_imports", 2600, "GACC"),
            (2016, "total", 5500, "KOTRA"), (2017, "total", 5000, "KOTRA"),
            (2017, "cn_exports", 3300, "KITA"), (2018, "cn_imports", 200, "KITA")]
    return pd.DataFrame(rows, columns=["year", "series", "value_usd_m", "basis"])


def every_chart(df, directory, observed, events):
    """Draw every chart of ``df`` into ``directory``; return the paths."""
    variant = df.assign(beijing_aid=0.0, cn_exports_reported=df["cn_exports_reported"] * 0.8)
    runs = {"baseline": df, "no aid": variant}
    wanted = ("tension", "leverage_potential", "cn_exports_reported", "warmth_cn_dprk")
    metrics = [m for m in wanted if m in df.columns]
    return [
        plots.plot_leverage(df, directory / "leverage.png", events=events),
        plots.plot_trade(df, directory / "trade.png", events=events, observed=observed),
        plots.plot_overview(df, directory / "overview.png", events=events, title="Overview"),
        plots.plot_compare(runs, directory / "compare.png", metrics),
        plots.overlay(runs, directory / "overlay_leverage.png", "leverage"),
        plots.overlay(runs, directory / "overlay_trade.png", "trade", observed=observed),
        plots.overlay(runs, directory / "overlay_overview.png", "overview"),
    ]


def assert_png(path):
    assert path.exists()
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = mpimg.imread(path)
    assert image.shape[0] > 300 and image.shape[1] > 300


def test_every_chart_is_a_reproducible_png_and_nothing_is_left_behind(tmp_path):
    df = synthetic_run()
    first, second = tmp_path / "a", tmp_path / "b"
    open_before, rc_before = plt.get_fignums(), dict(plt.rcParams)
    paths_a = every_chart(df, first, observed_annual(), EVENTS)
    paths_b = every_chart(df, second, observed_annual(), EVENTS)
    for a, b in zip(paths_a, paths_b):
        assert_png(a)
        assert a.read_bytes() == b.read_bytes(), f"{a.name} differs between two calls"
    # Overwriting in place is just as reproducible.
    before = paths_a[0].read_bytes()
    plots.plot_leverage(df, paths_a[0], events=EVENTS)
    assert paths_a[0].read_bytes() == before
    # No temporary files, open figures or changed settings remain.
    for directory, paths in ((first, paths_a), (second, paths_b)):
        assert sorted(p.name for p in directory.iterdir()) == sorted(p.name for p in paths)
    assert plt.get_fignums() == open_before
    assert dict(plt.rcParams) == rc_before


def test_failed_drawing_leaves_nothing_behind(tmp_path):
    open_before = plt.get_fignums()
    bad = observed_annual().drop(columns="value_usd_m")
    with pytest.raises(ValueError, match="value_usd_m"):
        plots.plot_trade(synthetic_run(), tmp_path / "trade.png", observed=bad)
    assert not list(tmp_path.iterdir())
    assert plt.get_fignums() == open_before


def test_returns_the_path_and_creates_directories(tmp_path):
    target = tmp_path / "new" / "dir" / "leverage.png"
    assert plots.plot_leverage(synthetic_run(), str(target)) == target
    assert_png(target)


def test_no_events_and_no_observed(tmp_path):
    df = synthetic_run()
    for path in (plots.plot_leverage(df, tmp_path / "leverage.png"),
                 plots.plot_trade(df, tmp_path / "trade.png", events=[], observed=None),
                 plots.plot_overview(df, tmp_path / "overview.png", events=())):
        assert_png(path)


def test_empty_observed(tmp_path):
    df, empty = synthetic_run(), observed_annual().iloc[0:0]
    assert_png(plots.plot_trade(df, tmp_path / "trade.png", observed=empty))
    assert_png(plots.overlay({"a": df, "b": df}, tmp_path / "overlay.png", "trade", observed=empty))


def test_single_row(tmp_path):
    df = synthetic_run(months=1, start="2016-03")
    for path in every_chart(df, tmp_path, observed_annual(), EVENTS):
        assert_png(path)


def test_missing_optional_columns_are_skipped(tmp_path):
    df = synthetic_run()[["date", "leverage_potential", "cn_exports_reported", "tension"]]
    for path in every_chart(df, tmp_path, None, EVENTS):
        assert_png(path)


def test_errors(tmp_path):
    df = synthetic_run()
    with pytest.raises(ValueError, match="kind"):
        plots.overlay({"a": df}, tmp_path / "x.png", "nonsense")
    with pytest.raises(ValueError, match="no run has"):
        plots.plot_compare({"a": df}, tmp_path / "x.png", ["not_a_column"])
    with pytest.raises(ValueError, match="no rows"):
        plots.plot_leverage(df.iloc[0:0], tmp_path / "x.png")
    assert not list(tmp_path.iterdir())


def test_event_labels_are_merged_and_shortened():
    x0 = 16800.0
    events = [(x0, "A" * 40, "resolution"), (x0, "second", "forced_action"),
              (x0 + 31, "next month", "resolution"), (x0 + 200, "later", "administration")]
    labels = plots._event_labels(events, min_gap=60)
    assert [label.x for label in labels] == [x0, x0 + 200]
    assert labels[0].text.endswith("… (+2)")
    assert len(labels[0].text) <= plots.EVENT_LABEL_CHARS
    assert labels[1].text == "later"
