"""Compiling the model's inner loops with Numba, on first use.

Loading Numba costs about 0.3 s, more than one run of a decade gains from it, so
nothing imports it until a compiled loop is asked for. Compiled code is cached on
disk (``cache=True``), keyed on the source file of the loop: editing that file
recompiles it.
"""

from __future__ import annotations

import warnings
from typing import Callable

_compiled: dict[Callable, Callable] = {}
#: None until checked; then "" if Numba imports, else why it does not
_unavailable: str | None = None


def available() -> bool:
    """Whether Numba can be loaded. If it cannot (not installed, or refusing this
    NumPy after an upgrade), say so once: the model then runs its equations on numpy
    arrays, which is slower and gives the same results."""
    global _unavailable
    if _unavailable is None:
        try:
            import numba  # noqa: F401
            _unavailable = ""
        except Exception as err:  # noqa: BLE001 - ImportError, or Numba's own version checks
            _unavailable = f"{type(err).__name__}: {err}"
            warnings.warn(f"Numba is unavailable ({_unavailable}); buffer-sim runs its "
                          "equations on numpy arrays instead: slower, the same results",
                          RuntimeWarning, stacklevel=3)
    return not _unavailable


def compiled(loop: Callable, jitable: tuple[Callable, ...] = (),
             setup: Callable[[], None] | None = None) -> Callable:
    """``loop`` compiled with Numba (once per process).

    Args:
        loop: a plain Python function whose body Numba can compile.
        jitable: plain Python functions the loop calls; they stay callable from Python.
        setup: called first, e.g. to give Numba scalar versions of helpers that take
            arrays in Python (``numba.extending.overload``).
    """
    if loop not in _compiled:
        from numba import njit
        from numba.extending import register_jitable

        if setup is not None:
            setup()
        for function in jitable:
            register_jitable(function)
        _compiled[loop] = njit(cache=True)(loop)
    return _compiled[loop]
