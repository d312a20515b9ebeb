"""The oracle, the memorizer and the prompt layout, in process."""

from __future__ import annotations

import pytest

from cpython_retrieval.contexts import render_context
from cpython_retrieval.dataset import load_tier
from cpython_retrieval.memorizer import memorizer_answer
from cpython_retrieval.oracle import (ParsedQuestion, context_index, oracle_answer, parse_question, split_context,
                                      split_prompt)
from cpython_retrieval.prompt import prompt_parts, render_prompt
from cpython_retrieval.question_types import NOT_PRESENT, QUESTION_TYPES
from cpython_retrieval.questions import question_text
from cpython_retrieval.scorers import score_answer


@pytest.mark.parametrize("qtype", list(QUESTION_TYPES))
@pytest.mark.parametrize("name_file", [False, True])
def test_every_template_parses_back(qtype, name_file):
    text = question_text(qtype, "Outer.method", "Lib/pkg/mod.py", "method", name_file)
    q = parse_question(text)
    expected_type = "class_location" if qtype == "absent_symbol" else qtype
    assert q is not None and q.question_type == expected_type
    if qtype in ("method_owner",):
        assert (q.symbol, q.path) == ("Outer.method", "Lib/pkg/mod.py")
    elif qtype == "module_function_count":
        assert q.path == "Lib/pkg/mod.py"
    elif qtype in ("class_location", "absent_symbol", "subclass_count"):  # these never name a file
        assert q.symbol == "Outer.method" and q.path is None
    else:
        assert q.symbol == "Outer.method"
        assert q.path == ("Lib/pkg/mod.py" if name_file else None)


def test_split_context_round_trips_files():
    files = [("Lib/a.py", "def f():\n    pass\n"), ("Lib/b/c.py", "class C:\n    x = 1"), ("Lib/empty.py", "")]
    context = render_context("T25", "original", files)
    got = split_context(context.text)
    assert [p for p, _ in got] == ["Lib/a.py", "Lib/b/c.py", "Lib/empty.py"]
    assert got[0][1] == files[0][1] and got[1][1] == files[1][1] + "\n" and got[2][1] == "\n"


def test_small_context_answers():
    files = [("Lib/a.py", 'class A(Base, metaclass=M):\n    """Docstring of class A here."""\n    @staticmethod\n'
                          '    def go(x, *rest, key=None, **kw) -> "A":\n        pass\n\ndef top():\n    pass\n'),
             ("Lib/b.py", "class B:\n    def other(self):\n        pass\n")]
    text = render_context("T25", "original", files).text

    def ask(question):
        return oracle_answer(render_prompt(question, text))

    assert ask(question_text("class_location", "A", "", "class", False)) == "Lib/a.py"
    assert ask(question_text("absent_symbol", "Missing", "", "class", False)) == NOT_PRESENT
    assert ask(question_text("base_classes", "A", "", "class", False)) == "Base, metaclass=M"
    assert ask(question_text("parameters", "A.go", "", "method", False)) == "x, *rest, key, **kw"
    assert ask(question_text("return_annotation", "A.go", "", "method", False)) == '"A"'
    assert ask(question_text("decorators", "A.go", "", "method", False)) == "@staticmethod"
    assert ask(question_text("docstring_first_line", "A", "", "class", False)) == "Docstring of class A here."
    assert ask(question_text("method_owner", "other", "Lib/b.py", "method", True)) == "B"
    assert ask(question_text("module_function_count", "Lib/a.py", "Lib/a.py", "module", True)) == "1"


def test_closed_book_prompt_gets_not_present():
    prompt = render_prompt(question_text("class_location", "A", "", "class", False), None, no_context=True,
                           cpython_version="3.11.7")
    assert split_prompt(prompt)[0] is None
    assert oracle_answer(prompt) == NOT_PRESENT


def test_parsed_context_is_cached_by_content():
    text = render_context("T25", "original", [("Lib/a.py", "class A:\n    pass\n")]).text
    assert context_index(text) is context_index(str(text))


def test_prompt_parts_joined_with_blank_lines_is_the_rendered_prompt():
    from cpython_retrieval.adapters.inspect_models import messages_text
    from cpython_retrieval.tasks.solver import build_messages

    parts = prompt_parts("Which file defines the class `A`?", "# ===== File: Lib/a.py =====\nclass A: pass\n\n")
    (message,) = build_messages(parts)
    blocks = message.content
    assert [b.text for b in blocks] == [parts.instructions, parts.context_block, parts.question_block]
    assert [bool(b.cache_breakpoint) for b in blocks] == [False, True, False]  # cache_control after the context
    assert blocks[1].text.startswith("<files>\n") and blocks[1].text.endswith("</files>")
    assert messages_text([message]) == parts.as_text() == render_prompt("Which file defines the class `A`?",
                                                                        "# ===== File: Lib/a.py =====\nclass A: pass\n\n")


def _answers(rows, answer):
    out = []
    for r in rows:
        got = answer(render_prompt(r["question"], r["context"]))
        out.append((r, score_answer(r["question_type"], r["answer"], got).correct, got))
    return out


@pytest.mark.parametrize("tier", ["T25", "T50"])
def test_oracle_answers_every_row(small_dataset, tier):
    rows = load_tier(small_dataset, tier)
    assert any(r["perturbed"] for r in rows)
    wrong = [(r["id"], got, r["answer"]) for r, ok, got in _answers(rows, oracle_answer) if not ok]
    assert wrong == []


def test_memorizer_recalls_the_real_stdlib(small_dataset):
    rows = load_tier(small_dataset, "T25")
    results = _answers(rows, memorizer_answer)
    for r, ok, got in results:
        if r["perturbed"]:
            assert not ok, (r["id"], got)
            if r["original_answer"] is not None and r["perturbation_kind"] != "rename":
                assert score_answer(r["question_type"], r["original_answer"], got).correct, (r["id"], got)
        else:
            assert ok == (r["question_type"] != "absent_symbol"), (r["id"], got)


def test_parse_question_rejects_other_text():
    assert parse_question("What is the airspeed of an unladen swallow?") is None
    assert oracle_answer("no files, no question") == NOT_PRESENT
    assert isinstance(parse_question("Question: Which file defines the class `X`?"), ParsedQuestion)
