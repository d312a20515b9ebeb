"""Unit tests of the task metrics: Wilson numbers, percentiles, breakdowns, call figures."""

from __future__ import annotations

import math

import pytest
from inspect_ai.scorer import SampleScore, Score

from cpython_retrieval.tasks.metrics import (
    accuracy_by_depth,
    accuracy_by_question_type,
    accuracy_by_tier,
    accuracy_wilson,
    call_stats,
    call_summary,
    depth_decile,
    judged_accuracy,
    percentile,
    perturbation_split,
    wilson_interval,
)


@pytest.mark.parametrize("k,n,low,high", [
    (8, 10, 0.4902, 0.9433),   # textbook values
    (50, 100, 0.4038, 0.5962),
    (0, 10, 0.0, 0.2775),      # exact 0 at the lower edge
    (10, 10, 0.7225, 1.0),     # exact 1 at the upper edge
    (1, 2, 0.0945, 0.9055),
])
def test_wilson_interval_numbers(k, n, low, high):
    p, lo, hi = wilson_interval(k, n)
    assert p == k / n
    assert lo == pytest.approx(low, abs=5e-5) and hi == pytest.approx(high, abs=5e-5)


def test_wilson_interval_empty_is_nan():
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def test_percentile_matches_linear_interpolation():
    data = [3, 1, 4, 1, 5, 9, 2, 6]
    assert percentile(data, 50) == 3.5
    assert percentile(data, 90) == pytest.approx(6.9)
    assert percentile([None, 2.0], 90) == 2.0
    assert percentile([None], 50) is None


def test_depth_decile():
    assert depth_decile(None) == "none"
    assert depth_decile(0.0) == "d0" and depth_decile(0.999) == "d9" and depth_decile(1.0) == "d9"
    assert depth_decile(0.35) == "d3"


def _score(value, **meta):
    return SampleScore(score=Score(value=value, metadata=meta), sample_id=str(id(meta)))


def test_accuracy_and_breakdowns():
    scores = [
        _score(1.0, question_type="parameters", tier="T25", depth=0.05, perturbed=False),
        _score(0.0, question_type="parameters", tier="T25", depth=0.95, perturbed=False),
        _score(1.0, question_type="absent_symbol", tier="T50", depth=None, perturbed=False),
        _score(0.0, question_type="decorators", tier="T50", depth=0.5, perturbed=True, memorized_hit=True),
        _score(1.0, question_type="decorators", tier="T50", depth=0.5, perturbed=True, memorized_hit=False),
    ]
    acc = accuracy_wilson()(scores)
    assert acc["accuracy"] == 0.6
    assert (acc["accuracy_ci_low"], acc["accuracy_ci_high"]) == pytest.approx(wilson_interval(3, 5)[1:])
    assert accuracy_by_question_type()(scores) == {"type_absent_symbol": 1.0, "type_decorators": 0.5, "type_parameters": 0.5}
    assert accuracy_by_tier()(scores) == {"tier_T25": 0.5, "tier_T50": 2 / 3}
    assert accuracy_by_depth()(scores) == {"depth_d0": 1.0, "depth_d5": 0.5, "depth_d9": 0.0, "depth_none": 1.0}
    assert perturbation_split()(scores) == {"ordinary_accuracy": 2 / 3, "perturbed_accuracy": 0.5, "memorized_rate": 0.5}


def test_perturbation_split_without_perturbed_rows():
    out = perturbation_split()([_score(1.0, perturbed=False)])
    assert out == {"ordinary_accuracy": 1.0, "perturbed_accuracy": None, "memorized_rate": None}


def test_call_summary_cold_warm_and_cache_share():
    calls = [
        {"trial": 0, "ttft_s": 1.0, "latency_s": 2.0, "input_tokens": 1000, "cached_read_tokens": 0, "cost_usd": 0.01},
        {"trial": 1, "ttft_s": 0.2, "latency_s": 0.5, "input_tokens": 1000, "cached_read_tokens": 992, "cost_usd": 0.002},
        {"trial": 2, "ttft_s": 0.4, "latency_s": 0.7, "input_tokens": 1000, "cached_read_tokens": 992, "cost_usd": None},
        {"trial": 0, "ttft_s": None, "latency_s": 3.0, "input_tokens": 1000, "cached_read_tokens": None},
    ]
    out = call_summary(calls)
    assert out["cold_ttft_median"] == 1.0 and out["cold_latency_median"] == 2.5
    assert out["warm_ttft_median"] == pytest.approx(0.3) and out["warm_ttft_p90"] == pytest.approx(0.38)
    assert out["cold_cached_share"] == 0.0 and out["warm_cached_share"] == pytest.approx(0.992)
    assert out["cached_share"] == pytest.approx(1984 / 3000)  # calls that reported no cache figure are left out
    assert out["ttft_available"] == 0.75
    assert out["cost_usd"] == pytest.approx(0.012)
    assert call_stats()([_score(1.0, calls=calls)]) == out


def test_call_summary_nothing_known():
    out = call_summary([{"trial": 0, "ttft_s": None, "latency_s": 1.0, "input_tokens": 5, "cached_read_tokens": None}])
    assert out["cold_ttft_median"] is None and out["cached_share"] is None and out["ttft_available"] == 0.0


def test_judged_accuracy_leaves_unscored_out():
    scores = [_score(1.0, judge_correct=True), _score(0.0, judge_correct=False), _score(0.0, judge_correct=None)]
    assert judged_accuracy()(scores) == {"judge_accuracy": 0.5, "judge_unscored": 1.0}
