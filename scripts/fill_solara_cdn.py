#!/usr/bin/env python3
"""Fill Solara's front-end cache from the npm registry, so the app works offline.

Solara's server hands the browser its front end (Vue/Vuetify app, RequireJS, Font
Awesome, the grid layout Mesa's SolaraViz uses) under ``/_solara/cdn/PKG@VER/...`` and
fetches each file from a public CDN on first use, caching it in
``<prefix>/share/solara/cdn/``. Where that CDN cannot be reached the page stays blank.
This script puts those packages in the cache beforehand, from the npm registry with
``npm pack`` (the same files the CDN serves: it mirrors npm).

    .venv/bin/python scripts/fill_solara_cdn.py            # fill the venv's cache
    .venv/bin/python scripts/fill_solara_cdn.py --check    # only say what is missing

Run it with the Python of the environment that runs the app (its ``sys.prefix`` decides
the cache folder), or pass ``--cdn DIR``. Idempotent: packages already present are left
alone; each package is unpacked beside its folder and renamed into place, so an
interrupted run leaves no half-filled package. When every package is present it writes
``.buffer_sim_filled`` in the cache (``buffer-sim app`` warns while it is missing).

The packages are what Solara asks for when the app is opened in a browser (found by
loading the page in Chromium and reading the ``/_solara/cdn/`` requests); their versions
are read from the installed Solara, so an upgrade fetches what it asks for. The browser
test fails if the server has to fetch anything else.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

MARKER = ".buffer_sim_filled"


def _ipywidgets_major() -> str:
    try:
        from importlib.metadata import version

        return version("ipywidgets").split(".")[0]
    except Exception:  # noqa: BLE001 - not installed: Solara's default
        return "8"


#: Versions Solara 1.64 asks for; used when they cannot be read from the installed Solara.
FALLBACK_VERSIONS = {
    "@widgetti/solara-vuetify-app": "10.1.1",
    "requirejs": "2.3.6",
    "font-awesome": "4.5.0",
    "@widgetti/vue-grid-layout": "2.3.13-alpha.2",
}


def _solara_file(*parts: str) -> str:
    try:
        import solara

        return Path(solara.__file__).parent.joinpath(*parts).read_text(encoding="utf-8")
    except Exception:  # noqa: BLE001 - not installed or moved: use the fallbacks
        return ""


def solara_versions() -> dict[str, str]:
    """The versions the installed Solara puts in its pages (its template, its settings
    and the grid layout widget), so that an upgrade of Solara fetches what it asks for."""
    found = {}
    template = _solara_file("server", "templates", "solara.html.j2")
    grid = _solara_file("widgets", "vue", "gridlayout.vue")
    patterns = {
        "@widgetti/solara-vuetify-app": (template, r"/@widgetti/solara-vuetify-app@([^/\s\"']+)/"),
        "requirejs": (template, r"/requirejs@([^/\s\"']+)/require\.js"),
        "@widgetti/vue-grid-layout": (grid, r"/@widgetti/vue-grid-layout@([^/\s\"'`]+)/"),
    }
    for name, (text, pattern) in patterns.items():
        m = re.search(pattern, text)
        if m:
            found[name] = m.group(1)
    try:
        from solara.server import settings

        m = re.search(r"font-awesome@([^/]+)/", settings.assets.fontawesome_path)
        if m:
            found["font-awesome"] = m.group(1)
    except Exception:  # noqa: BLE001
        pass
    return {name: found.get(name, version) for name, version in FALLBACK_VERSIONS.items()}


def packages() -> list[tuple[str, list[str]]]:
    """``(npm spec, files that must exist afterwards)`` for every package the app loads.

    The cache folder of each is named like the spec (``requirejs@2.3.6``).
    """
    w = _ipywidgets_major()
    v = solara_versions()
    return [
        (f"@widgetti/solara-vuetify-app@{v['@widgetti/solara-vuetify-app']}",
         ["dist/fonts.css", f"dist/main{w}.css", f"dist/solara-vuetify-app{w}.min.js"]),
        (f"requirejs@{v['requirejs']}", ["require.js"]),
        (f"font-awesome@{v['font-awesome']}", ["css/font-awesome.min.css",
                                               "fonts/fontawesome-webfont.woff2"]),
        # Mesa's SolaraViz lays its charts out with solara.GridDraggable.
        (f"@widgetti/vue-grid-layout@{v['@widgetti/vue-grid-layout']}",
         ["dist/vue-grid-layout.umd.js"]),
    ]


def default_cdn_dir() -> Path:
    """Where solara-server reads its cache: ``<sys.prefix>/share/solara/cdn``."""
    try:
        from solara.server import settings

        return Path(settings.assets.proxy_cache_dir)
    except Exception:  # noqa: BLE001 - Solara not installed here: its default location
        return Path(sys.prefix) / "share" / "solara" / "cdn"


def is_present(cdn: Path, spec: str, files: list[str]) -> bool:
    return all((cdn / spec / f).is_file() for f in files)


def npm_pack(spec: str, dest: Path) -> Path:
    """Download the package tarball of ``spec`` into ``dest`` with ``npm pack``."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("fill_solara_cdn: error: npm not found; install Node.js and npm "
                         "(Debian: apt-get install -y npm)")
    proc = subprocess.run([npm, "pack", spec, "--pack-destination", str(dest), "--silent"],
                          capture_output=True, text=True, cwd=dest)
    if proc.returncode != 0:
        raise SystemExit(f"fill_solara_cdn: error: npm pack {spec} failed:\n"
                         f"{proc.stderr.strip() or proc.stdout.strip()}")
    tarballs = sorted(dest.glob("*.tgz"))
    if len(tarballs) != 1:
        raise SystemExit(f"fill_solara_cdn: error: npm pack {spec} left {len(tarballs)} "
                         f"tarballs in {dest}")
    return tarballs[0]


