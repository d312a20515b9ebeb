"""The report's statistics against hand-computed values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpython_retrieval.report.stats import (
    effective_length,
    mcnemar_exact,
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


def test_percentile_and_effective_length():
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([None, None], 50) is None
    assert percentile([0, 10], 90) == pytest.approx(9.0)
    scores = {"T100": 0.7, "T25": 0.95, "T50": 0.85}
    assert effective_length(scores, 0.8) == "T50"
    assert effective_length(scores, 0.99) is None
    assert effective_length({"T25": 0.9, "T50": None, "T100": 0.95}, 0.8) == "T25"


# --- clustered intervals, paired differences, power ---

from cpython_retrieval.report.stats import (  # noqa: E402
    MIN_ROWS,
    Z_POWER,
    Estimate,
    blended,
    clustered_proportion,
    clustered_se,
    paired_difference,
    t_critical,
)


def test_clustered_se_matches_hand_computed_cr1():
    # clusters A: 1,1,0  B: 0,0  -> mean 0.4; residual sums A: 0.6+0.6-0.4=0.8, B: -0.8; CR1 = 2/1 * 1.28 / 25
    mean, se, g = clustered_se([1, 1, 0, 0, 0], ["A", "A", "A", "B", "B"])
    assert (mean, g) == (0.4, 2) and se == pytest.approx(math.sqrt(2 * 1.28 / 25))
    assert math.isnan(clustered_se([1, 0], ["A", "A"])[1])


def test_one_row_per_cluster_gives_the_row_level_se_times_the_small_sample_factor():
    y = [1, 0, 1, 1, 0, 1, 1, 1]
    _, se, g = clustered_se(y, range(len(y)))
    p = sum(y) / len(y)
    assert g == 8 and se == pytest.approx(math.sqrt(p * (1 - p) / len(y) * 8 / 7))


def test_t_critical_table_and_limit():
    assert t_critical(1) == pytest.approx(12.706, abs=1e-3) and t_critical(9) == pytest.approx(2.262, abs=1e-3)
    assert t_critical(60) == pytest.approx(2.000, abs=2e-3) and t_critical(5000) == pytest.approx(1.95996, abs=1e-5)
    with pytest.raises(ValueError):
        t_critical(0)


def test_clustered_proportion_is_wider_than_wilson_when_contexts_differ():
    # ten contexts of 50 rows: five at 0.9, five at 0.5: strong between-context variation
    flags, clusters = [], []
    for c in range(10):
        k = 45 if c < 5 else 25
        flags += [True] * k + [False] * (50 - k)
        clusters += [c] * 50
    e = clustered_proportion(flags, clusters)
    w = wilson(sum(flags), len(flags))
    assert e.method == "clustered" and e.clusters == 10 and e.mean == pytest.approx(0.7)
    assert (e.high - e.low) > 2 * (w.high - w.low)
    one = clustered_proportion(flags, ["only"] * len(flags))
    assert one.method == "wilson (one context)" and (one.low, one.high) == (w.low, w.high)


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 5)), min_size=1, max_size=60))
def test_clustered_interval_always_contains_the_estimate_and_wilson(rows):
    e = clustered_proportion([r[0] for r in rows], [r[1] for r in rows])
    w = wilson(sum(r[0] for r in rows), len(rows))
    assert 0.0 <= e.low <= e.mean <= e.high <= 1.0
    assert e.low <= w.low + 1e-12 and e.high >= w.high - 1e-12


def test_paired_difference_decisive_flag_and_mdd():
    # 40 rows in 8 contexts: A right on all, B wrong on 12 (discordant, all favouring A)
    a = [True] * 40
    b = [i % 10 >= 3 for i in range(40)]
    d = paired_difference(a, b, [i // 5 for i in range(40)])
    assert d.difference == pytest.approx(0.3) and d.only_a == 12 and d.only_b == 0 and d.clusters == 8
    assert d.decisive and d.low > 0
    assert d.mdd == pytest.approx((t_critical(7) + Z_POWER) * max(d.se, math.sqrt(12) / 40))
    # identical answers: difference 0, not decisive, and an MDD that is never 0 (one discordant row assumed)
    same = paired_difference(a, a, [i // 5 for i in range(40)])
    assert not same.decisive and same.mdd == pytest.approx((t_critical(7) + Z_POWER) / 40)
    one = paired_difference([True, True, False, True], [False, True, False, False], ["c"] * 4)
    assert one.method == "paired rows (one context)" and one.clusters == 1


def test_blended_interval_is_the_mean_of_the_bounds():
    parts = [Estimate(10, 0.8, 0.1, 0.6, 0.9, 3, "clustered"), Estimate(10, 0.9, 0.05, 0.8, 1.0, 3, "clustered"),
             Estimate(10, 0.7, 0.1, 0.5, 0.85, 3, "clustered")]
    mix = blended(parts)
    assert mix.mean == pytest.approx(0.8) and mix.low == pytest.approx(0.63333, abs=1e-4)
    assert mix.high == pytest.approx(0.91667, abs=1e-4)
    assert MIN_ROWS == 30


def test_tiers_are_strata_not_noise():
    # two tiers of one context each, at 0.9 and 0.3: their difference is by design, not variation between contexts
    flags = [i < 90 for i in range(100)] + [i < 30 for i in range(100)]
    contexts = ["a"] * 100 + ["b"] * 100
    tiers = ["T25"] * 100 + ["T1000"] * 100
    e = clustered_proportion(flags, contexts, tiers)
    expected_se = math.sqrt(0.25 * (0.09 * 100 / 99 / 100 + 0.21 * 100 / 99 / 100))
    assert e.method == "row-level per tier (one context)" and e.se == pytest.approx(expected_se)
    pooled = clustered_proportion(flags, contexts)  # the tiers taken as two random contexts: t(1) x a huge SE
    assert pooled.method == "clustered" and (pooled.low, pooled.high) == (0.0, 1.0)
    assert e.high - e.low < 0.15
    # with several contexts in each tier: clustered within the tiers, df = sum of (contexts - 1)
    many = clustered_proportion(flags, [f"{t}-{i % 5}" for t, i in zip(tiers, range(200), strict=True)], tiers)
    assert many.method == "clustered" and many.clusters == 10
