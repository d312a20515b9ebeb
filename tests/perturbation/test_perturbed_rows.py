"""Acceptance properties of the perturbation rows of a real T25/T50 build."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from cpython_retrieval.errors import RetrievalError
from cpython_retrieval.generate.definitions import parse_module
from cpython_retrieval.generate.facts import module_facts
from cpython_retrieval.generate.perturbations import (
    PERTURBATION_KINDS,
    perturbed_row_count,
)
from cpython_retrieval.generate.stages import build_dataset
from cpython_retrieval.question_types import NOT_PRESENT
from cpython_retrieval.tokens import get_counter

from ..core.independent_check import split_files

TIERS = ("T25", "T50")


def _contexts(built) -> dict[tuple[str, str], dict]:
    return {(c["tier"], c["variant"]): c for c in built.contexts}


def _perturbed(built, tier):
    return [r for r in built.rows[tier] if r["perturbed"]]


def test_share_gives_the_row_counts(built_perturbed):
    assert perturbed_row_count(100, 0.2) == 25 and perturbed_row_count(100, 0) == 0
    for tier in TIERS:
        assert len(_perturbed(built_perturbed, tier)) == 25
        drift = [r for r in built_perturbed.rows[tier] if r["drift"]]
        # drift rows come only where an older release's source is on this machine (none on 3.11; 10 on 3.13)
        assert len(drift) in (0, 10)
        assert len(built_perturbed.rows[tier]) == 125 + len(drift)


def test_every_kind_in_every_tier(built_perturbed):
    for tier in TIERS:
        kinds = Counter(r["perturbation_kind"] for r in _perturbed(built_perturbed, tier))
        assert set(kinds) == set(PERTURBATION_KINDS), (tier, kinds)


def test_each_tier_has_two_contexts_and_perturbed_ones_are_prefix_aligned(built_perturbed):
    contexts = _contexts(built_perturbed)
    for tier in TIERS:
        ids = {r["context_id"] for r in built_perturbed.rows[tier]}
        assert ids == {contexts[(tier, "original")]["context_id"], contexts[(tier, "perturbed")]["context_id"]}
        assert {r["context_id"] for r in _perturbed(built_perturbed, tier)} == {contexts[(tier, "perturbed")]["context_id"]}
        perturbed_files = json.loads(contexts[(tier, "perturbed")]["files"])
        original_files = json.loads(contexts[(tier, "original")]["files"])
        # the smaller tier's perturbed files first (prefix alignment), then this tier's other files in their
        # original order, as many as fit the budget at their edited size (a file too big for the smaller tier,
        # as 3.12's cp932.py is for T25, comes after them)
        below = json.loads(contexts[("T25", "perturbed")]["files"]) if tier == "T50" else []
        assert perturbed_files[: len(below)] == below
        rest = perturbed_files[len(below):]
        assert rest == [p for p in original_files if p in set(rest)]
        assert len(perturbed_files) >= len(original_files) - 8
        assert contexts[(tier, "perturbed")]["context_tokens"] <= int(tier[1:]) * 1000
    assert contexts[("T50", "perturbed")]["text"].startswith(contexts[("T25", "perturbed")]["text"])


def test_perturbed_context_does_not_depend_on_the_tiers_built(built_perturbed):
    alone = build_dataset(tiers=["T25"], per_tier=10)
    assert _contexts(alone)[("T25", "perturbed")]["text"] == _contexts(built_perturbed)[("T25", "perturbed")]["text"]


def test_perturbed_answers_come_from_a_fresh_extraction_of_the_perturbed_context(built_perturbed):
    texts = {c["context_id"]: c["text"] for c in built_perturbed.contexts}
    for tier in TIERS:
        for row in _perturbed(built_perturbed, tier):
            files = split_files(texts[row["context_id"]])
            path = row["source_file"]
            facts = module_facts(parse_module(files[path], path), files[path], path)
            answers = {(f.question_type, f.symbol): f.answer for f in facts}
            assert answers[(row["question_type"], row["symbol"])] == row["answer"], row["id"]
            assert row["original_answer"] != row["answer"], row["id"]
            assert row["perturbed_symbol"] == row["symbol"]


def test_the_perturbed_fact_is_stated_once_in_its_context(built_perturbed):
    texts = {c["context_id"]: c["text"] for c in built_perturbed.contexts}
    for tier in TIERS:
        for row in _perturbed(built_perturbed, tier):
            context = texts[row["context_id"]]
            files = split_files(context)
            defs = {p: parse_module(t, p).definitions for p, t in files.items()}
            qtype, symbol = row["question_type"], row["symbol"]
            if qtype == "class_location":
                assert sum(d.name == symbol for ds in defs.values() for d in ds) == 1, row["id"]
            elif qtype == "method_owner":
                assert row["source_file"] in row["question"]
            elif qtype != "module_function_count":
                named = re.search(r"defined in `([^`]+)`", row["question"])
                scope = [named.group(1)] if named else list(files)
                assert sum(d.qualname == symbol for p in scope for d in defs[p]) == 1, row["id"]
            start, end = row["answer_char_start"], row["answer_char_end"]
            segment = context[start:end]
            if qtype in ("return_annotation", "docstring_first_line"):
                assert segment == row["answer"]
                assert context.count(row["answer"]) >= 1
            if qtype == "docstring_first_line":
                assert context.count(row["answer"]) == 1  # a fresh sentence, written once
            if row["perturbed_symbol"] != row["original_symbol"]:  # a rename: the new name is used in one file only
                holders = [p for p, t in files.items() if re.search(rf"\b{re.escape(symbol.split('.')[0])}\b", t)]
                assert holders == [row["source_file"]], row["id"]


def test_original_answers_are_what_the_real_stdlib_says(built_perturbed, corpus, vocab):
    by_path = {f.display_path: f for f in corpus.files}
    for tier in TIERS:
        for row in _perturbed(built_perturbed, tier):
            path = row["source_file"]
            source = by_path[path]
            facts = {(f.question_type, f.symbol): f.answer
                     for f in module_facts(parse_module(source.text, path), source.text, path)}
            if row["perturbation_kind"] == "rename" and row["question_type"] == "class_location":
                assert row["original_answer"] == NOT_PRESENT
                assert vocab.is_fresh(row["perturbed_symbol"])  # occurs nowhere in the real stdlib
            else:
                assert facts[(row["question_type"], row["original_symbol"])] == row["original_answer"], row["id"]


def test_ids_pairs_and_pairing_rate(built_perturbed):
    paired = total = 0
    for tier in TIERS:
        rows = built_perturbed.rows[tier]
        by_id = {r["id"]: r for r in rows}
        assert len(by_id) == len(rows)
        for row in _perturbed(built_perturbed, tier):
            total += 1
            assert row["id"].endswith("-perturbed") and row["id"].startswith(f"{tier}-{row['question_type']}-")
            if row["pair_id"] is None:
                continue
            paired += 1
            partner = by_id[row["pair_id"]]
            assert not partner["perturbed"] and partner["question_type"] == row["question_type"]
            assert partner["symbol"] == row["original_symbol"] and partner["source_file"] == row["source_file"]
            assert row["id"] == partner["id"] + "-perturbed"  # same fact, same id stem
            if row["original_answer"] != NOT_PRESENT:
                assert partner["answer"] == row["original_answer"]
    assert paired / total >= 0.5, (paired, total)


def test_perturbed_rows_are_spread_over_depth(built_perturbed):
    for tier in TIERS:
        deciles = {min(9, int(r["depth"] * 10)) for r in _perturbed(built_perturbed, tier)}
        assert len(deciles) >= 5, (tier, deciles)


def test_manifest_and_card_describe_perturbations(built_perturbed, tmp_path):
    from cpython_retrieval.dataset.store import write_dataset

    manifest = built_perturbed.manifest
    assert manifest["options"]["perturbed_share"] == 0.2
    for tier in TIERS:
        stats = manifest["tiers"][tier]["perturbation"]
        assert stats["rows"] == 25 and set(stats["kinds"]) == set(PERTURBATION_KINDS)
        assert stats["context_id"] == _contexts(built_perturbed)[(tier, "perturbed")]["context_id"]
    assert manifest["perturbations"] and all(p["kind"] in PERTURBATION_KINDS for p in manifest["perturbations"])
    write_dataset(built_perturbed, tmp_path)
    card = (tmp_path / "README.md").read_text()
    assert "## Perturbation rows" in card and "original_answer" in card
    assert json.loads((tmp_path / "manifest.json").read_text())["tiers"]["T25"]["perturbation"]["rows"] == 25


def test_share_zero_disables_and_leaves_ordinary_rows_alone(built_perturbed):
    plain = build_dataset(tiers=["T25"], perturbed_share=0)
    assert not any(r["perturbed"] for r in plain.rows["T25"])
    assert [c["variant"] for c in plain.contexts] == ["original"]
    ordinary = [r for r in built_perturbed.rows["T25"] if not r["perturbed"]]
    assert ordinary == plain.rows["T25"]
    with pytest.raises(RetrievalError, match="--perturbed-share"):
        build_dataset(tiers=["T25"], perturbed_share=1.0)


def test_cli_accepts_perturbed_share():
    from cpython_retrieval.cli import build_parser

    args = build_parser().parse_args(["build", "--out", "x", "--perturbed-share", "0.1"])
    assert args.perturbed_share == 0.1


def test_prefix_reuse_grouped_design_needs_about_two_contexts(built_perturbed):
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "prefix_reuse.py"
    spec = importlib.util.spec_from_file_location("prefix_reuse", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    contexts = {c["context_id"]: c["text"] for c in built_perturbed.contexts}
    count = module.Tokens(get_counter("o200k_base"))
    for tier in TIERS:
        r = module.design_report(built_perturbed.rows[tier], contexts, count)
        stored, per_row = r["stored_order"], r["per_row_design"]
        assert stored["contexts"] == 2 and stored["switches"] == 1, stored  # the send order: one block per context
        assert stored["one_context_contexts"] <= 2.0 + 1e-9, stored  # each context read once, even by a 1-context cache
        assert per_row["one_context_prefill"] > 4 * stored["one_context_prefill"], (stored, per_row)
        drift = r["row_costs"]["drift"]
        assert drift["added_context_switches"] == 0 and drift["added_contexts"] < 0.05, drift


def test_a_perturbation_leaves_no_trace_of_a_removed_or_renamed_definition(built_perturbed):
    """A reader cannot see through an edit: a name that left its file (renamed class, removed function) occurs
    nowhere in the perturbed context, not even in a comment or in another file."""
    texts = {c["context_id"]: c["text"] for c in built_perturbed.contexts}
    originals = {c["tier"]: split_files(c["text"]) for c in built_perturbed.contexts if c["variant"] == "original"}
    checked = 0
    for c in built_perturbed.contexts:
        if c["variant"] != "perturbed":
            continue
        files = split_files(texts[c["context_id"]])
        words = Counter(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", texts[c["context_id"]]))
        for path, text in files.items():
            before = originals[c["tier"]].get(path)
            if before is None or before == text:
                continue
            gone = ({d.name for d in parse_module(before, path).definitions}
                    - {d.name for d in parse_module(text, path).definitions})
            for name in gone:
                checked += 1
                assert words[name] == 0, f"{c['tier']} {path}: {name} left its file but is still mentioned"
    assert checked, "the build removed or renamed nothing: the test checked nothing"
