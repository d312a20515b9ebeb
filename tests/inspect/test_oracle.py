"""The oracle, the memorizer and the prompt layout, in process."""

from __future__ import annotations

import json

import pytest

from cpython_retrieval.dataset.store import load_tier
from cpython_retrieval.generate.contexts import render_context
from cpython_retrieval.generate.questions import question_text
from cpython_retrieval.prompt import prompt_parts, render_prompt
from cpython_retrieval.question_types import NOT_PRESENT, QUESTION_TYPES
from cpython_retrieval.reference.memorizer import memorizer_answer
from cpython_retrieval.reference.oracle import (
    ParsedQuestion,
    context_index,
    oracle_answer,
    parse_question,
    split_context,
    split_prompt,
)
from cpython_retrieval.scorers import score_answer


@pytest.mark.parametrize("qtype", list(QUESTION_TYPES))
@pytest.mark.parametrize("name_file", [False, True])
def test_every_template_parses_back(qtype, name_file):
    text = question_text(qtype, "Outer.method", "Lib/pkg/mod.py", "method", name_file)
    q = parse_question(text)
    expected_type = "class_location" if qtype == "absent_symbol" else qtype
    assert q is not None and q.question_type == expected_type
    if qtype in ("method_owner", "import_source"):  # these always name a file
        assert (q.symbol, q.path) == ("Outer.method", "Lib/pkg/mod.py")
    elif qtype == "module_function_count":
        assert q.path == "Lib/pkg/mod.py"
    elif qtype in ("class_location", "absent_symbol", "subclass_count", "method_definer_count"):  # never a file
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


@pytest.mark.slow
@pytest.mark.parametrize("size", ["default", "full"])
def test_oracle_answers_every_row_of_every_canonical_context(size):
    from cpython_retrieval.dataset.canonical import canonical_dir
    from cpython_retrieval.dataset.store import dataset_tiers

    folder = canonical_dir(size)
    contexts = set()
    for tier in dataset_tiers(folder):
        rows = load_tier(folder, tier)
        contexts |= {r["context_id"] for r in rows}
        wrong = [(r["id"], got, r["answer"]) for r, ok, got in _answers(rows, oracle_answer) if not ok]
        assert wrong == [], tier
    manifest = json.loads((folder / "manifest.json").read_text())
    assert len(contexts) == sum(info["contexts"] for info in manifest["tiers"].values())


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


# -- work done once per context, figures exact -------------------------------------------------

import asyncio  # noqa: E402
import threading  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cpython_retrieval import tokens  # noqa: E402
from cpython_retrieval.reference import oracle, prompt_cache  # noqa: E402
from cpython_retrieval.reference.prompt_cache import (  # noqa: E402
    OnceCache,
    common_prefix_len,
    headed,
    headed_parts,
    prefix_tokens,
    prompt_tokens,
)
from cpython_retrieval.tokens import get_counter  # noqa: E402

COUNTER = get_counter("o200k_base")


def _chunked(chunk: int):
    """Count with `chunk`-character pieces (small, so short texts exercise the per-head chunk plan)."""
    class Chunked:
        def __enter__(self):
            self.saved = tokens._CHUNK_CHARS
            tokens._CHUNK_CHARS = chunk

        def __exit__(self, *exc):
            tokens._CHUNK_CHARS = self.saved

    return Chunked()


@pytest.mark.parametrize("chunk", [None, 4096, 997])
def test_prompt_tokens_equal_a_full_count_on_every_row(small_dataset, chunk):
    with _chunked(chunk or tokens._CHUNK_CHARS):
        for tier in ("T25", "T50"):
            for row in load_tier(small_dataset, tier):
                parts = prompt_parts(row["question"], row["context"], cpython_version=row["cpython_version"])
                text = parts.as_text()
                full = COUNTER.count(text)
                assert prompt_tokens(headed(text), COUNTER) == full
                assert prompt_tokens(headed_parts([parts.instructions, parts.context_block, parts.question_block]),
                                     COUNTER) == full
                for upto in (1, len(text) // 3, len(text) - len(parts.question_block) + 5, len(text) - 1):
                    assert prefix_tokens(headed(text), upto, COUNTER) == COUNTER.count(text[:upto])


_PIECES = [*"ab Q:\n\té", "  ", "\n\n", "Question: ", "<files>\n", "</files>", "def f():\n    pass"]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=120).map("".join)


