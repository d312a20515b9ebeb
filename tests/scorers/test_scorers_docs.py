"""The pass/fail examples in docs/scoring.md are real: each row is scored here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cpython_retrieval.question_types import QUESTION_TYPES
from cpython_retrieval.scorers import JUDGE_TEMPLATE, score_answer
from cpython_retrieval.scorers.ast_match import ANSWER_KINDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "scoring.md"
_SPAN = re.compile(r"(`+) ?(.*?) ?\1")


def _code(cell: str) -> str:
    m = _SPAN.fullmatch(cell.strip())
    assert m, cell
    return m.group(2).replace("\\|", "|").replace("\\n", "\n")


def _rows() -> list[tuple[str, str, str, bool]]:
    rows = []
    qtype = expected = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("### "):
            qtype, expected = line[4:].strip(), None
        elif line.startswith("Expected: "):
            expected = _code(line[len("Expected: "):])
        elif qtype in QUESTION_TYPES and expected is not None and re.match(r"^\| `.*\| (pass|fail) \|", line):
            answer_cell = re.match(r"^\| (.*?) \| (pass|fail) \|", line)
            assert answer_cell, line
            rows.append((qtype, expected, _code(answer_cell.group(1)), answer_cell.group(2) == "pass"))
    return rows


ROWS = _rows()


def test_docs_have_examples_for_every_type() -> None:
    assert {row[0] for row in ROWS} == set(QUESTION_TYPES)
    assert {qt.answer_kind for qt in QUESTION_TYPES.values()} <= set(ANSWER_KINDS)


@pytest.mark.parametrize("row", ROWS, ids=[f"{r[0]}-{r[2][:30]!r}" for r in ROWS])
def test_doc_example(row: tuple[str, str, str, bool]) -> None:
    qtype, expected, answer, correct = row
    result = score_answer(qtype, expected, answer)
    assert result.correct is correct, result


def test_docs_show_the_judge_template_as_it_is() -> None:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("```text\nYou are grading")
    block = text[start + len("```text\n"): text.index("```\n", start + 8)]
    assert block == JUDGE_TEMPLATE


def test_docs_python_example_holds() -> None:
    """The session in the page's first code block prints what score_answer returns."""
    text = DOC.read_text(encoding="utf-8")
    block = text[text.index("```python\n") + len("```python\n"):]
    block = block[: block.index("```")]
    lines = block.splitlines()
    namespace: dict = {}
    checked = 0
    for i, line in enumerate(lines):
        if line.startswith("# ") and i and not lines[i - 1].startswith("#"):
            shown = eval(lines[i - 1], namespace)  # noqa: S307 - our own page
            assert repr(shown) == line[2:], (lines[i - 1], shown)
            checked += 1
        elif line and not line.startswith("#"):
            exec(line, namespace)  # noqa: S102 - our own page
    assert checked >= 3
