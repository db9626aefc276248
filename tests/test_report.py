"""report.html: one self-contained page per run and per comparison.

It opens offline: charts are base64 data URIs, no script, no external address. It holds
the charts, the key numbers, Beijing's decisions as a story (the others folded), the
events and the provenance from the manifest.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from pathlib import Path

import pytest

from buffer_sim.experiments import runner
from buffer_sim.output import explain, report
from conftest import SHORT_NAME, SHORT_SCENARIO, run_main

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
#: A valid 1x1 PNG, for comparisons whose charts are not the subject.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """``buffer-sim run SHORT`` with real charts: the run's folder."""
    tmp = tmp_path_factory.mktemp("report")
    scenario = tmp / "short.yaml"
    scenario.write_text(SHORT_SCENARIO, encoding="utf-8")
    result = run_main("run", scenario, "--out", tmp / "out")
    assert result.code == 0, result.err
    return tmp / "out" / SHORT_NAME


@pytest.fixture(scope="module")
def compare_folder(tmp_path_factory):
    """``buffer-sim compare SHORT SHORT --set 2:...`` with tiny stand-in charts."""
    from buffer_sim.output import charts as plots

    tmp = tmp_path_factory.mktemp("report-compare")
    scenario = tmp / "short.yaml"
    scenario.write_text(SHORT_SCENARIO, encoding="utf-8")
    mp = pytest.MonkeyPatch()
    for name in ("overlay", "plot_compare"):
        mp.setattr(plots, name, lambda runs, path, *a, **k: Path(path).write_bytes(TINY_PNG))
    try:
        result = run_main("compare", scenario, scenario, "--set",
                          "2:beijing.priorities=no_nukes,no_war,no_instability",
                          "--out", tmp / "out", "--quiet")
    finally:
        mp.undo()
    assert result.code == 0, result.err
    return Path(result.out.strip())


def page(folder: Path) -> str:
    return (folder / "report.html").read_text(encoding="utf-8")


def images(text: str) -> list[str]:
    return re.findall(r'<img [^>]*src="([^"]*)"', text)


# --- self-contained ----------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["run_folder", "compare_folder"])
@pytest.mark.slow
def test_the_page_needs_nothing_but_itself(which, request):
    text = page(request.getfixturevalue(which))
    assert text.startswith("<!DOCTYPE html>")
    assert "<script" not in text.lower() and "<link" not in text.lower()
    # only data URIs and anchors, and the link to the project's glossary (read, not loaded)
    assert not re.search(r'(src|href)="(?!data:|#|file:[^"]*/docs/glossary\.md")', text)
    assert 'href="file:' in text and "glossary" in text
    assert not re.search(r"url\(", text)
    assert images(text)


@pytest.mark.slow
def test_the_run_charts_are_embedded_byte_for_byte(run_folder):
    sources = images(page(run_folder))
    assert len(sources) == 3
    for src, name in zip(sources, ("leverage.png", "trade.png", "overview.png")):
        prefix = "data:image/png;base64,"
        assert src.startswith(prefix)
        assert base64.b64decode(src[len(prefix):]) == (run_folder / name).read_bytes(), name


def test_the_comparison_page_embeds_its_five_charts(compare_folder):
    sources = images(page(compare_folder))
    assert len(sources) == 5
    assert all(base64.b64decode(s.split(",", 1)[1]) == TINY_PNG for s in sources)


# --- what is on the run's page ---------------------------------------------------------------------

def test_the_run_page_has_key_numbers_year_by_year(run_folder):
    text = page(run_folder)
    for heading in ("Charts", "Key numbers", "Decisions and their reasons", "Events",
                    "Provenance"):
        assert f">{heading}</h2>" in text
    for measure in ("Peak sanctions enforcement by Beijing", "Mean potential leverage",
                    "Mean realized influence", "Lowest DPRK stability"):
        assert measure in text
    for year in ("2016", "2017", "2018"):
        assert f"<td>{year}</td>" in text
    assert "China imports, reported" in text


