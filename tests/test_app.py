"""The classroom web app: its pure helpers, its command, and the page in a real browser.

The browser tests start ``buffer-sim app --port N --scenarios DIR`` (a teacher's folder)
as a subprocess (its own process group), drive the page in Debian's Chromium with
Playwright on a projector's 1280x720 screen, and stop the server by its process group.
They are skipped only where /usr/bin/chromium is missing. They keep the server log and
a screenshot of the class-ready screen (``app-1280x720.png``) in ``test-results/``, and
a screenshot of any failure. With ``BUFFER_SIM_APP_SCREENSHOT=docs/app.png`` they also
save the README's picture.
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
from buffer_sim.cli import app as app_command
from buffer_sim.core.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "test-results"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
REPLAY = str((ROOT / "scenarios" / "replay_2009_2019.yaml").resolve())
#: an order that changes Beijing's 2016 in the pressure scenario: border trade before war
#: and stability, so it eases customs where the default order enforces for its ties with
#: Washington (its last concern here)
BORDER_FIRST = "border_trade,no_war,no_instability,no_nukes,buffer,us_ties"
NUKES_FIRST = "no_nukes,no_war,no_instability,buffer,us_ties,border_trade"


# --- pure helpers ---------------------------------------------------------------------------

def test_scenario_choices_lists_shipped_and_whatif_scenarios_but_not_fragments():
    choices = app.scenario_choices()
    assert choices["replay_2009_2019"] == REPLAY
    assert "pressure_2016_2017" in choices
    assert any(label.startswith("whatif/") for label in choices)
    assert all(Path(p).is_file() for p in choices.values())
    # extended by the replay, not runnable on its own
    assert not any("calibrated_parameters" in label for label in choices)
    assert not any("calibrated_parameters" in path for path in choices.values())


def _own_folder(tmp_path: Path) -> Path:
    """A teacher's folder: one what-if of their own, one fragment, one broken file."""
    folder = tmp_path / "my_class"
    folder.mkdir()
    (folder / "thaad_late.yaml").write_text(
        f"name: thaad_late\nextends: {REPLAY}\n"
        "description: The replay with Seoul slower to care about Beijing.\n"
        "actors: {seoul: {thresholds: {no_war: 0.7}}}\n")
    (folder / "my_parameters.yaml").write_text("parameters: {trade_growth_from_warmth: 0.03}\n")
    (folder / "typo.yaml").write_text("name: typo\nperiod: 2016\n")
    return folder


def test_the_class_folder_is_listed_after_the_shipped_scenarios(tmp_path, monkeypatch):
    folder = _own_folder(tmp_path)
    monkeypatch.setenv(app.ENV_FOLDER, str(folder))
    choices = app.scenario_choices()
    labels = list(choices)
    assert labels.index("my_class/thaad_late") > labels.index("replay_2009_2019")
    assert choices["my_class/thaad_late"] == str((folder / "thaad_late.yaml").resolve())
    assert "my_class/typo" in choices  # listed: choosing it shows what is wrong
    assert not any("my_parameters" in label for label in labels)
    # the shipped folder given as the class's folder is not listed twice
    monkeypatch.delenv(app.ENV_FOLDER)
    shipped = app.scenario_choices()
    monkeypatch.setenv(app.ENV_FOLDER, str(Path(REPLAY).parent))
    assert app.scenario_choices() == shipped


def test_a_fragment_is_a_file_with_neither_name_nor_extends(tmp_path):
    from buffer_sim.scenario.catalog import fragment_files, is_fragment, scenario_files

    assert is_fragment(ROOT / "scenarios" / "calibrated_parameters.yaml")
    assert not is_fragment(REPLAY)
    folder = _own_folder(tmp_path)
    assert not is_fragment(folder / "typo.yaml")  # invalid, but a scenario: listed
    (folder / "unreadable.yaml").write_text("name: [unclosed\n")
    assert not is_fragment(folder / "unreadable.yaml")
    assert [p.name for p in fragment_files(folder)] == ["my_parameters.yaml"]
    assert [p.name for p in scenario_files(folder)] == [
        "thaad_late.yaml", "typo.yaml", "unreadable.yaml"]


