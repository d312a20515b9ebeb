"""Drift rows (facts changed since an older release) and the two-hop / aggregation question types."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cpython_retrieval.dataset.canonical import canonical_dir
from cpython_retrieval.generate.stages import build_dataset
from cpython_retrieval.prompt import render_prompt
from cpython_retrieval.question_types import QUESTION_TYPES
from cpython_retrieval.reference.memorizer import Memorizer
from cpython_retrieval.scorers import score_answer
from cpython_retrieval.sources.corpus import local_install_lib

from .independent_check import NewerSyntax, rederive

FAMILY_TYPES = [t for t, qt in QUESTION_TYPES.items() if qt.family != "single_needle"]
#: Types the small re-derivation in independent_check.py covers (tests/checks/dataset_checker.py covers them all).
REDERIVED_TYPES = ("base_class_location", "subclass_count")


def _canonical_rows(tier: str) -> list[dict]:
    return pq.read_table(canonical_dir() / "data" / f"{tier}.parquet").to_pylist()


def _context(folder: Path, context_id: str) -> str:
    table = pq.read_table(folder / "data" / "contexts.parquet").to_pylist()
    return next(c["text"] for c in table if c["context_id"] == context_id)


def test_the_canonical_dataset_has_drift_rows_in_every_tier():
    manifest = json.loads((canonical_dir() / "manifest.json").read_text())
    assert manifest["drift"]["stale_pin"] == "3.11.7"
    for tier, info in manifest["tiers"].items():
        rows = _canonical_rows(tier)
        drift = [r for r in rows if r["drift"]]
        assert len(drift) == info["drift_rows"] == 10, tier
        original = next(r["context_id"] for r in rows if not r["perturbed"] and not r["drift"])
        assert {r["context_id"] for r in drift} == {original}, "drift rows add no context to a tier"
        for r in drift:
            assert r["stale_pin"] == "3.11.7" and r["drift_kind"] in ("changed", "added", "moved")
            if r["stale_answer"] is not None:
                assert not score_answer(r["question_type"], r["answer"], r["stale_answer"]).correct, r["id"]


def test_two_hop_and_aggregation_rows_where_the_context_offers_them():
    # Structure rows prefer targets with textual distractors (generate/distractors.py), so a family's rows lean to
    # the types that offer such targets: the bound is per family and share; every structure type is still asked.
    asked = Counter(r["question_type"] for tier in ("T25", "T50", "T100", "T200", "T500", "T1000")
                    for r in _canonical_rows(tier))
    assert all(asked[t] >= 1 for t in FAMILY_TYPES), asked
    for tier in ("T500", "T1000"):
        rows = _canonical_rows(tier)
        types = Counter(r["question_type"] for r in rows if not r["perturbed"])
        families = Counter(QUESTION_TYPES[r["question_type"]].family for r in rows)
        assert families["two_hop"] >= 10 and families["aggregation"] >= 10, (tier, families)
        assert (families["two_hop"] + families["aggregation"]) / len(rows) >= 0.25, (tier, families)
        context = _context(canonical_dir(), rows[0]["context_id"])
        checked = 0
        for row in rows:
            if row["question_type"] in REDERIVED_TYPES and not row["drift"]:
                try:
                    assert rederive(row, context) == row["answer"], row["id"]
                    checked += 1
                except NewerSyntax:
                    continue  # this interpreter's ast cannot read a file of 3.13.15; tests/checks covers it on 3.13
        if sys.version_info >= (3, 13):
            assert checked == sum(types[t] for t in REDERIVED_TYPES)


@pytest.mark.slow
def test_drift_rows_rederived_from_both_releases_and_recalled_by_an_old_memorizer():
    new_lib, old_lib = local_install_lib("3.13.0"), local_install_lib("3.11.7")
    if new_lib is None or old_lib is None:
        pytest.skip("needs the CPython 3.13.0 and 3.11.7 sources (pyenv installs)")
    built = build_dataset(pin="3.13.0", source=str(new_lib), tiers=["T25", "T50"], per_tier=40, drift_share=0.5,
                          stale_source=str(old_lib))
    contexts = {c["context_id"]: c["text"] for c in built.contexts}
    memorizer = Memorizer("3.11.7", source=str(old_lib))
    checked = stale_hits = 0
    for tier, rows in built.rows.items():
        drift = [r for r in rows if r["drift"]]
        assert len(drift) == 20, tier
        for row in drift:
            context = contexts[row["context_id"]]
            try:
                assert rederive(row, context) == row["answer"], row["id"]
            except NewerSyntax:
                continue  # this interpreter's ast cannot read the 3.13 file (tests/checks covers it on 3.13)
            if row["stale_answer"] is None or row["drift_kind"] == "moved":
                continue
            path = row["source_file"]
            old_text = (old_lib / path.removeprefix("Lib/")).read_text(encoding="utf-8")
            assert rederive(row, f"# ===== File: {path} =====\n{old_text}\n") == row["stale_answer"], row["id"]
            recalled = memorizer.answer(render_prompt(row["question"], context))
            stale_hits += score_answer(row["question_type"], row["stale_answer"], recalled).correct
            checked += 1
    assert checked >= 12 and stale_hits == checked, (stale_hits, checked)
