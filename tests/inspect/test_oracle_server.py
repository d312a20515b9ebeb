"""The OpenAI-compatible oracle server, with the openai client (no network: 127.0.0.1)."""

from __future__ import annotations

import time

import openai
import pytest

from cpython_retrieval.adapters.oracle_server import start_oracle_server
from cpython_retrieval.dataset import load_tier
from cpython_retrieval.prompt import prompt_parts


@pytest.fixture()
def server():
    srv, url = start_oracle_server(first_token_delay=0.05)
    yield srv, openai.OpenAI(base_url=url, api_key="unused", max_retries=0)
    srv.stop()


@pytest.fixture(scope="module")
def rows(small_dataset):
    return [r for r in load_tier(small_dataset, "T25") if not r["perturbed"]][:3]  # one shared context


def _messages(row):
    p = prompt_parts(row["question"], row["context"])
    return [{"role": "user", "content": [{"type": "text", "text": t} for t in (p.instructions, p.context_block, p.question_block)]}]


def test_stream_reports_ttft_usage_and_prefix_cache(server, rows):
    srv, client = server
    seen = []
    for row in rows:
        start = time.perf_counter()
        first, text, usage = None, "", None
        stream = client.chat.completions.create(model="oracle", messages=_messages(row), stream=True,
                                                stream_options={"include_usage": True})
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                first = first or time.perf_counter() - start
                text += chunk.choices[0].delta.content
            if chunk.usage:
                usage = chunk.usage
        assert text == row["answer"] and first >= 0.05
        seen.append(usage)
    assert seen[0].prompt_tokens_details.cached_tokens == 0  # nothing seen before
    for usage in seen[1:]:  # same instructions + context: all but the question is a cached prefix
        cached = usage.prompt_tokens_details.cached_tokens
        assert cached % 16 == 0 and 0.9 * usage.prompt_tokens < cached < usage.prompt_tokens


def test_non_stream_chat_completions_and_models(server, rows):
    srv, client = server
    out = client.chat.completions.create(model="oracle", messages=_messages(rows[0]))
    assert out.choices[0].message.content == rows[0]["answer"]
    again = client.chat.completions.create(model="oracle", messages=_messages(rows[0]))
    assert again.usage.prompt_tokens_details.cached_tokens >= again.usage.prompt_tokens - 16
    p = prompt_parts(rows[1]["question"], rows[1]["context"])
    assert client.completions.create(model="oracle", prompt=p.as_text()).choices[0].text == rows[1]["answer"]
    assert [m.id for m in client.models.list()] == ["oracle"]
    assert [r["status"] for r in srv.requests] == [200, 200, 200]


def test_max_context_tokens_gives_400(rows):
    srv, url = start_oracle_server(first_token_delay=0.0, max_context_tokens=1000)
    try:
        client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0)
        with pytest.raises(openai.BadRequestError, match="maximum context length is 1000"):
            client.chat.completions.create(model="oracle", messages=_messages(rows[0]))
    finally:
        srv.stop()


# -- simulated prefix cache: the figures of comparing whole texts -----------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cpython_retrieval import tokens  # noqa: E402
from cpython_retrieval.adapters.oracle_server import _PrefixCache  # noqa: E402
from cpython_retrieval.prompt import render_prompt  # noqa: E402
from cpython_retrieval.prompt_cache import headed, prompt_tokens  # noqa: E402
from cpython_retrieval.tokens import get_counter  # noqa: E402

COUNTER = get_counter("o200k_base")


class WholeTextPrefixCache:
    """The simulation as first written: the longest common prefix with any of the last `remember` distinct
    prompts, compared as whole texts, counted whole, rounded down to blocks, never the whole prompt."""

    def __init__(self, block: int = 16, remember: int = 64) -> None:
        self.block, self.remember, self.prompts = block, remember, []

    def lookup_and_add(self, text: str) -> int:
        best = max((next((i for i, (x, y) in enumerate(zip(seen, text)) if x != y), min(len(seen), len(text)))
                    for seen in self.prompts), default=0)
        if text in self.prompts:
            self.prompts.remove(text)
        self.prompts.append(text)
        del self.prompts[:-self.remember]
        if best == 0:
            return 0
        return max(0, min(COUNTER.count(text[:best]), COUNTER.count(text) - 1) // self.block * self.block)


def _figures(texts, remember=64, block=16):
    old, new = WholeTextPrefixCache(block, remember), _PrefixCache(block, remember)
    for text in texts:
        prompt = headed(text)
        yield old.lookup_and_add(text), new.lookup_and_add(prompt, prompt_tokens(prompt, COUNTER), COUNTER)


def test_cached_tokens_are_those_of_whole_text_comparison(small_dataset):
    """A run's sequence: two tiers (prefix-aligned contexts), ordinary and perturbed rows, repeats, closed-book
    prompts, completions prompts that are prefixes of others, and more distinct prompts than are remembered."""
    texts = []
    for tier in ("T25", "T50"):
        for row in load_tier(small_dataset, tier)[:12]:
            prompt = render_prompt(row["question"], row["context"])
            texts += [prompt, prompt]
            texts.append(render_prompt(row["question"], None, cpython_version="3.11.7", no_context=True))
    texts += [texts[0][:5000], texts[0][:5000] + "more", texts[0][:5000] + "Question: x", texts[3]]
    # heads that are prefixes of other heads, with tails that run on into the longer head
    texts += ["abQuestion: x", "abQuestion: xyzQuestion: w", "abQuestion: xy", "ab", "abQuestion: xyzQuestion: v"]
    old_and_new = list(_figures(texts, remember=20))
    assert [old for old, _ in old_and_new] == [new for _, new in old_and_new]
    assert sum(1 for old, _ in old_and_new if old > 10_000) > 20  # long cached prefixes were exercised


_PIECES = ["a", "b", "\n", "Question: ", "Question: ", "<files>\n", "</files>\n\n", "def f():\n    pass\n"]


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join), min_size=1, max_size=25),
       remember=st.integers(min_value=1, max_value=6), block=st.sampled_from([1, 4, 16]),
       chunk=st.integers(min_value=8, max_value=40))
def test_cached_tokens_property(texts, remember, block, chunk):
    saved = tokens._CHUNK_CHARS
    tokens._CHUNK_CHARS = chunk
    try:
        texts = texts + texts[::2]  # repeats
        old_and_new = list(_figures(texts, remember, block))
        assert [old for old, _ in old_and_new] == [new for _, new in old_and_new]
    finally:
        tokens._CHUNK_CHARS = saved