def test_the_key_numbers_are_the_run_s_numbers(run_folder):
    import pandas as pd

    df = pd.read_csv(run_folder / "timeseries.csv", dtype={"date": str})
    rows = {measure: (value, when) for measure, value, when in report.key_numbers(df)}
    peak, when = rows["Peak sanctions enforcement by Beijing (0..1)"]
    assert float(peak) == pytest.approx(df["beijing_enforcement"].max(), abs=0.005)
    assert when == "first in " + df.loc[df["beijing_enforcement"].idxmax(), "date"]
    annual = report.annual_table(df).set_index("year")
    imports_2017 = df[df["date"].str.startswith("2017")]["cn_imports_reported"].sum()
    assert annual.loc[2017, "cn_imports_reported"] == pytest.approx(imports_2017)
    assert f">{annual.loc[2017, 'cn_imports_reported']:,.0f}<" in page(run_folder)


def test_beijing_s_story_is_open_and_the_others_are_folded(run_folder):
    text = page(run_folder)
    manifest = json.loads((run_folder / "manifest.json").read_text())
    again = runner.run(manifest["scenario_path"], seed=manifest["seed"])
    story = explain.narrate(explain.decision_table(again), "beijing")
    assert "<h3>Beijing</h3>" in text
    for paragraph in story:
        assert f"<p>{html.escape(paragraph)}</p>" in text
    for other in ("Pyongyang", "Washington", "Seoul"):
        assert f"<details><summary>{other}'s decisions</summary>" in text


def test_the_provenance_is_the_manifest_s(run_folder):
    text = page(run_folder)
    manifest = json.loads((run_folder / "manifest.json").read_text())
    assert manifest["content_hash"] in text
    assert f"<td>{manifest['seed']}</td>" in text
    assert html.escape(manifest["command_line"]) in text
    for output in manifest["outputs"]:
        if output["file"] != "report.html":
            assert output["sha256"] in text
    listed = {o["file"]: o["sha256"] for o in manifest["outputs"]}
    digest = hashlib.sha256((run_folder / "report.html").read_bytes()).hexdigest()
    assert listed["report.html"] == digest  # the manifest vouches for the page


def test_the_page_is_reproducible(short_scenario, tmp_path, fast_charts):
    result = runner.run(short_scenario, seed=3)
    a = runner.write_outputs(result, tmp_path / "a", command_line="buffer-sim run x")
    b = runner.write_outputs(result, tmp_path / "b", command_line="buffer-sim run x")
    assert (a / "report.html").read_bytes() == (b / "report.html").read_bytes()


# --- what is on the comparison's page ---------------------------------------------------------

def test_the_comparison_page_names_scenarios_numbers_and_stories(compare_folder):
    text = page(compare_folder)
    assert f"{SHORT_NAME} (reference)" in text and f"{SHORT_NAME}+2" in text
    assert "beijing.priorities=no_nukes,no_war,no_instability" in text
    assert "Δ mean" in text and "pressure applied" in text
    assert f"<details open><summary>{SHORT_NAME}</summary>" in text
    assert f"<details><summary>{SHORT_NAME}+2</summary>" in text
    manifest = json.loads((compare_folder / "manifest.json").read_text())
    for scenario in manifest["scenarios"]:
        assert scenario["content_hash"] in text


