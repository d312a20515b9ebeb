"""Reports identify runs by what they are, write --out whole, refuse mixed pins and bad prices (issue 21 item 4),
and render text columns left-aligned with model names that do not collide (issue 23)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from cpython_retrieval.errors import RetrievalError
from cpython_retrieval.report import read_records
from cpython_retrieval.report.assemble import make_report
from cpython_retrieval.report.blocks import Table, to_html
from cpython_retrieval.report.inputs import check_one_dataset, deduplicate
from cpython_retrieval.report.prices import load_prices
from cpython_retrieval.report.records import DatasetIdentity, LogInfo, RowRecord


def write_samples(folder, task, stamp, correct, model=None):
    """An lm-eval samples file of three rows, and its results file naming the model when `model` is given."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"doc": {"id": f"T25-parameters-{i}", "tier": "T25", "question_type": "parameters",
                                 "dataset_fingerprint": "fp-1", "cpython_version": "3.13.15"},
                         "score": 1.0 if correct else 0.0, "filtered_resps": ["x"]}) for i in range(3)]
    (folder / f"samples_{task}_{stamp}.jsonl").write_text("\n".join(lines) + "\n")
    if model:
        (folder / f"results_{stamp}.json").write_text(json.dumps({"config": {"model": "local-chat-completions",
                                                                             "model_args": f"model={model},base_url=x"}}))


def test_two_lm_eval_runs_in_one_folder_without_results_are_two_runs_not_a_retry(tmp_path):
    write_samples(tmp_path / "out_dir", "cpython_retrieval_t25", "2026-01-01T10-00-00.1", correct=True)
    write_samples(tmp_path / "out_dir", "cpython_retrieval_t25", "2026-01-01T11-00-00.1", correct=False)
    records = read_records([tmp_path / "out_dir"], progress=False)
    kept, notes = deduplicate(records)
    assert len(kept) == 6 and notes == []  # nothing dropped: the model of each file is unknown, never the folder's name
    models = sorted({r.model for r in kept})
    assert len(models) == 2 and all("unknown model" in m and "out_dir" not in m.split("(")[0] for m in models)


def test_lm_eval_runs_are_named_by_their_results_and_a_rerun_is_not_called_a_retry(tmp_path):
    write_samples(tmp_path / "a", "cpython_retrieval_t25", "2026-01-01T10-00-00.1", correct=True, model="alpha")
    write_samples(tmp_path / "a", "cpython_retrieval_t25", "2026-01-01T11-00-00.1", correct=False, model="beta")
    write_samples(tmp_path / "b", "cpython_retrieval_t25", "2026-01-01T12-00-00.1", correct=False, model="alpha")
    records = read_records([tmp_path], progress=False)
    kept, notes = deduplicate(records)
    assert sorted({r.model for r in kept}) == ["local-chat-completions/alpha", "local-chat-completions/beta"]
    (note,) = notes
    assert note.model == "local-chat-completions/alpha" and note.samples == 3 and note.retry is False


def rec(model, i, correct=True, **kw):
    return RowRecord(model=model, source="t", row_id=f"T25-parameters-{i}", tier="T25", question_type="parameters",
                     correct=correct, depth=0.5, **kw)


def test_out_is_replaced_whole(tmp_path):
    out = tmp_path / "report"
    make_report([rec("a", i) for i in range(4)] + [rec("b", i) for i in range(4)], out)
    assert (out / "depth_b.png").is_file()
    make_report([rec("a", i) for i in range(4)], out)  # model b is gone: so is its chart
    assert not (out / "depth_b.png").exists() and (out / "depth_a.png").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no temporary folder left beside it


