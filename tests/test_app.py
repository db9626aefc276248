"""The classroom web app: its pure helpers, its command, and the page in a real browser.

The browser test starts ``buffer-sim app --port N`` as a subprocess (its own process
group), drives the page in Debian's Chromium with Playwright, and stops the server by
its process group. It is skipped only where /usr/bin/chromium is missing. On failure it
keeps a screenshot and the server log in ``test-results/``. With
``BUFFER_SIM_APP_SCREENSHOT=docs/app.png`` it also saves the README's screenshot.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from buffer_sim import app
from buffer_sim.commands import app as app_command
from buffer_sim.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "test-results"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
REPLAY = str((ROOT / "scenarios" / "replay_2009_2019.yaml").resolve())
#: Beijing's order with border trade and the buffer first: in the 2016-2017 pressure
#: scenario it changes Beijing's choices within the first year.
TRADE_FIRST = "border_trade,buffer,no_war,no_instability,no_nukes,us_ties"


# --- pure helpers ---------------------------------------------------------------------------

def test_scenario_choices_lists_shipped_and_whatif_scenarios():
    choices = app.scenario_choices()
    assert choices["replay_2009_2019"] == REPLAY
    assert "pressure_2016_2017" in choices
    assert any(label.startswith("whatif/") for label in choices)
    assert all(Path(p).is_file() for p in choices.values())


def test_defaults_are_the_scenarios_own_settings():
    d = app.scenario_defaults(REPLAY)
    assert d.priorities[:3] == ("no_war", "no_instability", "no_nukes")
    assert d.thresholds["beijing"]["no_war"] == 0.6
    assert set(d.thresholds) == {"beijing", "pyongyang", "washington", "seoul"}
    whatif = app.scenario_choices()["whatif/beijing_denuclearisation_first"]
    assert app.scenario_defaults(whatif).priorities[0] == "no_nukes"


def test_changes_become_set_overrides_and_default_values_drop_out():
    d = app.scenario_defaults(REPLAY)
    s = app.Settings(REPLAY)
    s = app.with_change(s, app.PRIORITY_FIELD, " no_nukes, no_war, no_instability ", d)
    s = app.with_change(s, app.threshold_field("seoul", "no_war"), "0.7", d)
    assert s.overrides() == ["beijing.priorities=no_nukes, no_war, no_instability",
                             "seoul.thresholds.no_war=0.7"]
    assert "--set 'beijing.priorities=no_nukes, no_war, no_instability'" in s.command_line()
    # typing a scenario's own value back removes the change
    s = app.with_change(s, app.threshold_field("seoul", "no_war"), "0.5", d)
    s = app.with_change(s, app.PRIORITY_FIELD, ",".join(d.priorities), d)
    assert s.overrides() == []
    assert s.command_line() == "buffer-sim run replay_2009_2019"


@pytest.mark.parametrize("field, text, message", [
    (("thresholds", "beijing", "no_war"), "7", "7 is out of range [-5, 5]"),
    (("thresholds", "beijing", "no_war"), "abc", "actors.beijing.thresholds.no_war"),
    (("thresholds", "washington", "alliance"), "", None),  # empty: back to the default
    (("priorities",), "no_war,no_war", "duplicate priority 'no_war'"),
    (("priorities",), "no_war,no_peace", "unknown priority 'no_peace'"),
])
def test_bad_values_are_refused_by_the_scenario_validation(field, text, message):
    d = app.scenario_defaults(REPLAY)
    s = app.with_change(app.Settings(REPLAY), field, text, d)
    if message is None:
        assert app.validate(s).name == "replay_2009_2019"
        return
    with pytest.raises(ScenarioError) as err:
        app.build_model(s, 3)
    assert message in str(err.value)
    assert str(err.value).startswith("--set: ")


def test_build_model_replays_to_the_month_and_a_new_order_changes_the_run():
    path = app.scenario_choices()["pressure_2016_2017"]
    base = app.build_model(app.Settings(path), 12)
    changed = app.build_model(app.Settings(path, priorities=TRADE_FIRST), 12)
    assert base.months_done == changed.months_done == 12
    assert [d["actor"] for d in app.decisions_this_month(base)] == [
        "beijing", "pyongyang", "washington", "seoul"]
    assert app.decisions_this_month(base) != app.decisions_this_month(changed)
    assert app.leverage_png(base) != app.leverage_png(changed)
    assert app.trade_png(base) != app.trade_png(changed)


def test_app_model_as_reset_builds_it():
    assert app.AppModel().spec.name == "replay_2009_2019"
    path = app.scenario_choices()["pressure_2016_2017"]
    model = app.AppModel(app.solara.Reactive(app.Settings(path, priorities=TRADE_FIRST)))
    assert model.spec.name == "pressure_2016_2017"
    assert model.actors["beijing"].priorities[0] == "border_trade"
    assert model.months_done == 0


def test_charts_are_png_and_change_month_by_month():
    model = app.build_model(app.Settings(REPLAY), 0)
    first = app.leverage_png(model), app.trade_png(model)
    assert all(png.startswith(b"\x89PNG") for png in first)
    model.step()
    assert app.leverage_png(model) != first[0]
    assert app.trade_png(model) != first[1]


def test_observed_trade_is_shown_as_monthly_average_at_mid_year():
    obs = app.observed_monthly(2009, 2019)
    full = app._observed_all()
    assert len(obs) == len(full[(full.year >= 2009) & (full.year <= 2019)])
    assert (obs["monthly"] * 12 - obs["value_usd_m"]).abs().max() < 1e-9
    assert set(obs["x"].dt.strftime("%m-%d")) == {"07-01"}
    assert "÷ 12" in app.OBSERVED_LABEL and "mid-year" in app.OBSERVED_LABEL


def test_y_ranges_grow_to_show_every_value():
    import pandas as pd

    assert app.leverage_ylim(pd.DataFrame({"influence_realized": [0.2]})) == (-0.05, 1.05)
    assert app.leverage_ylim(pd.DataFrame({"influence_realized": [-0.42]}))[0] == -0.5
    low, high = app.trade_ylim(pd.DataFrame({"total_reported": [612.0]}))
    assert low == 0 and high >= 612 and high % 50 == 0


# --- the command ------------------------------------------------------------------------------

def test_app_command_listens_on_loopback_unless_told(cli, capsys):
    from buffer_sim.cli import build_parser

    args = build_parser().parse_args(["app"])
    assert args.host == "127.0.0.1" and args.port == "8765"
    command = app_command.server_command("127.0.0.1", 8800)
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert "--production" in command and "--no-open" in command
    assert app_command.is_loopback("127.0.0.1") and app_command.is_loopback("::1")
    assert app_command.is_loopback("localhost")
    assert not app_command.is_loopback("0.0.0.0")


@pytest.mark.parametrize("argv, host, warned", [
    (["app"], "127.0.0.1", False),
    (["app", "--host", "0.0.0.0", "--port", "8801"], "0.0.0.0", True),
])
def test_app_command_starts_solara_and_warns_off_loopback(cli, monkeypatch, argv, host, warned):
    started = {}

    def fake_run_server(command, env):
        started.update(command=command, env=env)
        return 0

    monkeypatch.setattr(app_command, "run_server", fake_run_server)
    result = cli(*argv)
    assert result.code == 0
    command = started["command"]
    assert command[command.index("--host") + 1] == host
    assert command[command.index("run") + 1] == "buffer_sim.app"
    assert started["env"]["BUFFER_SIM_APP_SCENARIO"] == REPLAY
    assert started["env"]["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert ("lets other computers on the network open the app" in result.err) == warned


def test_app_command_says_how_to_install_what_is_missing(cli, monkeypatch):
    assert app_command.missing_app_modules() == []
    monkeypatch.setattr(app_command, "missing_app_modules", lambda: ["solara"])
    monkeypatch.setattr(app_command, "run_server", lambda command, env: pytest.fail("ran"))
    result = cli("app")
    assert result.code == 1
    assert "solara missing" in result.err and "pip install -e '.[app]'" in result.err


@pytest.mark.parametrize("argv, message", [
    (["app", "--port", "99999"], "--port: 99999 is out of range 1-65535"),
    (["app", "--port", "http"], "--port: expected a whole number"),
    (["app", "no_such_scenario"], "no_such_scenario"),
])
def test_app_command_refuses_bad_arguments_before_starting(cli, argv, message):
    result = cli(*argv)
    assert result.code == 2
    assert message in result.err


# --- the page in a browser ----------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command() -> list[str]:
    script = Path(sys.executable).parent / "buffer-sim"
    return [str(script)] if script.exists() else [sys.executable, "-m", "buffer_sim.cli"]


@pytest.fixture(scope="module")
def server():
    """``buffer-sim app --port N`` in its own process group; yields (url, log path)."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser test needs Debian's Chromium at {CHROMIUM} "
                    "(apt-get install -y chromium)")
    RESULTS.mkdir(exist_ok=True)
    port = _free_port()
    log_path = RESULTS / "app-server.log"
    url = f"http://127.0.0.1:{port}/"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([*_command(), "app", "--port", str(port)], stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT)
        try:
            _wait_until_up(proc, url, log_path)
            yield url, log_path
        finally:
            _stop(proc)


