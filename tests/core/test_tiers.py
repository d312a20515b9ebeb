"""Tier planning properties: prefix alignment, budgets, determinism, and the scarce-fact coverage pass."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from cpython_retrieval.generate.contexts import (
    file_order,
    plan_tiers,
    render_context,
    segment_text,
    tier_budget,
)

token_maps = st.dictionaries(st.from_regex(r"Lib/[a-z]{1,8}\.py", fullmatch=True), st.integers(1, 40_000), min_size=1, max_size=60)
# files in packages too (`Lib/pkg/m.py`), so the package cap of the first pass is exercised
grouped_maps = st.dictionaries(st.from_regex(r"Lib/(?:[a-c]/)?[a-z]{1,6}\.py", fullmatch=True), st.integers(1, 20_000),
                               min_size=1, max_size=60)
ladders = st.lists(st.integers(1, 300), min_size=1, max_size=6, unique=True).map(lambda xs: [f"T{x}" for x in xs])


@given(token_maps, ladders, st.integers(0, 10_000))
@settings(max_examples=200, deadline=None)
def test_every_tier_extends_the_smaller_one_within_budget(tokens, tiers, seed):
    plan = plan_tiers(tokens, tiers, seed)
    ordered = sorted(tiers, key=tier_budget)
    for smaller, larger in itertools.pairwise(ordered):
        assert plan[larger][: len(plan[smaller])] == plan[smaller]
    for tier in tiers:
        assert sum(tokens[p] for p in plan[tier]) <= tier_budget(tier)
        assert len(set(plan[tier])) == len(plan[tier])


@given(token_maps, ladders, st.integers(0, 10_000))
@settings(max_examples=100, deadline=None)
def test_first_fit_leaves_no_fitting_file_out(tokens, tiers, seed):
    plan = plan_tiers(tokens, tiers, seed)
    largest = max(tiers, key=tier_budget)
    used = sum(tokens[p] for p in plan[largest])
    left = [p for p in tokens if p not in plan[largest]]
    assert all(used + tokens[p] > tier_budget(largest) for p in left)


@given(grouped_maps, ladders, st.integers(0, 10_000), st.data())
@settings(max_examples=200, deadline=None)
def test_grouped_tiers_extend_the_smaller_one_within_budget_and_leave_no_fitting_file_out(tokens, tiers, seed, data):
    paths = sorted(tokens)
    links = {p: data.draw(st.lists(st.sampled_from(paths), max_size=4)) for p in paths}
    plan = plan_tiers(tokens, tiers, seed, links=links)
    assert plan == plan_tiers(dict(reversed(list(tokens.items()))), tiers, seed, links=links)  # input order is moot
    ordered = sorted(tiers, key=tier_budget)
    for smaller, larger in zip(ordered, ordered[1:], strict=False):
        assert plan[larger][: len(plan[smaller])] == plan[smaller]
    for tier in tiers:
        assert sum(tokens[p] for p in plan[tier]) <= tier_budget(tier)
        assert len(set(plan[tier])) == len(plan[tier])
    largest = max(tiers, key=tier_budget)
    used = sum(tokens[p] for p in plan[largest])
    assert all(used + tokens[p] > tier_budget(largest) for p in tokens if p not in plan[largest])


@given(token_maps, st.integers(0, 10_000))
@settings(max_examples=100, deadline=None)
def test_coverage_takes_the_richest_fitting_file_of_a_group(tokens, seed):
    group = {p: i + 1 for i, p in enumerate(sorted(tokens)) if i % 3 == 0}
    plan = plan_tiers(tokens, ["T25"], seed, cover=[group])
    fitting = [p for p in group if tokens[p] <= 25_000]
    if fitting:
        assert plan["T25"][0] == max(fitting, key=lambda p: (group[p], -file_order(tokens, seed).index(p)))


def test_file_order_is_a_seeded_sha256_order():
    paths = [f"Lib/m{i}.py" for i in range(50)]
    assert file_order(paths, 3) == file_order(list(reversed(paths)), 3)
    assert file_order(paths, 3) != file_order(paths, 4)


def test_render_context_offsets_point_at_file_starts():
    files = [("Lib/a.py", "x = 1\n"), ("Lib/b/c.py", "def f():\n    pass")]
    ctx = render_context("T1", "original", files)
    assert ctx.text == segment_text("Lib/a.py", "x = 1\n") + segment_text("Lib/b/c.py", "def f():\n    pass")
    assert ctx.text[ctx.file_starts["Lib/b/c.py"] :].startswith("def f():")
    assert ctx.text[ctx.segment_starts["Lib/b/c.py"] :].startswith("# ===== File: Lib/b/c.py =====\n")
    assert ctx.context_id.startswith("T1-original-")
