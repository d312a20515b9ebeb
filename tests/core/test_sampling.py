"""Question allocation and depth stratification, as properties."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from cpython_retrieval.generate.definitions import Span
from cpython_retrieval.generate.facts import Fact
from cpython_retrieval.generate.questions import (
    Candidate,
    allocate,
    sample_questions,
    stratified_pick,
)
from cpython_retrieval.question_types import QUESTION_TYPES

availability = st.dictionaries(st.sampled_from(list(QUESTION_TYPES)), st.integers(0, 40), min_size=1)


@given(st.integers(1, 300), availability)
@settings(max_examples=300)
def test_allocation_is_fair_and_capped(n, available):
    alloc = allocate(n, available)
    assert sum(alloc.values()) == min(n, sum(available.values()))
    assert all(0 <= alloc[t] <= available[t] for t in alloc)
    fair = n // len(available)
    for t in alloc:
        if alloc[t] < fair:
            assert alloc[t] == available[t]  # only an exhausted type gets less than its share


def _candidates(depths):
    return [Candidate(Fact("parameters", f"Lib/m{i}.py", f"f{i}", "FunctionDef", "a", ["a"], Span(0, 1)), False, i, i + 1, d)
            for i, d in enumerate(depths)]


@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=200), st.integers(1, 50), st.integers(0, 99))
@settings(max_examples=200)
def test_stratified_pick_covers_deciles_round_robin(depths, k, seed):
    picked = stratified_pick(_candidates(depths), k, random.Random(seed))
    assert len(picked) == min(k, len(depths))
    assert len({id(c) for c in picked}) == len(picked)
    available = {min(9, int(d * 10)) for d in depths}
    if k >= len(available):
        assert {min(9, int(c.depth * 10)) for c in picked} == available


def test_small_samples_of_each_type_spread_over_the_context():
    from cpython_retrieval.generate.facts import Fact as F

    cands = [Candidate(F(qt, f"Lib/{qt}{i}.py", f"s{i}", "FunctionDef", "a", "a", Span(0, 1)), False, i, i + 1, i / 100)
             for qt in QUESTION_TYPES for i in range(100)]
    picked = sample_questions(cands, 27, 0, "T25")  # 3 per type
    assert len({min(9, int(c.depth * 10)) for c in picked}) == 10


def test_sampling_is_deterministic_for_a_seed():
    cands = _candidates([i / 100 for i in range(100)])
    a = [c.fact.symbol for c in sample_questions(cands, 10, 7, "T25")]
    b = [c.fact.symbol for c in sample_questions(list(reversed(cands)), 10, 7, "T25")]
    c = [c.fact.symbol for c in sample_questions(cands, 10, 8, "T25")]
    assert a == b and a != c