def _wait_until_up(proc: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            pytest.fail(f"buffer-sim app exited with {proc.returncode}:\n"
                        f"{log_path.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"buffer-sim app did not answer in 90 s:\n{log_path.read_text()}")
        time.sleep(0.5)


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server's whole process group: SIGTERM, then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=15)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def page(server, request):
    """A fresh Chromium page on the app; ``page.bad_loads`` lists failed loads. On failure
    a screenshot is kept in test-results/."""
    from playwright.sync_api import sync_playwright

    url, _ = server
    failed_before = request.session.testsfailed
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            pg = browser.new_page(viewport={"width": 1280, "height": 800})
            pg.set_default_timeout(30_000)
            bad_loads: list[str] = []
            pg.on("requestfailed", lambda r: bad_loads.append(f"{r.url} {r.failure}"))
            pg.on("response", lambda r: r.status >= 400 and bad_loads.append(
                f"{r.url} {r.status}"))
            pg.goto(url, timeout=60_000)
            pg.get_by_role("button", name="Step").wait_for(timeout=60_000)
            _month_shown(pg, "")  # the page is live
            yield _Page(pg, bad_loads)
            if request.session.testsfailed > failed_before:
                RESULTS.mkdir(exist_ok=True)
                pg.screenshot(path=str(RESULTS / f"{request.node.name}.png"), full_page=True)
        finally:
            browser.close()


class _Page:
    """The Playwright page and the loads that failed on it."""

    def __init__(self, pg, bad_loads):
        self.pg, self.bad_loads = pg, bad_loads


def _month_shown(pg, month: str) -> None:
    """Wait until the reasons panel shows ``month`` ('YYYY-MM'; '' = any month)."""
    pg.wait_for_function(
        "m => { const el = document.querySelector('[data-testid=reasons]');"
        " return el && (m === '' || el.dataset.month === m); }", arg=month)


def _digest(pg, testid: str) -> str:
    return pg.get_by_test_id(testid).get_attribute("data-digest")


def _step(pg, months: int, first: str) -> None:
    from buffer_sim.months import month_str, parse_month

    start = parse_month(first)
    for i in range(months):
        pg.get_by_role("button", name="Step").click()
        _month_shown(pg, month_str(start + i))


def _choose_scenario(pg, label: str, first_month: str) -> None:
    pg.locator(".bs-scenario").click()
    pg.locator(".menuable__content__active").get_by_text(label, exact=True).click()
    pg.wait_for_function(
        "m => (document.querySelector('[data-testid=reasons]')?.innerText || '')"
        ".includes('Next: ' + m)", arg=first_month)
    pg.get_by_role("button", name="Step").wait_for()


def _enter(pg, css: str, text: str) -> None:
    box = pg.locator(f"{css} input")
    box.fill(text)
    box.press("Enter")


def test_browser_step_a_year_then_reorder_beijings_priorities(page):
    pg = page.pg
    _choose_scenario(pg, "pressure_2016_2017", "2016-01")
    _step(pg, 12, "2016-01")
    reasons = pg.get_by_test_id("reasons").inner_text()
    charts = _digest(pg, "leverage-chart"), _digest(pg, "trade-chart")
    shot = pg.get_by_test_id("leverage-chart").screenshot()
    assert "Decisions in 2016-12" in reasons and "Beijing" in reasons

    _enter(pg, ".bs-priorities", TRADE_FIRST)
    pg.wait_for_function(
        "() => (document.querySelector('[data-testid=beijing-order]')?.innerText || '')"
        ".includes('border trade > the buffer')")
    _month_shown(pg, "2016-12")  # replayed to the same month with the new order
    after = pg.get_by_test_id("reasons").inner_text()
    assert after != reasons and "Decisions in 2016-12" in after
    assert _digest(pg, "leverage-chart") != charts[0]
    assert _digest(pg, "trade-chart") != charts[1]
    assert pg.get_by_test_id("leverage-chart").screenshot() != shot
    assert pg.get_by_test_id("input-error").count() == 0
    assert TRADE_FIRST in pg.get_by_test_id("command-line").inner_text()
    target = os.environ.get("BUFFER_SIM_APP_SCREENSHOT")
    if target:  # the README's picture: the settings beside the what-if and its baseline
        pg.get_by_text("Scenario and priorities", exact=True).evaluate(
            "e => e.scrollIntoView({block: 'start'})")
        pg.screenshot(path=str(ROOT / target))

    # Reset starts again from the first month with the new order kept
    pg.get_by_role("button", name="Reset").click()
    pg.wait_for_function(
        "() => (document.querySelector('[data-testid=reasons]')?.innerText || '')"
        ".includes('Next: 2016-01')")
    _step(pg, 1, "2016-01")
    assert "border trade > the buffer" in pg.get_by_test_id("beijing-order").inner_text()
    assert page.bad_loads == []


def test_browser_bad_values_are_refused_with_a_message(page):
    pg = page.pg
    _step(pg, 2, "2009-01")
    before = pg.get_by_test_id("reasons").inner_text()

    _enter(pg, ".bs-threshold-beijing-no_war", "7")
    error = pg.get_by_test_id("input-error")
    error.wait_for()
    assert "Refused: --set: actors.beijing.thresholds.no_war: 7 is out of range" in \
        error.inner_text()
    assert "keeps its last valid settings" in error.inner_text()

    _enter(pg, ".bs-priorities", "no_war,no_instability,no_war")
    pg.wait_for_function(
        "() => (document.querySelector('[data-testid=input-error]')?.innerText || '')"
        ".includes(\"duplicate priority 'no_war'\")")
    assert pg.get_by_test_id("reasons").inner_text() == before  # the run is untouched

    # the app still responds: a step works, and fixing the value clears its message
    _step(pg, 1, "2009-03")
    _enter(pg, ".bs-threshold-beijing-no_war", "0.65")
    pg.wait_for_function(
        "() => !(document.querySelector('[data-testid=input-error]')?.innerText || '')"
        ".includes('no_war: 7')")
    assert "duplicate priority" in pg.get_by_test_id("input-error").inner_text()
    _enter(pg, ".bs-priorities", "no_war,no_instability,no_nukes")
    pg.get_by_test_id("input-error").wait_for(state="detached")
    _month_shown(pg, "2009-03")
    assert "beijing.thresholds.no_war=0.65" in pg.get_by_test_id("command-line").inner_text()

    # every actor's thresholds: Washington's
    pg.get_by_role("button", name="washington", exact=True).click()
    _enter(pg, ".bs-threshold-washington-alliance", "0.5")
    pg.wait_for_function(
        "() => (document.querySelector('[data-testid=command-line]')?.innerText || '')"
        ".includes('washington.thresholds.alliance=0.5')")
    assert "beijing.thresholds.no_war=0.65" in pg.get_by_test_id("command-line").inner_text()
    assert page.bad_loads == []


def test_server_log_shows_no_failed_asset_loads(server):
    """Runs after the browser tests (same server): nothing had to come from the CDN."""
    _, log_path = server
    log = log_path.read_text()
    assert "Could not load URL" not in log
    assert "Traceback" not in log, log
    assert not re.search(r"\bcdn\.jsdelivr\.net\b", log)
