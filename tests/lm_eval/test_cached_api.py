"""The project's hosted lm-eval models (`lm_eval_tasks/cached_api.py`) through the wrapper against fake Anthropic and
OpenAI servers on 127.0.0.1 that report cache use (tests/inspect/faulty_server.py, `report_cache`): a valid
Anthropic request with one `cache_control` breakpoint at the end of the `<files>` block and no null stop sequence,
OpenAI requests with a stable prefix and `prompt_cache_key`, and cached tokens in the per-row log for both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cpython_retrieval.dataset.store import load_tier
from cpython_retrieval.prompt import prompt_parts
from tests.inspect.faulty_server import FaultyServer

from .conftest import BIN, run

pytestmark = pytest.mark.slow
ROWS = 4


def _answers(dataset: Path) -> dict[str, str]:
    return {prompt_parts(r["question"], None, no_context=True).question_block: r["answer"]
            for r in load_tier(dataset, "T25")}


def _rows(model: str, base_url: str, env: dict[str, str], dataset: Path, out: Path) -> list[dict]:
    run([str(BIN / "cpython-retrieval"), "lm-eval", "--model", model, "--apply_chat_template",
         "--model_args", f"base_url={base_url},model=test-model,num_concurrent=1,max_retries=1",
         "--tasks", "cpython_retrieval_t25", "--limit", str(ROWS), "--output_path", str(out),
         "--metadata", json.dumps({"dataset": str(dataset), "context_window": 200000})], cwd=out.parent, **env)
    (path,) = out.rglob("samples_cpython_retrieval_t25_*.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_anthropic_path_marks_the_context_for_caching_and_records_cached_tokens(small_ds, tmp_path):
    with FaultyServer(answers=_answers(small_ds), wire="anthropic", first_token_delay=0.0, report_cache=True) as server:
        rows = _rows("cpython-retrieval-anthropic-chat", f"{server.base_url}/v1/messages",
                     {"ANTHROPIC_API_KEY": "unused"}, small_ds, tmp_path / "out")
    bodies = [e.body for e in server.chat_exchanges()]
    assert len(bodies) == ROWS
    for body in bodies:
        assert "stop_sequences" not in body or all(isinstance(s, str) and s.strip() for s in body["stop_sequences"])
        (message,) = body["messages"]
        marked = [part for part in message["content"] if part.get("cache_control")]
        assert len(marked) == 1 and marked[0]["cache_control"] == {"type": "ephemeral"}
        assert marked[0]["text"].endswith("</files>") and message["content"][-1]["text"].strip().startswith("Question")
    assert all(r["filtered_resps"] and r["metrics"] for r in rows)
    usage = [r["usage"] for r in rows]
    assert sum(u["cached_write_tokens"] > 0 for u in usage) == 1  # one context: written once ...
    assert sum(u["cached_read_tokens"] > 0 for u in usage) == ROWS - 1  # ... read by every other row
    assert all(u["input_tokens"] >= (u["cached_read_tokens"] + u["cached_write_tokens"]) > 0 for u in usage)


def test_openai_path_sends_a_stable_prefix_and_records_cached_tokens(small_ds, tmp_path):
    with FaultyServer(answers=_answers(small_ds), first_token_delay=0.0, report_cache=True) as server:
        rows = _rows("cpython-retrieval-openai-chat", f"{server.base_url}/chat/completions",
                     {"OPENAI_API_KEY": "unused"}, small_ds, tmp_path / "out")
    bodies = [e.body for e in server.chat_exchanges()]
    assert len(bodies) == ROWS
    assert len({b["prompt_cache_key"] for b in bodies}) == 1  # one context, one key
    usage = [r["usage"] for r in rows]
    assert sum(u["cached_read_tokens"] > 0 for u in usage) == ROWS - 1
    assert all(u["input_tokens"] > 0 and u["output_tokens"] > 0 for u in usage)
