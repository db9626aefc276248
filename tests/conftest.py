"""Shared fixtures: a short scenario for fast runs, a CLI driver, one full default run."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from filelock import FileLock

from buffer_sim.cli import main
from buffer_sim.model import run_model, timeseries_rows
from buffer_sim.scenario.schema import load_scenario

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = PROJECT_ROOT / "scenarios" / "replay_2009_2019.yaml"

#: Three years of the replay (36 months). Tension starts high and Washington signals
#: hard, so that Beijing's "no war" threshold matters (an override of it shows).
SHORT_SCENARIO = """\
name: short_2016_2018
description: >
  Three years of the replay, 2016-2018, for fast tests. Pyongyang's tests are history
  until the end of 2017; Beijing, Washington and Seoul choose freely.
period: {start: 2016-01, end: 2018-12}
seed: 2016
actors:
  washington:
    priorities: [no_war, alliance, denuclearisation]
    instruments: {pressure: 0.3, military: 0.8, engagement: 0.1}
initial_state:
  tension: 0.65
  nuclear: 0.7
  sanctions_scope: 0.1
pins:
  - actor: pyongyang
    instrument: provocation
    value: 0
    from: 2016-01
    to: 2017-12
    reason: history as it happened - tests enter as forced actions on their dates
events:
  - date: 2016-01-06
    kind: forced_action
    actor: pyongyang
    set: {provocation: 2}
    label: 4th nuclear test
    source: USGS ComCat us10004bnm (observed events data)
  - date: 2016-03-02
    kind: resolution
    sanctions_scope: 0.4
    label: UNSCR 2270
    source: UNSC Resolution 2270 (observed events data)
  - date: 2017-01
    kind: administration
    actor: washington
    priorities: [denuclearisation, alliance, no_war]
    label: Trump administration - 'maximum pressure'
    source: report §The New Kim on the Block
  - date: 2017-09-03
    kind: forced_action
    actor: pyongyang
    set: {provocation: 2}
    label: 6th nuclear test
    source: USGS ComCat us2000aert (observed events data)
  - date: 2017-09-11
    kind: resolution
    sanctions_scope: 0.9
    label: UNSCR 2375
    source: UN Security Council resolution page (observed events data)
  - date: 2018-06-12
    kind: diplomatic_shock
    effects: {tension: -0.15, warmth_us_dprk: 0.4}
    label: Singapore summit
    source: Straits Times (observed events data)
