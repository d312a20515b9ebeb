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
