"""A run interrupted with Ctrl-C leaves nothing half-written.

Every output file is written under a temporary name and renamed; a run's folder is
assembled in a ``.tmp-*`` sibling and swapped in whole. So, whenever Ctrl-C comes:

* ``buffer-sim`` exits with status 130 and one line on stderr, ``buffer-sim: interrupted``;
* no ``.tmp-*`` file or folder is left behind;
* the folder of an earlier run is exactly as it was (never half old, half new);
* running again gives the same bytes as a run that was never interrupted.

The in-process tests interrupt each step of writing in turn (a KeyboardInterrupt raised
where the step happens); the subprocess test sends a real SIGINT, and a real SIGTERM
(exit status 143, ``buffer-sim: terminated``), to the installed command while it draws
the charts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import SHORT_NAME, console_script

INTERRUPTED = "buffer-sim: interrupted\n"


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for a folder)."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def leftovers(folder: Path) -> list[str]:
    return [str(p.relative_to(folder)) for p in folder.rglob("*") if ".tmp-" in p.name]


@pytest.fixture
def earlier_run(cli, short_scenario, tmp_path, fast_charts):
    """OUT/short_2016_2018/ from an earlier complete run (another seed), and its bytes."""
    out = tmp_path / "out"
    assert cli("run", short_scenario, "--out", out, "--seed", "6", "--quiet").code == 0
    (out / SHORT_NAME / "notes.txt").write_text("a file the user put there")
    return out, snapshot(out)


def interrupt_at(monkeypatch, step: str) -> None:
    """Make the step ``step`` of a run raise KeyboardInterrupt, as Ctrl-C would."""
    from buffer_sim.output import charts as plots, files as output
    from buffer_sim.model import BufferModel

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    if step == "simulation":
        original = BufferModel.step

        def step_then_ctrl_c(self):
            if self.month - self.spec.start >= 12:
                raise KeyboardInterrupt
            original(self)

        monkeypatch.setattr(BufferModel, "step", step_then_ctrl_c)
    elif step.endswith(".png"):
        name = {"leverage.png": "plot_leverage", "trade.png": "plot_trade",
                "overview.png": "plot_overview"}[step]
        monkeypatch.setattr(plots, name, ctrl_c)
    elif step.startswith("half-written "):
        # Ctrl-C after the bytes of the file went to its temporary name, before rename.
        target = step.removeprefix("half-written ")
        real_fsync, files = os.fsync, []

        def fsync(fd):
            real_fsync(fd)
            files.append(fd)
            if os.readlink(f"/proc/self/fd/{fd}").split("/")[-1].startswith(
                    f".tmp-{target}."):
                raise KeyboardInterrupt

        if not Path("/proc/self/fd").is_dir():
            pytest.skip("needs /proc to name an open file")
        monkeypatch.setattr(output.os, "fsync", fsync)
    elif step == "swap":
        # Ctrl-C after the old folder was moved aside, before the new one is moved in:
        # deferred until the swap is done, so the folder is whole either way.
        real_replace = os.replace

        def replace(src, dst):
            if Path(dst).name == SHORT_NAME and ".tmp-" in Path(src).name:
                os.kill(os.getpid(), signal.SIGINT)
            return real_replace(src, dst)

        monkeypatch.setattr(output.os, "replace", replace)
    else:
        raise ValueError(step)


STEPS = ["simulation", "half-written timeseries.csv", "half-written decisions.csv",
         "leverage.png", "trade.png", "overview.png", "half-written manifest.json"]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.slow
def test_ctrl_c_at_any_step_exits_130_and_leaves_the_earlier_run_as_it_was(
        step, cli, short_scenario, earlier_run, monkeypatch):
    out, before = earlier_run
    interrupt_at(monkeypatch, step)

    result = cli("run", short_scenario, "--out", out, "--seed", "5")

    assert result.code == 130
    assert result.err == INTERRUPTED
    assert result.out == ""
    assert leftovers(out) == []
    assert snapshot(out) == before


def test_ctrl_c_during_the_swap_waits_for_it_and_leaves_the_new_run_whole(
        cli, short_scenario, earlier_run, monkeypatch):
    out, before = earlier_run
    interrupt_at(monkeypatch, "swap")

    result = cli("run", short_scenario, "--out", out, "--seed", "5")

    assert result.code == 130 and result.err == INTERRUPTED
    assert leftovers(out) == []
    after = snapshot(out)
    assert after != before
    assert sorted(after) == sorted(k for k in before if k != f"{SHORT_NAME}/notes.txt")


def test_ctrl_c_with_no_earlier_run_leaves_no_folder_at_all(cli, short_scenario, tmp_path,
                                                            fast_charts, monkeypatch):
    out = tmp_path / "new" / "out"
    interrupt_at(monkeypatch, "trade.png")
    assert cli("run", short_scenario, "--out", out).code == 130
    assert not (tmp_path / "new").exists()  # the parents it created are removed too


def test_a_new_run_replaces_the_earlier_folder_whole(cli, short_scenario, earlier_run):
    out, before = earlier_run
    assert cli("run", short_scenario, "--out", out, "--seed", "5", "--quiet").code == 0
    after = snapshot(out)
    assert f"{SHORT_NAME}/notes.txt" not in after  # nothing of the earlier run is kept
    assert after[f"{SHORT_NAME}/timeseries.csv"] != before[f"{SHORT_NAME}/timeseries.csv"]
    assert leftovers(out) == []


# --- a real Ctrl-C ---------------------------------------------------------------------------

def run_command(exe, argv, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([exe, *argv], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("signum, code, message", [
    (signal.SIGINT, 130, INTERRUPTED),
    # kill, or a scheduler's time limit: the same clean-up, its own status (128 + 15)
    (signal.SIGTERM, 143, "buffer-sim: terminated\n"),
])
@pytest.mark.slow
def test_a_real_signal_while_drawing_the_charts(short_scenario, tmp_path, signum, code,
                                                message):
    """The real thing: a signal to the installed command once it has started writing."""
    exe = console_script()
    if exe is None:
        pytest.skip("buffer-sim is not installed (pip install -e .)")
    out = tmp_path / "out"
    def argv_with_seed(seed):
        return ["run", str(short_scenario), "--out", str(out), "--seed", seed, "--quiet"]

    argv = argv_with_seed("5")

    # What an uninterrupted run writes (same command line, so the same manifest).
    assert run_command(exe, argv).returncode == 0
    uninterrupted = snapshot(out)
    # An earlier run with another seed is in the folder when Ctrl-C comes.
    assert run_command(exe, argv_with_seed("6")).returncode == 0
    before = snapshot(out)
    assert before != uninterrupted

    # On a busy machine the run may finish before the signal lands: then put the
    # earlier run back and try again (the signal must arrive while it is writing).
    for _attempt in range(4):
        proc = subprocess.Popen([exe, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            deadline = time.monotonic() + 120
            while not any(p.name.startswith(".tmp-") for p in out.iterdir()):
                assert proc.poll() is None, "the run ended before it started writing"
                assert time.monotonic() < deadline, "no .tmp- staging folder appeared"
                time.sleep(0.005)
            time.sleep(0.05)  # into the writing (charts take a second)
            proc.send_signal(signum)
            stdout, stderr = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        if proc.returncode != 0:
            break
        assert run_command(exe, argv_with_seed("6")).returncode == 0
        assert snapshot(out) == before

    assert proc.returncode == code, stderr
    assert stderr == message
    assert stdout == ""
    assert leftovers(out) == []
    assert snapshot(out) == before

    assert run_command(exe, argv).returncode == 0
    assert snapshot(out) == uninterrupted



def test_a_sigterm_during_a_deferred_step_waits_for_it_then_raises_terminated():
    from buffer_sim.output.files import Terminated, interrupts_deferred

    finished = []
    with pytest.raises(Terminated):
        with interrupts_deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            finished.append(True)
    assert finished == [True]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # restored


@pytest.mark.slow
def test_kill_9_while_drawing_leaves_no_worker_behind(short_scenario, tmp_path):
    """``kill -9`` gives no chance to clean up; the chart workers notice their parent is
    gone and end, so nothing keeps its output pipes open (a caller reading them would
    wait for ever) and no process lingers."""
    exe = console_script()
    if exe is None:
        pytest.skip("buffer-sim is not installed (pip install -e .)")
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen([exe, "run", str(short_scenario), "--out", str(out), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not any(p.name.startswith(".tmp-") for p in out.iterdir()):
            if proc.poll() is not None:
                pytest.skip("the run ended before it started writing")
            assert time.monotonic() < deadline, "no .tmp- staging folder appeared"
            time.sleep(0.005)
        time.sleep(0.3)  # into the charts
        proc.kill()
        proc.communicate(timeout=30)  # EOF on its pipes: every process holding them ended
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
