"""`inspect eval` against servers that fail on purpose (tests/inspect/faulty_server.py), through the real SDKs
and Inspect's own providers: cut streams, hangs, 429, 500, replies without a finish reason, the output budget,
vLLM's `/v1/models` probe, and the provider flags docs/inspect.md names (`-M stream=false`, `-M streaming=false`,
`--cache-prompt=true`).

What must hold: no cut reply is ever scored; a retried call's TTFT is its successful attempt's (compared with the
server's own timing), never the time across attempts; retries are recorded and agree with what the server saw.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from cpython_retrieval.dataset.store import load_tier
from cpython_retrieval.prompt import prompt_parts
from cpython_retrieval.tasks.retrieval import OUTPUT_TOKEN_BUDGET
from cpython_retrieval.tasks.solver import CALLS_KEY

from .conftest import eval_logs, run_inspect
from .faulty_server import FaultyServer, first_attempt, first_attempt_by_question

pytestmark = pytest.mark.slow

FIRST_TOKEN_DELAY_S = 0.2
#: Every way a retried call could fold time across attempts into its TTFT adds at least this much here:
#: Inspect's first backoff (3 s and up), an attempt timeout plus that backoff, the SDKs' wait for a
#: `retry-after` of this length, vLLM's `/v1/models` probe held for this long. The client's own overhead (its
#: event loop is busy with other samples' failures, measured up to 1.5 s on a loaded 2-core machine) stays below.
INJECTED_DELAY_S = 3.0
MIXED_FAULTS = ("cut", "drop", "no_done", "429", "500", "hang", "ok")
#: Long enough for the SDK's own re-send after `retry-after` (so 429 and 500 are retried inside one attempt).
ATTEMPT_TIMEOUT_S = 5


@pytest.fixture(scope="module")
def ordinary_rows(small_dataset) -> list[dict]:
    return [r for r in load_tier(small_dataset, "T25") if not r["perturbed"]]


@pytest.fixture(scope="module")
def answers(ordinary_rows) -> dict[str, str]:
    """The T25 ordinary rows' answers, keyed by the question block the solver sends last."""
    keyed = {_block(r): r["answer"] for r in ordinary_rows}
    assert len(keyed) == len(ordinary_rows), "questions of a tier are distinct"
    return keyed


def _block(row) -> str:
    return prompt_parts(row["question"], None, no_context=True).question_block


def _eval(model: str, env: dict[str, str], small_dataset, tmp_path, *args: str):
    log_dir = tmp_path / "logs"
    run_inspect(["eval", "cpython_retrieval/T25", "--model", model, "-T", f"dataset={small_dataset}",
                 "-T", "perturbed=exclude", "-T", "trials=2", "--max-retries", "3", "--log-dir", str(log_dir), *args],
                env=env, timeout=300)
    (log,) = eval_logs(log_dir)
    return log


def _openai_env(server: FaultyServer) -> dict[str, str]:
    return {"LOCAL_BASE_URL": server.base_url, "LOCAL_API_KEY": "unused"}


def _question(sample) -> str:
    return str(sample.input)


def _by_question(server: FaultyServer) -> dict[str, list]:
    grouped = defaultdict(list)
    for exchange in server.chat_exchanges():
        grouped[exchange.question].append(exchange)
    return grouped


def _cold_and_warm(exchanges):
    """Split one question's requests into the cold call's (up to its first healthy request) and the rest."""
    healthy = next(i for i, e in enumerate(exchanges) if e.fault == "ok")
    return exchanges[: healthy + 1], exchanges[healthy + 1:]


def _assert_ttft_is_the_attempts_own(call, requests) -> None:
    """The call's TTFT is its last (successful) request's: no less than the server's own time to first token, and
    less than the span from the call's first request to the successful one (what a figure across attempts adds)."""
    assert call["ttft_source"] == "stream"
    served = requests[-1]
    assert served.server_ttft is not None
    assert served.server_ttft <= call["ttft_s"] <= call["latency_s"], (call, served)
    if len(requests) > 1:
        across = served.received - requests[0].received
        assert across >= INJECTED_DELAY_S and call["ttft_s"] < across, (call, requests)


