"""Framework-free scoring core: both adapters call these, so they give identical verdicts.

``score_answer`` is the primary scorer (ASTSemanticMatch), ``substring_match`` the lenient
seed-study scorer, and ``render_judge_prompt``/``parse_judge_verdict`` the optional
FactualityJudge.  Rules and examples: docs/scoring.md.
"""

from __future__ import annotations

from ..question_types import QUESTION_TYPES
from .judge import (
    JUDGE_TEMPLATE,
    JudgeVerdict,
    parse_judge_verdict,
    render_judge_prompt,
)
from .result import ScoreResult, failed
from .substring import rejected_answers, substring_match
from .verdict import is_not_present, verdict

__all__ = [
    "JUDGE_TEMPLATE",
    "JudgeVerdict",
    "ScoreResult",
    "is_not_present",
    "parse_judge_verdict",
    "rejected_answers",
    "render_judge_prompt",
    "score_answer",
    "substring_match",
]


def score_answer(question_type: str, expected: str, answer: object, *, question: str | None = None) -> ScoreResult:
    """Score one model answer against the canonical expected answer of a question.

    Never raises on any answer text (a failure to read it is a 0 with a reason); an unknown
    ``question_type`` raises ValueError, because that is a programming error.  ``question``
    (the question as asked) is optional and only helps tell the question's subject apart
    from the answer in prose answers.  An answer that is negated ("not 25"), rejected ("25 is ruled
    out"), struck through, corrected later ("Actually, ..."), offered with an alternative ("25 or 26",
    a later "or just 26"), inexact ("at least 25"), or contradicted by another answer statement at
    any distance scores 0; a hedged single answer ("Maybe 25.") counts as that answer (docs/scoring.md).
    """
    if question_type not in QUESTION_TYPES:
        raise ValueError(f"unknown question type {question_type!r}; known: {', '.join(QUESTION_TYPES)}")
    kind = QUESTION_TYPES[question_type].answer_kind
    try:
        return verdict(kind, str(expected), answer, question if isinstance(question, str) else None)
    except Exception as exc:  # noqa: BLE001 - a verdict, never a crash, on any model output
        return failed(f"internal error ({type(exc).__name__})")
