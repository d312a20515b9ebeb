"""The report from real runs: Inspect logs of the oracle (and an `inspect eval-retry` of it), the memorizer
and the shotgun model (wrong on purpose: every answer lists a decoy), plus lm-eval samples, checked against
hand-computed numbers. Where the current data has no such case (dataset fingerprints, drift rows, an
empty log), a real log is rewritten with `inspect_ai.log.write_eval_log` to carry it."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cpython_retrieval.dataset.store import write_dataset
from cpython_retrieval.errors import RetrievalError
from cpython_retrieval.generate.stages import build_dataset
from cpython_retrieval.question_types import FAMILIES, QUESTION_TYPES
from cpython_retrieval.report import read_records
from cpython_retrieval.report.inputs import deduplicate
from cpython_retrieval.report.readers import find_logs

pytestmark = pytest.mark.slow

Z = 1.959963984540054
# the venv's own `inspect`, so the tests need no activated venv on PATH
INSPECT = str(Path(sys.executable).with_name("inspect"))

#: The question types of the logs written before question families: all single-needle.
OLDER_TYPES = ("return_annotation", "class_location", "base_classes", "module_function_count", "decorators",
               "docstring_first_line", "parameters", "method_owner", "absent_symbol")


def wilson(k, n):
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return (0.0 if k == 0 else centre - half), (1.0 if k == n else centre + half)


def inspect_eval(dataset: Path, model: str, log_dir: Path) -> None:
    cmd = [INSPECT, "eval", "cpython_retrieval/T25", "--model", model, "-T", f"dataset={dataset}", "-T", "trials=2",
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
    # `inspect eval-retry` writes a new log of the same task that carries the finished samples over
    (original,) = (root / "logs" / "oracle").glob("*.eval")
    result = subprocess.run([INSPECT, "eval-retry", str(original), "--log-dir", str(root / "logs" / "oracle"), "--display", "none"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(list((root / "logs" / "oracle").glob("*.eval"))) == 2
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


def test_a_log_and_its_retry_are_counted_once(runs):
    rows, summary, root, out = runs
    assert len(read_records([root / "logs" / "oracle"], progress=False)) == 2 * len(rows)  # both logs hold every sample
    assert summary["primary"]["models"]["cpython_retrieval/oracle"]["overall"]["n"] == len(rows)
    (dup,) = summary["duplicates"]
    assert (dup["model"], dup["samples"], dup["retry"]) == ("cpython_retrieval/oracle", len(rows), True)
    oracle_logs = sorted((i["log"], i["counted"]) for i in summary["inputs"] if i["model"] == "cpython_retrieval/oracle")
    assert [counted for _, counted in oracle_logs] == [0, len(rows)]  # the later log (by its name's timestamp) counts
    text = (out / "report.md").read_text()
    assert f"**Duplicates:** {len(rows)} sample(s) of cpython_retrieval/oracle" in text and "`inspect eval-retry` copy" in text


def test_serving_and_cost_from_the_logged_calls(runs):
    rows, summary, root, _ = runs
    records, _ = deduplicate(read_records([root / "logs" / "oracle"], progress=False))
    assert all(len(r.calls) == 2 and r.calls[0].cold and not r.calls[1].cold for r in records)
    phases = summary["serving"]["cpython_retrieval/oracle"]["phases"]
    assert phases["cold"]["calls"] == phases["warm"]["calls"] == len(rows)
    assert phases["cold"]["ttft"]["count"] == 0 and phases["cold"]["ttft"]["missing"] == len(rows)  # no streaming: unavailable, not invented
    expected = sum((c.input_tokens * 2.0 + c.output_tokens * 8.0) / 1e6 for r in records for c in r.calls)  # no cached tokens here
    cost = summary["cost"]["cpython_retrieval/oracle"]
    assert cost["total_usd"] == pytest.approx(expected) and cost["per_correct_usd"] == pytest.approx(expected / len(rows))
    assert summary["cost"]["cpython_retrieval/shotgun"] is None  # no price and no logged cost
    # the reference models report no cache figures: not measured, never 0 (as the Inspect metrics say)
    assert all(v["share"] is None for v in summary["serving"]["cpython_retrieval/oracle"]["cached_share"].values())


def test_shotgun_answers_split_the_scorers(runs):
    rows, summary, _, _ = runs
    agreement = summary["scorer_agreement"]["ast_vs_substring"]["cpython_retrieval/shotgun"]
    assert agreement["matrix"] == {"both_correct": 0, "ast_only": 0, "other_only": len(rows), "both_wrong": 0}
    assert agreement["disagreements_total"] == len(rows) and " or " in agreement["disagreements"][0]["answer"] + " or "


def test_report_files_and_charts(runs):
    _, _, _, out = runs
    text = (out / "report.md").read_text()
    for heading in ("Inputs", "At a glance", "1. Primary score by tier", "2. Accuracy by question family", "3. Accuracy by question type",
                    "4. Scorer agreement", "5. Accuracy by answer depth", "6. Anti-memorization controls: perturbed and drift rows",
                    "7. Serving: cold vs warm", "8. Cost", "9. Paired comparison"):
        assert f"## {heading}" in text
    for png in ("headline.png", "families.png", "accuracy_by_type.png", "controls.png", "latency.png", "cost_quality.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
        assert f"]({png})" in text
    assert (out / "disagreements_ast_vs_substring.csv").is_file()


def rewrite_log(source: Path, target: Path, change) -> Path:
    """A copy of a real Inspect log, changed by `change(log)` (for cases the current data cannot produce)."""
    from inspect_ai.log import read_eval_log, write_eval_log

    log = read_eval_log(str(source))
    change(log)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_eval_log(log, str(target))
    return target


def report_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cpython_retrieval", "report", *map(str, args), "--quiet"],
                          capture_output=True, text=True, timeout=300)


def test_runs_on_different_dataset_fingerprints_need_allow_mixed(tmp_path, runs):
    _, _, root, _ = runs

    def fingerprint(value):
        return lambda log: log.eval.metadata.update(dataset_fingerprint=value)

    (memorizer,) = (root / "logs" / "memorizer").glob("*.eval")
    (shotgun,) = (root / "logs" / "shotgun").glob("*.eval")
    rewrite_log(memorizer, tmp_path / "logs" / "m.eval", fingerprint("fp-one"))
    rewrite_log(shotgun, tmp_path / "logs" / "s.eval", fingerprint("fp-two"))
    refused = report_cli(tmp_path / "logs", "--out", tmp_path / "out")
    assert refused.returncode == 2 and not (tmp_path / "out").exists()
    assert refused.stderr.count("\n") == 1 and all(s in refused.stderr for s in ("fp-one", "fp-two", "--allow-mixed"))
    mixed = report_cli(tmp_path / "logs", "--out", tmp_path / "out", "--allow-mixed")
    assert mixed.returncode == 0, mixed.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["dataset_fingerprints"] == ["fp-one", "fp-two"] and summary["mixed_datasets"]
    assert {i["dataset_fingerprint"] for i in summary["inputs"]} == {"fp-one", "fp-two"}
    assert "**Mixed datasets**" in (tmp_path / "out" / "report.md").read_text()


def test_logs_without_the_new_keys_read_as_ordinary_single_needle_rows_of_an_unknown_fingerprint(tmp_path, runs):
    rows, summary, root, _ = runs
    new_keys = ("dataset_fingerprint", "drift", "stale_answer", "stale_pin", "stale_hit")

    def as_an_older_log(log):
        for md in [log.eval.metadata] + [s.metadata for s in log.samples] + [s.scores["ast_semantic_match"].metadata for s in log.samples]:
            for key in new_keys:
                md.pop(key, None)

    (memorizer,) = (root / "logs" / "memorizer").glob("*.eval")
    older = rewrite_log(memorizer, tmp_path / "older" / "older.eval", as_an_older_log)
    records = read_records([older], progress=False)
    assert {(r.drift, r.stale_hit, r.dataset.fingerprint) for r in records} == {(False, None, None)}
    assert {r.family for r in records if r.question_type in OLDER_TYPES} == {"single_needle"}
    assert {r.dataset.cpython_version for r in records} == {rows[0]["cpython_version"]}  # also in every row's metadata
    assert {r.dataset.generator_version for r in records} == {rows[0]["generator_version"]}
    result = report_cli(older, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    older_summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert older_summary["controls"]["cpython_retrieval/memorizer"]["overall"]["drift"]["n"] == 0
    assert "unknown (log predates the field)" in (tmp_path / "out" / "report.md").read_text()
    # families in the real runs' report: the ones the built rows' types belong to, the others named as absent
    present = [f for f in FAMILIES if any(QUESTION_TYPES[r["question_type"]].family == f for r in rows)]
    assert summary["by_family"]["families"] == present


def test_drift_rows_and_stale_hits_are_read_from_inspect_logs(tmp_path, runs):
    rows, _, root, _ = runs
    ordinary = sorted(r["id"] for r in rows if not r["perturbed"])[:6]

    def mark_drift(log):  # exactly these six rows are drift rows, whatever the dataset had
        for sample in log.samples:
            sample.metadata.update(drift=False, stale_answer=None, stale_pin=None)
            sample.scores["ast_semantic_match"].metadata["stale_hit"] = None
        for i, sample in enumerate(s for s in log.samples if s.id in ordinary):
            sample.metadata.update(drift=True, stale_answer="an older fact", stale_pin="3.10.0")
            sample.scores["ast_semantic_match"].metadata["stale_hit"] = i % 3 == 0

    (memorizer,) = (root / "logs" / "memorizer").glob("*.eval")
    records = read_records([rewrite_log(memorizer, tmp_path / "drift.eval", mark_drift)], progress=False)
    drift = [r for r in records if r.drift]
    assert sorted(r.row_id for r in drift) == ordinary and {r.stale_pin for r in drift} == {"3.10.0"}
    assert sum(r.stale_hit for r in drift) == 2 and all(r.stale_hit is None for r in records if not r.drift)
    from cpython_retrieval.report.analyses import controls

    cells = controls(records)["cpython_retrieval/memorizer"]["overall"]
    assert (cells["drift"]["n"], cells["stale"]["correct"], cells["stale"]["n"]) == (6, 2, 6)
    assert cells["ordinary"]["n"] == sum(not r["perturbed"] for r in rows) - 6


def test_a_log_without_scored_samples_is_an_error(tmp_path, runs):
    _, _, root, _ = runs
    (shotgun,) = (root / "logs" / "shotgun").glob("*.eval")
    empty = rewrite_log(shotgun, tmp_path / "empty" / "empty.eval", lambda log: setattr(log, "samples", []))
    result = report_cli(empty, "--out", tmp_path / "out")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "empty.eval has no scored samples" in result.stderr and not (tmp_path / "out").exists()


def test_lm_eval_samples_are_read(tmp_path, runs):
    rows, _, root, _ = runs
    rows = [r for r in rows if not r.get("drift")]  # the first four are made drift rows below (3.13 builds have real ones)
    folder = tmp_path / "lm" / "model"
    folder.mkdir(parents=True)
    (folder / "results_2026-01-01T00-00-00.json").write_text(json.dumps({"config": {"model": "local-chat-completions", "model_args": "model=oracle,base_url=x"}}))
    with (folder / "samples_cpython_retrieval_t25_2026-01-01T00-00-00.jsonl").open("w") as handle:
        for i, row in enumerate(rows):
            doc = {**row, "dataset_fingerprint": "fp-lm"}
            sample = {"doc_id": i, "doc": doc, "filtered_resps": [row["answer"]], "score": 1.0, "substring_match": 1.0}
            if i < 4:  # drift rows as the coming datasets will carry them: doc["drift"], and stale_hit beside memorized_hit
                doc.update(drift=True, stale_answer="an older fact", stale_pin="3.10.0")
                sample["stale_hit"] = float(i == 0)
            handle.write(json.dumps(sample) + "\n")
    records = read_records([tmp_path / "lm"], progress=False)
    assert len(records) == len(rows) and {r.model for r in records} == {"local-chat-completions/oracle"}
    assert all(r.correct and r.substring_correct and not r.calls for r in records)
    assert {r.dataset.fingerprint for r in records} == {"fp-lm"} and {r.dataset.cpython_version for r in records} == {rows[0]["cpython_version"]}
    assert [r.stale_hit for r in records if r.drift] == [True, False, False, False]
    assert all(r.stale_hit is None and r.variant in ("ordinary", "perturbed") for r in records[4:])
    assert {r.log.created for r in records} == {"2026-01-01T00:00:00"}


def test_logs_not_from_these_tasks_are_refused(tmp_path):
    task = tmp_path / "foreign.py"
    task.write_text("from inspect_ai import Task, task\nfrom inspect_ai.dataset import Sample\n"
                    "@task\ndef foreign():\n    return Task(dataset=[Sample(input='hi', target='x')])\n")
    subprocess.run([INSPECT, "eval", task.name, "--model", "cpython_retrieval/oracle", "--log-dir", str(tmp_path / "logs"),
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