def test_list_command_leaves_out_fragments(cli):
    result = cli("list")
    assert result.code == 0
    assert "replay_2009_2019  2009-01..2019-12" in result.out
    assert "calibrated_parameters" not in result.out


def test_defaults_are_the_scenarios_own_settings():
    d = app.scenario_defaults(REPLAY)
    assert d.priorities[:3] == ("no_war", "no_instability", "no_nukes")
    assert d.thresholds["beijing"]["no_war"] == 0.6
    assert set(d.thresholds) == {"beijing", "pyongyang", "washington", "seoul"}
    whatif = app.scenario_choices()["whatif/beijing_denuclearisation_first"]
    assert app.scenario_defaults(whatif).priorities[0] == "no_nukes"


def test_a_short_priority_list_is_completed_in_the_default_order():
    from buffer_sim.agents import ACTORS

    defaults = list(ACTORS["beijing"].default_priorities)
    order = app.complete_priorities(" no_nukes, border_trade ")
    assert order[:2] == ["no_nukes", "border_trade"]
    assert order[2:] == [p for p in defaults if p not in ("no_nukes", "border_trade")]
    assert sorted(order) == sorted(defaults)
    # the model runs the whole list, and the settings say so
    d = app.scenario_defaults(REPLAY)
    s = app.with_change(app.Settings(REPLAY), app.PRIORITY_FIELD, "no_nukes,border_trade", d)
    assert s.priorities == ",".join(order)
    assert list(app.build_model(s).actors["beijing"].priorities) == order


def test_changes_become_set_overrides_and_default_values_drop_out():
    d = app.scenario_defaults(REPLAY)
    s = app.Settings(REPLAY)
    s = app.with_change(s, app.PRIORITY_FIELD, " no_nukes, no_war, no_instability ", d)
    s = app.with_change(s, app.threshold_field("seoul", "no_war"), "0.7", d)
    full = ",".join(app.complete_priorities("no_nukes,no_war,no_instability"))
    assert s.overrides() == [f"beijing.priorities={full}", "seoul.thresholds.no_war=0.7"]
    assert f"--set beijing.priorities={full}" in s.command_line()
    assert s.command_line().startswith("buffer-sim run replay_2009_2019 ")
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


def _whatif_settings() -> app.Settings:
    """A what-if of the pressure campaign: Beijing's order and two thresholds changed."""
    path = app.scenario_choices()["pressure_2016_2017"]
    d = app.scenario_defaults(path)
    s = app.with_change(app.Settings(path), app.PRIORITY_FIELD, "border_trade,buffer", d)
    s = app.with_change(s, app.threshold_field("beijing", "no_war"), "0.45", d)
    return app.with_change(s, app.threshold_field("seoul", "no_war"), "0.7", d)


def test_a_whatif_downloads_as_a_scenario_file_that_reproduces_the_run(tmp_path):
    import yaml

    from buffer_sim.experiments import runner

    settings = _whatif_settings()
    text = app.whatif_yaml(settings)
    doc = yaml.safe_load(text)
    assert doc["name"] == "pressure_2016_2017_whatif"
    assert doc["extends"] == settings.scenario  # the played file, by its full path
    assert doc["actors"]["beijing"]["priorities"] == app.complete_priorities(
        "border_trade,buffer")
    assert doc["actors"]["seoul"]["thresholds"] == {"no_war": 0.7}
    # saved anywhere (here: outside the scenarios folder), it runs the app's run exactly
    saved = tmp_path / "downloads" / "pressure_2016_2017_whatif.yaml"
    saved.parent.mkdir()
    saved.write_text(text)
    model = app.build_model(settings, 10**6)
    result = runner.run(saved)
    assert result.timeseries.equals(runner.timeseries_frame(model))  # every bit
    assert app.timeseries_csv(model) == runner.csv_text(result.timeseries)
    assert result.timeseries.iloc[-1]["date"] == "2017-12"
    # and it is a what-if: the run differs from the scenario as written
    plain = runner.run(settings.scenario).timeseries
    assert not plain.equals(result.timeseries)


