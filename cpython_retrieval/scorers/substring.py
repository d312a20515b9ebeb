"""SubstringMatch: the lenient scorer of the seed study, kept to measure how lenient it is.

The expected answer, normalised, only has to occur somewhere in the normalised model
output (after its reasoning).  It passes hedged and padded answers on purpose: comparing it
with ASTSemanticMatch is what the report's agreement matrix shows.
"""

from __future__ import annotations

import re

from ..question_types import NOT_PRESENT
from .extract import coerce_text, strip_reasoning
from .location import mentions_absence
from .result import ScoreResult, failed, passed

_DROP = re.compile(r"[`*\"'‘’“”]")
_SEPARATORS = re.compile(r"[\s,]+")


def normalize_for_substring(text: str) -> str:
    """Casefold, drop quotes/backticks/emphasis, ``\\`` -> ``/``, commas and whitespace -> one space."""
    text = _DROP.sub("", text.casefold().replace("\\", "/"))
    return _SEPARATORS.sub(" ", text).strip()


def substring_match(expected: str, answer: object) -> ScoreResult:
    """Pass when normalised ``expected`` occurs in the normalised answer.

    Lenient on purpose: a leading ``Lib/`` and a final period of the expected answer are
    optional, and an expected NOT PRESENT also accepts any wording of absence.
    """
    try:
        text = normalize_for_substring(strip_reasoning(coerce_text(answer)))
        want = normalize_for_substring(coerce_text(expected)).rstrip(".").strip()
        if not want:
            return failed("expected answer is empty", scorer="substring")
        if not text:
            return failed("no answer found", scorer="substring")
        if want.startswith("lib/"):
            want = want[4:]
        if want in text:
            return passed(want, "expected answer found in the output", scorer="substring")
        if coerce_text(expected).strip() == NOT_PRESENT and mentions_absence(strip_reasoning(coerce_text(answer))):
            return passed(NOT_PRESENT, "output says the class is absent", scorer="substring")
        return failed("expected answer not found in the output", scorer="substring")
    except Exception as exc:  # noqa: BLE001 - scorers never raise on model text
        return failed(f"internal error ({type(exc).__name__})", scorer="substring")
