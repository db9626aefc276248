"""Run a scenario and write its outputs: the library layer under ``buffer-sim run``.

Use it from a notebook as well as from the command line::

    from buffer_sim.experiments import runner
    result = runner.run("scenarios/replay_2009_2019.yaml", seed=1,
                        overrides=["beijing.thresholds.no_war=0.9"])
    result.timeseries.plot(x="date", y="tension")
    folder = runner.write_outputs(result, "out")

A run's folder ``OUT/<scenario name>/`` holds ``timeseries.csv``, ``decisions.csv``,
``manifest.json`` and the charts ``leverage.png``, ``trade.png`` and
``overview.png``. It is written whole or not at all (see ``buffer_sim.output.files``), and
the same scenario, seed and command line give byte-identical files.
"""

from __future__ import annotations

import json
import platform
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from buffer_sim.core.version import __version__
from buffer_sim.core.errors import ScenarioError
from buffer_sim.core.months import month_str, month_year
from buffer_sim.output.files import atomic_write_text, sha256_file, staged_dir
from buffer_sim.experiments import engines
from buffer_sim.experiments.engines import call_in_parallel
from buffer_sim.scenario import observed
from buffer_sim.output import charts, report

#: printf format of every float in the CSV files (deterministic, 6 significant digits).
FLOAT_FORMAT = "%.6g"
MAX_SEED = 2**63 - 1
DATA_FILES = ("timeseries.csv", "decisions.csv")
CHART_FILES = ("leverage.png", "trade.png", "overview.png")
MANIFEST = "manifest.json"
REPORT = "report.html"  # written by buffer_sim.output.report after the charts

Progress = Callable[[int, int], None]


@dataclass
class RunResult:
    """One finished run.

    Attributes:
        scenario: the resolved scenario that ran (its ``seed`` is the seed used).
        model: the Mesa model after the last month.
        timeseries: one row per month: ``date`` ('YYYY-MM') then ``output_columns()``.
        decisions: one row per actor and month: ``month``, ``actor``, ``choice``
            (e.g. "enforcement=0.75 aid=0.50 engagement=1.00"), ``deciding_priority``,
            ``reason``.
        events: the events that fired, as ``(date 'YYYY-MM', label, kind)``.
        overrides: the ``--set`` strings applied to the scenario file.
    """

    scenario: object
    model: object
    timeseries: pd.DataFrame
    decisions: pd.DataFrame
    events: list[tuple[str, str, str]] = field(default_factory=list)
    overrides: tuple[str, ...] = ()

    @property
    def seed(self) -> int:
        return self.scenario.seed

    @property
    def months(self) -> int:
        return len(self.timeseries)


def check_seed(value) -> int:
    """Validate a seed given as int or text. Raises ``ScenarioError`` ("--seed: ...")."""
    seed = value
    if isinstance(value, str):
        try:
            seed = int(value.strip(), 10)
        except ValueError:
            raise ScenarioError("--seed", "", f"expected a whole number >= 0, got {value!r}") \
                from None
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ScenarioError("--seed", "", f"expected a whole number >= 0, got {value!r}")
    if seed < 0:
        raise ScenarioError("--seed", "", f"expected a whole number >= 0, got {seed}")
    if seed > MAX_SEED:
        raise ScenarioError("--seed", "", f"{seed} is too large (at most {MAX_SEED})")
    return seed


def load(path_or_scenario, seed=None, overrides: Iterable[str] = ()):
    """Resolve a scenario (path or ``Scenario``), apply ``--set`` overrides and the seed."""
    # lazy: the schema loads Mesa (via the actors); the CLI parsers import this module (via compare)
    from buffer_sim.scenario.schema import Scenario, load_scenario

    overrides = list(overrides or ())
    if isinstance(path_or_scenario, Scenario):
        if overrides:
            raise ValueError("overrides need a scenario file; pass the path instead of a "
                             "loaded Scenario (or load it with load_scenario(path, overrides))")
        scenario = path_or_scenario
    else:
        scenario = load_scenario(path_or_scenario, overrides=overrides)
    check_folder_name(scenario)
    # Always record the seed in the scenario, so its content hash identifies the run.
    return scenario.with_seed(scenario.seed if seed is None else check_seed(seed))