def test_the_numbers_so_far_are_the_first_rows_of_the_run_command_output():
    from buffer_sim.experiments import runner

    settings = _whatif_settings()
    partial = app.timeseries_csv(app.build_model(settings, 5)).splitlines()
    whole = runner.csv_text(runner.run(settings.scenario, overrides=settings.overrides())
                            .timeseries).splitlines()
    assert len(partial) == 6 and partial == whole[:6]


@pytest.mark.slow
def test_build_model_replays_to_the_month_and_a_new_order_changes_the_run():
    path = app.scenario_choices()["pressure_2016_2017"]
    base = app.build_model(app.Settings(path), 12)
    # no nuclear weapons first: the order that moves 2016 (with border trade first
    # Beijing lowers the same enforcement in 2016 for another priority)
    changed = app.build_model(app.Settings(path, priorities=NUKES_FIRST), 12)
    assert base.months_done == changed.months_done == 12
    assert [d["actor"] for d in app.decisions_this_month(base)] == [
        "beijing", "pyongyang", "washington", "seoul"]
    assert app.decisions_this_month(base) != app.decisions_this_month(changed)
    for kind in app.CHARTS:
        assert app.chart_png(kind, base) != app.chart_png(kind, changed), kind


def test_app_model_as_reset_builds_it():
    assert app.AppModel().spec.name == "replay_2009_2019"
    path = app.scenario_choices()["pressure_2016_2017"]
    model = app.AppModel(app.solara.Reactive(app.Settings(path, priorities=BORDER_FIRST)))
    assert model.spec.name == "pressure_2016_2017"
    assert model.actors["beijing"].priorities[0] == "border_trade"
    assert model.months_done == 0


@pytest.mark.slow
def test_the_reference_run_is_history_unless_another_is_chosen():
    whatif = app.scenario_choices()["whatif/no_thaad_2016"]
    settings = app.Settings(whatif)
    assert app.reference_path(settings, None) == REPLAY
    assert app.reference_label(settings, None) == "replay_2009_2019 (history)"
    assert app.reference_path(settings, app.AS_WRITTEN) == whatif
    assert app.reference_label(settings, app.AS_WRITTEN) == "whatif/no_thaad_2016 as written"
    other = app.scenario_choices()["whatif/no_summits_2018"]
    assert app.reference_path(settings, other) == other
    # drawn: history differs from the what-if as written, in every chart that shows it
    model = app.build_model(settings, 100)
    for kind in ("warmth", "tension", "leverage", "trade"):
        history = app.chart_png(kind, model, reference=REPLAY, reference_name="history")
        as_written = app.chart_png(kind, model, reference=whatif, reference_name="history")
        assert history != as_written, kind


def test_the_numbers_table_sets_this_run_beside_the_reference_month_by_month():
    path = app.scenario_choices()["pressure_2016_2017"]
    model = app.build_model(app.Settings(path, priorities=BORDER_FIRST), 3)
    reference = app.reference_frame(REPLAY)
    rows = {label: (now, then) for label, now, then in app.state_rows(model, reference)}
    assert "warmth China–ROK, −1..1" in rows and "tension (war-risk proxy), 0..1" in rows
    from buffer_sim.core.world import INSTRUMENTS

    assert all(f"Beijing: {name.replace('_', ' ')}" in rows for name in INSTRUMENTS["beijing"])
    replay_2016_03 = reference[reference["date"] == "2016-03"].iloc[0]
    assert rows["tension (war-risk proxy), 0..1"] == (
        f"{model.row['tension']:.2f}", f"{replay_2016_03['tension']:.2f}")
    # a reference that does not cover the month shows nothing, not a wrong month
    short = app.reference_frame(path)
    later = app.build_model(app.Settings(REPLAY), 12)
    assert all(then == "" for _, _, then in app.state_rows(later, short))