def test_out_holding_the_users_files_is_refused_and_left_alone(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    with pytest.raises(RetrievalError, match=r"holds 'notes.txt'.*replaces its folder whole") as error:
        make_report([rec("a", i) for i in range(4)], out)
    assert "\n" not in str(error.value) and (out / "notes.txt").read_text() == "my notes"
    (out / "notes.txt").unlink()
    (out / "headline.png").write_bytes(b"not ours")  # report-like names, but no summary.json: not a report
    with pytest.raises(RetrievalError, match="not a previous report"):
        make_report([rec("a", i) for i in range(4)], out)


def test_a_log_without_fingerprint_that_mixes_pins_is_refused_or_bannered(tmp_path):
    a = [rec("a", i, dataset=DatasetIdentity("fp-1", "3.13.15", "0.2.0"), log=LogInfo(path="a.eval")) for i in range(3)]
    stripped = [rec("b", i, dataset=DatasetIdentity(None, "3.12.1", "0.2.0"), log=LogInfo(path="b.eval"))
                for i in range(3)]
    with pytest.raises(RetrievalError, match=r"CPython pin 3\.12\.1 \(b\.eval\) and 3\.13\.15 \(a\.eval\)"):
        check_one_dataset(a + stripped, allow_mixed=False)
    summary = make_report(a + stripped, tmp_path / "r", allow_mixed=True)
    text = (tmp_path / "r" / "report.md").read_text()
    assert summary["mixed_datasets"] and summary["cpython_pins"] == ["3.12.1", "3.13.15"]
    head = text.split("## At a glance")[0]
    assert "**Mixed datasets:**" in head and "**Unknown dataset:** 1 log(s)" in head


@pytest.mark.parametrize("value", ["-1.0", ".nan", ".inf"])
def test_prices_must_be_finite_and_not_negative(tmp_path, value):
    path = tmp_path / "prices.yaml"
    path.write_text(f"models:\n  m: {{input: 1.0, output: {value}}}\n")
    with pytest.raises(RetrievalError, match=r"m\.output is .*a price must be a finite number >= 0") as error:
        load_prices(path)
    assert "\n" not in str(error.value)
    assert math.isfinite(load_prices(_ok(tmp_path)).models["m"].input)


def _ok(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("models:\n  m: {input: 0, output: 2.5}\n")
    return path


def test_cli_refuses_bad_prices_before_reading_any_log(tmp_path):
    path = tmp_path / "prices.yaml"
    path.write_text("models:\n  m: {input: -3, output: 1}\n")
    result = subprocess.run([sys.executable, "-m", "cpython_retrieval", "report", str(tmp_path / "no-such-log"),
                             "--out", str(tmp_path / "r"), "--prices", str(path)], capture_output=True, text=True)
    assert result.returncode == 2 and "m.input is -3.0" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_html_left_aligns_text_columns_and_right_aligns_numbers(tmp_path):
    page = to_html([Table(["model", "n", "accuracy"], [["cpython_retrieval/oracle", 12, "0.950 [0.9, 1.0] (n=12)"]])], "t")
    assert "text-align:left" in page and ".num{text-align:right" in page
    assert "<th>model</th>" in page and "<th class=num>n</th>" in page and "<td class=num>0.950 [0.9, 1.0] (n=12)</td>" in page
    assert "<td>cpython_retrieval/oracle</td>" in page


def test_the_grep_model_is_shown_as_the_search_floor(tmp_path):
    rows = [rec(m, i, correct=(i % 2 == 0) if m.endswith("grep") else True) for m in ("cpython_retrieval/grep", "a")
            for i in range(40)]
    summary = make_report(rows, tmp_path / "r")
    text = (tmp_path / "r" / "report.md").read_text()
    assert summary["search_floor"] == ["cpython_retrieval/grep"]
    assert summary["by_question_type"]["cpython_retrieval/grep"]["parameters"]["accuracy"] == 0.5
    types = text.split("## 3. Accuracy by question type")[1].split("## 4.")[0]
    assert "| question type | family | a | cpython_retrieval/grep (search floor) |" in types and "search floor (" in types


def test_summary_is_strict_json_even_for_a_tier_of_one_row(tmp_path):
    rows = ([rec(m, i, correct=i % 2 == 0) for m in ("a", "b") for i in range(10)]
            + [RowRecord(model=m, source="t", row_id="T50-parameters-0", tier="T50", question_type="parameters",
                         correct=m == "a") for m in ("a", "b")])

    def refuse(constant):
        raise AssertionError(f"{constant} in summary.json")

    make_report(rows, tmp_path / "r")
    summary = json.loads((tmp_path / "r" / "summary.json").read_text(), parse_constant=refuse)
    overall = summary["primary"]["models"]["a"]["overall"]
    assert 0.0 <= overall["ci_low"] < overall["accuracy"] < overall["ci_high"] <= 1.0
