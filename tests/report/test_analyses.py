"""Analyses over hand-made records: every number checked against a hand count."""

from __future__ import annotations

import json

import pytest

from cpython_retrieval.report.analyses import cost, depth_heatmap, paired_comparisons, perturbation, primary_by_tier, scorer_agreement, serving
from cpython_retrieval.report.assemble import make_report
from cpython_retrieval.report.prices import Prices, ModelPrice, load_prices
from cpython_retrieval.report.records import CallRecord, RowRecord
from cpython_retrieval.errors import RetrievalError


def rec(model, i, correct, tier="T25", depth=0.05, **kw):
    return RowRecord(model=model, source="test", row_id=f"{tier}-x-{i}", tier=tier, question_type=kw.pop("qt", "parameters"),
                     correct=correct, depth=depth, **kw)


def test_primary_and_effective_length():
    rows = [rec("m", i, i < 9, "T25") for i in range(10)] + [rec("m", i, i < 6, "T50") for i in range(10)]
    out = primary_by_tier(rows, 0.8)["models"]["m"]
    assert out["tiers"]["T25"]["accuracy"] == 0.9 and out["tiers"]["T50"]["accuracy"] == 0.6
    assert out["overall"]["correct"] == 15 and out["effective_length"] == "T25"
    assert out["tiers"]["T50"]["ci_low"] == pytest.approx(0.31267, abs=1e-4)


def test_depth_cells_without_rows_are_empty_not_zero():
    grid = depth_heatmap([rec("m", 0, True, depth=0.05), rec("m", 1, False, depth=0.95), rec("m", 2, True, depth=0.99)])["m"]["T25"]
    assert grid[0] == {"n": 1, "accuracy": 1.0} and grid[9] == {"n": 2, "accuracy": 0.5}
    assert all(c["accuracy"] is None and c["n"] == 0 for c in grid[1:9])


def test_scorer_agreement_lists_disagreements():
    rows = [rec("m", 0, True, substring_correct=True), rec("m", 1, False, substring_correct=True, expected="A", answer="A or B"),
            rec("m", 2, False, substring_correct=False)]
    out = scorer_agreement(rows)["ast_vs_substring"]["m"]
    assert out["matrix"] == {"both_correct": 1, "ast_only": 0, "other_only": 1, "both_wrong": 1}
    assert out["agreement"] == pytest.approx(2 / 3) and out["disagreements"][0]["answer"] == "A or B"
    assert scorer_agreement(rows)["ast_vs_judge"] == {}


def test_perturbation_pairs_and_memorized_rate():
    ordinary = [rec("m", i, True) for i in range(4)]
    perturbed = [rec("m", 10 + i, i == 0, perturbed=True, perturbation_kind="rename" if i < 2 else "decorators",
                     pair_id=f"T25-x-{i}", memorized_hit=i > 0) for i in range(4)]
    closed = [rec("m", 20, True, no_context=True)]
    out = perturbation(ordinary + perturbed + closed)["m"]
    assert out["ordinary"]["accuracy"] == 1.0 and out["perturbed"]["accuracy"] == 0.25
    assert out["memorized_rate"] == 0.75 and out["pairs"]["n"] == 4 and out["pairs"]["read_ordinary_missed_perturbed"] == 3
    assert out["kinds"]["rename"]["accuracy"] == 0.5 and out["kinds"]["decorators"]["memorized_rate"] == 1.0
    assert out["closed_book"]["n"] == 1


def test_serving_cold_warm_and_cache_share():
    calls = (CallRecord(0, latency_s=12.0, ttft_s=2.0, input_tokens=1000, cached_read_tokens=0),
             CallRecord(1, latency_s=1.0, ttft_s=0.2, input_tokens=1000, cached_read_tokens=900),
             CallRecord(2, latency_s=3.0, ttft_s=None, input_tokens=1000, cached_read_tokens=1000))
    out = serving([rec("m", 0, True, calls=calls)])["m"]
    assert out["phases"]["cold"]["latency"]["over_10s"] == 1 and out["phases"]["warm"]["latency"]["median"] == 2.0
    assert out["phases"]["warm"]["ttft"] == {"count": 1, "missing": 1, "median": 0.2, "p90": 0.2, "p95": 0.2, "max": 0.2, "over_10s": 0}
    assert out["cached_share"]["ordinary_warm"]["share"] == pytest.approx(0.95) and out["cached_share"]["ordinary_cold"]["share"] == 0


def test_cost_from_prices_and_from_logs(tmp_path):
    call = CallRecord(0, input_tokens=1_000_000, cached_read_tokens=500_000, output_tokens=1000, cost_usd=9.0)
    rows = [rec("a", 0, True, calls=(call,)), rec("a", 1, False, calls=(call,), perturbed=True)]
    logged = cost(rows, None)["a"]
    assert logged["total_usd"] == 18.0 and logged["per_correct_usd"] == 18.0 and logged["per_correct_perturbed_usd"] is None
    prices = Prices({"a": ModelPrice(input=2.0, output=10.0, cached_input=0.5)})
    priced = cost(rows, prices)["a"]
    assert priced["per_trace_usd"] == pytest.approx(0.5 * 2 + 0.5 * 0.5 + 0.001 * 10)  # 1.26
    path = tmp_path / "prices.yaml"
    path.write_text("models:\n  a: {input: 2, output: 10, cached_input: 0.5}\n")
    assert load_prices(path).models["a"].cached_input == 0.5
    path.write_text("models:\n  a: {inputs: 2}\n")
    with pytest.raises(RetrievalError, match="USD per million"):
        load_prices(path)


def test_paired_comparison_mcnemar():
    a = [rec("a", i, i < 8) for i in range(10)]
    b = [rec("b", i, i < 3 or i == 9) for i in range(10)]
    (p,) = paired_comparisons(a + b)
    assert (p["only_a_correct"], p["only_b_correct"]) == (5, 1)
    assert p["mcnemar_p"] == pytest.approx(2 * (1 + 6) / 2**6)  # 0.21875


def test_make_report_writes_markdown_html_json_and_charts(tmp_path):
    calls = (CallRecord(0, latency_s=1.0, ttft_s=0.5, input_tokens=100, cached_read_tokens=0, cost_usd=0.01),
             CallRecord(1, latency_s=0.5, ttft_s=0.1, input_tokens=100, cached_read_tokens=90, cost_usd=0.002))
    rows = [rec(m, i, (i + k) % 3 != 0, tier=t, depth=i / 10, calls=calls, substring_correct=True)
            for k, m in enumerate(("a", "b")) for t in ("T25", "T50") for i in range(10)]
    summary = make_report(rows, tmp_path / "md")
    text = (tmp_path / "md" / "report.md").read_text()
    assert "## 1. Primary score by tier" in text and "![score by tier](score_by_tier.png)" in text
    assert json.loads((tmp_path / "md" / "summary.json").read_text())["rows"] == 40 == summary["rows"]
    for png in ("score_by_tier.png", "accuracy_by_type.png", "depth_a.png", "latency.png", "cost_quality.png"):
        assert (tmp_path / "md" / png).read_bytes()[:4] == b"\x89PNG"
    make_report(rows, tmp_path / "html", fmt="html")
    page = (tmp_path / "html" / "report.html").read_text()
    assert page.count("data:image/png;base64,") >= 5 and "<table>" in page
