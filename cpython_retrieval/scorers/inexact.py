"""Inexact counts: a count stated as a bound or an estimate ("at least 12", "12+", "≥12", "about 12") is not
the count, so it never earns credit, even when the number is right (issue 21)."""

from __future__ import annotations

import re

from .normalize import integer_mentions

_BOUND_BEFORE = re.compile(
    r"(?:\b(?:at\s+(?:least|most)|(?:no|not)\s+(?:more|fewer|less)\s+than|more\s+than|fewer\s+than|less\s+than"
    r"|over|under|above|below|around|about|approximately|approx\.?|roughly|nearly|almost|circa|ca\.|up\s+to"
    r"|upwards\s+of|in\s+excess\s+of|something\s+like|on\s+the\s+order\s+of|an\s+estimated|estimated"
    r"|more\s+or\s+less|estimat(?:e|es|ing)(?:\s+(?:it\s+)?(?:at|to\s+be))?|ballpark)"
    r"|[<>]=?|[≥≤≈∼⩾⩽±]|(?<!~)~)[ \t*_`]*$",
    re.I,
)
_BOUND_AFTER = re.compile(
    r"^[ \t*_`,]*(?:\+|±|\bplus\b|or\s+(?:more|fewer|less|so|above|below|over|under|greater|higher|lower|thereabouts)\b"
    r"|and\s+(?:up|above|over|more)\b|-?ish\b|at\s+(?:least|most)\b|give\s+or\s+take\b"
    r"|\(?\s*(?:approx(?:imately|\.)?|roughly|estimated?|at\s+least|at\s+most|or\s+so)\b)",
    re.I,
)


def inexact_count(text: str, expected: int) -> str | None:
    """Why a mention of ``expected`` in ``text`` is a bound or an estimate, not the count; None when none is."""
    for start, end, value in integer_mentions(text):
        if value != expected:
            continue
        before, after = text[max(0, start - 40): start], text[end: end + 40]
        bound = _BOUND_BEFORE.search(before)
        if bound:
            return f'the count is inexact: "{" ".join((bound.group() + text[start:end]).split())}"'
        bound = _BOUND_AFTER.match(after)
        if bound:
            return f'the count is inexact: "{" ".join((text[start:end] + bound.group()).split())}"'
    return None
