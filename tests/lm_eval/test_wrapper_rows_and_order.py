"""The wrapper's small per-row log, its raw alternative, and the order requests reach the server."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import pytest

from cpython_retrieval.dataset.store import load_tier, write_dataset
from cpython_retrieval.generate.stages import build_dataset
from cpython_retrieval.lm_eval_tasks.row_log import LARGE_FIELD_CHARS, small_sample
from cpython_retrieval.lm_eval_tasks.wrapper import (
    SUMMARY_PREFIX,
    plan_run,
    summarize_samples,
)
from cpython_retrieval.prompt import render_prompt
from cpython_retrieval.reference.prompt_cache import headed

from .conftest import BIN, run

TIERS = ("T25", "T50")


@pytest.fixture(scope="module")
def grouped_ds(tmp_path_factory) -> Path:
    """T25 and T50 with each tier's rows stored context by context (ordinary rows, then the perturbed ones)."""
    built = build_dataset(tiers=list(TIERS), per_tier=6)
    for tier, rows in built.rows.items():
        built.rows[tier] = sorted(rows, key=lambda r: bool(r["perturbed"]))  # stable: ids stay in order within a context
    out = tmp_path_factory.mktemp("lmeval_grouped")
    write_dataset(built, out)
    return out


def _wrapper(base_url: str, dataset: Path, out: Path, *extra: str, chat: bool):
    """Chat completions (lm-eval keeps their order: its sort key, the length of a 1-tuple, is always 1), or
    completions with string prompts (lm-eval sorts those longest first)."""
    if chat:
        model = ["--model", "local-chat-completions", "--apply_chat_template", "--model_args",
                 f"base_url={base_url}/chat/completions,model=oracle,num_concurrent=1,max_retries=1"]
    else:
        model = ["--model", "local-completions", "--model_args",
                 f"base_url={base_url}/completions,model=oracle,tokenizer_backend=none,num_concurrent=1,max_retries=1"]
    return ["lm-eval", *model, "--tasks", ",".join(f"cpython_retrieval_{t.lower()}" for t in TIERS),
            "--metadata", json.dumps({"dataset": str(dataset), "context_window": 131072}),
            "--output_path", str(out), *extra]


def _lines(out: Path) -> dict[str, list[dict]]:
    files = sorted(out.rglob("samples_cpython_retrieval_*.jsonl"))
    assert len(files) == len(TIERS), files
    return {p.name.split("_")[3].upper(): [json.loads(line) for line in p.read_text().splitlines()] for p in files}


def _summary(out: Path) -> dict:
    (path,) = out.rglob(f"{SUMMARY_PREFIX}*.json")
    return json.loads(path.read_text())


