"""What keeps ``buffer-sim run`` within twice the import floor (benchmarks/bench_model.py):
the charts drawn one per process, and no heap scans left for the exits."""

from __future__ import annotations

import gc
import sys

import pytest

from buffer_sim.cli import main
from buffer_sim.experiments import engines, runner


@pytest.fixture
def drawn_with(monkeypatch):
    """Records the ``workers`` that ``write_outputs`` asks for, drawing placeholders here."""
    asked = []

    def call_here(calls, workers=None):
        asked.append(workers)
        paths = [args[2] for _, args, _ in calls]  # draw_chart(chart, df, path, ...)
        for path in paths:
            path.write_bytes(b"png placeholder")
        return paths

    monkeypatch.setattr(runner, "call_in_parallel", call_here)
    return asked


@pytest.mark.parametrize("cores, expected", [(2, len(runner.CHART_FILES)), (8, 3), (1, 1)])
def test_each_chart_gets_its_own_process_when_there_are_two_cores_or_more(
        short_scenario, tmp_path, monkeypatch, drawn_with, cores, expected):
    monkeypatch.setattr(engines, "default_workers", lambda: cores)
    runner.write_outputs(runner.run(short_scenario), tmp_path, workers=None)
    assert drawn_with == [expected]


def test_a_caller_that_names_its_workers_gets_them(short_scenario, tmp_path, monkeypatch,
                                                   drawn_with):
    monkeypatch.setattr(engines, "default_workers", lambda: 2)
    runner.write_outputs(runner.run(short_scenario), tmp_path, workers=2)
    assert drawn_with == [2]


def test_the_command_freezes_its_heap_before_it_exits_but_a_caller_passing_argv_does_not(
        monkeypatch, capsys):
    gc.unfreeze()
    try:
        assert main(["params"]) == 0
        assert gc.get_freeze_count() == 0
        monkeypatch.setattr(sys, "argv", ["buffer-sim", "params"])
        assert main() == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # this test process goes on collecting
    assert "inertia" in capsys.readouterr().out


def test_the_fork_server_freezes_its_heap_after_everything_else_it_imports():
    for preload in (engines.MODEL_MODULES, engines.ENSEMBLE_MODULES, engines.CHART_MODULES):
        assert preload[-1] == "buffer_sim.experiments.server_heap"
        assert preload.count("buffer_sim.experiments.server_heap") == 1
