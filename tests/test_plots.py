"""Tests of buffer_sim.output.charts: every chart is written, valid, reproducible and atomic."""

from __future__ import annotations

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from buffer_sim.output import charts as plots
from buffer_sim.core.world import ACTION_FIELDS

WARMTH = ["warmth_cn_dprk", "warmth_us_dprk", "warmth_rok_dprk", "warmth_cn_rok", "warmth_cn_us"]
#: every continuous instrument (Pyongyang's tests are drawn apart)
INSTRUMENTS = [f for f in ACTION_FIELDS if f != "pyongyang_provocation"]

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
        "influence_potential": np.clip(0.7 - 0.004 * t, -1, 1),
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_no_events_and_no_observed(tmp_path):
    df = synthetic_run()
    for path in (plots.plot_leverage(df, tmp_path / "leverage.png"),
                 plots.plot_trade(df, tmp_path / "trade.png", events=[], observed=None),
                 plots.plot_overview(df, tmp_path / "overview.png", events=())):
        assert_png(path)


@pytest.mark.slow
def test_empty_observed(tmp_path):
    df, empty = synthetic_run(), observed_annual().iloc[0:0]
    assert_png(plots.plot_trade(df, tmp_path / "trade.png", observed=empty))
    assert_png(plots.overlay({"a": df, "b": df}, tmp_path / "overlay.png", "trade", observed=empty))


@pytest.mark.slow
def test_single_row(tmp_path):
    df = synthetic_run(months=1, start="2016-03")
    for path in every_chart(df, tmp_path, observed_annual(), EVENTS):
        assert_png(path)


@pytest.mark.slow
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


# --- multi-run charts: what a worksheet can cite ------------------------------------------------

@pytest.fixture
def drawn(monkeypatch):
    """Draw without writing: plots' figures as (ChartText, [(panel title, ylim), ...])."""
    figures = []

    def keep(fig, path):
        limits = [(ax.get_title(loc="left"), ax.get_ylim()) for ax in fig.axes
                  if ax.get_visible()]
        figures.append((plots.figure_text(fig), limits))
        return path

    monkeypatch.setattr(plots.render, "save_png", keep)
    return figures


def two_runs():
    df = synthetic_run()
    # The what-if is China-ROK warmer by 0.05 from month 12 on: a small gap.
    warmer = df["warmth_cn_rok"].where(df.index < 12, np.clip(df["warmth_cn_rok"] + 0.05, -1, 1))
    return {"replay": df, "what-if": df.assign(warmth_cn_rok=warmer)}


def test_every_event_is_numbered_in_date_order_and_named_whole(tmp_path):
    path = plots.plot_leverage(synthetic_run(), tmp_path / "leverage.png", events=EVENTS)
    key = plots.chart_text(path).events
    inside = [e for e in EVENTS if e[0] < "2019"]  # the run ends in 2018-12
    assert len(key) == len(inside)
    for number, (entry, (date, label, _)) in enumerate(zip(key, inside), start=1):
        assert entry == f"{number}  {date}  {label}"  # whole, never cut
    assert any("must be shortened" in entry for entry in key)


@pytest.mark.slow
def test_overlay_events_missing_from_a_run_say_where_they_are(tmp_path):
    runs = two_runs()
    events = {"replay": EVENTS, "what-if": EVENTS[1:]}
    path = plots.overlay(runs, tmp_path / "trade.png", "trade", events=events)
    key = plots.chart_text(path).events
    assert key[0] == "1  2016-01  Fourth nuclear test (only in replay)"
    assert key[1] == "2  2016-03  UNSC Resolution 2270"


@pytest.mark.parametrize("kind", plots.OVERLAY_KINDS)
@pytest.mark.slow
def test_overlays_have_a_panel_per_measure_and_legends_naming_measure_and_run(kind, drawn,
                                                                             tmp_path):
    runs = two_runs()
    plots.overlay(runs, tmp_path / f"{kind}.png", kind, observed=observed_annual())
    text, _ = drawn[0]
    expected = [m for m in plots.overlay_panels(kind, runs["replay"].columns)]
    assert list(text.panels) == [plots.panel_title(m) for m in expected]
    for measure in expected:
        if measure == "tests":
            for name in runs:
                assert plots.legend_label("missile test", name) in text.legend
            continue
        for name in runs:
            assert plots.legend_label(measure, name) in text.legend, (measure, name)
    assert plots.legend_label("cn_imports_reported", "replay") == "reported imports - replay"


def test_the_overview_overlay_has_a_panel_for_every_beijing_instrument(drawn, tmp_path):
    from buffer_sim.core import world

    df = synthetic_run().assign(beijing_new_tool=0.3)  # an instrument to come
    plots.overlay({"a": df, "b": df}, tmp_path / "overview.png", "overview")
    panels = drawn[0][0].panels
    for name in world.INSTRUMENTS["beijing"]:
        assert plots.panel_title(f"beijing_{name}") in panels
    assert plots.panel_title("beijing_new_tool") in panels


