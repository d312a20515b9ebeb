"""The lm-eval path scores only finished replies of the requested model, refuses bad output budgets, and ends a
failing server's run in one line with the answered rows kept (issue 21, parity with the Inspect path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cpython_retrieval.lm_eval_tasks.replies import UNSCORED_PREFIX, check_outputs, unscored_reason
from cpython_retrieval.lm_eval_tasks.utils import process_results

from .conftest import BIN, run
from .faulty_chat_server import REPLY_FAULTS, TRANSPORT_FAULTS, FaultyChatServer


def _args(base_url: str, dataset: Path, out: Path | None, *extra: str, chat: bool = True, window: int = 131072,
          concurrent: int = 1, perturbed: str = "exclude") -> list[str]:
    model = "local-chat-completions" if chat else "local-completions"
    route = "chat/completions" if chat else "completions"
    args = [str(BIN / "cpython-retrieval"), "lm-eval", "--model", model, "--model_args",
            f"base_url={base_url}/{route},model=oracle,max_retries=2,num_concurrent={concurrent}"
            + ("" if chat else ",tokenizer_backend=none"),
            *(["--apply_chat_template"] if chat else []), "--tasks", "cpython_retrieval_t25",
            "--metadata", json.dumps({"dataset": str(dataset), "context_window": window, "perturbed": perturbed}),
            *extra]
    if out is not None:
        args += ["--output_path", str(out)]
    return args


def _rows(out: Path) -> list[dict]:
    (samples,) = sorted(out.rglob("samples_cpython_retrieval_t25_*.jsonl"))
    return [json.loads(line) for line in samples.read_text().splitlines() if line.strip()]


EXPECTED_REASON = {"length": "finish_reason length", "content_filter": "content filter",
                   "tool_calls": "unknown finish reason 'tool_calls'", "weird": "unknown finish reason 'weird'",
                   "null_finish": "no finish reason", "no_finish_key": "no finish reason",
                   "other_model": "another model", "bad_utf8": "undecodable", "empty_choices": "no choices",
                   "null_content": "no text"}


@pytest.mark.parametrize("chat", [True, False], ids=["chat", "completions"])
def test_every_reply_fault_is_a_recorded_zero_with_its_reason(small_ds, tmp_path, chat):
    """Each reply fault once, then ok ones: every faulty reply scores 0 (though its text was right), ok ones 1."""
    faults = [f for f in REPLY_FAULTS if f != "ok" and (chat or f != "null_content")]
    plan = ["ok", *faults]  # `no_index`: a reply without an index is still parsed (and, being finished, scored)
    with FaultyChatServer(lambda n: plan[n] if n < len(plan) else "ok") as server:
        proc = run(_args(server.base_url, small_ds, tmp_path / "out", chat=chat, perturbed="include"), cwd=tmp_path)
        sent = list(server.faults_sent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = _rows(tmp_path / "out")
    assert len(rows) == len(sent) >= len(plan), "every fault sent"
    by_prompt = {row["doc"]["id"]: row for row in rows}
    assert len(by_prompt) == len(rows)
    unscored = [row for row in rows if unscored_reason(row["resps"][0][0])]
    assert len(unscored) == sum(f in EXPECTED_REASON for f in sent)
    for row in rows:
        reason = unscored_reason(row["resps"][0][0])
        if reason is None:
            assert row["score"] == 1.0 and row["unscored_reply"] == 0.0, row["resps"]
        else:
            assert row["score"] == 0.0 and row["substring_match"] == 0.0 and row["unscored_reply"] == 1.0
    reasons = " | ".join(unscored_reason(row["resps"][0][0]) for row in unscored)
    for fault in set(faults) - {"no_index"}:
        assert EXPECTED_REASON[fault] in reasons, (fault, reasons)
    summary = json.loads(next((tmp_path / "out").rglob("results_*.json")).read_text())
    assert summary["results"]["cpython_retrieval_t25"]["unscored_reply,none"] > 0


@pytest.mark.parametrize("fault", [f if f == "500" else pytest.param(f, marks=pytest.mark.slow)
                                   for f in TRANSPORT_FAULTS])
def test_transport_failures_end_in_one_line_with_answered_rows_kept(small_ds, tmp_path, fault):
    """Three healthy replies, then the fault for good (a storm): one error line, exit 1, 3 rows kept and scored."""
    with FaultyChatServer(lambda n: "ok" if n < 3 else fault) as server:
        proc = run(_args(server.base_url, small_ds, tmp_path / "out"), cwd=tmp_path, timeout=240)
    assert proc.returncode == 1, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: the model server failed") and "Traceback" not in proc.stderr
    (partial,) = sorted((tmp_path / "out").glob("cpython_retrieval_partial_*.jsonl"))
    kept = [json.loads(line) for line in partial.read_text().splitlines()]
    assert len(kept) == 3 and all(row["score"] == 1.0 and row["doc_id"] for row in kept)
    assert "3 answered rows" in last


def test_concurrent_requests_are_checked_too(small_ds, tmp_path):
    with FaultyChatServer(lambda n: "length") as server:
        proc = run(_args(server.base_url, small_ds, tmp_path / "out", concurrent=4), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = _rows(tmp_path / "out")
    assert rows and all(row["score"] == 0.0 and "length" in unscored_reason(row["resps"][0][0]) for row in rows)


@pytest.mark.parametrize("gen_kwargs", ["max_gen_toks=-1000000", *(pytest.param(g, marks=pytest.mark.slow) for g in (
    "max_gen_toks=0", "max_tokens=-5", "max_gen_toks=12.5", "max_tokens=abc"))])
def test_an_output_budget_below_one_token_is_refused_in_one_line(small_ds, tmp_path, gen_kwargs):
    with FaultyChatServer(lambda n: "ok") as server:
        proc = run(_args(server.base_url, small_ds, None, "--gen_kwargs", gen_kwargs, window=4096), cwd=tmp_path)
        assert server.count == 0, "refused before any request"
    assert proc.returncode == 2 and proc.stderr.strip().splitlines()[-1].startswith("error: ")
    assert "output budget" in proc.stderr.strip().splitlines()[-1]


def test_a_huge_max_tokens_is_checked_against_the_window(small_ds, tmp_path):
    with FaultyChatServer(lambda n: "ok") as server:
        proc = run(_args(server.base_url, small_ds, None, "--gen_kwargs", "max_tokens=1000000", window=131072),
                   cwd=tmp_path)
        assert server.count == 0
    assert proc.returncode == 2 and "too small" in proc.stderr.strip().splitlines()[-1]


# --- the pure parts -------------------------------------------------------------------------------------------

def _chat(content, finish="stop", model="oracle", **extra):
    return {"model": model, "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                         "finish_reason": finish, **extra}]}


@pytest.mark.parametrize("outputs, reason", [
    (_chat("json.decoder", finish="length"), "length"),
    (_chat("json.decoder", finish=None), "no finish reason"),
    (_chat("json.decoder", finish="content_filter"), "content filter"),
    (_chat("json.decoder", finish="FINISHED"), "unknown finish reason"),
    (_chat("json.decod\ufffd"), "undecodable"),
    (_chat("json.decod\udcff"), "undecodable"),
    (_chat("json.decoder", model="gpt-4o-mini"), "another model"),
    (_chat(None), "no text"),
    ({"choices": []}, "no choices"),
    ("not a dict", "no choices"),
    (None, "no choices"),
])
def test_check_outputs_marks_every_problem(outputs, reason):
    (choice,) = check_outputs(outputs, "oracle" if "gpt" not in json.dumps(outputs) else "gpt-4o")["choices"]
    assert choice["message"]["content"].startswith(UNSCORED_PREFIX) and reason in choice["message"]["content"]


@pytest.mark.parametrize("requested, reported", [("gpt-4o", "gpt-4o-2024-08-06"), ("oracle", "cpython_retrieval/oracle"),
                                                  ("claude-3-5-sonnet-latest", "claude-3-5-sonnet-20241022"),
                                                  ("openai/gpt-4.1", "gpt-4.1"), ("Org/Model-7B", "org/model-7b")])
def test_a_finished_reply_is_untouched_and_a_snapshot_name_is_the_same_model(requested, reported):
    outputs = _chat("json.decoder", model=reported)
    assert check_outputs(outputs, requested) == outputs


def test_an_unscored_response_scores_zero_even_when_it_contains_the_answer():
    doc = {"question_type": "class_location", "answer": "json/decoder.py", "question": "q", "perturbed": True,
           "original_answer": "json/decoder.py", "drift": False}
    text = f"{UNSCORED_PREFIX}cut by the output budget (finish_reason length)] json/decoder.py"
    out = process_results(doc, [text])
    assert out["score"] == 0.0 and out["substring_match"] == 0.0 and out["unscored_reply"] == 1.0
    assert "memorized_hit" not in out


# --- labels on the lm-eval path ------------------------------------------------------------------------------------

def test_metadata_source_must_match_the_pin_unless_allow_mismatch(tmp_path, monkeypatch):
    from cpython_retrieval.dataset import resolve
    from cpython_retrieval.errors import RetrievalError
    from cpython_retrieval.lm_eval_tasks import utils

    from ..core.test_corpus_and_sources import GOOD, make_lib

    monkeypatch.setattr(resolve, "user_cache_dir", lambda name: str(tmp_path / "cache"))
    lib = make_lib(tmp_path / "src", {f"m{i}.py": GOOD.replace("Alpha", f"Alpha{i}") for i in range(6)})
    with pytest.raises(RetrievalError) as err:
        utils.load_docs("T25", pin="3.13.0", source=str(lib), context_window=10**6)
    assert '"allow_mismatch": true' in str(err.value) and "\n" not in str(err.value)
    docs = utils.load_docs("T25", pin="3.13.0", source=str(lib), allow_mismatch=True, context_window=10**6)["test"]
    assert len(docs) and all(d["cpython_version"] == "3.13.0" and d["source_matches_pin"] is False for d in docs)
