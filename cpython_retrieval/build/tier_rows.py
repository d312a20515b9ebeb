"""Stage 4: each tier's context and its ordinary questions, sampled from facts unambiguous in that context."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm

from ..contexts import Context, render_context, sort_tiers
from ..corpus import SourceFile
from ..errors import RetrievalError
from ..multi_hop import base_class_location_candidates, subclass_count_candidates
from ..question_types import QUESTION_TYPES
from ..questions import (AbsentClass, Candidate, absent_candidates, context_candidates, sample_questions,
                         sample_scorable)
from .parsed_facts import ParsedFacts
from .rows import ContextSizer, context_record, question_row
from .tier_plan import ParseCache

_TOP_LEVEL_CLASS = re.compile(r"^class[ \t]+([A-Za-z_]\w*)", re.MULTILINE)
_ANY_DEFINITION = re.compile(r"\b(?:class|def)[ \t]+([A-Za-z_]\w*)")


@dataclass(frozen=True)
class AskedContext:
    """One context of a tier and the rows asked on it."""

    context: Context
    counts: dict[str, int]  # context length under every recorded tokenizer
    rows: list[dict[str, Any]]
    stats: dict[str, Any] | None = None  # perturbed contexts: what was perturbed and asked

    def record(self, primary: str) -> dict[str, Any]:
        return context_record(self.context, self.counts, primary)


@dataclass(frozen=True)
class TierRows:
    facts: ParsedFacts
    sizer: ContextSizer
    original: dict[str, AskedContext]  # tier -> its context and ordinary rows
    perturbed: dict[str, AskedContext] = field(default_factory=dict)  # tier -> perturbed context and rows
    perturbed_summaries: list[dict[str, Any]] = field(default_factory=list)  # one per perturbed file, for the manifest
    drift: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # tier -> drift rows (on the original context)
    drift_summary: dict[str, Any] | None = None  # the older release compared, or why none was


def ask_tiers(facts: ParsedFacts) -> TierRows:
    plan = facts.plan
    sized = plan.sized
    options, by_path, counter = sized.options, sized.by_path, sized.counter
    sizer = ContextSizer(counter)
    absent_pool = _absent_pool(sized.corpus.files, plan.segment_tokens)
    texts = facts.texts
    parsed = {p: plan.parses.get(by_path[p]) for p in plan.largest}
    ladder = sort_tiers(options.ladder)
    want = -(-options.per_tier // len(QUESTION_TYPES))
    original: dict[str, AskedContext] = {}
    for tier in tqdm(options.tiers, desc="tiers", disable=not options.progress, unit="tier"):
        context = render_context(tier, "original", [(p, by_path[p].text) for p in plan.files[tier]])
        counts = sizer.counts(context, texts, plan.segment_tokens, "original")
        candidates = context_candidates(context, facts.facts, facts.names)
        below = ladder[ladder.index(tier) - 1] if ladder.index(tier) else None
        candidates += base_class_location_candidates(context, parsed, facts.names)
        candidates += subclass_count_candidates(context, parsed, plan.files[below] if below else [], want)
        in_context = {by_path[p].path for p in plan.files[tier]}
        candidates += absent_candidates(context, [a for a in absent_pool if a.path not in in_context])
        chosen = sample_scorable(lambda pool: sample_questions(pool, options.per_tier, options.seed, tier,
                                                               options.question_types), candidates)
        chosen = [c for c in chosen if _verify_absent(c, by_path, plan.parses)]
        rows = [question_row(c, tier, context, counts, counter, plan.segment_tokens, sized.pin, options.seed)
                for c in chosen]
        if not rows:
            raise RetrievalError(f"tier {tier} has no question to ask with question types "
                                 f"{', '.join(options.question_types or ['all'])}; choose other types or tiers")
        original[tier] = AskedContext(context, counts, rows)
    return TierRows(facts, sizer, original)


def _absent_pool(files: list[SourceFile], usable: dict[str, int]) -> list[AbsentClass]:
    """Top-level classes whose name is defined exactly once in the whole corpus (regex pre-filter; verified by parsing)."""
    definitions: dict[str, int] = {}
    for f in files:
        for name in _ANY_DEFINITION.findall(f.text):
            definitions[name] = definitions.get(name, 0) + 1
    pool = []
    for f in files:
        if f.display_path in usable:
            pool.extend(AbsentClass(name, f.path) for name in _TOP_LEVEL_CLASS.findall(f.text) if definitions.get(name) == 1)
    return pool


def _verify_absent(candidate: Candidate, by_path: dict[str, SourceFile], parses: ParseCache) -> bool:
    """An absent-symbol pick must be a real top-level class of its file."""
    fact = candidate.fact
    if fact.question_type != "absent_symbol":
        return True
    parsed = parses.get(by_path[f"Lib/{fact.path}"])
    return parsed is not None and any(d.kind == "class" and d.qualname == fact.symbol for d in parsed.definitions)
