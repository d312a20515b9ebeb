"""Stage 4: each tier's context and its ordinary questions, sampled from facts unambiguous in that context."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm

from ...errors import RetrievalError
from ...question_types import QUESTION_TYPES
from ...sources.corpus import SourceFile
from ..contexts import Context, render_context, segment_text, sort_tiers
from ..cross_file import (
    import_source_candidates,
    inherited_method_candidates,
    method_definer_count_candidates,
)
from ..multi_hop import base_class_location_candidates, subclass_count_candidates
from ..questions import (
    AbsentClass,
    absent_candidates,
    context_candidates,
    identifiers_of,
    sample_questions,
    sample_scorable,
)
from .parsed_facts import ParsedFacts
from .rows import ContextSizer, PrefixTokens, context_record, question_row

_TRIPLE_DOUBLE = re.compile('"' * 3)
_TRIPLE_SINGLE = re.compile("'" * 3)
_DEFINITION = re.compile(r"^([ \t]*)(class|def)[ \t]+([A-Za-z_]\w*)", re.MULTILINE)


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
    prefix: PrefixTokens  # answer token offsets, counted once per stretch of each segment
    original: dict[str, AskedContext]  # tier -> its context and ordinary rows
    perturbed: dict[str, AskedContext] = field(default_factory=dict)  # tier -> perturbed context and rows
    perturbed_summaries: list[dict[str, Any]] = field(default_factory=list)  # one per perturbed file, for the manifest
    drift: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # tier -> drift rows (on the original context)
    drift_summary: dict[str, Any] | None = None  # the older release compared, or why none was


def ask_tiers(facts: ParsedFacts) -> TierRows:
    plan = facts.plan
    sized = plan.sized
    options, by_path, counter = sized.options, sized.by_path, sized.counter
    pin = sized.pin
    sizer = ContextSizer(counter, lambda name, path: pin.known_tokens(name, by_path[path].path, by_path[path].sha256))
    absent_pool = _absent_pool(sized.corpus.files, plan.segment_tokens)
    texts = facts.texts
    parsed = {p: plan.parses.get(by_path[p]) for p in plan.largest}
    ladder = sort_tiers(options.ladder)
    want = -(-options.per_tier // len(QUESTION_TYPES))
    prefix = PrefixTokens(counter)
    original: dict[str, AskedContext] = {}
    words: dict[str, set[str]] = {}  # display path -> identifiers of its segment (header included)
    for tier in tqdm(options.tiers, desc="tiers", disable=not options.progress, unit="tier"):
        context = render_context(tier, "original", [(p, by_path[p].text) for p in plan.files[tier]])
        for p in plan.files[tier]:
            if p not in words:
                words[p] = identifiers_of(segment_text(p, by_path[p].text))
        counts = sizer.counts(context, texts, plan.segment_tokens, "original")
        candidates = context_candidates(context, facts.facts, facts.names)
        below = ladder[ladder.index(tier) - 1] if ladder.index(tier) else None
        candidates += base_class_location_candidates(context, parsed, facts.names)
        candidates += subclass_count_candidates(context, parsed, plan.files[below] if below else [], want)
        candidates += import_source_candidates(context, parsed, facts.names)
        candidates += inherited_method_candidates(context, parsed, facts.names)
        candidates += method_definer_count_candidates(context, parsed, plan.files[below] if below else [], want)
        in_context = {by_path[p].path for p in plan.files[tier]}
        in_words = set().union(*(words[p] for p in plan.files[tier]))
        candidates += absent_candidates(in_words, [a for a in absent_pool if a.path not in in_context])
        chosen = sample_scorable(lambda pool, tier=tier: sample_questions(pool, options.per_tier, options.seed, tier,
                                                                          options.question_types), candidates)
        rows = [question_row(c, tier, context, counts, counter, plan.segment_tokens, sized.pin, options.seed,
                             prefix=prefix) for c in chosen]
        if not rows:
            raise RetrievalError(f"tier {tier} has no question to ask with question types "
                                 f"{', '.join(options.question_types or ['all'])}; choose other types or tiers")
        original[tier] = AskedContext(context, counts, rows)
    return TierRows(facts, sizer, prefix, original)


def _absent_pool(files: list[SourceFile], usable: dict[str, int]) -> list[AbsentClass]:
    """Module-level classes (a `class X(`/`class X:` line at column 0, outside any triple-quoted string) whose name no
    other line of the corpus defines (`class X`/`def X` at any indentation): read from the text alone, since parsing
    every file outside the tiers would cost more than the rest of the build. A rare false class (such a line in an
    odd string) still gives a right row: the name is nowhere in the context, so the answer is NOT PRESENT either way."""
    definitions: dict[str, int] = {}
    module_classes: list[tuple[SourceFile, str]] = []
    for f in files:
        quotes = None
        for match in _DEFINITION.finditer(f.text):
            indent, kind, name = match.groups()
            definitions[name] = definitions.get(name, 0) + 1
            if kind == "class" and not indent and f.display_path in usable and _class_statement(f.text, match):
                quotes = quotes if quotes is not None else _triple_quotes(f.text)
                if all(bisect.bisect_left(found, match.start()) % 2 == 0 for found in quotes):
                    module_classes.append((f, name))
    return [AbsentClass(name, f.path) for f, name in module_classes if definitions[name] == 1]


def _class_statement(text: str, match: re.Match) -> bool:
    rest = text[match.end(): match.end() + 2].lstrip(" \t")
    return rest[:1] in ("(", ":")


def _triple_quotes(text: str) -> tuple[list[int], list[int]]:
    """Where each kind of triple quote occurs: a position after an odd number of either is inside such a string."""
    return ([m.start() for m in re.finditer(_TRIPLE_DOUBLE, text)], [m.start() for m in re.finditer(_TRIPLE_SINGLE, text)])
