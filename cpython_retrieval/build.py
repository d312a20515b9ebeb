"""The pipeline end to end: corpus -> definitions -> facts -> tiers -> questions -> rows (in memory).

`build_dataset` returns rows, contexts and a manifest without touching disk; `dataset.write_dataset`
writes them as a Hugging Face dataset folder.
"""

from __future__ import annotations

import json
import platform
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from . import __version__
from .contexts import (DEFAULT_MAX_FILE_TOKENS, DEFAULT_TIERS, HEADER_PATTERN, Context, plan_tiers,
                       render_context, segment_text, sort_tiers, tier_budget)
from .corpus import Corpus, SourceFile, load_corpus
from .definitions import ParsedModule, parse_module
from .errors import RetrievalError
from .facts import Fact, module_facts
from .perturbations import (FilePerturbation, PerturbedCandidate, Vocabulary, perturb_files, perturbed_files,
                            perturbed_row_count, sample_perturbed)
from .pins import Pin, available_pins, default_pin_version, load_pin, unpinned
from .question_types import QUESTION_TYPES
from .questions import AbsentClass, Candidate, absent_candidates, context_candidates, question_text, row_id, sample_questions
from .tokens import RECORDED_TOKENIZERS, get_counter

_TOP_LEVEL_CLASS = re.compile(r"^class[ \t]+([A-Za-z_]\w*)", re.MULTILINE)
_RETURN_ARROW = re.compile(r"\)\s*->")
_ANY_DEFINITION = re.compile(r"\b(?:class|def)[ \t]+([A-Za-z_]\w*)")


@dataclass
class BuiltDataset:
    rows: dict[str, list[dict[str, Any]]]  # tier -> rows
    contexts: list[dict[str, Any]]
    manifest: dict[str, Any]
    skipped: dict[str, str] = field(default_factory=dict)


class _ParseCache:
    """Parse each file once, whichever tiers use it; remember files that no parser accepts."""

    def __init__(self, pin: Pin) -> None:
        running = tuple(int(x) for x in platform.python_version_tuple()[:2])
        self.prefer = "ast" if running >= pin.minor else "ast-then-libcst"
        self.parsed: dict[str, ParsedModule | None] = {}
        self.failures: dict[str, str] = {}

    def get(self, source: SourceFile) -> ParsedModule | None:
        if source.path not in self.parsed:
            try:
                self.parsed[source.path] = parse_module(source.text, source.display_path)
            except SyntaxError as exc:
                self.parsed[source.path] = None
                self.failures[source.path] = f"unparsable: {exc}"
        return self.parsed[source.path]


def resolve_pin(pin: str, source: Path | None, allow_mismatch: bool) -> Pin:
    version = default_pin_version() if pin == "auto" else pin
    if version not in available_pins() and allow_mismatch and source is not None:
        return unpinned(version)
    return load_pin(version)