def test_the_comparison_s_key_numbers_are_the_headlines_over_the_window(compare_folder):
    import pandas as pd

    from buffer_sim.experiments import compare

    text = page(compare_folder)
    window = json.loads((compare_folder / "manifest.json").read_text())["window"]
    assert f"Key numbers over {window['start']} to {window['end']}" in text
    numbers = text[text.index('id="numbers"'):text.index('id="decisions"')]
    # one group of rows per measure, the measure spanning a row per scenario
    rows = re.findall(r'<tr><td rowspan="2">([^<]*)<br>', numbers)
    assert rows == [words for _, words, _, _ in report.key_measures()]
    assert re.findall(r"<tr>(?:<td rowspan[^>]*>.*?</td>)?<td>([^<]*)</td>", numbers) == \
        [SHORT_NAME, f"{SHORT_NAME}+2"] * len(rows)
    assert [c for c, *_ in report.key_measures()] == list(compare.COMPARE_METRICS)
    diff = pd.read_csv(compare_folder / "difference.csv").set_index(["metric", "scenario"])
    mean = diff.loc[("tension", f"{SHORT_NAME}+2"), "mean"]
    assert f">{mean:.3f}<" in numbers  # difference.csv's window mean, as printed


def test_a_small_difference_is_never_shown_as_zero():
    assert report.fmt_diff(0.0004, 2) == "+0.0004"
    assert report.fmt_diff(-0.013, 2) == "-0.01"
    assert report.fmt_diff(0.0, 2) == "0"


# --- in a real browser --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (apt-get install -y "
                    "chromium) to open report.html in a headless browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.mark.parametrize("which", ["run_folder", "compare_folder"])
def test_every_image_decodes_in_a_headless_browser(browser, which, request):
    folder = request.getfixturevalue(which)
    tab = browser.new_page()
    requests = []
    tab.on("request", lambda r: requests.append(r.url))
    try:
        tab.goto((folder / "report.html").resolve().as_uri(), wait_until="load")
        assert tab.evaluate("document.images.length") == (3 if which == "run_folder" else 5)
        assert tab.evaluate("Array.from(document.images).every("
                            "i => i.complete && i.naturalWidth > 0)")
        assert tab.evaluate("document.querySelectorAll('details').length") >= 1
    finally:
        tab.close()
    assert all(url.startswith(("file:", "data:")) for url in requests), requests


@pytest.fixture(scope="module")
def wide_comparison(tmp_path_factory):
    """A comparison of two scenarios with long names and 3 paired runs each (tiny
    stand-in charts): the widest key-number table a comparison of two makes."""
    from buffer_sim.output import charts as plots

    tmp = tmp_path_factory.mktemp("report-wide")
    files = []
    for name in ("replay_with_a_long_descriptive_scenario_name",
                 "pressure_campaign_with_beijing_enforcing_fully"):
        files.append(tmp / f"{name}.yaml")
        files[-1].write_text(SHORT_SCENARIO.replace(SHORT_NAME, name), encoding="utf-8")
    mp = pytest.MonkeyPatch()
    for name in ("overlay", "plot_compare"):
        mp.setattr(plots, name, lambda runs, path, *a, **k: Path(path).write_bytes(TINY_PNG))
    try:
        result = run_main("compare", *files, "--set",
                          "2:beijing.priorities=no_nukes,no_war,no_instability", "--runs", "3",
                          "--workers", "1", "--out", tmp / "out", "--quiet")
    finally:
        mp.undo()
    assert result.code == 0, result.err
    return Path(result.out.strip())


@pytest.mark.parametrize("width", [1280, 800])
def test_no_table_runs_past_the_page_even_with_long_names_and_runs(browser, wide_comparison,
                                                                   width):
    tab = browser.new_page(viewport={"width": width, "height": 800})
    try:
        tab.goto((wide_comparison / "report.html").resolve().as_uri(), wait_until="load")
        overflow = tab.evaluate("""() => {
            const body = document.body.getBoundingClientRect();
            const right = body.right - parseFloat(getComputedStyle(document.body).paddingRight);
            return {page: document.documentElement.scrollWidth - window.innerWidth,
                    tables: Array.from(document.querySelectorAll('table'),
                                       t => Math.round(t.getBoundingClientRect().right - right))};
        }""")
        assert "verdict" in tab.inner_text("table.groups")
    finally:
        tab.close()
    assert overflow["page"] <= 0, "the page scrolls sideways"
    assert max(overflow["tables"]) <= 0, overflow["tables"]