@pytest.mark.slow
def test_charts_are_png_and_change_month_by_month():
    model = app.build_model(app.Settings(REPLAY), 0)
    first = {kind: app.chart_png(kind, model) for kind in app.CHARTS}
    assert set(first) == {"leverage", "trade", "tension", "warmth"}
    assert all(png.startswith(b"\x89PNG") for png in first.values())
    model.step()
    for kind, png in first.items():
        assert app.chart_png(kind, model) != png, kind


def test_bounded_measures_have_fixed_axes():
    assert app.CHARTS["tension"].ylim == (-0.02, 1.02)
    assert app.CHARTS["warmth"].ylim == (-1.05, 1.05)
    columns = {c for spec in app.CHARTS.values() for c in spec.columns}
    assert {"tension", "warmth_cn_rok", "warmth_cn_dprk"} <= columns


def test_observed_trade_is_shown_as_monthly_average_at_mid_year():
    obs = app.observed_monthly(2009, 2019)
    full = app._observed_all()
    assert len(obs) == len(full[(full.year >= 2009) & (full.year <= 2019)])
    assert (obs["monthly"] * 12 - obs["value_usd_m"]).abs().max() < 1e-9
    assert set(obs["x"].dt.strftime("%m-%d")) == {"07-01"}
    from buffer_sim.output.charts import live

    assert "÷ 12" in live.OBSERVED_LABEL


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


def test_app_command_lists_the_class_folder_and_hides_solaras_badge(cli, monkeypatch,
                                                                   tmp_path):
    started = {}
    monkeypatch.setattr(app_command, "run_server",
                        lambda command, env: started.update(env=env) or 0)
    folder = _own_folder(tmp_path)
    monkeypatch.delenv(app_command.ENV_FOLDER, raising=False)
    monkeypatch.chdir(tmp_path)  # no ./scenarios here: only the shipped ones
    assert cli("app").code == 0
    assert app_command.ENV_FOLDER not in started["env"]
    assert started["env"]["SOLARA_THEME_SHOW_BANNER"] == "False"
    # --scenarios DIR, and a bare name found in it
    assert cli("app", "thaad_late", "--scenarios", folder).code == 0
    assert started["env"][app_command.ENV_FOLDER] == str(folder.resolve())
    assert started["env"]["BUFFER_SIM_APP_SCENARIO"] == str(folder / "thaad_late.yaml")
    # ./scenarios by default, when the current folder has one
    folder.rename(tmp_path / "scenarios")
    assert cli("app").code == 0
    assert started["env"][app_command.ENV_FOLDER] == str((tmp_path / "scenarios").resolve())


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
    (["app", "--scenarios", "no_such_folder"], "--scenarios: folder not found: 'no_such_folder'"),
    (["app", "--scenarios", "README.md"], "--scenarios: not a folder: 'README.md'"),
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
def class_folder(tmp_path_factory) -> Path:
    """The teacher's own folder the server lists (``--scenarios``)."""
    return _own_folder(tmp_path_factory.mktemp("teacher"))


@pytest.fixture(scope="module")
def server(class_folder):
    """``buffer-sim app --port N --scenarios DIR`` in its own process group; yields
    (url, log path)."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser test needs Debian's Chromium at {CHROMIUM} "
                    "(apt-get install -y chromium)")
    RESULTS.mkdir(exist_ok=True)
    port = _free_port()
    log_path = RESULTS / "app-server.log"
    url = f"http://127.0.0.1:{port}/"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([*_command(), "app", "--port", str(port),
                                 "--scenarios", str(class_folder)], stdout=log,
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


@pytest.fixture(scope="module")
def browser(server):
    """One Chromium for the module's browser tests, each of which gets a page of its own
    in a context of its own (``page``): starting Playwright and Chromium for each test
    took about two seconds."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(server, browser, request):
    """A fresh Chromium page on the app, in a fresh browser context (no cookies, storage
    or downloads of another test); ``page.bad_loads`` lists failed loads. On failure a
    screenshot is kept in test-results/."""
    url, _ = server
    failed_before = request.session.testsfailed
    # a projector's screen; a page of its own context, which closing the page closes
    pg = browser.new_page(viewport={"width": 1280, "height": 720}, accept_downloads=True)
    try:
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
        pg.close()


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
    from buffer_sim.core.months import month_str, parse_month

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


