"""The report from real runs: Inspect logs of the oracle, the memorizer and the shotgun model (wrong on
purpose: every answer lists a decoy), plus lm-eval samples, checked against hand-computed numbers."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cpython_retrieval.build import build_dataset
from cpython_retrieval.dataset import write_dataset
from cpython_retrieval.errors import RetrievalError
from cpython_retrieval.report import read_records
from cpython_retrieval.report.readers import find_logs

Z = 1.959963984540054


def wilson(k, n):
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return (0.0 if k == 0 else centre - half), (1.0 if k == n else centre + half)


def inspect_eval(dataset: Path, model: str, log_dir: Path) -> None:
    cmd = ["inspect", "eval", "cpython_retrieval/T25", "--model", model, "-T", f"dataset={dataset}", "-T", "trials=2",
           "--log-dir", str(log_dir), "--display", "none"]
    result = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "INSPECT_LOG_LEVEL": "warning"}, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("reportruns")
    built = build_dataset(tiers=["T25"], per_tier=18)
    write_dataset(built, root / "ds")
    for name, model in (("oracle", "cpython_retrieval/oracle"), ("memorizer", "cpython_retrieval/memorizer"), ("shotgun", "cpython_retrieval/shotgun")):
        inspect_eval(root / "ds", model, root / "logs" / name)
    prices = root / "prices.yaml"
    prices.write_text("models:\n  cpython_retrieval/oracle: {input: 2.0, cached_input: 0.5, output: 8.0}\n")
    out = root / "report"
    result = subprocess.run([sys.executable, "-m", "cpython_retrieval", "report", str(root / "logs"), "--out", str(out),
                             "--prices", str(prices), "--quiet"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    return built.rows["T25"], summary, root, out


def test_primary_scores_and_wilson_bounds(runs):
    rows, summary, _, _ = runs
    n = len(rows)
    memorizer_right = sum(1 for r in rows if not r["perturbed"] and r["question_type"] != "absent_symbol")
    expected = {"cpython_retrieval/oracle": n, "cpython_retrieval/memorizer": memorizer_right, "cpython_retrieval/shotgun": 0}
    for model, k in expected.items():
        cell = summary["primary"]["models"][model]["tiers"]["T25"]
        low, high = wilson(k, n)
        assert (cell["n"], cell["correct"]) == (n, k), model
        assert cell["ci_low"] == pytest.approx(low, abs=1e-9) and cell["ci_high"] == pytest.approx(high, abs=1e-9)
    assert summary["primary"]["models"]["cpython_retrieval/oracle"]["effective_length"] == "T25"
    assert summary["primary"]["models"]["cpython_retrieval/shotgun"]["effective_length"] is None


def test_mcnemar_between_oracle_and_memorizer(runs):
    rows, summary, _, _ = runs
    missed = sum(1 for r in rows if r["perturbed"] or r["question_type"] == "absent_symbol")
    pair = next(p for p in summary["paired"] if {p["model_a"], p["model_b"]} == {"cpython_retrieval/oracle", "cpython_retrieval/memorizer"})
    assert sorted([pair["only_a_correct"], pair["only_b_correct"]]) == [0, missed]
    assert pair["mcnemar_p"] == pytest.approx(min(1.0, 2 * 0.5**missed))


def test_perturbation_separates_reading_from_recall(runs):
    rows, summary, _, _ = runs
    memo = summary["perturbation"]["cpython_retrieval/memorizer"]
    assert memo["perturbed"]["accuracy"] == 0.0 and memo["perturbed"]["n"] == sum(r["perturbed"] for r in rows)
    assert memo["memorized_rate"] > 0.5
    assert summary["perturbation"]["cpython_retrieval/oracle"]["perturbed"]["accuracy"] == 1.0


def test_serving_and_cost_from_the_logged_calls(runs):
    rows, summary, root, _ = runs
    records = [r for r in read_records([root / "logs" / "oracle"], progress=False)]
    assert all(len(r.calls) == 2 and r.calls[0].cold and not r.calls[1].cold for r in records)
    phases = summary["serving"]["cpython_retrieval/oracle"]["phases"]
    assert phases["cold"]["calls"] == phases["warm"]["calls"] == len(rows)
    assert phases["cold"]["ttft"]["count"] == 0 and phases["cold"]["ttft"]["missing"] == len(rows)  # no streaming: unavailable, not invented
    expected = sum((c.input_tokens * 2.0 + c.output_tokens * 8.0) / 1e6 for r in records for c in r.calls)  # no cached tokens here
    cost = summary["cost"]["cpython_retrieval/oracle"]
    assert cost["total_usd"] == pytest.approx(expected) and cost["per_correct_usd"] == pytest.approx(expected / len(rows))
    assert summary["cost"]["cpython_retrieval/shotgun"] is None  # no price and no logged cost


def test_shotgun_answers_split_the_scorers(runs):
    rows, summary, _, _ = runs
    agreement = summary["scorer_agreement"]["ast_vs_substring"]["cpython_retrieval/shotgun"]
    assert agreement["matrix"] == {"both_correct": 0, "ast_only": 0, "other_only": len(rows), "both_wrong": 0}
    assert agreement["disagreements_total"] == len(rows) and " or " in agreement["disagreements"][0]["answer"] + " or "


def test_report_files_and_charts(runs):
    _, _, _, out = runs
    text = (out / "report.md").read_text()
    for heading in ("1. Primary score by tier", "2. Accuracy by question type", "3. Scorer agreement", "4. Accuracy by answer depth",
                    "5. Perturbation", "6. Serving: cold vs warm", "7. Cost", "8. Paired comparison"):
        assert f"## {heading}" in text
    for png in ("score_by_tier.png", "accuracy_by_type.png", "perturbation.png", "latency.png", "cost_quality.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"


def test_lm_eval_samples_are_read(tmp_path, runs):
    rows, _, root, _ = runs
    folder = tmp_path / "lm" / "model"
    folder.mkdir(parents=True)
    (folder / "results_2026-01-01T00-00-00.json").write_text(json.dumps({"config": {"model": "local-chat-completions", "model_args": "model=oracle,base_url=x"}}))
    with (folder / "samples_cpython_retrieval_t25_2026-01-01T00-00-00.jsonl").open("w") as handle:
        for i, row in enumerate(rows):
            handle.write(json.dumps({"doc_id": i, "doc": row, "filtered_resps": [row["answer"]], "score": 1.0, "substring_match": 1.0}) + "\n")
    records = read_records([tmp_path / "lm"], progress=False)
    assert len(records) == len(rows) and {r.model for r in records} == {"local-chat-completions/oracle"}
    assert all(r.correct and r.substring_correct and not r.calls for r in records)


def test_logs_not_from_these_tasks_are_refused(tmp_path):
    task = tmp_path / "foreign.py"
    task.write_text("from inspect_ai import Task, task\nfrom inspect_ai.dataset import Sample\n"
                    "@task\ndef foreign():\n    return Task(dataset=[Sample(input='hi', target='x')])\n")
    subprocess.run(["inspect", "eval", task.name, "--model", "cpython_retrieval/oracle", "--log-dir", str(tmp_path / "logs"),
                    "--display", "none"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert list((tmp_path / "logs").glob("*.eval")), "the foreign task wrote a log"
    with pytest.raises(RetrievalError, match="not of the cpython_retrieval tasks"):
        read_records([tmp_path / "logs"], progress=False)
    bad = tmp_path / "lm" / "samples_other_2026.jsonl"
    bad.parent.mkdir()
    bad.write_text(json.dumps({"doc": {"question": "q"}}) + "\n")
    with pytest.raises(RetrievalError, match="not an lm-eval sample of the cpython_retrieval tasks"):
        read_records([bad], progress=False)
    with pytest.raises(RetrievalError, match="no Inspect logs"):
        find_logs([task])
