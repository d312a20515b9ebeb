"""The whole verdict on one output: extract, read the type's answer, then check it is not taken back.

Order matters: an answer is first read as usual (``answer_region`` and ``score_region``); only
when that reads the expected answer is the output checked for contradictions (a negated answer,
a self-correction after an answer), since a wrong answer cannot become more wrong.
"""

from __future__ import annotations

from ..question_types import NOT_PRESENT
from .ast_match import (
    LIST_KINDS,
    has_candidate,
    is_bare_answer,
    is_candidate,
    reads_as,
    restated_otherwise,
    score_region,
)
from .contradictions import correction, negation, negation_of_spans
from .extract import MAX_INPUT_CHARS, answer_region, answer_text, clean
from .hedges import strip_hedges
from .inexact import inexact_count
from .location import absence_spans
from .normalize import find_text_line
from .rejections import alternative, rejected, rejected_spans, struck_through
from .result import ScoreResult, failed


def contradiction(kind: str, expected: str, output: object, question: str | None = None) -> str | None:
    """Why the output, which reads as the expected answer, does not give it after all; None when it does."""
    text = answer_text(output)
    if is_bare_answer(kind, expected, clean(text)):
        return None  # the output is the answer itself: its words are the answer's, not the model's

    def reads(clause: str) -> bool:
        return reads_as(kind, expected, clause, question)

    def candidate(clause: str) -> bool:
        return is_candidate(kind, clean(strip_hedges(clause)))

    if kind == "text_line":  # any words may be a docstring line: only the line itself offers an alternative
        spans = find_text_line(expected, text)
        return (negation_of_spans(text, spans) or rejected_spans(text, spans)
                or struck_through(text, lambda inner: has_candidate(kind, inner), protected=spans)
                or alternative(text, reads, lambda clause: is_bare_answer(kind, expected, clean(clause)),
                               offers=candidate, protected=spans)
                or correction(text, lambda prefix: has_candidate(kind, prefix), protected=spans))
    own_words = absence_spans(text) if kind == "path_or_absent" else ()
    commas = kind not in LIST_KINDS
    return (
        negation(text, reads, commas=commas, protected=own_words)
        or rejected(text, lambda clause: is_bare_answer(kind, expected, clean(strip_hedges(clause))),
                    commas=commas, protected=own_words)
        or struck_through(text, lambda inner: has_candidate(kind, inner, question) or candidate(inner),
                          protected=own_words)
        or (inexact_count(text, int(expected)) if kind == "integer" else None)
        or alternative(text, reads, candidate, protected=own_words)
        or correction(text, lambda prefix: has_candidate(kind, prefix, question), protected=own_words)
        or _another_answer(kind, expected, text)
    )


def _another_answer(kind: str, expected: str, text: str) -> str | None:
    line = restated_otherwise(kind, expected, text)
    return f'another answer is stated: "{line[:80]}"' if line else None


def verdict(kind: str, expected: str, output: object, question: str | None = None) -> ScoreResult:
    """Score ``output`` against ``expected`` for an ``answer_kind`` (``score_answer`` without the type lookup)."""
    region = answer_region(output)
    if region.problem:
        return failed(region.problem)
    if not region.text.strip():
        return failed("no answer found")
    result = score_region(
        kind, expected, region.text, question, unmarked=region.unmarked,
        final_line=region.source not in ("marker", "answer_tag"),
    )
    if not result.correct:
        return result
    if region.truncated:
        return failed(f"output too long: {region.truncated:,} characters before the last {MAX_INPUT_CHARS:,} "
                      "(after reasoning) were not read and could hold another answer", result.extracted)
    problem = contradiction(kind, expected, output, question)
    return failed(problem, result.extracted) if problem else result


def is_not_present(answer: object) -> bool:
    """True when the model's answer says "not present" (in any wording) and names no path.

    The same reading as ``score_answer`` on an absent class (reasoning dropped, answer markers,
    code blocks, the final-line rule, hedges and contradictions all honoured), so adapters and
    scorers agree.
    """
    try:
        return verdict("path_or_absent", NOT_PRESENT, answer).correct
    except Exception:  # noqa: BLE001 - a classifier of model text must never raise
        return False
