"""Question allocation and depth stratification, as properties."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from cpython_retrieval.generate.contexts import Context
from cpython_retrieval.generate.definitions import Span
from cpython_retrieval.generate.distractors import TextCounts
from cpython_retrieval.generate.facts import Fact
from cpython_retrieval.generate.questions import (
    Candidate,
    allocate,
    prefer_distractors,
    sample_questions,
    stratified_pick,
)
from cpython_retrieval.question_types import FAMILIES, QUESTION_TYPES, SAMPLING_ORDER

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


def _typed(question_type, n, rich):
    return [Candidate(Fact(question_type, f"Lib/{question_type}{i}.py", f"s{i}", "ClassDef", "1", 1, Span(0, 1)),
                      False, i, i + 1, i / max(n, 1), i < rich) for i in range(n)]


@given(st.integers(1, 120), st.dictionaries(st.sampled_from(list(QUESTION_TYPES)),
                                            st.tuples(st.integers(1, 30), st.integers(0, 30)), min_size=1),
       st.integers(0, 99))
@settings(max_examples=150)
def test_structure_rows_prefer_distractors_without_changing_family_totals(n, sizes, seed):
    by_type = {t: _typed(t, size, min(rich, size)) for t, (size, rich) in sizes.items()}
    plain = allocate(n, {t: len(v) for t, v in by_type.items()}, SAMPLING_ORDER)
    preferred = prefer_distractors(plain, by_type)
    assert list(preferred) == list(plain)
    for family in FAMILIES:
        types = [t for t in plain if QUESTION_TYPES[t].family == family]
        assert sum(preferred[t] for t in types) == sum(plain[t] for t in types)
        if family == "single_needle":
            assert all(preferred[t] == plain[t] for t in types)
    for t, k in preferred.items():
        assert 0 <= k <= len(by_type[t])
    structure = [t for t in plain if QUESTION_TYPES[t].family != "single_needle"]
    for t in structure:  # a type short of its distractor share only when the family ran out of them
        rich = sum(c.distractor for c in by_type[t])
        family = [u for u in structure if QUESTION_TYPES[u].family == QUESTION_TYPES[t].family]
        if preferred[t] < rich:
            assert sum(min(preferred[u], sum(c.distractor for c in by_type[u])) for u in family) == \
                sum(plain[u] for u in family)
    for t, k in preferred.items():
        picked = stratified_pick(by_type[t], k, random.Random(seed))
        assert sum(c.distractor for c in picked) == min(k, sum(c.distractor for c in by_type[t]))


def test_text_counts_find_distractors():
    files = {
        "Lib/a.py": "class A(Base):\n    def run(self):\n        def run():\n            pass\n"
                    "class B(\n        Base):\n    pass\ndef helper():\n    pass\n",
        "Lib/b.py": "class C(Base, Mixin):\n    @property\n    def size(self): ...\n    @size.setter\n"
                    "    def size(self, v): ...\ndef helper():\n    pass\nclass Only:\n    def run(self): ...\n",
    }
    text, starts = "", {}
    for path, body in files.items():
        text += f"# ===== File: {path} =====\n"
        starts[path] = len(text)
        text += body + "\n"
    counts = TextCounts(Context("T25", "original", text, tuple(files), starts, {}))
    assert counts.method_definer_count("run", 2)  # three indented `def run` lines, two classes
    assert counts.method_definer_count("size", 1)  # getter and setter: one class
    assert counts.subclass_count("Base", 3)  # `class B(` lists Base on the next line: two one-line listings
    assert not counts.subclass_count("Mixin", 1)
    assert counts.inherited_method("run") and not counts.inherited_method("missing")
    assert counts.import_source("helper") and not counts.import_source("Only")
    assert not counts.base_class_location("Only")