def build_dataset(
    *,
    pin: str = "auto",
    source: str | Path | None = None,
    tiers=DEFAULT_TIERS,
    per_tier: int = 100,
    seed: int = 0,
    tokenizer: str = "o200k_base",
    allow_mismatch: bool = False,
    max_file_tokens: int = DEFAULT_MAX_FILE_TOKENS,
    question_types=None,
    cache_dir: Path | None = None,
    allow_download: bool = True,
    progress: bool = False,
    perturbed_share: float = 0.2,
) -> BuiltDataset:
    """Build every requested tier's rows in memory. Same pin, options and seed give identical rows.

    Each tier gets `per_tier` ordinary rows plus perturbation rows (`perturbed_share` of the tier's
    rows; 0 disables them), asked on the tier's one perturbed context (see `perturbations.py`).
    """
    if per_tier < 1:
        raise RetrievalError(f"--per-tier must be at least 1 (got {per_tier})")
    if not 0 <= perturbed_share < 1:
        raise RetrievalError(f"--perturbed-share must be at least 0 and below 1 (got {perturbed_share})")
    unknown = sorted(set(question_types or ()) - set(QUESTION_TYPES))
    if unknown:
        raise RetrievalError(f"unknown question type(s) {', '.join(unknown)}; choose from {', '.join(QUESTION_TYPES)}")
    tiers = sort_tiers(tiers)
    source_path = Path(source) if source is not None else None
    pin_obj = resolve_pin(pin, source_path, allow_mismatch)
    corpus = load_corpus(pin_obj, source_path, allow_mismatch=allow_mismatch, cache_dir=cache_dir, allow_download=allow_download)
    counter = get_counter(tokenizer)
    skipped = dict(corpus.skipped)

    by_path = {f.display_path: f for f in corpus.files}
    segment_tokens: dict[str, int] = {}
    for f in tqdm(corpus.files, desc="counting tokens", disable=not progress, unit="file"):
        if HEADER_PATTERN.search(f.text):
            skipped[f.path] = "contains a line that looks like a context file header"
            continue
        n = counter.count(segment_text(f.display_path, f.text))
        if n > max_file_tokens:
            skipped[f.path] = f"{n} tokens > --max-file-tokens {max_file_tokens}"
            continue
        segment_tokens[f.display_path] = n

    parses = _ParseCache(pin_obj)
    ladder = [*DEFAULT_TIERS, *tiers]
    annotated = _files_with_return_annotations(segment_tokens, by_path, parses)
    plan = plan_tiers(segment_tokens, ladder, seed, cover=[annotated])
    for path in tqdm(plan[tiers[-1]], desc="parsing", disable=not progress, unit="file"):
        parses.get(by_path[path])
    if parses.failures:  # re-plan without them, so no tier depends on a file that cannot be parsed
        for rel, reason in parses.failures.items():
            skipped[rel] = reason
            segment_tokens.pop(f"Lib/{rel}", None)
        plan = plan_tiers(segment_tokens, ladder, seed, cover=[{p: n for p, n in annotated.items() if p in segment_tokens}])
        for path in plan[tiers[-1]]:
            parses.get(by_path[path])

    facts_by_path: dict[str, list[Fact]] = {}
    defs_by_path: dict[str, list[tuple[str, str]]] = {}
    for path in plan[tiers[-1]]:
        parsed = parses.get(by_path[path])
        assert parsed is not None
        facts_by_path[path] = module_facts(parsed, by_path[path].text, path)
        defs_by_path[path] = [(d.name, d.qualname) for d in parsed.definitions]

    n_perturbed = perturbed_row_count(per_tier, perturbed_share)
    perturbations: dict[str, FilePerturbation] = {}
    perturbed_by_tier: dict[str, list[str]] = {t: [] for t in tiers}
    if n_perturbed:
        vocab = Vocabulary.from_texts(f.text for f in corpus.files)
        ladder_plans = {t: plan[t] for t in sort_tiers(ladder) if tier_budget(t) <= tier_budget(tiers[-1])}
        selected = perturbed_files(ladder_plans, segment_tokens)
        wanted = {p for t in tiers for p in selected[t]}
        in_order = [p for p in plan[tiers[-1]] if p in wanted]  # the seeded sequence every tier is a prefix of
        perturbations = perturb_files(in_order, {p: by_path[p].text for p in in_order}, facts_by_path, seed, vocab)
        perturbed_by_tier = {t: [p for p in selected[t] if p in perturbations] for t in tiers}
    perturbed_tokens = {p: counter.count(segment_text(p, x.text)) for p, x in sorted(perturbations.items())}

    absent_pool = _absent_pool(corpus, segment_tokens)
    recorded = list(dict.fromkeys([counter.name, *RECORDED_TOKENIZERS]))
    per_file_counts = {name: {} for name in recorded}
    original_texts = {p: by_path[p].text for p in plan[tiers[-1]]}
    rows: dict[str, list[dict[str, Any]]] = {}
    contexts: list[dict[str, Any]] = []
    perturbation_stats: dict[str, dict[str, Any]] = {}
    for tier in tqdm(tiers, desc="tiers", disable=not progress, unit="tier"):
        context = render_context(tier, "original", [(p, by_path[p].text) for p in plan[tier]])
        counts = _context_counts(context, plan[tier], original_texts, "original", recorded, per_file_counts, segment_tokens, counter.name)
        candidates = context_candidates(context, facts_by_path, defs_by_path)
        in_context = {by_path[p].path for p in plan[tier]}
        candidates += absent_candidates(context, [a for a in absent_pool if a.path not in in_context])
        chosen = sample_questions(candidates, per_tier, seed, tier, question_types)
        chosen = [c for c in chosen if _verify_absent(c, by_path, parses)]
        tier_rows = [
            _row(c, tier, context, counts, counter, segment_tokens, pin_obj, seed) for c in chosen
        ]
        contexts.append(_context_record(context, counts, counter.name))
        if perturbed_by_tier[tier]:
            pset = set(perturbed_by_tier[tier])
            texts = {p: perturbations[p].text if p in pset else by_path[p].text for p in plan[tier]}
            tokens = {p: perturbed_tokens[p] if p in pset else segment_tokens[p] for p in plan[tier]}
            pcontext = render_context(tier, "perturbed", [(p, texts[p]) for p in plan[tier]])
            pcounts = _context_counts(pcontext, plan[tier], texts, "perturbed", recorded, per_file_counts, tokens, counter.name,
                                      changed=pset)
            picked = sample_perturbed(_perturbed_candidates(pcontext, pset, perturbations, facts_by_path, defs_by_path,
                                                            tier_rows, question_types), n_perturbed, seed, tier)
            tier_rows += [_row(pc.candidate, tier, pcontext, pcounts, counter, tokens, pin_obj, seed, pc) for pc in picked]
            contexts.append(_context_record(pcontext, pcounts, counter.name))
            perturbation_stats[tier] = _perturbation_stats(pcontext, pcounts[counter.name], perturbed_by_tier[tier],
                                                           perturbations, picked)
        rows[tier] = sorted(tier_rows, key=lambda r: r["id"])

    manifest = {
        "generator": "cpython-retrieval",
        "generator_version": __version__,
        "pin": {"version": pin_obj.version, "tag": pin_obj.tag, "tarball_url": pin_obj.tarball_url,
                "tarball_sha256": pin_obj.tarball_sha256, "manifest_files": len(pin_obj.files)},
        "source_kind": corpus.source_kind,
        "options": {"tiers": tiers, "per_tier": per_tier, "perturbed_share": perturbed_share, "seed": seed, "tokenizer": counter.name,
                    "max_file_tokens": max_file_tokens, "allow_mismatch": allow_mismatch,
                    "question_types": sorted(question_types) if question_types else None},
        "hash_mismatches": corpus.mismatches,
        "skipped_files": dict(sorted(skipped.items())),
        "tiers": {c["tier"]: {"context_id": c["context_id"], "files": len(json.loads(c["files"])),
                              "context_tokens": c["context_tokens"], "rows": len(rows[c["tier"]]),
                              "perturbation": perturbation_stats.get(c["tier"])}
                  for c in contexts if c["variant"] == "original"},
        "perturbations": [perturbations[p].summary() for p in sorted({p for t in tiers for p in perturbed_by_tier[t]})],
        "files": [{"path": f.path, "sha256": f.sha256, "tokens": segment_tokens.get(f.display_path)} for f in corpus.files],
    }
    return BuiltDataset(rows, contexts, manifest, dict(sorted(skipped.items())))


