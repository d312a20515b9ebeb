"""The report's statistics against hand-computed values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpython_retrieval.report.stats import (
    effective_length,
    mcnemar_exact,
    paired_bootstrap,
    percentile,
    wilson,
)


def test_wilson_matches_hand_computed_bounds():
    # 8/10, z=1.96: centre=(0.8+0.19208)/1.38415=0.71674; half=1.95996*sqrt(0.016+0.0096040)/1.38415=0.22657
    p = wilson(8, 10)
    assert p.low == pytest.approx(0.49016, abs=1e-4) and p.high == pytest.approx(0.94332, abs=1e-4)
    zero = wilson(0, 20)
    assert zero.low == 0.0 and zero.high == pytest.approx(0.16113, abs=1e-4)
    full = wilson(20, 20)
    assert full.high == 1.0 and full.low == pytest.approx(0.83887, abs=1e-4)
    assert math.isnan(wilson(0, 0).low)


@given(st.integers(0, 500), st.integers(1, 500))
def test_wilson_contains_the_point_estimate(k, n):
    k = min(k, n)
    p = wilson(k, n)
    assert 0 <= p.low <= k / n <= p.high <= 1


def test_mcnemar_exact_hand_computed():
    assert mcnemar_exact(1, 6) == pytest.approx(2 * (1 + 7) / 2**7)  # 0.125
    assert mcnemar_exact(0, 10) == pytest.approx(2 / 2**10)
    assert mcnemar_exact(5, 5) == 1.0 and mcnemar_exact(0, 0) == 1.0


def test_paired_bootstrap_is_seeded_and_brackets_the_difference():
    a = [True] * 70 + [False] * 30
    b = [True] * 50 + [False] * 50
    diff, low, high = paired_bootstrap(a, b, resamples=2000, seed=1)
    assert diff == pytest.approx(0.2) and low < 0.2 < high
    assert paired_bootstrap(a, b, resamples=2000, seed=1) == (diff, low, high)
    with pytest.raises(ValueError):
        paired_bootstrap([True], [True, False])


def test_percentile_and_effective_length():
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([None, None], 50) is None
    assert percentile([0, 10], 90) == pytest.approx(9.0)
    scores = {"T100": 0.7, "T25": 0.95, "T50": 0.85}
    assert effective_length(scores, 0.8) == "T50"
    assert effective_length(scores, 0.99) is None
    assert effective_length({"T25": 0.9, "T50": None, "T100": 0.95}, 0.8) == "T25"
