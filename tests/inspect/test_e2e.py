"""End to end: `inspect eval` as a subprocess, logs read back with `inspect_ai.log`."""

from __future__ import annotations

import json
from collections import defaultdict
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from cpython_retrieval.adapters.oracle_server import start_oracle_server
from cpython_retrieval.dataset.store import load_tier
from cpython_retrieval.errors import RetrievalError
from cpython_retrieval.prompt import render_prompt
from cpython_retrieval.question_types import TASK_VERSION
from cpython_retrieval.reference.grep import grep_answer
from cpython_retrieval.scorers import score_answer
from cpython_retrieval.tasks.solver import CALLS_KEY

from .conftest import eval_logs, run_inspect

pytestmark = pytest.mark.slow


def _by(samples, key):
    groups = defaultdict(list)
    for s in samples:
        groups[key(s)].append(s)
    return groups


def _correct(sample) -> bool:
    return sample.scores["ast_semantic_match"].value == 1.0


def test_entry_point_registers_tasks_and_models():
    eps = [ep for ep in entry_points(group="inspect_ai") if ep.name == "cpython_retrieval"]
    assert eps and eps[0].value == "cpython_retrieval._registry"
    from inspect_ai._util.registry import registry_lookup

    eps[0].load()
    for tier in ("T25", "T50", "T100", "T200", "T500", "T1000"):
        assert registry_lookup("task", f"cpython_retrieval/{tier}") is not None
    from inspect_ai.model import get_model

    assert get_model("cpython_retrieval/oracle").api.model_name == "oracle"
    assert get_model("cpython_retrieval/grep").api.model_name == "grep"
    with pytest.raises(RetrievalError, match="unknown reference model"):
        get_model("cpython_retrieval/nonesuch")


def test_oracle_scores_one_on_every_row(small_dataset, tmp_path):
    log_dir = tmp_path / "logs"
    run_inspect(["eval", "cpython_retrieval/T25", "cpython_retrieval/T50", "--model", "cpython_retrieval/oracle",
                 "-T", f"dataset={small_dataset}", "--log-dir", str(log_dir)])
    logs = eval_logs(log_dir)
    assert sorted(log.eval.task for log in logs) == ["cpython_retrieval/T25", "cpython_retrieval/T50"]
    for log in logs:
        assert log.status == "success"
        tier = log.eval.task.split("/")[1]
        assert log.eval.task_version == TASK_VERSION > 0
        assert log.eval.task_display_name == f"cpython_retrieval {tier}"
        assert log.results.headline.scorer == "ast_semantic_match" and log.results.headline.metric == "accuracy"
        metrics = log.results.scores[0].metrics
        assert log.results.scores[0].name == "ast_semantic_match"
        assert metrics["accuracy"].value == 1.0
        assert metrics["ordinary_accuracy"].value == 1.0
        samples = log.samples
        perturbed = [s for s in samples if s.metadata["perturbed"]]
        assert perturbed, "the builder adds perturbation rows"
        assert metrics["perturbed_accuracy"].value == 1.0
        assert all(_correct(s) for s in samples)
        assert all(s.scores["substring_match"].value == 1.0 for s in samples)
        # three calls each, cold first; the oracle does not stream, so TTFT is unavailable, not invented
        for s in samples:
            calls = s.store[CALLS_KEY]
            assert [c["trial"] for c in calls] == [0, 1, 2]
            assert all(c["ttft_s"] is None and c["ttft_source"] == "unavailable" for c in calls)
            assert all(c["latency_s"] > 0 and c["input_tokens"] > 1000 for c in calls)
            assert s.output.completion == calls[0]["answer"]
        # the context is not a logged solver parameter, and not in the sample's input
        assert "# ===== File:" not in log.plan.model_dump_json()
        assert all("# ===== File:" not in str(s.input) for s in samples)
        assert log.eval.metadata["cpython_version"] and log.eval.metadata["trials"] == 3


def test_memorizer_separates_recall_from_reading(small_dataset, tmp_path):
    log_dir = tmp_path / "logs"
    run_inspect(["eval", "cpython_retrieval/T25", "--model", "cpython_retrieval/memorizer", "-T", f"dataset={small_dataset}",
                 "-T", "trials=1", "--log-dir", str(log_dir)])
    (log,) = eval_logs(log_dir)
    samples = log.samples
    ordinary = [s for s in samples if not s.metadata["perturbed"]]
    perturbed = [s for s in samples if s.metadata["perturbed"]]
    by_type = _by(ordinary, lambda s: s.metadata["question_type"])
    for qtype, group in by_type.items():
        rate = sum(map(_correct, group)) / len(group)
        if qtype == "absent_symbol":
            assert rate == 0.0  # the class exists in the real stdlib, outside the context
        else:
            assert rate == 1.0, qtype
    assert perturbed and sum(map(_correct, perturbed)) / len(perturbed) <= 0.1
    metrics = log.results.scores[0].metrics
    assert metrics["perturbed_accuracy"].value <= 0.1
    assert metrics["memorized_rate"].value >= 0.8  # it answers what the real stdlib says