def _files_with_return_annotations(segment_tokens, by_path, parses: _ParseCache) -> dict[str, int]:
    """Files offering return_annotation questions, with how many (a text pre-filter, then the parser decides)."""
    found = {}
    for path in segment_tokens:
        if _RETURN_ARROW.search(by_path[path].text):
            parsed = parses.get(by_path[path])
            if parsed is not None:
                n = sum(1 for f in module_facts(parsed, by_path[path].text, path) if f.question_type == "return_annotation")
                if n:
                    found[path] = n
    return found


def _absent_pool(corpus: Corpus, usable: dict[str, int]) -> list[AbsentClass]:
    """Top-level classes whose name is defined exactly once in the whole corpus (regex pre-filter; verified by parsing)."""
    definitions: dict[str, int] = {}
    for f in corpus.files:
        for name in _ANY_DEFINITION.findall(f.text):
            definitions[name] = definitions.get(name, 0) + 1
    pool = []
    for f in corpus.files:
        if f.display_path in usable:
            pool.extend(AbsentClass(name, f.path) for name in _TOP_LEVEL_CLASS.findall(f.text) if definitions.get(name) == 1)
    return pool


def _verify_absent(candidate: Candidate, by_path: dict[str, SourceFile], parses: _ParseCache) -> bool:
    """An absent-symbol pick must be a real top-level class of its file."""
    fact = candidate.fact
    if fact.question_type != "absent_symbol":
        return True
    parsed = parses.get(by_path[f"Lib/{fact.path}"])
    return parsed is not None and any(d.kind == "class" and d.qualname == fact.symbol for d in parsed.definitions)


def _context_counts(context: Context, paths, texts, variant, recorded, per_file_counts, segment_tokens, primary,
                    changed=frozenset()) -> dict[str, int]:
    """Context length under every recorded tokenizer, as sums of per-file counts (cached per file and variant)."""
    counts = {}
    for name in recorded:
        if name == primary:
            counts[name] = sum(segment_tokens[p] for p in paths)
            continue
        cache = per_file_counts[name]
        other = get_counter(name)
        keys = [(p, variant if p in changed else "original") for p in paths]
        for key in keys:
            if key not in cache:
                cache[key] = other.count(segment_text(key[0], texts[key[0]]))
        counts[name] = sum(cache[key] for key in keys)
    return counts


