"""The reference grader: answers a FactualityJudge prompt with the project's own exact scorer, so the judge path
(the prompt, the verdict parser, the agreement matrices and the blended quality) runs end to end offline.

It reads back what `scorers.judge.render_judge_prompt` wrote (the question type, the question, the expected
answer and the model's answer, unescaping the `&amp; &lt; &gt;` the template applies inside its tags), grades
with `score_answer`, and replies as a judge is asked to: a short reason, then `VERDICT: CORRECT` or
`VERDICT: INCORRECT`. A prompt it cannot read gets a reply without a verdict, which the parser leaves unscored.
Its agreement with the AST scorer is therefore 1.0 by construction, except where the judge prompt cut a long
answer (`MAX_JUDGE_ANSWER_CHARS`): a check of the plumbing, not of a judge's judgement.
"""

from __future__ import annotations

import html
import re

from ..question_types import QUESTION_TYPES
from ..scorers import score_answer

_TYPE = re.compile(r"^Question type: (\S+)$", re.M)
CUT_MARK = "[... start of answer cut ...]\n"


def _tag(prompt: str, name: str, *, last: bool = False) -> str | None:
    open_tag, close_tag = f"<{name}>\n", f"\n</{name}>"
    start = prompt.rfind(open_tag) if last else prompt.find(open_tag)
    if start < 0:
        return None
    end = prompt.rfind(close_tag) if last else prompt.find(close_tag, start)
    return None if end < start else html.unescape(prompt[start + len(open_tag):end])


def read_judge_prompt(prompt: str) -> tuple[str, str, str, str] | None:
    """(question type, question, expected answer, model answer) from a judge prompt, or None if it is not one."""
    qtype = _TYPE.search(prompt)
    question = _tag(prompt, "question")
    expected = _tag(prompt, "expected_answer")
    answer = _tag(prompt, "model_answer", last=True)
    if qtype is None or qtype.group(1) not in QUESTION_TYPES or None in (question, expected, answer):
        return None
    return qtype.group(1), question, expected, answer.removeprefix(CUT_MARK)


def grade_judge_prompt(prompt: str) -> str:
    """The grader's reply to a judge prompt."""
    parts = read_judge_prompt(prompt)
    if parts is None:
        return "This is not a judge prompt of the cpython_retrieval tasks; no verdict."
    qtype, question, expected, answer = parts
    result = score_answer(qtype, expected, answer, question=question)
    word = "CORRECT" if result.correct else "INCORRECT"
    return f"Graded with the project's exact {qtype} scorer: {result.reason}.\nVERDICT: {word}"
