"""Framework-free scoring core: both adapters call these, so they give identical verdicts.

``score_answer`` is the primary scorer (ASTSemanticMatch), ``substring_match`` the lenient
seed-study scorer, and ``render_judge_prompt``/``parse_judge_verdict`` the optional
FactualityJudge.  Rules and examples: docs/scoring.md.
"""

from __future__ import annotations

from ..question_types import QUESTION_TYPES
from .ast_match import score_region
from .extract import answer_region
from .judge import JUDGE_TEMPLATE, JudgeVerdict, parse_judge_verdict, render_judge_prompt
from .location import is_not_present
from .result import ScoreResult, failed
from .substring import substring_match

__all__ = [
    "JUDGE_TEMPLATE",
    "JudgeVerdict",
    "ScoreResult",
    "is_not_present",
    "parse_judge_verdict",
    "render_judge_prompt",
    "score_answer",
    "substring_match",
]


def score_answer(question_type: str, expected: str, answer: object, *, question: str | None = None) -> ScoreResult:
    """Score one model answer against the canonical expected answer of a question.

    Never raises on any answer text (a failure to read it is a 0 with a reason); an unknown
    ``question_type`` raises ValueError, because that is a programming error.  ``question``
    (the question as asked) is optional and only helps tell the question's subject apart
    from the answer in prose answers.
    """
    if question_type not in QUESTION_TYPES:
        raise ValueError(f"unknown question type {question_type!r}; known: {', '.join(QUESTION_TYPES)}")
    kind = QUESTION_TYPES[question_type].answer_kind
    try:
        region = answer_region(answer)
        if region.problem:
            return failed(region.problem)
        if not region.text.strip():
            return failed("no answer found")
        question = question if isinstance(question, str) else None
        return score_region(kind, str(expected), region.text, question, unmarked=region.unmarked)
    except Exception as exc:  # noqa: BLE001 - a verdict, never a crash, on any model output
        return failed(f"internal error ({type(exc).__name__})")