def test_grep_model_gives_the_search_verdicts(small_dataset, tmp_path):
    """`--model cpython_retrieval/grep`: the answers and verdicts of the search floor computed in process."""
    log_dir = tmp_path / "logs"
    run_inspect(["eval", "cpython_retrieval/T25", "--model", "cpython_retrieval/grep", "-T", f"dataset={small_dataset}",
                 "-T", "trials=1", "--log-dir", str(log_dir)])
    (log,) = eval_logs(log_dir)
    assert log.status == "success" and log.eval.model == "cpython_retrieval/grep"
    rows = {r["id"]: r for r in load_tier(small_dataset, "T25")}
    assert sorted(s.id for s in log.samples) == sorted(rows)
    for s in log.samples:
        row = rows[s.id]
        expected = grep_answer(render_prompt(row["question"], row["context"]))
        assert s.output.completion == expected, s.id
        assert _correct(s) == score_answer(row["question_type"], row["answer"], expected,
                                           question=row["question"]).correct, s.id


def test_eval_retry_resumes_without_rerunning_finished_samples(small_dataset, tmp_path):
    log_dir, calls, marker = tmp_path / "logs", tmp_path / "calls.jsonl", tmp_path / "fail"
    marker.touch()  # while it exists, the oracle fails every other question
    run_inspect(["eval", "cpython_retrieval/T25", "--model", "cpython_retrieval/oracle", "-T", f"dataset={small_dataset}",
                 "-T", "trials=1", "-M", f"fail_marker={marker}", "-M", f"call_log={calls}", "--continue-on-fail",
                 "--log-dir", str(log_dir)])
    (first,) = eval_logs(log_dir)
    assert first.status == "error"
    done = {s.id for s in first.samples if s.error is None and s.scores}
    failed = {s.id for s in first.samples if s.error is not None}
    assert done and failed
    before = len(calls.read_text().splitlines())

    marker.unlink()
    run_inspect(["eval-retry", str(Path(first.location)), "--log-dir", str(log_dir)])
    retried = [json.loads(line)["sample_id"] for line in calls.read_text().splitlines()[before:]]
    assert sorted(retried) == sorted(failed)  # only the unfinished samples ran again
    second = [log for log in eval_logs(log_dir) if log.location != first.location][0]
    assert second.status == "success" and len(second.samples) == len(first.samples)
    assert second.results.scores[0].metrics["accuracy"].value == 1.0


def test_openai_compatible_server_streams_ttft_and_cache(small_dataset, tmp_path):
    server, base_url = start_oracle_server(first_token_delay=0.05)
    try:
        log_dir = tmp_path / "logs"
        run_inspect(["eval", "cpython_retrieval/T25", "--model", "openai-api/local/oracle", "-T", f"dataset={small_dataset}",
                     "-T", "trials=2", "--limit", "8", "--max-connections", "4", "--log-dir", str(log_dir)],
                    env={"LOCAL_BASE_URL": base_url, "LOCAL_API_KEY": "unused"})
    finally:
        server.stop()
    (log,) = eval_logs(log_dir)
    assert log.status == "success"
    assert all(_correct(s) for s in log.samples)
    calls = [c for s in log.samples for c in s.store[CALLS_KEY]]
    assert len(calls) == 16
    assert all(c["ttft_source"] == "stream" and c["ttft_s"] >= 0.05 for c in calls)
    assert all(c["latency_s"] >= c["ttft_s"] for c in calls)
    assert all(c["cached_read_tokens"] is not None for c in calls)
    warm = [c for c in calls if c["trial"] == 1]
    assert all(c["cached_read_tokens"] > 0.9 * c["input_tokens"] for c in warm)  # same prompt again
    assert all(r["stream"] for r in server.requests)  # Inspect streamed because the solver asked
    by_prompt = {r["prompt_tokens"] for r in server.requests}
    assert {c["input_tokens"] for c in calls} <= by_prompt  # the server's usage arrived in the log
    metrics = log.results.scores[0].metrics
    assert metrics["cold_ttft_median"].value >= 0.05 and metrics["warm_ttft_median"].value >= 0.05
    assert metrics["ttft_available"].value == 1.0 and metrics["warm_cached_share"].value > 0.9


def test_closed_book_and_filters(small_dataset, tmp_path):
    log_dir = tmp_path / "logs"
    run_inspect(["eval", "cpython_retrieval/T25", "--model", "cpython_retrieval/oracle", "-T", f"dataset={small_dataset}",
                 "-T", "no_context=true", "-T", "perturbed=exclude", "-T", "question_types=absent_symbol,class_location",
                 "-T", "trials=1", "--log-dir", str(log_dir)])
    (log,) = eval_logs(log_dir)
    samples = log.samples
    assert {s.metadata["question_type"] for s in samples} == {"absent_symbol", "class_location"}
    assert not any(s.metadata["perturbed"] for s in samples)
    assert all(s.metadata["no_context"] for s in samples)
    # with nothing to read the oracle says NOT PRESENT: right only on absent-symbol rows
    assert all(_correct(s) == (s.metadata["question_type"] == "absent_symbol") for s in samples)
    model_inputs = [e.input for s in samples for e in s.events if e.event == "model"]
    assert model_inputs and all("<files>" not in m.text for msgs in model_inputs for m in msgs)