@pytest.mark.slow  # a real browser and server: about 10-30 s
def test_browser_step_a_year_then_reorder_beijings_priorities(page):
    pg = page.pg
    _choose_scenario(pg, "pressure_2016_2017", "2016-01")
    _step(pg, 12, "2016-01")
    reasons = pg.get_by_test_id("reasons").inner_text()
    charts = _digest(pg, "leverage-chart"), _digest(pg, "trade-chart")
    shot = pg.get_by_test_id("leverage-chart").screenshot()
    assert "Decisions in 2016-12" in reasons and "Beijing" in reasons

    # no nuclear weapons first: the order that moves 2016 (with border trade first
    # Beijing lowers the same enforcement in 2016 for another priority)
    _enter(pg, ".bs-priorities", NUKES_FIRST)
    pg.wait_for_function(
        "() => (document.querySelector('[data-testid=beijing-order]')?.innerText || '')"
        ".includes('no nuclear weapons > no war')")
    _month_shown(pg, "2016-12")  # replayed to the same month with the new order
    after = pg.get_by_test_id("reasons").inner_text()
    assert after != reasons and "Decisions in 2016-12" in after
    assert _digest(pg, "leverage-chart") != charts[0]
    assert _digest(pg, "trade-chart") != charts[1]
    assert pg.get_by_test_id("leverage-chart").screenshot() != shot
    assert pg.get_by_test_id("input-error").count() == 0
    assert NUKES_FIRST in pg.get_by_test_id("command-line").inner_text()
    # Reset starts again from the first month with the new order kept
    pg.get_by_role("button", name="Reset").click()
    pg.wait_for_function(
        "() => (document.querySelector('[data-testid=reasons]')?.innerText || '')"
        ".includes('Next: 2016-01')")
    _step(pg, 1, "2016-01")
    assert "no nuclear weapons > no war" in pg.get_by_test_id("beijing-order").inner_text()
    assert page.bad_loads == []


@pytest.mark.slow  # a real browser and server: about 10-30 s
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


#: Mesa's and Solara's defaults that mean nothing to a class
CHROME = ("Model Parameters", "Page 0", "Time:", "Render Interval", "Use Threads",
          "This website runs on", "Made with Solara")

#: For each panel: is every probed point inside it drawn by the panel itself (not
#: covered by a badge, a drawer or another panel)? Returns the covered points.
COVERED_POINTS = """cell => {
    cell.scrollIntoView({block: 'nearest'});
    const r = cell.getBoundingClientRect();
    const top = Math.max(r.top, 64), bottom = Math.min(r.bottom, window.innerHeight);
    const out = [];
    for (const fx of [0.02, 0.5, 0.98]) for (const fy of [0.02, 0.5, 0.98]) {
        const x = r.left + fx * r.width, y = top + fy * (bottom - top);
        const hit = document.elementFromPoint(x, y);
        if (!hit || !cell.contains(hit)) out.push([Math.round(x), Math.round(y),
            hit ? hit.outerHTML.slice(0, 80) : null]);
    }
    return out;
}"""


