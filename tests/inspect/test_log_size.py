"""The context stays out of Inspect logs through the real providers (`vllm/`, `openai/`, `anthropic/`): neither a
model event's input nor its raw request (`call.request`) holds it, by default; `-T log_context=true` keeps it.
Fake wire-format servers on 127.0.0.1 (tests/inspect/faulty_server.py) answer.
"""

from __future__ import annotations

import hashlib

import pytest
from inspect_ai.log import resolve_sample_attachments

from cpython_retrieval.dataset.store import load_contexts, load_tier
from cpython_retrieval.prompt import prompt_parts

from .conftest import eval_logs, run_inspect
from .faulty_server import FaultyServer

pytestmark = pytest.mark.slow

SAMPLES = 4
#: Per sample with three trials, the context omitted (measured about 20-30 KB, mostly Inspect's own records);
#: a T25 context alone is about 100 KB.
MAX_BYTES_PER_SAMPLE = 60_000

PROVIDERS = {
    "vllm": ("vllm/faulty", "openai", lambda url: {"VLLM_BASE_URL": url, "VLLM_API_KEY": "unused"}),
    "openai": ("openai/gpt-4.1", "openai", lambda url: {"OPENAI_BASE_URL": url, "OPENAI_API_KEY": "unused"}),
    "anthropic": ("anthropic/claude-sonnet-4-5", "anthropic",
                  lambda url: {"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": "unused"}),
}


def _text(value) -> str:
    """Every string inside a request (dicts, lists) joined, unescaped (a repr would escape the context's newlines)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(_text(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(_text(v) for v in value)
    return ""


@pytest.fixture(scope="module")
def rows(small_dataset) -> list[dict]:
    return [r for r in load_tier(small_dataset, "T25") if not r["perturbed"]][:SAMPLES]


def _run(provider: str, rows, small_dataset, tmp_path, *extra: str):
    model, wire, env = PROVIDERS[provider]
    answers = {prompt_parts(r["question"], None, no_context=True).question_block: r["answer"] for r in rows}
    log_dir = tmp_path / "logs"
    with FaultyServer(answers=answers, wire=wire, first_token_delay=0.0) as server:
        run_inspect(["eval", "cpython_retrieval/T25", "--model", model, "-T", f"dataset={small_dataset}",
                     "-T", "perturbed=exclude", "-T", "trials=3", "--limit", str(len(rows)), "--log-dir", str(log_dir),
                     *extra], env=env(server.base_url), timeout=300)
    (log,) = eval_logs(log_dir)
    (path,) = log_dir.glob("*.eval")
    return log, path.stat().st_size, server


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_raw_requests_name_the_context_instead_of_holding_it(provider, rows, small_dataset, tmp_path):
    log, size, server = _run(provider, rows, small_dataset, tmp_path)
    assert log.status == "success"
    (context_id,) = {r["context_id"] for r in rows}
    context = load_contexts(small_dataset, {context_id})[context_id]
    digest = hashlib.sha256(context.encode("utf-8", "surrogatepass")).hexdigest()
    # the server received the whole context on every call
    assert len(server.chat_exchanges()) == 3 * len(rows)
    assert all(context in _text(e.body) for e in server.chat_exchanges())
    probe = context[len(context) // 2: len(context) // 2 + 200]
    for sample in log.samples:
        sample = resolve_sample_attachments(sample, "full")
        events = [e for e in sample.events if e.event == "model"]
        assert len(events) == 3
        for event in events:
            assert event.call is not None
            request = _text(event.call.request)
            assert probe not in request and probe not in _text([m.model_dump() for m in event.input])
            assert f"context {context_id} sha256:{digest}" in request
        assert sample.scores["ast_semantic_match"].value == 1.0
    assert size < MAX_BYTES_PER_SAMPLE * len(rows), size


def test_log_context_keeps_it(rows, small_dataset, tmp_path):
    log, size, _ = _run("vllm", rows[:1], small_dataset, tmp_path, "-T", "log_context=true")
    (context_id,) = {r["context_id"] for r in rows}
    context = load_contexts(small_dataset, {context_id})[context_id]
    probe = context[len(context) // 2: len(context) // 2 + 200]
    (sample,) = log.samples
    sample = resolve_sample_attachments(sample, "full")
    assert all(probe in _text(e.call.request) for e in sample.events if e.event == "model")
