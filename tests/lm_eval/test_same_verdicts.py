"""The same answers get the same verdicts under Inspect and lm-eval (one scoring core)."""

from __future__ import annotations

import asyncio

import pytest

from cpython_retrieval.dataset.store import load_tier
from cpython_retrieval.lm_eval_tasks import utils
from cpython_retrieval.reference.oracle import oracle_answer
from cpython_retrieval.scorers import rejected_answers, score_answer, substring_match


def _variants(row: dict, prompt: str, others: list[str]) -> list[object]:
    answer = row["answer"]
    out: list[object] = [
        answer, oracle_answer(prompt), f"`{answer}`", f"Answer: {answer}", f"The answer is {answer}.",
        f"```python\n{answer}\n```", f"<think>let me look</think>{answer}", answer.lower(), answer + " (I think)",
        "", None, "NOT PRESENT", "I don't know.", *others,
    ]
    if row.get("original_answer"):
        out += [row["original_answer"], f"`{row['original_answer']}`"]
    if row.get("stale_answer"):  # a drift row answered with the older release's value
        out += [row["stale_answer"], f"Answer: {row['stale_answer']}"]
    return out


@pytest.fixture(scope="module")
def pairs(small_ds):
    """(lm-eval doc, Inspect sample metadata, answer) for every row of T25/T50 and a spread of answers."""
    out = []
    for tier in ("T25", "T50"):
        rows = load_tier(small_ds, tier)
        docs = utils.load_docs(tier, dataset=str(small_ds), context_window=10**6)["test"]
        for doc, row in zip(docs, rows, strict=True):
            assert doc["id"] == row["id"]
            others = [r["answer"] for r in rows if r["question_type"] == row["question_type"] and r["id"] != row["id"]][:2]
            metadata = {k: v for k, v in row.items() if k != "context"}  # as the Inspect task builds it
            for answer in _variants(row, utils.doc_to_text(doc), others):
                out.append((doc, metadata, answer))
    return out


def test_enough_pairs_of_both_verdicts(pairs):
    verdicts = [utils.process_results(doc, [answer])["score"] for doc, _, answer in pairs]
    assert len(pairs) > 300 and 0 < sum(verdicts) < len(verdicts)
    assert any(doc["perturbed"] for doc, _, _ in pairs)


def test_process_results_is_the_scoring_core(pairs):
    for doc, _, answer in pairs:
        got = utils.process_results(doc, [answer])
        core = score_answer(doc["question_type"], doc["answer"], answer, question=doc["question"])
        assert got["score"] == core.value
        assert got[f"score_{doc['question_type']}"] == core.value
        assert got["substring_match"] == substring_match(doc["answer"], answer, rejected=rejected_answers(doc)).value
        assert ("score_perturbed" if doc["perturbed"] else "score_ordinary") in got


def test_inspect_and_lm_eval_give_the_same_verdicts(pairs):
    pytest.importorskip("inspect_ai")
    from inspect_ai.model import ModelOutput
    from inspect_ai.scorer import Target
    from inspect_ai.solver import TaskState

    from cpython_retrieval.tasks.scorers import ast_semantic_match
    from cpython_retrieval.tasks.scorers import substring_match as inspect_substring

    primary, lenient = ast_semantic_match(), inspect_substring()

    async def inspect_verdicts():
        out = []
        for i, (_, metadata, answer) in enumerate(pairs):
            state = TaskState(model="test/model", sample_id=i, epoch=0, input=metadata["question"], messages=[],
                              output=ModelOutput.from_content("test/model", "" if answer is None else answer),
                              metadata=dict(metadata))
            target = Target(metadata["answer"])
            out.append((await primary(state, target), await lenient(state, target)))
        return out

    for (doc, _, answer), (score, sub) in zip(pairs, asyncio.run(inspect_verdicts()), strict=True):
        response = "" if answer is None else answer  # Inspect always has a completion string
        got = utils.process_results(doc, [response])
        assert got["score"] == score.value, (doc["id"], answer)
        assert got["substring_match"] == sub.value, (doc["id"], answer)
        memorized = score.metadata.get("memorized_hit")
        if memorized is None:
            assert "memorized_hit" not in got
        else:
            assert got["memorized_hit"] == float(memorized), (doc["id"], answer)