def check_folder_name(scenario) -> None:
    """The scenario's name becomes a folder name: refuse '.', '..' and hidden names."""
    if scenario.name.startswith("."):
        raise ScenarioError(scenario.path, "name", f"'{scenario.name}' cannot name an output "
                                                   "folder; start it with a letter or digit")


def run(path_or_scenario, seed=None, overrides: Iterable[str] = (),
        progress: Progress | None = None, compiled: bool = False) -> RunResult:
    """Run a scenario over its whole period.

    Args:
        path_or_scenario: a scenario file or a resolved ``Scenario``.
        seed: random seed; None uses the scenario's own ``seed:``.
        overrides: "PATH=VALUE" strings as for ``--set``.
        progress: called as ``progress(months_done, months_total)`` after each month.
        compiled: use the compiled equations (``BufferModel``). One run of a decade
            takes ~0.03 s on numpy arrays; loading the compiler takes ~0.3 s, so a single
            run does without it. The outputs are the same bytes either way.

    Returns:
        A ``RunResult``.

    Raises:
        ScenarioError: the scenario, an override or the seed is invalid.
    """
    # lazy: the model loads Mesa; the CLI parsers import this module (via compare)
    from buffer_sim.model import run_model

    scenario = load(path_or_scenario, seed=seed, overrides=overrides)
    model = run_model(scenario, scenario.seed, compiled=compiled, progress=progress)
    return RunResult(scenario=scenario, model=model, timeseries=timeseries_frame(model),
                     decisions=decisions_frame(model), events=event_list(model),
                     overrides=tuple(overrides or ()))


# --- tables ------------------------------------------------------------------------------

def timeseries_frame(model) -> pd.DataFrame:
    """``date`` then every column of ``model.output_columns()``, one row per month: the
    model reporters' DataFrame."""
    return model.datacollector.get_model_vars_dataframe()


def format_choice(choice: dict) -> str:
    """{'enforcement': 0.75, 'aid': 0.5} -> 'enforcement=0.75 aid=0.50'."""
    return " ".join(f"{name}={float(value):.2f}" for name, value in choice.items())


def decisions_frame(model) -> pd.DataFrame:
    rows = [{"month": month_str(month), "actor": d.actor, "choice": format_choice(d.choice),
             "deciding_priority": d.deciding, "reason": d.reason}
            for month, d in model.decisions]
    return pd.DataFrame(rows, columns=["month", "actor", "choice", "deciding_priority",
                                       "reason"])


def event_list(model) -> list[tuple[str, str, str]]:
    return [(month_str(month), event.label, event.kind) for month, event in model.event_log]


def csv_text(df: pd.DataFrame) -> str:
    return df.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


# --- writing -------------------------------------------------------------------------------

def output_folder(result: RunResult, out_dir) -> Path:
    return Path(out_dir) / result.scenario.name


def versions() -> dict[str, str]:
    import mesa
    import numpy

    return {"buffer_sim": __version__, "mesa": mesa.__version__,
            "numpy": numpy.__version__, "pandas": pd.__version__,
            "matplotlib": charts.matplotlib_version(), "python": platform.python_version()}


