"""A pool worker ends when the process that started the pool is killed outright.

``kill -9`` (or the out-of-memory killer) gives ``buffer-sim`` no chance to shut its
pool down; the lifeline (``worker_lifetime``) makes the workers end anyway, so that no
process lingers holding the command's output pipes. Tried in a real process tree: a
process opens a ``PoolEngine`` and reports its worker's pid; the worker must live while
that process lives, and be gone within seconds once it is killed with SIGKILL (every
process of the tree, fork server included, has then closed its copy of the output pipe).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

TREE = textwrap.dedent("""\
    import os, time
    from buffer_sim.experiments import engines
    pool = engines.PoolEngine(1)
    print(pool.executor.submit(os.getpid).result(), flush=True)
    time.sleep(60)
    """)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:  # a zombie, ended but not yet reaped by its parent, is gone too
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except OSError:
        return True


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and /proc are POSIX's")
@pytest.mark.slow
def test_a_worker_lives_with_its_pool_and_ends_when_the_pool_is_killed():
    proc = subprocess.Popen([sys.executable, "-c", TREE], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        worker = int(proc.stdout.readline())
        time.sleep(0.3)
        assert not gone(worker), "the worker ended while its pool lived"
        proc.kill()
        proc.communicate(timeout=20)  # EOF: no process of the tree holds the pipe any more
        deadline = time.monotonic() + 10
        while not gone(worker):
            assert time.monotonic() < deadline, "the worker outlived its killed parent"
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.kill()