def _perturbed_candidates(pcontext: Context, pset, perturbations, facts_by_path, defs_by_path, tier_rows,
                          question_types) -> list[PerturbedCandidate]:
    """Changed facts of the perturbed files that are unambiguous in the perturbed context (same rules as ordinary rows)."""
    facts = {p: perturbations[p].facts if p in pset else facts_by_path[p] for p in pcontext.paths}
    defs = {p: [(d.name, d.qualname) for d in perturbations[p].parsed.definitions] if p in pset else defs_by_path[p]
            for p in pcontext.paths}
    ordinary = {(r["question_type"], r["source_file"], r["symbol"]): r["id"] for r in tier_rows}
    out = []
    for c in context_candidates(pcontext, {p: facts[p] for p in pset}, defs):
        fact = c.fact
        change = perturbations[fact.path].changes.get((fact.question_type, fact.symbol))
        if change is None or (question_types and fact.question_type not in question_types):
            continue
        out.append(PerturbedCandidate(c, perturbations[fact.path].kind, change,
                                      ordinary.get((fact.question_type, fact.path, change.original_symbol))))
    return out


def _perturbation_stats(pcontext: Context, tokens: int, files, perturbations, picked) -> dict[str, Any]:
    kinds: dict[str, int] = {}
    types: dict[str, int] = {}
    for pc in picked:
        kinds[pc.kind] = kinds.get(pc.kind, 0) + 1
        types[pc.candidate.fact.question_type] = types.get(pc.candidate.fact.question_type, 0) + 1
    file_kinds: dict[str, int] = {}
    for p in files:
        file_kinds[perturbations[p].kind] = file_kinds.get(perturbations[p].kind, 0) + 1
    return {
        "context_id": pcontext.context_id,
        "context_tokens": tokens,
        "files_perturbed": len(files),
        "file_kinds": dict(sorted(file_kinds.items())),
        "rows": len(picked),
        "paired_rows": sum(1 for pc in picked if pc.pair_id is not None),
        "kinds": dict(sorted(kinds.items())),
        "question_types": dict(sorted(types.items())),
    }


def _difficulty(c: Candidate) -> str:
    qtype = c.fact.question_type
    if qtype in ("module_function_count", "absent_symbol"):
        return "hard"  # needs a whole file counted, or the whole context ruled out
    if qtype in ("class_location", "method_owner") or not c.name_file:
        return "medium"  # the symbol must be found without being told the file
    return "easy"


def _row(c: Candidate, tier: str, context: Context, counts: dict[str, int], counter, segment_tokens, pin: Pin, seed: int,
         perturbation: PerturbedCandidate | None = None) -> dict[str, Any]:
    fact = c.fact
    token_start = None
    if c.start is not None:
        segment_start = context.segment_starts[fact.path]
        before = sum(segment_tokens[p] for p in context.paths[: context.paths.index(fact.path)])
        token_start = before + counter.count(context.text[segment_start : c.start])
    change = perturbation.change if perturbation is not None else None
    return {
        "id": (row_id(tier, fact.question_type, fact.path, fact.symbol) if change is None
               else row_id(tier, fact.question_type, fact.path, change.original_symbol, variant="perturbed")),
        "tier": tier,
        "question": question_text(fact.question_type, fact.symbol, fact.path, fact.kind, c.name_file),
        "answer": fact.answer,
        "answer_json": json.dumps(fact.answer_json, ensure_ascii=False),
        "question_type": fact.question_type,
        "difficulty": _difficulty(c),
        "source_file": fact.path if fact.question_type != "absent_symbol" else f"Lib/{fact.path}",
        "symbol": fact.symbol,
        "ast_node_type": fact.ast_node_type,
        "answer_char_start": c.start,
        "answer_char_end": c.end,
        "answer_token_start": token_start,
        "depth": None if c.depth is None else round(c.depth, 6),
        "context_id": context.context_id,
        "context_tokens": counts[counter.name],
        "tokenizer": counter.name,
        "context_token_counts": json.dumps(counts, sort_keys=True),
        "cpython_version": pin.version,
        "cpython_tag": pin.tag,
        "generator_version": __version__,
        "seed": seed,
        "perturbed": change is not None,
        "perturbation_kind": perturbation.kind if change is not None else None,
        "original_symbol": change.original_symbol if change is not None else None,
        "perturbed_symbol": change.perturbed_symbol if change is not None else None,
        "original_answer": change.original_answer if change is not None else None,
        "pair_id": perturbation.pair_id if change is not None else None,
    }


def _context_record(context: Context, counts: dict[str, int], primary: str) -> dict[str, Any]:
    return {
        "context_id": context.context_id,
        "tier": context.tier,
        "variant": context.variant,
        "text": context.text,
        "context_tokens": counts[primary],
        "tokenizer": primary,
        "context_token_counts": json.dumps(counts, sort_keys=True),
        "files": json.dumps(list(context.paths)),
    }