def test_bounded_measures_sit_on_their_whole_range(drawn, tmp_path):
    from buffer_sim.core import world

    plots.plot_compare(two_runs(), tmp_path / "compare.png",
                       ["warmth_cn_rok", "tension", "beijing_enforcement", "cn_imports_reported"])
    limits = dict(drawn[0][1])
    for column in ("warmth_cn_rok", "tension", "beijing_enforcement"):
        low, high = plots.value_limits(column)
        y0, y1 = limits[plots.panel_title(column)]
        assert y0 <= low and y1 >= high and (y1 - y0) <= 1.1 * (high - low), column
    assert plots.value_limits("warmth_cn_rok") == world.STATE_VARIABLES["warmth_cn_rok"][1:3]
    leverage = world.LEVERAGE_MEASURES["pressure_applied"]
    assert plots.value_limits("pressure_applied") == leverage[1:3]
    assert plots.value_limits("cn_imports_reported") is None  # unbounded: from zero
    assert limits[plots.panel_title("cn_imports_reported")][0] == 0


def test_the_difference_chart_is_symmetric_and_a_small_gap_stays_small(drawn, tmp_path):
    runs = two_runs()
    plots.plot_compare(runs, tmp_path / "difference.png", ["warmth_cn_rok", "tension"],
                       difference=True)
    text, limits = drawn[0]
    assert text.legend == (plots.legend_label("warmth_cn_rok", "what-if", "replay"),
                           plots.legend_label("tension", "what-if", "replay"))
    y0, y1 = dict(limits)[plots.panel_title("warmth_cn_rok")]
    gap = (runs["what-if"]["warmth_cn_rok"] - runs["replay"]["warmth_cn_rok"]).abs().max()
    assert y0 == pytest.approx(-y1) and y1 >= gap
    # No difference at all: the axis still spans 5% of the measure's range each way.
    y0, y1 = dict(limits)[plots.panel_title("tension")]
    assert y1 >= plots.DIFFERENCE_FLOOR * 1.0
    with pytest.raises(ValueError, match="at least two runs"):
        plots.plot_compare({"a": runs["replay"]}, tmp_path / "x.png", ["tension"],
                           difference=True)


def test_bands_are_shaded_in_the_run_s_colour(monkeypatch, tmp_path):
    runs = two_runs()
    df = runs["replay"]
    band = pd.DataFrame({"date": df["date"], "tension q05": df["tension"] - 0.1,
                         "tension q95": df["tension"] + 0.1})
    shaded = []

    def keep(fig, path):
        shaded.extend(len(ax.collections) for ax in fig.axes if ax.get_visible())
        return path

    monkeypatch.setattr(plots.render, "save_png", keep)
    plots.plot_compare(runs, tmp_path / "a.png", ["tension"])
    plots.plot_compare(runs, tmp_path / "b.png", ["tension"], bands={"replay": band})
    assert shaded[1] == shaded[0] + 1


def test_chart_text_survives_in_the_png(tmp_path):
    runs = two_runs()
    path = plots.plot_compare(runs, tmp_path / "compare.png", ["tension"], title="T " * 80)
    text = plots.chart_text(path)
    assert text.title == ("T " * 80).strip()  # wrapped on the chart, whole here
    assert text.panels == (plots.panel_title("tension"),)
    with pytest.raises(ValueError, match="no chart text"):
        plt.imsave(tmp_path / "plain.png", np.zeros((4, 4)))
        plots.chart_text(tmp_path / "plain.png")


@pytest.mark.slow
def test_single_run_panels_are_named_by_their_legend_titles(tmp_path):
    path = plots.plot_overview(synthetic_run(), tmp_path / "overview.png")
    panels = plots.chart_text(path).panels
    assert panels[:2] == ("Security and the DPRK", "Warmth of relations")
    assert panels[2].startswith("Instruments")
    legend = plots.chart_text(path).legend
    assert "China–ROK" in legend and "tension (war-risk proxy)" in legend


def test_the_warmth_panel_marks_the_breaking_point_of_the_parameter_table(monkeypatch):
    """The dashed line is ``Parameters.breaking_point_cn_dprk``, not a copy of it."""
    import dataclasses

    from buffer_sim.core.params import Parameters

    moved = dataclasses.replace(Parameters(), breaking_point_cn_dprk=-0.3)
    from buffer_sim.output.charts import run

    monkeypatch.setattr(run, "Parameters", lambda: moved)
    fig, ax = plt.subplots()
    try:
        run._draw_warmth_panel(ax, [])
        dashed = [line.get_ydata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"]
    finally:
        plt.close(fig)
    assert dashed == [-0.3]