@pytest.mark.slow  # a real browser and server: about 10-30 s
def test_browser_class_ready_screen_at_1280x720(page):
    """Four charts, the reasons and the numbers, nothing covered, no horizontal scroll,
    no default chrome; the month as YYYY-MM."""
    pg = page.pg
    _choose_scenario(pg, "whatif/no_thaad_2016", "2009-01")
    _step(pg, 3, "2009-01")
    month = pg.get_by_test_id("month-shown")
    assert month.inner_text().strip() == "Month: 2009-03 (3 of 132)"
    text = pg.locator("body").inner_text()
    for word in CHROME:
        assert word.lower() not in text.lower(), word
    for testid in ("leverage-chart", "trade-chart", "tension-chart", "warmth-chart",
                   "reasons", "state"):
        assert pg.get_by_test_id(testid).is_visible(), testid
    assert "Tension" in pg.get_by_test_id("state").inner_text() or \
        "tension" in pg.get_by_test_id("state").inner_text()

    widths = pg.evaluate("""() => ({
        page: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
        main: document.querySelector('[data-testid=main]').getBoundingClientRect().right,
        sidebar: [...document.querySelectorAll('.v-navigation-drawer__content *')]
            .filter(e => e.getBoundingClientRect().right >
                         document.querySelector('.v-navigation-drawer').getBoundingClientRect().right)
            .map(e => e.outerHTML.slice(0, 120))})""")
    assert widths["page"] <= 1280 and widths["main"] <= 1280, widths
    assert widths["sidebar"] == [], "the settings stick out of the sidebar"
    for cell in pg.locator(".bs-cell").all():
        assert cell.evaluate(COVERED_POINTS) == [], cell.inner_text()[:60]
    # the corner where Solara's badge was: the numbers table's last row
    last_row = pg.get_by_test_id("state").locator("tr").last
    assert last_row.evaluate(COVERED_POINTS) == []

    pg.get_by_test_id("main").evaluate("e => e.scrollIntoView({block: 'start'})")
    RESULTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(RESULTS / "app-1280x720.png"))
    assert page.bad_loads == []


@pytest.mark.slow  # a real browser and server: about 10-30 s
def test_browser_reference_run_is_history_and_can_be_changed(page):
    pg = page.pg
    _choose_scenario(pg, "whatif/no_thaad_2016", "2009-01")
    _step(pg, 1, "2009-01")
    assert "Reference: replay_2009_2019 (history)" in pg.get_by_test_id("state").inner_text()
    history = {k: _digest(pg, f"{k}-chart") for k in ("warmth", "tension")}

    pg.locator(".bs-reference").click()
    pg.locator(".menuable__content__active").get_by_text(
        app.AS_WRITTEN, exact=True).click()
    pg.wait_for_function(
        "() => (document.querySelector('[data-testid=state]')?.innerText || '')"
        ".includes('no_thaad_2016 as written')")
    for kind, digest in history.items():  # THAAD's chill is history, not this what-if
        pg.wait_for_function(
            "([id, d]) => document.querySelector(`[data-testid=${id}]`)"
            "?.dataset.digest !== d", arg=[f"{kind}-chart", digest])
    _month_shown(pg, "2009-01")  # the run itself is untouched
    assert page.bad_loads == []


@pytest.mark.slow  # a real browser and server: about 10-30 s
def test_browser_lists_the_class_folder_without_fragments(page):
    pg = page.pg
    pg.locator(".bs-scenario").click()
    menu = pg.locator(".menuable__content__active")
    menu.get_by_text("replay_2009_2019", exact=True).wait_for()
    labels = menu.inner_text()
    assert "whatif/no_thaad_2016" in labels
    assert "calibrated_parameters" not in labels and "my_parameters" not in labels
    menu.get_by_text(re.compile(r".*/thaad_late$")).click()
    _month_shown(pg, "")
    pg.wait_for_function(
        "() => (document.querySelector('header')?.innerText || '').includes('thaad_late')")
    _step(pg, 1, "2009-01")
    assert page.bad_loads == []