@settings(max_examples=150, deadline=None)
@given(head=_TEXT, tails=st.lists(_TEXT, min_size=1, max_size=4), chunk=st.integers(min_value=8, max_value=64))
def test_prefix_counts_follow_the_full_count(head, tails, chunk):
    """Prompts sharing a head: every prefix count equals counting that prefix whole (same chunking)."""
    with _chunked(chunk):
        for tail in tails:
            text = head + tail
            prompt = headed(text)
            assert prompt_tokens(prompt, COUNTER) == COUNTER.count(text)
        for upto in range(len(text) + 1):  # every cut, so every chunk boundary of the plan is crossed
            assert prefix_tokens(prompt, upto, COUNTER) == COUNTER.count(text[:upto])


@given(parts=st.lists(st.text(alphabet="ab\nQ", max_size=30) | st.sampled_from(["Question: x", "\n", "\n\n"]),
                      max_size=5),
       big=st.booleans())
def test_headed_parts_splits_like_headed_and_keys_only_equal_heads(parts, big):
    saved = prompt_cache._BIG_PART
    prompt_cache._BIG_PART = 1 if big else saved  # digest every part by identity, or none
    try:
        a = headed_parts(parts)
        b = headed("\n\n".join(p for p in parts if p))
        assert (a.text, a.head_len) == (b.text, b.head_len)
        # a head one separator character longer or shorter never gets the same key
        for other in (parts + ["\n"], [*parts[:-1], parts[-1] + "\n"] if parts else ["\n"]):
            c = headed_parts(other)
            assert (c.key == a.key) == (c.head == a.head)
    finally:
        prompt_cache._BIG_PART = saved


@given(a=st.text(alphabet="ab", max_size=300), b=st.text(alphabet="ab", max_size=300),
       block=st.integers(min_value=1, max_value=70))
def test_common_prefix_len(a, b, block):
    expected = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    assert common_prefix_len(a, b, block=block) == expected


def test_once_cache_computes_once_for_concurrent_callers_and_retries_after_an_error():
    cache: OnceCache[str, int] = OnceCache(4)
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow():
        calls.append(1)
        started.set()
        release.wait(5)
        return 42

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(8)]
    threads[0].start()
    started.wait(5)
    for t in threads[1:]:
        t.start()
    release.set()
    for t in threads:
        t.join(5)
    assert results == [42] * 8 and len(calls) == 1 and cache.computed == 1

    def fail():
        raise ValueError("boom")

    with pytest.raises(ValueError):
        cache.get("bad", fail)
    assert cache.get("bad", lambda: 7) == 7  # a failed computation is not remembered
    for key in "abcdef":
        cache.get(key, lambda: 0)
    assert cache.get("k", lambda: -1) == -1  # evicted: the LRU holds 4


def test_each_context_is_parsed_once_and_a_changed_context_reparses_only_changed_files():
    files = [(f"Lib/once_{i}.py", f"class C{i}:\n    def m(self) -> int:\n        pass\n") for i in range(6)]
    text = render_context("T25", "original", files).text
    prompts = [render_prompt(question_text("class_location", f"C{i}", "", "class", False), text) for i in range(6)]
    before = (oracle._FILES.computed, oracle._CONTEXTS.computed)
    answers = []
    threads = [threading.Thread(target=lambda p=p: answers.append(oracle_answer(p))) for p in prompts * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(answers) == sorted([f"Lib/once_{i}.py" for i in range(6)] * 3)
    assert (oracle._FILES.computed - before[0], oracle._CONTEXTS.computed - before[1]) == (6, 1)
    changed = [*files[:5], (files[5][0], files[5][1].replace("int", "str"))]
    changed_text = render_context("T25", "perturbed", changed).text
    assert oracle_answer(render_prompt(question_text("return_annotation", "C5.m", "", "method", False),
                                       changed_text)) == "str"
    assert (oracle._FILES.computed - before[0], oracle._CONTEXTS.computed - before[1]) == (7, 2)


def test_reference_model_usage_is_the_full_prompt_count(small_dataset):
    """What `cpython_retrieval/oracle` reports as input_tokens is the o200k count of the whole prompt."""
    from inspect_ai.model import get_model

    from cpython_retrieval.tasks.solver import build_messages

    rows = [r for r in load_tier(small_dataset, "T50")][:6]

    async def usages(name):
        model = get_model(f"cpython_retrieval/{name}")
        out = []
        for row in rows:
            parts = prompt_parts(row["question"], row["context"], cpython_version=row["cpython_version"])
            messages = build_messages(parts)
            for _ in range(2):  # a warm call reuses the cold call's count
                output = await model.generate(messages, cache=False)
                out.append((parts.as_text(), output))
        return out

    for name in ("oracle", "grep", "shotgun", "memorizer"):
        for text, output in asyncio.run(usages(name)):
            assert output.usage.input_tokens == COUNTER.count(text)
            assert output.usage.output_tokens == max(1, COUNTER.count(output.completion))
