"""Messages about names and values a user wrote: an unknown name with the closest known
ones suggested, and a bad value shortened.

Shared by the schema (``schema``) and the checks of the ``uncertain:`` block
(``uncertain_block``), which sit below it, so that both word "unknown priority 'x'
(did you mean 'no_war'?)" alike.
"""

from __future__ import annotations

import difflib
import reprlib

from buffer_sim.core.errors import ScenarioError
from buffer_sim.core.params import PARAMETER_RANGES

_REPR = reprlib.Repr(maxlevel=2, maxstring=40, maxother=40, maxlist=4, maxtuple=4,
                     maxdict=4, maxset=4, maxlong=40)


def show(value) -> str:
    """A bad value as the user wrote it, shortened (never the whole of a huge value)."""
    return _REPR.repr(value)


def suggest(word, options, n: int = 1) -> str:
    """' (did you mean 'x'?)' for the ``n`` closest options, or '' if none is close."""
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=n, cutoff=0.6)
    if not close:
        return ""
    names = [f"'{c}'" for c in close]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f" (did you mean {listed}?)"


def unknown_text(word, options, what) -> str:
    """'unknown WHAT 'word' (did you mean ...?); expected one of: ...'."""
    return (f"unknown {what} {show(word)}{suggest(word, options)}; "
            f"expected one of: {', '.join(sorted(map(str, options)))}")


def unknown(file, field, word, options, what) -> ScenarioError:
    return ScenarioError(file, field, unknown_text(word, options, what))


def unknown_parameter_text(word) -> str:
    """Unknown coefficient: the closest names, not all ~80 of them."""
    return (f"unknown parameter {show(word)}{suggest(word, PARAMETER_RANGES, n=3)}; "
            "see 'buffer-sim params' for every parameter")


def unknown_parameter(file, field, word) -> ScenarioError:
    return ScenarioError(file, field, unknown_parameter_text(word))
