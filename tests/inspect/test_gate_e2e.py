"""The context gate across tasks and epochs, through Inspect's real `vllm/` provider against a fake server on
127.0.0.1: in arrival order the server sees each context in one run, so a prefix cache that holds one context
prefills each context once (contexts prefilled = switches + 1)."""

from __future__ import annotations

import pytest

from cpython_retrieval.dataset.store import load_tier
from cpython_retrieval.prompt import prompt_parts

from .conftest import eval_logs, run_inspect
from .faulty_server import FaultyServer, context_digest

pytestmark = pytest.mark.slow


def _switches(tiers: list[str], small_dataset, tmp_path, *extra: str) -> tuple[int, int, list]:
    rows = [r for t in tiers for r in load_tier(small_dataset, t)]
    answers = {prompt_parts(r["question"], None, no_context=True).question_block: r["answer"] for r in rows}
    log_dir = tmp_path / "logs"
    with FaultyServer(answers=answers, first_token_delay=0.1) as server:
        run_inspect(["eval", *[f"cpython_retrieval/{t}" for t in tiers], "--model", "vllm/faulty",
                     "-T", f"dataset={small_dataset}", "-T", "trials=2", "--log-dir", str(log_dir), *extra],
                    env={"VLLM_BASE_URL": server.base_url, "VLLM_API_KEY": "unused"}, timeout=400)
    logs = eval_logs(log_dir)
    assert all(log.status == "success" for log in logs)
    arrivals = [context_digest(e.body) for e in sorted(server.chat_exchanges(), key=lambda e: e.received)]
    switches = sum(a != b for a, b in zip(arrivals, arrivals[1:], strict=False))
    return switches, len(set(arrivals)), logs


def test_max_tasks_two_share_one_gate(small_dataset, tmp_path):
    switches, contexts, logs = _switches(["T25", "T50"], small_dataset, tmp_path, "--max-tasks", "2")
    assert contexts == 4 and len(logs) == 2
    assert switches == contexts - 1


def test_epochs_keep_each_context_together_when_samples_are_not_held(small_dataset, tmp_path):
    # Inspect schedules epoch by epoch and a sample waiting at the gate holds its slot: with slots for every
    # sample run, both epochs of a context are admitted together
    switches, contexts, _ = _switches(["T25"], small_dataset, tmp_path, "--epochs", "2", "--max-samples", "200")
    assert contexts == 2 and switches == 1
