"""Pool workers end when ``buffer-sim`` is killed outright (``kill -9``, out of memory).

Why this exists: a ``ProcessPoolExecutor`` worker waits for work on a pipe whose
writing end it holds too, so it never sees end-of-file when the process that started
the pool dies without shutting it down; it would wait for ever, and keep the command's
standard output and error open, so that a caller reading them would wait for ever too
(``tests/test_interrupt.py::test_kill_9_while_drawing_leaves_no_worker_behind``).
Nothing simpler does it: a worker's parent is the fork server, not ``buffer-sim``, and
the fork server lives on while any worker does (each worker holds the pipe that keeps
it alive), so neither the kernel's parent-death signal nor watching the parent helps.

How: ``buffer-sim`` makes one pipe, the *lifeline*, and keeps its writing end to
itself; every worker gets the reading end and a daemon thread that blocks on it (no
polling). The kernel closes the writing end when ``buffer-sim`` ends, however it ends;
the read returns end-of-file and the thread ends the worker.
"""

from __future__ import annotations

import os
import threading

_lifeline: tuple | None = None


def lifeline():
    """The reading end of this process's lifeline (made on first use), to pass to a
    worker's initializer; this process alone holds the writing end."""
    global _lifeline
    if _lifeline is None or _lifeline[2] != os.getpid():
        import multiprocessing

        reader, writer = multiprocessing.Pipe(duplex=False)  # not inherited by exec
        _lifeline = (reader, writer, os.getpid())
    return _lifeline[0]


def end_with_parent(reader) -> None:
    """In a worker: end this process as soon as ``reader``'s writer (the process that
    started the pool) is gone."""
    threading.Thread(target=_exit_at_eof, args=(reader,), daemon=True,
                     name="buffer-sim-lifeline").start()


def _exit_at_eof(reader) -> None:
    try:
        while True:
            reader.recv_bytes()  # nothing is ever sent: this returns only at the end
    except (EOFError, OSError):
        os._exit(1)