def unpack(tarball: Path, target: Path) -> None:
    """Extract the tarball's ``package/`` folder as ``target`` (atomically renamed)."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            members = []
            for m in tar.getmembers():
                name = m.name.split("/", 1)
                if len(name) != 2 or not name[1] or not (m.isfile() or m.isdir()):
                    continue
                m.name = name[1]  # strip 'package/' (some packages use another top folder)
                members.append(m)
            tar.extractall(staging, members=members, filter="data")
        os.chmod(staging, 0o755)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def fill(cdn: Path, check_only: bool = False, quiet: bool = False) -> list[str]:
    """Make every package present in ``cdn``; return the specs still missing."""
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    missing = [(spec, files) for spec, files in packages()
               if not is_present(cdn, spec, files)]
    if check_only or not missing:
        for spec, _ in missing:
            say(f"missing: {spec}")
        if not missing and not check_only:
            (cdn / MARKER).write_text("".join(f"{s}\n" for s, _ in packages()))
        if not missing:
            say(f"Solara front end complete in {cdn}")
        return [spec for spec, _ in missing]
    cdn.mkdir(parents=True, exist_ok=True)
    (cdn / MARKER).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="solara-cdn-") as tmp:
        for i, (spec, files) in enumerate(missing):
            work = Path(tmp) / str(i)
            work.mkdir()
            target = cdn / spec
            target.parent.mkdir(parents=True, exist_ok=True)  # @scope/ folders
            say(f"npm pack {spec} -> {target}")
            unpack(npm_pack(spec, work), target)
            absent = [f for f in files if not (target / f).is_file()]
            if absent:
                raise SystemExit(f"fill_solara_cdn: error: {spec} lacks {', '.join(absent)}")
    (cdn / MARKER).write_text("".join(f"{s}\n" for s, _ in packages()))
    say(f"Solara front end complete in {cdn}")
    return []


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cdn", type=Path, default=None,
                        help="cache folder (default: this Python's Solara cache, "
                             "<sys.prefix>/share/solara/cdn)")
    parser.add_argument("--check", action="store_true",
                        help="download nothing; exit 1 if a package is missing")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing")
    args = parser.parse_args(argv)
    cdn = args.cdn or default_cdn_dir()
    missing = fill(cdn, check_only=args.check, quiet=args.quiet)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