def test_faults_are_retried_never_scored_and_ttft_is_per_attempt(small_dataset, ordinary_rows, answers, tmp_path):
    chosen = ordinary_rows[: 2 * len(MIXED_FAULTS)]  # `--limit` takes the tier's first rows
    plan = {_block(r): MIXED_FAULTS[i % len(MIXED_FAULTS)] for i, r in enumerate(chosen)}
    with FaultyServer(answers=answers, faults=first_attempt_by_question(plan),
                      first_token_delay=FIRST_TOKEN_DELAY_S, retry_after=INJECTED_DELAY_S) as server:
        log = _eval("openai-api/local/faulty", _openai_env(server), small_dataset, tmp_path,
                    "--limit", str(len(chosen)), "--attempt-timeout", str(ATTEMPT_TIMEOUT_S))
    assert log.status == "success"
    assert sorted(_question(s) for s in log.samples) == sorted(plan)
    by_question = _by_question(server)
    for sample in log.samples:
        question = _question(sample)
        fault = plan[question]
        # every reply that was scored is the whole answer: cut ones were retried, not scored
        score = sample.scores["ast_semantic_match"]
        assert score.value == 1.0 and score.answer == answers[question], (fault, score)
        cold_requests, warm_requests = _cold_and_warm(by_question[question])
        cold, warm = sample.store[CALLS_KEY]
        assert [e.fault for e in cold_requests] == ([fault, "ok"] if fault != "ok" else ["ok"])
        # retries as Inspect reported them agree with the requests the server saw and the hook counted
        assert cold["retries"] == len(cold_requests) - 1
        assert cold["http_requests"] == len(cold_requests)
        assert warm["retries"] == 0 and warm["http_requests"] == 1 == len(warm_requests)
        # an HTTP error is re-sent by the SDK under the same request id; a broken stream or a hang is a new attempt
        ids = {e.request_id for e in cold_requests}
        assert len(ids) == (1 if fault in ("429", "500", "ok") else 2), fault
        # TTFT: the successful attempt's own, from its request, never the span across attempts
        _assert_ttft_is_the_attempts_own(cold, cold_requests)
        _assert_ttft_is_the_attempts_own(warm, warm_requests)
        if fault == "hang":
            assert cold_requests[1].received - cold_requests[0].received >= ATTEMPT_TIMEOUT_S  # the timeout fired
    # the task's output budget reached the server
    assert {e.max_tokens for e in server.chat_exchanges()} == {OUTPUT_TOKEN_BUDGET}
    metrics = log.results.scores[0].metrics
    retried = sum(plan[_question(s)] != "ok" for s in log.samples)
    assert metrics["retried_share"].value == pytest.approx(retried / (2 * len(log.samples)))
    assert metrics["ttft_available"].value == 1.0


def test_reply_without_finish_reason_fails_the_sample_and_retry_on_error_reruns_it(small_dataset, answers, tmp_path):
    with FaultyServer(answers=answers, faults=first_attempt("no_finish"), first_token_delay=0.0) as server:
        log = _eval("openai-api/local/faulty", _openai_env(server), small_dataset, tmp_path,
                    "--limit", "3", "--retry-on-error", "1")
    assert log.status == "success"
    for sample in log.samples:
        assert sample.scores["ast_semantic_match"].value == 1.0
        (failure,) = sample.error_retries
        assert "without a finish reason" in failure.message
        assert [c["retries"] for c in sample.store[CALLS_KEY]] == [0, 0]  # the rerun sample's calls were clean
    whole = [e for e in server.chat_exchanges() if e.fault == "no_finish"]
    assert len(whole) == 3 and all(e.answered for e in whole)  # whole answers, still not scored without a finish


def test_output_budget_cut_off_gets_no_credit_and_stream_false_is_honoured(small_dataset, answers, tmp_path):
    with FaultyServer(answers=answers, first_token_delay=0.0) as server:
        log = _eval("openai-api/local/faulty", _openai_env(server), small_dataset, tmp_path,
                    "-M", "stream=false", "--max-tokens", "1")
    assert log.status == "success"
    exchanges = server.chat_exchanges()
    assert exchanges and all(not e.stream and e.max_tokens == 1 for e in exchanges)
    long_answers = 0
    for sample in log.samples:
        answer = answers[_question(sample)]
        calls = sample.store[CALLS_KEY]
        assert all(c["ttft_s"] is None and c["ttft_source"] == "unavailable" for c in calls)
        for name in ("ast_semantic_match", "substring_match"):
            score = sample.scores[name]
            if len(answer.split(" ")) > 1:  # the server stopped at the budget: finish reason `length`
                assert score.value == 0.0 and "cut off" in score.explanation and "max_tokens" in score.explanation
            else:
                assert score.value == 1.0
        long_answers += len(answer.split(" ")) > 1
    assert long_answers > 0


