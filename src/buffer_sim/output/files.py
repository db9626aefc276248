"""Atomic file and folder writes: a reader never sees half a file or half a run.

A file is written to a temporary sibling and moved into place with ``os.replace``
(atomic on POSIX and Windows within one file system). A run's folder is assembled in
a temporary sibling folder (``.tmp-*``) and swapped in whole: an earlier run's folder
is replaced, never mixed with the new one, and an interrupted run leaves nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

TMP_PREFIX = ".tmp-"


def _umask() -> int:
    """The process umask (read without changing it where the OS allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary sibling file and ``os.replace``.

    Args:
        path: the destination; its folder must exist.
        data: the bytes to write.

    Returns:
        The destination as a ``Path``.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{TMP_PREFIX}{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; use the usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` atomically (UTF-8, ``\\n`` line endings on every platform)."""
    return atomic_write_bytes(path, text.encode(encoding))


def sha256_file(path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, a job scheduler's time limit), handled as Ctrl-C is: every
    clean-up that follows an interrupt follows it too."""


def _raise_terminated(signum, frame):
    raise Terminated


@contextlib.contextmanager
def sigterm_as_interrupt():
    """Within the block, SIGTERM raises ``Terminated`` instead of ending the process
    on the spot (which would leave a staging folder behind). Only in the main thread,
    where Python can install signal handlers; elsewhere the block runs unchanged."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def interrupts_deferred():
    """Hold Ctrl-C (SIGINT) and SIGTERM back until the block is done, then raise
    KeyboardInterrupt (``Terminated`` for SIGTERM).

    For the few steps that must not stop half-way: swapping a run's folder in (old one
    aside, new one in, old one deleted) and cleaning up after a failure. Elsewhere
    Ctrl-C acts at once. Outside the main thread (where Python cannot install signal
    handlers) the block runs unprotected.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    try:
        previous = {sig: signal.signal(sig, lambda signum, frame: caught.append(signum))
                    for sig in (signal.SIGINT, signal.SIGTERM)}
    except (ValueError, OSError):  # e.g. an embedded interpreter without signals
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            if handler is None:
                handler = signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL
            signal.signal(sig, handler)
    if signal.SIGTERM in caught:
        raise Terminated
    if caught:
        raise KeyboardInterrupt


def replace_dir(staged, final) -> Path:
    """Move the folder ``staged`` to ``final``, replacing an existing ``final`` whole.

    The old folder is first renamed aside (so a failed swap can put it back), then
    ``staged`` is moved into place and the old one deleted.

    Raises:
        FileExistsError: ``final`` exists and is not a folder (it is left alone).
    """
    staged, final = Path(staged), Path(final)
    if final.is_symlink() or (final.exists() and not final.is_dir()):
        raise FileExistsError(f"{final} exists and is not a folder")
    with interrupts_deferred():  # Ctrl-C here would leave neither folder, or both
        aside_parent = None
        aside = None
        try:
            if final.exists():
                aside_parent = Path(tempfile.mkdtemp(dir=final.parent,
                                                     prefix=f"{TMP_PREFIX}old-"))
                aside = aside_parent / final.name
                os.replace(final, aside)
            os.replace(staged, final)
        except BaseException:
            if aside is not None and aside.exists() and not final.exists():
                os.replace(aside, final)
            raise
        finally:
            if aside_parent is not None:
                shutil.rmtree(aside_parent, ignore_errors=True)
    return final


@contextlib.contextmanager
def staged_dir(final):
    """Assemble a folder in a temporary sibling; swap it in whole on success.

    Usage::

        with staged_dir(out / "replay") as tmp:
            (tmp / "a.csv").write_text(...)
        # out/replay now holds exactly what was written to tmp

    On any exception (including ``KeyboardInterrupt``) the temporary folder is removed,
    ``final`` is left as it was, and a parent folder created here is removed again if
    it is still empty.

    Yields:
        The temporary folder (a ``Path``).
    """
    final = Path(final)
    parent = final.parent
    created = []
    for folder in reversed([parent, *parent.parents]):
        if not folder.exists():
            created.append(folder)
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=parent, prefix=TMP_PREFIX))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; use the usual mode
        yield tmp
        replace_dir(tmp, final)
    except BaseException:
        with interrupts_deferred():  # a second Ctrl-C does not stop the cleaning up
            shutil.rmtree(tmp, ignore_errors=True)
            for folder in reversed(created):
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only if empty
        raise
