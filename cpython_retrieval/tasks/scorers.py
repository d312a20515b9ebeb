"""Inspect scorers of the retrieval tasks, thin wrappers over the framework-free `cpython_retrieval.scorers`.

- `ast_semantic_match` (primary): `score_answer` on the cold call's answer; also records, for
  perturbed rows, whether the answer matches the real stdlib's answer (`memorized_hit`), and copies
  the per-call figures from the sample store so the metrics read them from `Score.metadata`.
- `substring_match`: the lenient seed-study scorer.
- `factuality_judge`: a grader model (`-T judge=<model>`) reads `render_judge_prompt` and its
  verdict is parsed by `parse_judge_verdict`; an unreadable verdict is unscored, never a 0.

A reply the model did not finish, cut off by the output budget (`--max-tokens`: Inspect's stop
reason `max_tokens`, the servers' finish reason `length`) or by the context window
(`model_length`), or by a content filter (`content_filter`), one decoded from invalid UTF-8, and one stamped
with another model's name than the one asked, gets no credit from any scorer, whatever it happens to contain,
and the explanation says why. (A reply with no finish reason at all never reaches a scorer: the solver
treats it as an error.)
"""

from __future__ import annotations

from typing import Any

from inspect_ai.model import GenerateConfig, get_model
from inspect_ai.scorer import Score, Target, accuracy, scorer
from inspect_ai.solver import TaskState

from ..adapters.reply_checks import finish_problem, model_problem, text_problem
from ..scorers import parse_judge_verdict, rejected_answers, render_judge_prompt, score_answer
from ..scorers import substring_match as _substring_match
from .metrics import (
    accuracy_by_depth,
    accuracy_by_question_type,
    accuracy_by_tier,
    accuracy_wilson,
    call_stats,
    drift_split,
    judged_accuracy,
    perturbation_split,
)
from .solver import CALLS_KEY

#: Row fields the primary score carries, so metrics and reports need nothing else.
_ROW_FIELDS = ("question_type", "tier", "depth", "perturbed", "perturbation_kind", "pair_id", "no_context", "difficulty",
               "drift", "drift_kind", "stale_pin")


#: Inspect stop reasons of a reply that was cut off before the model finished it.
CUT_OFF_STOP_REASONS = {"max_tokens": "the output budget (--max-tokens) ran out",
                        "model_length": "the model's context window ran out"}


def _answer(state: TaskState) -> str:
    return state.output.completion if state.output is not None else ""


def cut_off(state: TaskState) -> str | None:
    """Why the reply gets no credit, or None when the requested model finished it normally.

    Cut off (`CUT_OFF_STOP_REASONS`), cut by a content filter, undecodable, or stamped with another model's name
    (`adapters.reply_checks`): whatever the text holds, it is not the requested model's finished answer.
    """
    output = state.output
    stop = output.stop_reason if output is not None else None
    if stop in CUT_OFF_STOP_REASONS:
        return f"no credit: the reply was cut off (stop_reason {stop}: {CUT_OFF_STOP_REASONS[stop]})"
    if output is None:
        return None
    if stop == "content_filter":
        return f"no credit: {finish_problem(stop)}"
    problem = text_problem(output.completion) if output.completion else None
    problem = problem or model_problem(getattr(state.model, "name", None) or str(state.model), output.model)
    return f"no credit: {problem}" if problem else None


@scorer(metrics=[accuracy_wilson(), accuracy_by_question_type(), accuracy_by_tier(), accuracy_by_depth(),
                 perturbation_split(), drift_split(), call_stats()])
def ast_semantic_match():
    """Primary scorer: the cold answer compared with the expected answer as Python syntax (AST) where it applies."""

    async def score(state: TaskState, target: Target) -> Score:
        md = state.metadata
        answer = _answer(state)
        expected = md.get("answer") if md.get("answer") is not None else target.text
        result = score_answer(md["question_type"], expected, answer, question=md.get("question"))
        cut = cut_off(state)
        memorized = stale = None
        if md.get("perturbed") and md.get("original_answer") is not None and cut is None:
            memorized = score_answer(md["question_type"], md["original_answer"], answer, question=md.get("question")).correct
        if md.get("drift") and md.get("stale_answer") is not None and cut is None:  # answered the older release's value
            stale = score_answer(md["question_type"], md["stale_answer"], answer, question=md.get("question")).correct
        calls = [{k: v for k, v in c.items() if k != "answer"} for c in (state.store.get(CALLS_KEY) or [])]
        metadata: dict[str, Any] = {k: md.get(k) for k in _ROW_FIELDS}
        metadata.update(extracted=result.extracted, memorized_hit=memorized, stale_hit=stale, calls=calls)
        if cut is not None:
            return Score(value=0.0, answer=answer, explanation=cut, metadata=metadata)
        return Score(value=result.value, answer=answer, explanation=result.reason, metadata=metadata)

    return score


@scorer(metrics=[accuracy()], name="substring_match")
def substring_match():
    """Lenient scorer: the normalised expected answer occurs in the normalised answer."""

    async def score(state: TaskState, target: Target) -> Score:
        md = state.metadata
        answer = _answer(state)
        cut = cut_off(state)
        if cut is not None:
            return Score(value=0.0, answer=answer, explanation=cut)
        result = _substring_match(md.get("answer") if md.get("answer") is not None else target.text, answer,
                                  rejected=rejected_answers(md))
        return Score(value=result.value, answer=answer, explanation=result.reason)

    return score


@scorer(metrics=[judged_accuracy()], name="factuality_judge")
def factuality_judge(model: str):
    """A grader model decides whether the answer states the expected answer; unreadable verdicts stay unscored."""

    async def score(state: TaskState, target: Target) -> Score:
        md = state.metadata
        answer = _answer(state)
        expected = md.get("answer") if md.get("answer") is not None else target.text
        cut = cut_off(state)
        if cut is not None:  # nothing for the judge to read: a cut-off reply gets no credit
            return Score(value=0.0, answer=answer, explanation=cut,
                         metadata={"judge_correct": False, "judge_model": model, "judge_reply": None})
        prompt = render_judge_prompt(md.get("question", ""), expected, answer, md["question_type"])
        reply = await get_model(model).generate(prompt, config=GenerateConfig(temperature=0.0))
        verdict = parse_judge_verdict(reply.completion)
        return Score(value=1.0 if verdict.correct else 0.0, answer=answer, explanation=verdict.reason,
                     metadata={"judge_correct": verdict.correct, "judge_model": model, "judge_reply": reply.completion})

    return score
