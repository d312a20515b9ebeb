"""lm-eval run as a subprocess: the dummy acceptance command, the oracle server end to end, the guard and the tripwire."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every test here drives lm_eval or the wrapper as a subprocess

from cpython_retrieval.dataset.store import read_manifest
from cpython_retrieval.lm_eval_tasks import GROUP, TASK_NAMES, include_path
from cpython_retrieval.lm_eval_tasks.wrapper import (
    SUMMARY_PREFIX,
    read_samples,
    summarize_samples,
)

from .conftest import BIN, run

HERE = Path(__file__).parent


def _outputs(out: Path) -> tuple[dict, list[Path]]:
    results = sorted(out.rglob("results_*.json"))
    assert len(results) == 1, results
    stamp = results[0].stem.split("_", 1)[1]
    samples = sorted(results[0].parent.glob(f"samples_*_{stamp}.jsonl"))
    return json.loads(results[0].read_text()), samples


def _chat_args(base_url: str, tasks: str, metadata: dict, out: Path | None = None) -> list[str]:
    args = ["--model", "local-chat-completions",
            "--model_args", f"base_url={base_url}/chat/completions,model=oracle,num_concurrent=4,max_retries=1",
            "--apply_chat_template", "--tasks", tasks, "--metadata", json.dumps(metadata)]
    if out is not None:
        args += ["--output_path", str(out), "--log_samples"]
    return args


def test_dummy_acceptance_command(all_tiers_ds, tmp_path):
    """`lm_eval --model dummy --tasks cpython_retrieval --include_path "$(cpython-retrieval lm-eval-path)" --limit 2`."""
    path = run([str(BIN / "cpython-retrieval"), "lm-eval-path"], cwd=tmp_path).stdout.strip()
    proc = run([str(BIN / "lm_eval"), "--model", "dummy", "--tasks", GROUP, "--include_path", path, "--limit", "2"],
               cwd=tmp_path, CPYTHON_RETRIEVAL_DATASET=str(all_tiers_ds))
    assert proc.returncode == 0, proc.stderr[-3000:]
    for task in TASK_NAMES:
        assert task.replace("cpython_retrieval_t", "T") in proc.stdout  # every tier's alias row is in the table


def test_dummy_acceptance_command_with_the_default_dataset(tmp_path):
    """No dataset named: the cached build of every tier from this interpreter's Lib/ (built on first use)."""
    proc = run([str(BIN / "lm_eval"), "--model", "dummy", "--tasks", GROUP, "--include_path", include_path(),
                "--limit", "2"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_oracle_scores_one_on_every_tier_of_the_group(all_tiers_ds, oracle_server, tmp_path):
    server, base_url = oracle_server
    out = tmp_path / "out"
    proc = run([str(BIN / "lm_eval"), "run", *_chat_args(base_url, GROUP, {"dataset": str(all_tiers_ds),
                                                                            "context_window": 1_200_000}, out),
                "--include_path", include_path()], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results, samples = _outputs(out)
    assert {f"samples_{t}" for t in TASK_NAMES} == {p.name.rsplit("_", 1)[0] for p in samples}
    for task in TASK_NAMES:
        assert results["results"][task]["score,none"] == 1.0, task
    assert results["results"][GROUP]["score,none"] == 1.0
    assert {str(results["versions"][t]) for t in (GROUP, *TASK_NAMES)} == {"2.1"}
    # every prompt reached the server whole: at least the tier's context tokens
    manifest = read_manifest(all_tiers_ds)
    received = sorted(r["prompt_tokens"] for r in server.requests)
    expected_min = sorted(info["context_tokens"] for info in manifest["tiers"].values()
                          for _ in range(info["rows"]))
    assert len(received) == len(expected_min)
    assert all(got > want for got, want in zip(received, expected_min))


def test_oracle_per_type_numbers_match_the_samples(small_ds, oracle_server, tmp_path):
    server, base_url = oracle_server
    out = tmp_path / "out"
    tasks = "cpython_retrieval_t25,cpython_retrieval_t50"
    proc = run([str(BIN / "lm_eval"), "run", *_chat_args(base_url, tasks, {"dataset": str(small_ds), "context_window": 131072}, out),
                "--include_path", include_path()], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results, samples = _outputs(out)
    rows = read_samples(samples)
    assert rows and all(r["score"] == 1.0 for r in rows)
    # generation settings reached the request unchanged: no stop sequence that could cut a multi-line answer
    assert all(r["arguments"]["gen_args_0"]["arg_1"]["until"] == [] for r in rows)
    assert all(req["max_tokens"] == 256 for req in server.requests)
    multi_line = [r for r in rows if "\n" in r["target"]]
    assert all(r["filtered_resps"][0].strip() == r["target"] for r in multi_line)
    # the doc has no context (it is in the prompt only)
    assert all("context" not in r["doc"] for r in rows)
    # per-task per-type / variant metrics equal the means over the sample lines that produced them
    by_task: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for path in samples:
        task = path.name[len("samples_"):].rsplit("_", 1)[0]
        for row in read_samples([path]):
            for metric in row["metrics"]:
                by_task[task][metric].append(row[metric])
    assert set(by_task) == {"cpython_retrieval_t25", "cpython_retrieval_t50"}
    per_type_seen = set()
    for task, metrics in by_task.items():
        for metric, values in metrics.items():
            assert results["results"][task][f"{metric},none"] == pytest.approx(sum(values) / len(values)), (task, metric)
            if metric.startswith("score_") and metric not in ("score_ordinary", "score_perturbed"):
                per_type_seen.add(metric)
        assert results["n-samples"][task]["effective"] == len(metrics["score"])
    assert len(per_type_seen) >= 5
    # the summary helper agrees with the per-tier task numbers and weighs cross-tier numbers by questions
    summary = summarize_samples(samples)
    assert summary["questions"] == len(rows) and summary["overall"]["mean"] == 1.0
    for qtype, stat in summary["by_type"].items():
        assert stat["n"] == sum(len(by_task[t].get(f"score_{qtype}", [])) for t in by_task)
    assert summary["by_variant"]["perturbed"]["n"] == sum(1 for r in rows if r["doc"]["perturbed"])
    assert summary["memorized_hit"]["n"] == sum(1 for r in rows if "memorized_hit" in r)


def test_wrapper_runs_and_writes_the_summary(small_ds, oracle_server, tmp_path):
    _, base_url = oracle_server
    out = tmp_path / "out"
    proc = run([str(BIN / "cpython-retrieval"), "lm-eval",
                *_chat_args(base_url, "cpython_retrieval_t25", {"dataset": str(small_ds), "context_window": 131072}, out)],
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "cpython-retrieval summary" in proc.stdout
    summaries = list(out.rglob(f"{SUMMARY_PREFIX}*.json"))
    assert len(summaries) == 1
    data = json.loads(summaries[0].read_text())
    assert data["by_tier"]["T25"]["mean"] == 1.0


def test_guard_refuses_a_window_too_small(small_ds, oracle_server, tmp_path):
    server, base_url = oracle_server
    # plain lm_eval: the guard runs inside the task loader, before any request
    proc = run([str(BIN / "lm_eval"), "run", *_chat_args(base_url, "cpython_retrieval_t25,cpython_retrieval_t50",
                                                         {"dataset": str(small_ds), "context_window": 40_000}),
                "--include_path", include_path()], cwd=tmp_path)
    assert proc.returncode == 2  # one line under lm_eval's own command line, no traceback
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "declared context_window is 40,000" in errors[0]
    assert "cpython_retrieval_t50" in proc.stderr
    assert server.requests == []  # refused before anything was sent
    # the wrapper: one clear line, exit code 2
    proc = run([str(BIN / "cpython-retrieval"), "lm-eval", *_chat_args(base_url, "cpython_retrieval_t50",
                                                                       {"dataset": str(small_ds), "context_window": 40_000})],
               cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("error: cpython_retrieval_t50: declared context_window")
    # a chat backend with no declared window is refused too
    proc = run([str(BIN / "cpython-retrieval"), "lm-eval", *_chat_args(base_url, "cpython_retrieval_t25", {"dataset": str(small_ds)})],
               cwd=tmp_path)
    assert proc.returncode == 2 and "context_window" in proc.stderr.splitlines()[-1]
    assert server.requests == []


def test_local_completions_declared_window_and_untokenized_route(small_ds, oracle_server, tmp_path):
    """local-completions sending strings: a declared max_length too small is refused; a declared large window runs.

    (Its tokenized default, a silent cut to max_length=2048, is refused too: see test_guard.py; running it here
    would need transformers or a /tokenize endpoint.)
    """
    server, base_url = oracle_server
    common = ["--model", "local-completions", "--tasks", "cpython_retrieval_t25", "--include_path", include_path()]
    # the remote tokenizer path would need transformers or a /tokenize endpoint; the guard is exercised
    # with a window that is declared too small instead, then the untokenized route runs end to end
    proc = run([str(BIN / "lm_eval"), "run", *common, "--model_args",
                f"base_url={base_url}/completions,model=oracle,tokenizer_backend=none,max_length=2048,max_retries=1",
                "--metadata", json.dumps({"dataset": str(small_ds)})], cwd=tmp_path)
    assert proc.returncode != 0 and "declared max_length is 2,048" in proc.stderr
    out = tmp_path / "out"
    proc = run([str(BIN / "lm_eval"), "run", *common, "--model_args",
                f"base_url={base_url}/completions,model=oracle,tokenizer_backend=none,max_retries=1,num_concurrent=4",
                "--metadata", json.dumps({"dataset": str(small_ds), "context_window": 131072}),
                "--output_path", str(out), "--log_samples"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results, _ = _outputs(out)
    assert results["results"]["cpython_retrieval_t25"]["score,none"] == 1.0
    assert all(r["path"].endswith("/completions") and "chat" not in r["path"] for r in server.requests)


def test_tripwire_aborts_a_truncating_backend(small_ds, tmp_path):
    """A backend that reports a big window but truncates (logging lm-eval's warning): the wrapper aborts."""
    code = ("import sys, truncating_model; from cpython_retrieval.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    args = ["lm-eval", "--model", "cpr-truncating-test", "--model_args", "engine_window=4096", "--tasks",
            "cpython_retrieval_t25", "--metadata", json.dumps({"dataset": str(small_ds)})]
    proc = run([sys.executable, "-c", code, *args], cwd=tmp_path, PYTHONPATH=str(HERE))
    assert proc.returncode == 2, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: lm-eval truncated a prompt") and "exceeds model's max length (4096)" in last
    # the same backend with a window that fits runs to the end
    proc = run([sys.executable, "-c", code, *args[:4], "engine_window=10000000", *args[5:]], cwd=tmp_path,
               PYTHONPATH=str(HERE))
    assert proc.returncode == 0, proc.stderr[-3000:]
