"""``buffer-sim app [SCENARIO] [--scenarios DIR] [--port N] [--host ADDR]``: the classroom
web app.

Starts ``solara run buffer_sim.app --production`` in a child process, on 127.0.0.1 by
default (only this computer can open it). Ctrl-C (or SIGTERM) stops the server and
returns 0.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from buffer_sim.core.errors import ScenarioError
from buffer_sim.scenario.catalog import resolve_scenario

PROG = "buffer-sim"
DEFAULT_PORT = 8765
DEFAULT_HOST = "127.0.0.1"
#: Written by scripts/fill_solara_cdn.py once every front-end file is in the cache.
CDN_MARKER = ".buffer_sim_filled"


def register(subparsers, formatter_class) -> None:
    p = subparsers.add_parser(
        "app", formatter_class=formatter_class,
        help="start the classroom web app in the browser (Solara)",
        description=textwrap.dedent("""\
            Start the classroom web app: choose a scenario, change Beijing's priority
            order and the actors' thresholds, step month by month and watch leverage,
            trade, tension, warmth and every actor's reasons. A reference run is drawn
            faintly behind: history (the 2009-2019 replay) unless you choose another.
            A what-if made with the controls downloads as a scenario file that
            'buffer-sim run' reproduces exactly.

            The list offers the shipped scenarios and your own folder's: --scenarios DIR,
            or ./scenarios when the current folder has one.

            The server listens on 127.0.0.1 (this computer only) unless --host says
            otherwise. Open the address it prints; stop it with Ctrl-C."""),
        epilog=textwrap.dedent(f"""\
            examples:
              {PROG} app                          http://127.0.0.1:{DEFAULT_PORT}
              {PROG} app pressure_2016_2017 --port 8800
              {PROG} app --scenarios my_class     also list the files in my_class/
              {PROG} app --host 0.0.0.0           reachable from other computers (warns)

            Needs the 'app' extra (pip install -e '.[app]'), which 'make' installs."""))
    p.add_argument("scenario", nargs="?", default="replay_2009_2019", metavar="SCENARIO",
                   help="scenario shown first, a file or a name from 'buffer-sim list' "
                        "(default: replay_2009_2019)")
    p.add_argument("--scenarios", default=None, metavar="DIR",
                   help="your own folder of scenario files, listed after the shipped "
                        "ones (default: ./scenarios when it exists)")
    p.add_argument("--port", default=str(DEFAULT_PORT), metavar="N",
                   help=f"port to listen on, 1-65535 (default: {DEFAULT_PORT})")
    p.add_argument("--host", default=DEFAULT_HOST, metavar="ADDR",
                   help=f"address to listen on (default: {DEFAULT_HOST}, this computer "
                        "only; 0.0.0.0 opens it to the network)")
    p.add_argument("--open", action="store_true",
                   help="also open the page in the default web browser")
    p.set_defaults(func=handler)


def check_port(text) -> int:
    """A TCP port number 1..65535, else ``ScenarioError`` naming ``--port``."""
    try:
        port = int(str(text).strip())
    except ValueError:
        raise ScenarioError("--port", "", f"expected a whole number 1-65535, got "
                                          f"'{text}'") from None
    if not 1 <= port <= 65535:
        raise ScenarioError("--port", "", f"{port} is out of range 1-65535")
    return port


def is_loopback(host: str) -> bool:
    """True for addresses only this computer can reach (127.x.x.x, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def cdn_dir() -> Path:
    """Where solara-server looks for its cached front-end files (``<prefix>/share``)."""
    return Path(sys.prefix) / "share" / "solara" / "cdn"


def server_command(host: str, port: int, open_browser: bool = False) -> list[str]:
    return [sys.executable, "-m", "solara", "run", "buffer_sim.app", "--production",
            "--host", host, "--port", str(port), "--open" if open_browser else "--no-open",
            "--no-check-version"]


#: Read by buffer_sim.app: the scenario shown first, and the user's own folder.
ENV_SCENARIO = "BUFFER_SIM_APP_SCENARIO"
ENV_FOLDER = "BUFFER_SIM_APP_SCENARIOS"
#: What the app needs beyond the core install (the 'app' extra).
APP_MODULES = ("solara", "ipyvuetify", "mesa.visualization", "altair")


def missing_app_modules() -> list[str]:
    """The app's modules that are not installed (checked without importing them)."""
    import importlib.util

    missing = []
    for name in APP_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def scenarios_folder(text: str | None) -> Path | None:
    """The user's folder: ``--scenarios DIR`` (must exist), else ``./scenarios`` if it
    exists, else None."""
    if text is None:
        default = Path.cwd() / "scenarios"
        return default.resolve() if default.is_dir() else None
    folder = Path(text).expanduser()
    if not text.strip() or not folder.is_dir():
        what = "not a folder" if folder.exists() else "folder not found"
        raise ScenarioError("--scenarios", "", f"{what}: '{text}'")
    return folder.resolve()


def server_env(scenario: Path, folder: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop(ENV_FOLDER, None)
    if folder is not None:
        env[ENV_FOLDER] = str(folder)
    env.update({
        ENV_SCENARIO: str(scenario),
        # No network calls: no usage statistics, no version check, assets from the cache.
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        # Solara's "This website runs on Solara" badge sits over the page's corner (over
        # the numbers); its loader's "Made with Solara" likewise.
        "SOLARA_THEME_SHOW_BANNER": "False",
        "SOLARA_THEME_LOADER": "plain",
        "SOLARA_THEME_TITLE": "buffer_sim",
        "MPLBACKEND": "Agg",
        # Solara warns on every page load that a plain-http cookie cannot be
        # samesite=none; on 127.0.0.1 that is expected and harmless.
        "PYTHONWARNINGS": ",".join(filter(None, [
            os.environ.get("PYTHONWARNINGS"),
            "ignore:Cookies with samesite=none require https:UserWarning"])),
    })
    return env


def handler(args, argv) -> int:
    # lazy: loads Mesa (via the actors); command dispatch: only when the command runs
    from buffer_sim.scenario.schema import load_scenario

    port = check_port(args.port)
    host = args.host.strip()
    if not host:
        raise ScenarioError("--host", "", "empty address; e.g. 127.0.0.1")
    folder = scenarios_folder(args.scenarios)
    path = resolve_scenario(args.scenario)
    if folder is not None and not path.is_file():  # a bare name from the user's folder
        for candidate in (folder / args.scenario, folder / f"{args.scenario}.yaml",
                          folder / f"{args.scenario}.yml"):
            if candidate.is_file():
                path = candidate.resolve()
                break
    load_scenario(path)  # a bad file is reported here, before the server starts
    missing = missing_app_modules()
    if missing:
        print(f"{PROG}: error: the app needs Solara and Mesa's visualization "
              f"({', '.join(missing)} missing); install them with: pip install -e '.[app]'",
              file=sys.stderr)
        return 1
    if not is_loopback(host):
        print(f"{PROG}: warning: --host {host} lets other computers on the network open "
              "the app and run the model; use it only on a network you trust",
              file=sys.stderr)
    if not (cdn_dir() / CDN_MARKER).is_file():
        print(f"{PROG}: warning: the web front end is not cached in {cdn_dir()}; without "
              "internet access the page stays blank. Fill the cache with: "
              "python scripts/fill_solara_cdn.py", file=sys.stderr)
    shown = f"[{host}]" if ":" in host else host
    print(f"{PROG}: starting the app at http://{shown}:{port}/ (Ctrl-C to stop)",
          file=sys.stderr, flush=True)
    return run_server(server_command(host, port, args.open), server_env(path, folder))


def run_server(command: list[str], env: dict[str, str]) -> int:
    """Run the server until it exits, Ctrl-C or SIGTERM; stop it and wait for it."""
    child = subprocess.Popen(command, env=env)
    stopping = False

    def on_term(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        code = child.wait()
    except KeyboardInterrupt:
        stopping = True
        code = _stop(child)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if stopping:
        print(f"{PROG}: app stopped", file=sys.stderr)
        return 0
    if code < 0:  # killed by a signal from outside
        return 128 - code
    return code


def _stop(child: subprocess.Popen) -> int:
    """SIGINT (as Ctrl-C does), then SIGTERM, then SIGKILL, a few seconds apart."""
    for sig, wait in ((signal.SIGINT, 5), (signal.SIGTERM, 3), (signal.SIGKILL, 3)):
        if child.poll() is not None:
            break
        try:
            child.send_signal(sig)
        except ProcessLookupError:
            break
        try:
            child.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        except KeyboardInterrupt:  # a second Ctrl-C: go on to the next signal
            continue
    return child.wait()
