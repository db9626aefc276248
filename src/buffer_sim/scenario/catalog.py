"""The one place that finds shipped scenarios: the project's ``scenarios/`` folder, a
scenario given by name or path, and which files in a scenarios folder are scenarios a
class can run.

A folder of scenarios also holds *fragments*: files that other scenarios pull in with
``extends:`` but that are not scenarios themselves, such as
``calibrated_parameters.yaml`` (fitted parameters only: no name, no period). ``buffer-sim
list`` and the app offer the runnable files and leave the fragments out.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml


SUFFIXES = (".yaml", ".yml")
#: The scenario commands run when none is named.
DEFAULT_SCENARIO = "scenarios/replay_2009_2019.yaml"


def project_root() -> Path:
    """The folder holding ``scenarios/`` in a source checkout (``src/buffer_sim/..``)."""
    return Path(__file__).resolve().parents[3]


def scenarios_dir() -> Path | None:
    """The shipped ``scenarios/`` folder: the project's, else the current folder's."""
    for base in (project_root(), Path.cwd()):
        if (base / "scenarios").is_dir():
            return base / "scenarios"
    return None


def resolve_scenario(arg: str) -> Path:
    """Find a scenario file: as given (relative to the current folder), then relative to
    the project root; a bare name like ``replay_2009_2019`` is looked up in
    ``scenarios/`` and ``scenarios/whatif/``. If nothing exists the path is returned as
    given, and loading it reports "file not found"."""
    given = Path(arg).expanduser()
    candidates = [given]
    if not given.is_absolute():
        candidates.append(project_root() / given)
        if given.suffix.lower() not in (".yaml", ".yml") and len(given.parts) == 1:
            for base in (Path.cwd(), project_root()):
                for sub in ("scenarios", "scenarios/whatif"):
                    candidates += [base / sub / f"{arg}.yaml", base / sub / f"{arg}.yml"]
    for path in candidates:
        if path.is_file():
            return path.resolve()
    return given


def is_fragment(path) -> bool:
    """True for a file meant only to be extended: a mapping with neither ``name:`` nor
    ``extends:`` (so it has no name of its own and inherits none).

    A file that cannot be read or parsed is not a fragment: listing it (as invalid) tells
    its author what is wrong, where leaving it out would hide it.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return False
    return _is_fragment(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _is_fragment(path: str, mtime_ns: int, size: int) -> bool:
    try:
        with open(path, "rb") as fh:
            raw = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError, ValueError, RecursionError):
        return False
    return isinstance(raw, dict) and "name" not in raw and "extends" not in raw


def _yaml_files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir()
                      if p.suffix.lower() in SUFFIXES and p.is_file())
    except OSError:
        return []


def candidate_files(folder) -> list[Path]:
    """Every scenario-like file: ``folder/*.yaml`` then each subfolder's (``whatif/``),
    in name order; fragments included."""
    folder = Path(folder)
    files = _yaml_files(folder)
    try:
        subfolders = sorted(p for p in folder.iterdir()
                            if p.is_dir() and not p.name.startswith("."))
    except OSError:
        subfolders = []
    for sub in subfolders:
        files += _yaml_files(sub)
    return files


def scenario_files(folder) -> list[Path]:
    """The files of ``folder`` (and its subfolders) a user can run, fragments left out."""
    return [p for p in candidate_files(folder) if not is_fragment(p)]


def fragment_files(folder) -> list[Path]:
    """The fragments of ``folder``: files used only through ``extends:``."""
    return [p for p in candidate_files(folder) if is_fragment(p)]