def write_outputs(result: RunResult, out_dir, command_line=None,
                  workers: int | None = 1) -> Path:
    """Write the run's folder ``out_dir/<scenario name>/``, whole or not at all.

    Args:
        result: from ``run``.
        out_dir: parent folder (created if missing).
        command_line: recorded in the manifest; a list of arguments or a string.
        workers: processes drawing the charts (None: one per chart where this
            process may use two or more cores, else one). More than one starts worker
            processes, which import the calling script as a module (multiprocessing's
            rule): only for a script guarded by ``if __name__ == "__main__"``, as the
            command line is.

    Returns:
        The absolute path of the run's folder.
    """
    scenario = result.scenario
    final = output_folder(result, out_dir).absolute()
    run_id = (f"{scenario.name}, {month_str(scenario.start)}..{month_str(scenario.end)}, "
              f"seed {scenario.seed}")
    df, events = result.timeseries, list(result.events)
    if workers is None:
        # One process per chart even on two cores: the three finish together (the
        # cores share them) instead of two drawn one after the other on one core
        # while the other idles. The replay's charts take 0.85, 0.74 and 0.60 s of CPU:
        # 1.34 s on the busier of two workers, about 1.1 s shared by three.
        workers = len(CHART_FILES) if engines.default_workers() > 1 else 1
    with staged_dir(final) as tmp:
        atomic_write_text(tmp / "timeseries.csv", csv_text(df))
        atomic_write_text(tmp / "decisions.csv", csv_text(result.decisions))
        # The charts take most of a run's time and do not depend on each other.
        call_in_parallel([
            (draw_chart, ("plot_overview", df, tmp / "overview.png"), dict(
                events=events, title=f"Overview: security, relations, instruments ({run_id})")),
            (draw_chart, ("plot_trade", df, tmp / "trade.png"), dict(
                events=events, observed=observed_for(scenario),
                title=f"China–DPRK trade ({run_id})")),
            (draw_chart, ("plot_leverage", df, tmp / "leverage.png"), dict(
                events=events, title=f"Beijing's leverage: potential, applied, realized ({run_id})")),
        ], workers=workers)
        report.write_run_report(result, tmp, build_manifest(result, tmp, command_line))
        manifest = build_manifest(result, tmp, command_line)
        write_manifest(tmp, manifest)
    return final


def draw_chart(chart: str, *args, **kwargs) -> Path:
    """``charts.<chart>(*args, **kwargs)``, looked up when it runs: Matplotlib loads only
    where a chart is drawn (a pool worker draws the charts of ``write_outputs`` while this
    process never loads it), and a test may replace a chart by name."""
    return getattr(charts, chart)(*args, **kwargs)


def observed_for(scenario) -> pd.DataFrame | None:
    """Observed annual China-DPRK trade for the years the run covers (None if none)."""
    df = observed.observed_years(month_year(scenario.start), month_year(scenario.end))
    return df if len(df) else None


def command_text(command_line) -> str | None:
    """A command line for a manifest: a list of arguments joined with shell quoting."""
    if command_line is None or isinstance(command_line, str):
        return command_line
    return shlex.join(str(a) for a in command_line)


def provenance(folder: Path, files: Iterable[str], command_line=None) -> dict:
    """A manifest's closing fields: versions, the command line and each output's SHA-256."""
    return {"versions": versions(), "command_line": command_text(command_line),
            "outputs": [{"file": f, "sha256": sha256_file(Path(folder) / f)} for f in files]}


def write_manifest(folder: Path, manifest: dict) -> Path:
    """``folder/manifest.json``, indented JSON in the order of ``manifest``."""
    return atomic_write_text(Path(folder) / MANIFEST, json.dumps(manifest, indent=2) + "\n")


def build_manifest(result: RunResult, folder: Path, command_line=None) -> dict:
    scenario = result.scenario
    names = [*DATA_FILES, *CHART_FILES]
    if (folder / REPORT).exists():  # written after a first manifest that it embeds
        names.append(REPORT)
    return {
        "scenario": scenario.name,
        "scenario_path": str(scenario.path),
        "content_hash": scenario.content_hash,
        "seed": scenario.seed,
        "period": {"start": month_str(scenario.start), "end": month_str(scenario.end),
                   "months": result.months},
        "scenario_files": [str(f) for f in scenario.files],
        "overrides": list(result.overrides),
        **provenance(folder, names, command_line),
    }
