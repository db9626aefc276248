"""One home for the charts: every chart lives in ``buffer_sim.output.charts`` and names and
colours its measures from one series table (``charts.series``), which the web app reads
too. Issue 14, acceptance 5."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from buffer_sim.model import output_columns
from buffer_sim.output import charts
from buffer_sim.output.charts import live, series
from buffer_sim.output.report import HEADLINES

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "buffer_sim"
CHARTS_DIR = PACKAGE / "output" / "charts"

#: Modules outside output/charts allowed to import Matplotlib, with the reason. Empty:
#: the web app's charts are drawn by charts.live, the app only caches their PNGs.
MATPLOTLIB_ELSEWHERE: dict[str, str] = {}


def charted_columns() -> set[str]:
    """Every measure some chart draws, asked of the charts themselves."""
    model = output_columns()
    drawn = {*series.LEVERAGE, *series.TRADE_MONTHLY, *series.TRADE_ANNUAL, *series.SECURITY,
             series.ECONOMY, *series.WARMTH, *series.INSTRUMENTS}
    for kind in charts.OVERLAY_KINDS:
        drawn |= set(charts.overlay_panels(kind, model)) - {"tests"}
    drawn |= {column for column, _ in HEADLINES}  # compare.png, compare_difference.png
    drawn |= {c for spec in live.CHARTS.values() for c in spec.columns}
    drawn |= {c for _, _, panels in charts.BAND_CHARTS for _, _, cols in panels for c in cols}
    drawn |= {c for _, cols in charts.QUICK_PANELS for c in cols}
    return drawn


def test_every_charted_measure_has_exactly_one_entry_in_the_series_table():
    columns = [s.column for s in series.TABLE]
    assert len(columns) == len(set(columns)), "a measure listed twice"
    missing = charted_columns() - set(series.SERIES)
    assert missing == set(), f"charted but not in charts/series.py: {sorted(missing)}"


def test_every_entry_is_a_model_column_or_a_sum_of_model_columns():
    """No stale entries: a column the model no longer writes fails here."""
    model = set(output_columns())
    stale = [s.column for s in series.TABLE
             if s.column not in model and not (s.sum_of and set(s.sum_of) <= model)]
    assert stale == []
    assert all(s.observed in series.OBSERVED_NAMES for s in series.TABLE if s.observed)


def test_every_measure_drawn_beside_others_has_its_own_colour_and_a_name():
    for group in (series.LEVERAGE, series.TRADE_MONTHLY, series.SECURITY, series.WARMTH,
                  series.INSTRUMENTS, *(spec.columns for spec in live.CHARTS.values())):
        looks = [(series.SERIES[c].color, series.SERIES[c].style) for c in group]
        assert None not in [color for color, _ in looks], group
        assert len(set(looks)) == len(looks), f"two lines look alike in {group}"
    assert all(s.title and s.label and s.name for s in series.TABLE)


def test_the_app_reads_the_same_entries_as_the_charts():
    from buffer_sim import app

    assert app.CHARTS is live.CHARTS
    for spec in live.CHARTS.values():
        assert all(s is series.SERIES[c] for s, c in zip(spec.series, spec.columns))


def synthetic(months: int = 24) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"date": pd.period_range("2016-01", periods=months, freq="M")
                       .strftime("%Y-%m")})
    for column in output_columns():
        df[column] = rng.uniform(0, 1, months)
    return df


def test_a_label_and_colour_changed_in_the_table_change_in_the_app_and_in_the_run_charts(
        monkeypatch, tmp_path):
    changed = series.Series("tension", "tension, renamed", "level 0..1", "#123456",
                            label="tension as the run chart names it",
                            name="tension as the app names it")
    monkeypatch.setitem(series.SERIES, "tension", changed)
    df = live.add_totals(synthetic().assign(x=lambda d: pd.to_datetime(d["date"] + "-01")))

    fig = Figure()
    artists = live.draw_chart(fig, live.CHARTS["tension"], df, "reference", 24192, 24215,
                              (0, 1))
    legend = [t.get_text() for t in artists.ax.get_legend().get_texts()]
    assert legend == ["tension as the app names it"]
    assert artists.lines["tension"].get_color() == "#123456"

    path = charts.plot_overview(synthetic(), tmp_path / "overview.png")
    assert "tension as the run chart names it" in charts.chart_text(path).legend
    path = charts.plot_compare({"a": synthetic(), "b": synthetic()}, tmp_path / "compare.png",
                               ["tension"])
    text = charts.chart_text(path)
    assert text.panels == ("tension, renamed",)
    assert "tension as the app names it - a" in text.legend


def test_ensemble_and_notebook_charts_name_their_lines_from_the_table(monkeypatch, tmp_path):
    drawn: list[Figure] = []
    monkeypatch.setattr(charts.ensemble, "write_png", lambda fig, path: drawn.append(fig))
    rows = [{"date": d, "variable": v, "q05": 0.1, "q25": 0.2, "q50": 0.3, "q75": 0.4,
             "q95": 0.5} for d in ("2016-01", "2016-02") for v in ("tension", "nuclear")]
    charts.band_chart(pd.DataFrame(rows), [("Security", "0..1", ["tension", "nuclear"])],
                      tmp_path / "x.png")
    labels = [t.get_text() for t in drawn[0].axes[0].get_legend().get_texts()]
    assert labels[:2] == [f"{series.SERIES[c].name}, median" for c in ("tension", "nuclear")]

    fig = charts.quick_figure({"": synthetic()}, charts.QUICK_PANELS, "quick")
    for ax, (_, columns) in zip(fig.axes, charts.QUICK_PANELS):
        assert [line.get_label() for line in ax.lines] == [series.SERIES[c].label
                                                           for c in columns]


def matplotlib_importers() -> dict[str, int]:
    """Module path -> line of every import of Matplotlib in the package, top level or not."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] == "matplotlib" for n in names):
                found.setdefault(str(path.relative_to(PACKAGE)), node.lineno)
    return found


def test_only_the_charts_package_imports_matplotlib():
    outside = {p: line for p, line in matplotlib_importers().items()
               if not p.startswith("output/charts/") and p not in MATPLOTLIB_ELSEWHERE}
    assert outside == {}, f"draw in buffer_sim.output.charts instead: {outside}"
    assert any(p.startswith("output/charts/") for p in matplotlib_importers())  # the scan works


def test_every_public_name_resolves_and_the_table_loads_without_matplotlib():
    assert sorted(charts.__all__) == sorted(charts._WHERE)
    for name in charts.__all__:
        assert getattr(charts, name) is not None, name
    code = ("import sys\nfrom buffer_sim.output.charts.series import METRICS\n"
            "import buffer_sim.output.report, buffer_sim.output.charts\n"
            "print('matplotlib' in sys.modules, len(METRICS) > 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("module", sorted(p.stem for p in CHARTS_DIR.glob("*.py")
                                          if p.stem != "__init__"))
def test_chart_modules_take_data_not_the_experiments_or_the_cli(module):
    """The layers contract says it for the whole of output/; this names the offender."""
    tree = ast.parse((CHARTS_DIR / f"{module}.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module}
    above = [m for m in imported if m.startswith(("buffer_sim.experiments", "buffer_sim.cli",
                                                  "buffer_sim.api", "buffer_sim.app",
                                                  "buffer_sim.model"))]
    assert above == []


def test_every_window_buffer_sim_validate_judges_has_its_shade():
    from buffer_sim.cli import validate

    names = {validate.FITTED, validate.HELD_BACK, validate.COMPARED, validate.BEFORE}
    assert names <= set(charts.validation.WINDOW_SHADES)
