"""Short texts for people: the first sentences of a description."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9'\"(\[])")


def first_sentences(text: str, min_chars: int = 80, max_sentences: int = 2) -> str:
    """The first sentence of ``text``, and the next while it is shorter than ``min_chars``."""
    text = " ".join(text.split())
    if not text:
        return ""
    sentences = _SENTENCE_END.split(text)
    out = sentences[0]
    for s in sentences[1:max_sentences]:
        if len(out) >= min_chars:
            break
        out += " " + s
    return out
