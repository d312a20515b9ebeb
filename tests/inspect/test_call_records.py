"""Per-call records that keep apart what they measure, through Inspect's real `openai/` provider against a fake
server on 127.0.0.1 (tests/inspect/faulty_server.py): reasoning tokens beside answer tokens (Responses API and
chat completions), the one-time reasoning-summary probe outside the first call's `latency_s` and TTFT, and the
client's event-loop lag recorded beside TTFT.
"""

from __future__ import annotations

import pytest

from cpython_retrieval.dataset.store import load_tier
from cpython_retrieval.prompt import prompt_parts
from cpython_retrieval.tasks.solver import CALLS_KEY

from .conftest import eval_logs, run_inspect
from .faulty_server import FaultyServer

pytestmark = pytest.mark.slow

REASONING_TOKENS = 50
#: The probe's own delay: a first call that paid for it would take at least this long (the calls here take 0.1-1.3 s).
PROBE_DELAY_S = 4.0


@pytest.fixture(scope="module")
def answers(small_dataset) -> dict[str, str]:
    rows = [r for r in load_tier(small_dataset, "T25") if not r["perturbed"]][:3]
    return {prompt_parts(r["question"], None, no_context=True).question_block: r["answer"] for r in rows}


def _calls(model: str, server: FaultyServer, small_dataset, tmp_path, *extra: str) -> list[dict]:
    log_dir = tmp_path / "logs"
    run_inspect(["eval", "cpython_retrieval/T25", "--model", model, "-T", f"dataset={small_dataset}",
                 "-T", "perturbed=exclude", "-T", "trials=2", "--limit", "3", "--max-connections", "1",
                 "--log-dir", str(log_dir), *extra],
                env={"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "unused"}, timeout=300)
    (log,) = eval_logs(log_dir)
    assert log.status == "success"
    assert all(s.scores["ast_semantic_match"].value == 1.0 for s in log.samples)
    return [c for s in log.samples for c in s.store[CALLS_KEY]]


def test_responses_api_reasoning_tokens_apart_and_probe_outside_latency(answers, small_dataset, tmp_path):
    with FaultyServer(answers=answers, first_token_delay=0.05, models_delay=PROBE_DELAY_S,
                      reasoning_tokens=REASONING_TOKENS) as server:
        calls = _calls("openai/o3", server, small_dataset, tmp_path)
    assert server.responses_probes == 1  # the provider's probe ran (once), and ...
    assert all(e.path == "/v1/responses" for e in server.chat_exchanges())
    for call in calls:
        # ... no call's latency or TTFT holds it, the first included
        assert call["latency_s"] < PROBE_DELAY_S, call
        assert call["ttft_source"] == "stream" and call["ttft_s"] < PROBE_DELAY_S, call
        assert call["reasoning_tokens"] == REASONING_TOKENS
        assert call["answer_tokens"] == len(call["answer"].split(" "))
        assert call["output_tokens"] == call["reasoning_tokens"] + call["answer_tokens"]
        assert call["loop_lag_s"] is not None and 0 <= call["loop_lag_s"] <= call["ttft_s"] + 0.1


def test_chat_completions_reasoning_tokens_apart(answers, small_dataset, tmp_path):
    with FaultyServer(answers=answers, first_token_delay=0.05, reasoning_tokens=REASONING_TOKENS) as server:
        calls = _calls("openai/o3", server, small_dataset, tmp_path, "-M", "responses_api=false")
    assert all(e.path == "/v1/chat/completions" for e in server.chat_exchanges())
    assert server.responses_probes == 0
    for call in calls:
        assert call["reasoning_tokens"] == REASONING_TOKENS
        assert call["output_tokens"] == REASONING_TOKENS + call["answer_tokens"]
        assert call["answer_tokens"] == len(call["answer"].split(" "))