@pytest.mark.slow
def test_small_rows_raw_rows_and_dataset_send_order(grouped_ds, oracle_server, tmp_path):
    server, base_url = oracle_server
    small_out, raw_out = tmp_path / "small", tmp_path / "raw"
    proc = run([str(BIN / "cpython-retrieval"), *_wrapper(base_url, grouped_ds, small_out, chat=False)], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    sent = [(r["head_key"], r["question"]) for r in server.requests]
    server.requests.clear()

    # -- send order: every row once, in dataset order, one context's rows together ------------
    expected: dict[str, list[tuple[str, str]]] = {}
    contexts: dict[str, list[str]] = {}
    for tier in TIERS:
        rows = load_tier(grouped_ds, tier)
        expected[tier] = [(headed(render_prompt(r["question"], r["context"], cpython_version=r["cpython_version"])).key,
                           r["question"]) for r in rows]
        contexts[tier] = list(dict.fromkeys(r["context_id"] for r in rows))
        assert len(contexts[tier]) == 2  # the ordinary and the perturbed context
    assert sent in (expected["T25"] + expected["T50"], expected["T50"] + expected["T25"])
    switches = sum(1 for a, b in itertools.pairwise(sent) if a[0] != b[0])
    assert switches == sum(len(c) for c in contexts.values()) - 1  # each context's requests arrive together

    # -- the small per-row log -------------------------------------------------------------------
    small = _lines(small_out)
    for tier, lines in small.items():
        rows = load_tier(grouped_ds, tier)
        assert [line["doc"]["id"] for line in lines] == [r["id"] for r in rows]
        for line, row in zip(lines, rows, strict=True):
            assert "# ===== File:" not in json.dumps(line)  # no context text anywhere
            note = line["arguments"]["gen_args_0"]["arg_0"]
            assert note.startswith("[prompt left out") and row["context_id"] in note
            assert line["arguments"]["gen_args_0"]["arg_1"]["until"] == []
            assert line["doc"]["context_id"] == row["context_id"] and line["doc"]["question"] == row["question"]
            assert line["filtered_resps"] == [row["answer"]] and line["score"] == 1.0
            assert len(json.dumps(line)) < 4 * LARGE_FIELD_CHARS

    # -- --raw_samples (here with the chat API): lm-eval's own lines; the same rows but for the prompt ---
    proc = run([str(BIN / "cpython-retrieval"), *_wrapper(base_url, grouped_ds, raw_out, "--raw_samples", chat=True)],
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    raw = _lines(raw_out)
    for tier in TIERS:
        assert len(raw[tier]) == len(small[tier])
        for raw_line, small_line in zip(raw[tier], small[tier], strict=True):
            prompt = json.loads(raw_line["arguments"]["gen_args_0"]["arg_0"][0])[0]["content"]
            assert "# ===== File:" in prompt and prompt.endswith(raw_line["doc"]["question"])
            for line in (raw_line, small_line):
                line["arguments"]["gen_args_0"].pop("arg_0")
                line.pop("prompt_hash")  # the chat prompt is the messages' JSON
            assert raw_line == small_line
    assert _summary(small_out) == _summary(raw_out) == summarize_samples(sorted(raw_out.rglob("samples_*.jsonl")))
    raw_bytes = sum(p.stat().st_size for p in raw_out.rglob("samples_*.jsonl"))
    small_bytes = sum(p.stat().st_size for p in small_out.rglob("samples_*.jsonl"))
    assert small_bytes * 20 < raw_bytes


def test_the_report_reads_small_rows_as_raw_ones(tmp_path):
    """`cpython-retrieval report` takes the small lines: every field it reads is kept."""
    from cpython_retrieval.report.readers import read_lm_eval_samples

    doc = {"id": "T25-x-1", "tier": "T25", "question_type": "parameters", "question": "What are ...?", "answer": "a, b",
           "context_id": "T25-original-0", "depth": 3, "perturbed": False, "pair_id": None, "no_context": False,
           "big": "x" * (LARGE_FIELD_CHARS + 1)}
    raw = {"doc_id": 0, "doc": doc, "target": "a, b", "arguments": [("PROMPT " * 1000, {"until": []})],
           "resps": [["a, b"]], "filtered_resps": ["a, b"], "filter": "none", "metrics": ["score", "substring_match"],
           "doc_hash": "d", "prompt_hash": "p", "target_hash": "t", "score": 1.0, "substring_match": 1.0}
    small = small_sample(raw)
    assert small["doc"]["doc_left_out"] == ["big"] and "big" not in small["doc"]
    assert small["arguments"][0][1] == {"until": []} and "PROMPT" not in small["arguments"][0][0]
    chat = small_sample({**raw, "arguments": [(('[{"role": "user", "content": "PROMPT"}]',), {"until": []})]})
    assert chat["arguments"][0][0].startswith("[prompt left out: 39 chars, context T25-original-0")
    assert raw["arguments"][0][0].startswith("PROMPT") and "big" in raw["doc"]  # the sample itself is untouched
    records = []
    for name, sample in (("raw", raw), ("small", small)):
        path = tmp_path / f"samples_cpython_retrieval_t25_{name}.jsonl"
        path.write_text(json.dumps(sample, default=list) + "\n")
        (record,) = read_lm_eval_samples(path)
        records.append(record)
    # the model label names the samples file when no results file stands beside it; everything read is the same
    assert [r.model.startswith("lm-eval/unknown model (samples_cpython_retrieval_t25_") for r in records] == [True, True]
    assert (dataclasses.replace(records[0], source="", log=None, model="")
            == dataclasses.replace(records[1], source="", log=None, model=""))


def test_wrapper_arguments():
    plan = plan_run(["--model", "dummy", "--output_path", "out"])
    assert "--log_samples" in plan.argv and not plan.raw_samples and not plan.user_log_samples
    assert plan_run(["--model", "dummy", "--output_path", "out", "--raw_samples"]).raw_samples
    assert "--raw_samples" not in plan_run(["--model", "dummy", "-o", "out", "--raw_samples"]).argv
    assert plan_run(["--model", "dummy", "-o", "out", "--log_samples"]).user_log_samples
    assert "--log_samples" not in plan_run(["--model", "dummy"]).argv  # nowhere to write rows
    with pytest.raises(ValueError, match="--raw_samples needs"):
        plan_run(["--model", "dummy", "--raw_samples"])
    with pytest.raises(ValueError, match="supplies --include_path itself"):
        plan_run(["--model", "dummy", "--include_path", "x"])
    assert plan_run(["ls", "tasks"]).argv[-2] == "--include_path"


def test_wrong_wrapper_argument_is_one_line_and_exit_2(tmp_path):
    proc = run([str(BIN / "cpython-retrieval"), "lm-eval", "--model", "dummy", "--raw_samples"], cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("error: --raw_samples needs")