@pytest.mark.slow  # a real browser and server: about 10-30 s
def test_browser_whatif_downloads_and_the_run_command_reproduces_it(page, tmp_path):
    """A short priority list (shown whole), two thresholds, Play to the end; the scenario
    file and the numbers download; ``buffer-sim run`` on the file writes the same
    ``timeseries.csv``, byte for byte."""
    pg = page.pg
    _choose_scenario(pg, "pressure_2016_2017", "2016-01")
    _enter(pg, ".bs-priorities", "border_trade,buffer")
    full = ",".join(app.complete_priorities("border_trade,buffer"))
    pg.wait_for_function(
        "o => document.querySelector('[data-testid=priority-list]')?.dataset.order === o",
        arg=full)
    assert pg.get_by_test_id("priority-list").get_attribute("data-count") == "6"
    assert pg.locator(".bs-priorities input").input_value() == full
    _enter(pg, ".bs-threshold-beijing-no_war", "0.45")
    pg.get_by_role("button", name="seoul", exact=True).click()
    _enter(pg, ".bs-threshold-seoul-no_war", "0.7")
    pg.wait_for_function(
        "() => (document.querySelector('[data-testid=command-line]')?.innerText || '')"
        ".includes('seoul.thresholds.no_war=0.7')")

    pg.get_by_role("button", name="▶").click()
    pg.wait_for_function(
        "() => (document.querySelector('[data-testid=reasons]')?.innerText || '')"
        ".includes(\"(the scenario's last month)\")", timeout=120_000)
    _month_shown(pg, "2017-12")
    target = os.environ.get("BUFFER_SIM_APP_SCREENSHOT")
    if target:  # the README's picture: a what-if over history, on a projector's screen
        pg.screenshot(path=str(ROOT / target))

    saved = {}
    for testid in ("download-whatif", "download-timeseries"):
        with pg.expect_download() as info:
            pg.get_by_test_id(testid).get_by_role("button").click()
        saved[testid] = tmp_path / info.value.suggested_filename
        info.value.save_as(saved[testid])
    assert saved["download-whatif"].name == "pressure_2016_2017_whatif.yaml"
    assert f"extends: {app.scenario_choices()['pressure_2016_2017']}" in \
        saved["download-whatif"].read_text()

    out = tmp_path / "out"
    run = subprocess.run([*_command(), "run", str(saved["download-whatif"]), "--out",
                          str(out), "--quiet"], capture_output=True, text=True,
                         cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr
    cli_csv = (out / "pressure_2016_2017_whatif" / "timeseries.csv").read_bytes()
    app_csv = saved["download-timeseries"].read_bytes()
    assert app_csv.count(b"\n") == 25  # the header and 24 months
    assert app_csv == cli_csv
    assert page.bad_loads == []


@pytest.mark.slow
def test_server_log_shows_no_failed_asset_loads(server):
    """Runs after the browser tests (same server): nothing had to come from the CDN."""
    _, log_path = server
    log = log_path.read_text()
    assert "Could not load URL" not in log
    assert "Traceback" not in log, log
    assert not re.search(r"\bcdn\.jsdelivr\.net\b", log)


def test_the_glossary_ships_with_the_app():
    text = app.glossary_text()
    assert "`leverage_potential`" in text and "late 2017" in text.lower()


@pytest.mark.slow  # a real browser and server: about 10-30 s
def test_browser_the_glossary_is_one_click_away(page):
    pg = page.pg
    requested: list[str] = []
    pg.on("request", lambda r: requested.append(r.url))
    pg.get_by_test_id("glossary").get_by_text("What the numbers mean (glossary)").click()
    pg.get_by_test_id("glossary").get_by_text("leverage_potential").first.wait_for()
    pg.get_by_test_id("glossary").locator("table").first.wait_for()  # its tables render
    pg.wait_for_timeout(500)  # a component that fetched a library would do so on mounting
    assert page.bad_loads == []
    # nothing the offline cache lacks: no diagram or formula library from a CDN
    assert not [u for u in requested if "mermaid" in u or "katex" in u], requested