"""
SHORT_NAME = "short_2016_2018"
SHORT_MONTHS = 36

OUTPUT_FILES = ("timeseries.csv", "decisions.csv", "manifest.json",
                "leverage.png", "trade.png", "overview.png", "report.html")


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def short_scenario(tmp_path) -> Path:
    """The short scenario written to a temporary file."""
    path = tmp_path / "short.yaml"
    path.write_text(SHORT_SCENARIO, encoding="utf-8")
    return path


@pytest.fixture
def cli(capsys):
    """Call ``main(argv)`` and capture what it prints: ``cli("run", "x.yaml")``."""

    def call(*argv) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return call


def console_script() -> str | None:
    """The installed ``buffer-sim`` executable next to this Python, if any."""
    candidate = Path(sys.executable).parent / "buffer-sim"
    if candidate.exists():
        return str(candidate)
    return shutil.which("buffer-sim")


def run_main(*argv, cwd=None) -> CliResult:
    """``main(argv)`` with its output captured, usable in fixtures of any scope."""
    stdout, stderr = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main([str(a) for a in argv])
    finally:
        os.chdir(previous)
    return CliResult(code, stdout.getvalue(), stderr.getvalue())


@pytest.fixture
def fast_charts(monkeypatch):
    """Replace the three charts by tiny placeholder files, for tests about something
    else (drawing takes most of a short run's time; charts are tested elsewhere)."""
    from buffer_sim.experiments import engines
    from buffer_sim.output import charts as plots

    def placeholder(df, path, *args, **kwargs):
        Path(path).write_bytes(b"\x89PNG\r\n\x1a\n placeholder " + str(len(df)).encode())
        return Path(path)

    for name in ("plot_leverage", "plot_trade", "plot_overview"):
        monkeypatch.setattr(plots, name, placeholder)
    # The placeholders exist in this process only: draw here, not on the pool.
    monkeypatch.setattr(engines, "default_workers", lambda: 1)


@pytest.fixture(scope="session")
def default_run(tmp_path_factory):
    """``buffer-sim run --out OUT --quiet`` with no scenario argument, run once per
    session from a folder that has no ``scenarios/`` (so the default scenario must be
    found in the project)."""
    cwd = tmp_path_factory.mktemp("elsewhere")
    out = tmp_path_factory.mktemp("default-out")
    return run_main("run", "--out", out, "--quiet", cwd=cwd), out


#: A folder that every xdist worker of this test session shares (``_shared_folder``).
SHARED: Path | None = None


@pytest.fixture(scope="session", autouse=True)
def _shared_folder(tmp_path_factory):
    """The session's base folder, which xdist's workers share (each has its own
    folder below it): where ``computed_once`` keeps what one worker computed."""
    global SHARED
    base = tmp_path_factory.getbasetemp()
    SHARED = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    yield
    SHARED = None


def computed_once(key: str, compute):
    """``compute()``, computed by the first worker that asks for ``key`` in this test
    session and read by the others (``make test`` runs two workers, and a module's
    tests are spread over both, so each would otherwise repeat the module's runs).

    Args:
        key: names the result within the session (a file name).
        compute: makes the result (anything that pickles).
    """
    if SHARED is None:  # outside a test session's fixtures
        return compute()
    folder = SHARED / "computed-once"
    folder.mkdir(exist_ok=True)
    path = folder / f"{key}.pickle"
    with FileLock(str(path) + ".lock"):
        if path.exists():
            return pickle.loads(path.read_bytes())
        value = compute()
        staging = path.with_suffix(".tmp")
        staging.write_bytes(pickle.dumps(value))
        staging.replace(path)  # whole or absent, should a worker die while writing
        return value


def scenario_runs(path, overrides=(), seeds=range(20)) -> list[pd.DataFrame]:
    """Each seed's time series of a scenario file (indexed by ``date``), made once in
    a test session for every module and worker that asks (the replay's twenty seeds
    serve the stylized facts and the what-ifs alike)."""
    path, overrides, seeds = Path(path).resolve(), tuple(overrides), tuple(seeds)

    def compute() -> list[pd.DataFrame]:
        scenario = load_scenario(path, list(overrides))
        return [pd.DataFrame(timeseries_rows(run_model(scenario, seed=s))).set_index("date")
                for s in seeds]

    key = hashlib.sha256(repr((str(path), overrides, seeds)).encode()).hexdigest()[:16]
    return computed_once(f"runs-{key}", compute)


#: fixtures that open a real browser (Debian's chromium through Playwright)
BROWSER_FIXTURES = {"page", "browser"}


#: fixtures that run whole commands with real charts, shared by a module or the session
#: (seconds each): the tests that use them are marked ``slow``, so ``make check`` skips them
SLOW_FIXTURES = {"compared", "with_runs", "short_run", "reasons", "run_folder",
                 "compare_folder", "wide_comparison", "ensemble_run", "default_run"}


def pytest_collection_modifyitems(items):
    """Tests that use a browser fixture are marked ``browser`` (``-m 'not browser'``),
    tests that use one of the ``SLOW_FIXTURES`` ``slow``; and the modules that hold
    slow or browser tests run first (see ``slow_modules_first``)."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if BROWSER_FIXTURES & used:
            item.add_marker(pytest.mark.browser)
        if SLOW_FIXTURES & used:
            item.add_marker(pytest.mark.slow)
    slow_modules_first(items)


def slow_modules_first(items) -> None:
    """Put the modules that hold a slow or browser test first, each module whole and in
    its own order (a module fixture is set up once), the others after them.

    On two workers (``make test``: ``-n 2 --dist worksteal``) the long tests then start
    early and the quick ones fill the gaps at the end. In file-name order the
    worksheets' tests (tens of seconds each) came last: one worker ran them for a
    minute and more while the other had nothing left to do.
    """
    heavy = {item.path for item in items
             if item.get_closest_marker("slow") or item.get_closest_marker("browser")}
    items.sort(key=lambda item: item.path not in heavy)  # stable: the order otherwise kept
