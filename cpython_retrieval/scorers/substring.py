"""SubstringMatch: the lenient scorer of the seed study, kept to measure how lenient it is.

The expected answer, normalised, only has to occur somewhere in the normalised model
output (after its reasoning).  It passes hedged and padded answers on purpose: comparing it
with ASTSemanticMatch is what the report's agreement matrix shows.  It never credits a row's
rejected answers (the older release's on a drift row, the unperturbed stdlib's on a perturbed row),
which may contain the expected text (``Union[EntryPoints, SelectableGroups]`` contains ``EntryPoints``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

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


def rejected_answers(row: Mapping[str, Any]) -> tuple[str, ...]:
    """The answers a row's output must not be credited for: the older release's (a drift row's
    ``stale_answer``) and the unperturbed stdlib's (a perturbed row's ``original_answer``)."""
    out = []
    if row.get("drift") and row.get("stale_answer") is not None:
        out.append(str(row["stale_answer"]))
    if row.get("perturbed") and row.get("original_answer") is not None:
        out.append(str(row["original_answer"]))
    return tuple(out)


def _states(rejected: str, want: str, expected: str, answer: str, text: str) -> bool:
    """The normalised output ``text`` states the ``rejected`` answer, apart from where it states ``want``."""
    if coerce_text(rejected).strip() == NOT_PRESENT:
        return coerce_text(expected).strip() != NOT_PRESENT and mentions_absence(strip_reasoning(answer))
    other = normalize_for_substring(coerce_text(rejected)).rstrip(".").strip()
    if other.startswith("lib/"):
        other = other[4:]
    if not other or other == want:
        return False
    if want in other:  # the rejected answer contains the expected one ("Union[EntryPoints, ...]")
        return _occurs(other, text)
    return _occurs(other, text.replace(want, "\x00"))  # occurrences inside the expected answer do not count


def _occurs(needle: str, text: str) -> bool:
    """``needle`` in ``text``, not as part of a longer name (a stale ``str`` is not in "string")."""
    left = r"(?<!\w)" if needle[:1].isalnum() or needle[:1] == "_" else ""
    right = r"(?!\w)" if needle[-1:].isalnum() or needle[-1:] == "_" else ""
    return re.search(left + re.escape(needle) + right, text) is not None


def substring_match(expected: str, answer: object, *, rejected: Iterable[str] = ()) -> ScoreResult:
    """Pass when normalised ``expected`` occurs in the normalised answer.

    Lenient on purpose: a leading ``Lib/`` and a final period of the expected answer are
    optional, and an expected NOT PRESENT also accepts any wording of absence. Never lenient
    about ``rejected`` answers (``rejected_answers(row)``: the older release's or the unperturbed
    stdlib's): an output that states one of them fails, even when the expected text occurs in it.
    """
    try:
        raw = coerce_text(answer)
        text = normalize_for_substring(strip_reasoning(raw))
        want = normalize_for_substring(coerce_text(expected)).rstrip(".").strip()
        if not want:
            return failed("expected answer is empty", scorer="substring")
        if not text:
            return failed("no answer found", scorer="substring")
        if want.startswith("lib/"):
            want = want[4:]
        for other in rejected:
            if _states(other, want, expected, raw, text):
                return failed(f"the output states a rejected answer ({coerce_text(other)[:80]!r}: the older "
                              "release's or the unperturbed stdlib's)", scorer="substring")
        if want in text:
            return passed(want, "expected answer found in the output", scorer="substring")
        if coerce_text(expected).strip() == NOT_PRESENT and mentions_absence(strip_reasoning(raw)):
            return passed(NOT_PRESENT, "output says the class is absent", scorer="substring")
        return failed("expected answer not found in the output", scorer="substring")
    except Exception as exc:  # noqa: BLE001 - scorers never raise on model text
        return failed(f"internal error ({type(exc).__name__})", scorer="substring")