@pytest.mark.parametrize("provider", ["vllm", "sglang"])
def test_vllm_and_sglang_servers_first_call_ttft_excludes_setup(provider, small_dataset, answers, tmp_path):
    """vLLM builds its client and probes `/v1/models` (held 3 s here) on the first call: not part of any TTFT."""
    with FaultyServer(answers=answers, first_token_delay=FIRST_TOKEN_DELAY_S,
                      models_delay=INJECTED_DELAY_S) as server:
        log = _eval(f"{provider}/faulty", {f"{provider.upper()}_BASE_URL": server.base_url}, small_dataset, tmp_path,
                    "--limit", "4", "--max-connections", "4")
    assert log.status == "success"
    assert server.model_probes >= (1 if provider == "vllm" else 0)
    by_question = _by_question(server)
    for sample in log.samples:
        cold_exchange, warm_exchange = by_question[_question(sample)]
        cold, warm = sample.store[CALLS_KEY]
        assert sample.scores["ast_semantic_match"].value == 1.0
        _assert_ttft_is_the_attempts_own(cold, [cold_exchange])
        _assert_ttft_is_the_attempts_own(warm, [warm_exchange])
        assert cold["ttft_s"] < INJECTED_DELAY_S  # the first calls waited for the probe, their TTFT did not
    assert all(e.stream and e.max_tokens == OUTPUT_TOKEN_BUDGET for e in server.chat_exchanges())


def _anthropic_env(server: FaultyServer) -> dict[str, str]:
    return {"ANTHROPIC_BASE_URL": server.base_url, "ANTHROPIC_API_KEY": "unused"}


def test_anthropic_cut_stream_is_retried_and_cache_prompt_marks_the_context(small_dataset, answers, tmp_path):
    with FaultyServer(answers=answers, faults=first_attempt("cut"), wire="anthropic",
                      first_token_delay=FIRST_TOKEN_DELAY_S) as server:
        log = _eval("anthropic/claude-sonnet-4-5", _anthropic_env(server), small_dataset, tmp_path,
                    "--limit", "4", "--cache-prompt=true")
    assert log.status == "success"
    by_question = _by_question(server)
    for sample in log.samples:
        question = _question(sample)
        assert sample.scores["ast_semantic_match"].answer == answers[question]
        cold_requests, warm_requests = _cold_and_warm(by_question[question])
        assert [e.fault for e in cold_requests] == ["cut", "ok"]
        cold, warm = sample.store[CALLS_KEY]
        assert cold["retries"] == 1 and cold["http_requests"] == 2 and warm["retries"] == 0
        _assert_ttft_is_the_attempts_own(cold, cold_requests)
        _assert_ttft_is_the_attempts_own(warm, warm_requests)
    for exchange in server.chat_exchanges():
        assert exchange.stream and exchange.max_tokens == OUTPUT_TOKEN_BUDGET
        blocks = exchange.body["messages"][-1]["content"]
        marked = [b["text"] for b in blocks if b.get("cache_control")]
        assert len(marked) == 1 and marked[0].startswith("<files>")  # the breakpoint closes the context block


def test_anthropic_streaming_false_works_within_the_task_budget(small_dataset, answers, tmp_path):
    with FaultyServer(answers=answers, wire="anthropic", first_token_delay=0.0) as server:
        log = _eval("anthropic/claude-sonnet-4-5", _anthropic_env(server), small_dataset, tmp_path,
                    "--limit", "3", "-M", "streaming=false")
    assert log.status == "success"
    assert all(s.scores["ast_semantic_match"].value == 1.0 for s in log.samples)
    assert all(c["ttft_source"] == "unavailable" for s in log.samples for c in s.store[CALLS_KEY])
    exchanges = server.chat_exchanges()
    assert len(exchanges) == 6 and all(not e.stream and e.max_tokens == OUTPUT_TOKEN_BUDGET for e in exchanges)


def test_a_content_filtered_reply_gets_no_credit(small_dataset, answers, tmp_path):
    """A whole, right answer with finish reason `content_filter` is not credited (the explanation says why)."""
    with FaultyServer(answers=answers, faults=lambda question, attempt: "content_filter",
                      first_token_delay=0.0) as server:
        log = _eval("openai-api/local/faulty", _openai_env(server), small_dataset, tmp_path, "-M", "stream=false",
                    "--limit", "3")
    assert log.status == "success" and log.samples
    for sample in log.samples:
        for name in ("ast_semantic_match", "substring_match"):
            score = sample.scores[name]
            assert score.value == 0.0 and "content filter" in score.explanation, score.explanation


def test_a_reply_stamped_with_another_models_name_gets_no_credit(small_dataset, answers, tmp_path):
    """The server answers right, but says the reply came from `other-model`: flagged, not credited."""
    with FaultyServer(answers=answers, first_token_delay=0.0, model="other-model") as server:
        log = _eval("openai-api/local/faulty", _openai_env(server), small_dataset, tmp_path, "-M", "stream=false",
                    "--limit", "3")
    assert log.status == "success" and log.samples
    for sample in log.samples:
        score = sample.scores["ast_semantic_match"]
        assert score.value == 0.0 and "another model" in score.explanation and "other-model" in score.explanation
