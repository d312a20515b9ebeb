"""A dataset row and a context record, as written to the parquet files (field meanings: `card.FIELD_DOCS`)."""

from __future__ import annotations

import bisect
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ... import __version__
from ...sources.pins import Pin
from ...tokens import BUILTIN_TOKENIZERS, RECORDED_TOKENIZERS, TokenCounter, get_counter
from ..contexts import Context, segment_text
from ..drift import Drift
from ..perturbations import PerturbedCandidate
from ..questions import Candidate, question_text, row_id


@dataclass
class ContextSizer:
    """Context lengths under every recorded tokenizer, as sums of per-file counts (cached per file and variant)."""

    counter: TokenCounter
    known: Callable[[str, str], int | None] = lambda tokenizer, display_path: None  # verified pinned counts
    cache: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)

    @property
    def recorded(self) -> list[str]:
        return list(dict.fromkeys([self.counter.name, *RECORDED_TOKENIZERS]))

    def counts(self, context: Context, texts: dict[str, str], tokens: dict[str, int], variant: str,
               changed=frozenset()) -> dict[str, int]:
        """`tokens` holds the primary tokenizer's segment counts of this variant; other tokenizers count here."""
        counts = {}
        for name in self.recorded:
            if name == self.counter.name:
                counts[name] = sum(tokens[p] for p in context.paths)
                continue
            cache = self.cache.setdefault(name, {})
            other = get_counter(name)
            keys = [(p, variant if p in changed else "original") for p in context.paths]
            for key in keys:
                if key not in cache:
                    known = self.known(name, key[0]) if key[1] == "original" else None
                    cache[key] = known if known is not None else other.count(segment_text(key[0], texts[key[0]]))
            counts[name] = sum(cache[key] for key in keys)
        return counts


class PrefixTokens:
    """Tokens of a segment's text before a character offset, counted once per stretch rather than once per row.

    For o200k_base and cl100k_base a line that starts with a non-blank character begins a new pre-token (their
    split patterns never join text across that point; tests/core/test_tokenizers.py checks it on the stdlib), so
    count(text[:c]) = count(text[:L]) + count(text[L:c]) at such a line start L: each row counts only from the
    nearest such line, and the counts up to those lines are built up once per segment. Other tokenizers count
    the whole prefix.
    """

    def __init__(self, counter: TokenCounter) -> None:
        self.counter = counter
        self.additive = counter.name in BUILTIN_TOKENIZERS
        self.known: dict[str, list[tuple[int, int]]] = {}  # segment text key -> sorted (line start, tokens before)

    def before(self, key: str, text: str, offset: int) -> int:
        if not self.additive:
            return self.counter.count(text[:offset])
        line = offset
        while line > 0 and not (text[line - 1] == "\n" and not text[line].isspace()):
            line = text.rfind("\n", 0, line - 1) + 1 if line > 1 else 0
        marks = self.known.setdefault(key, [(0, 0)])
        index = bisect.bisect_right(marks, (line, float("inf"))) - 1
        start, tokens = marks[index]
        if start != line:
            tokens += self.counter.count(text[start:line])
            marks.insert(index + 1, (line, tokens))
        return tokens + self.counter.count(text[line:offset])


def _difficulty(c: Candidate) -> str:
    qtype = c.fact.question_type
    if qtype in ("module_function_count", "absent_symbol", "method_definer_count", "inherited_method"):
        return "hard"  # needs a whole file counted, or the whole context ruled out
    if qtype in ("class_location", "method_owner", "import_source") or not c.name_file:
        return "medium"  # the symbol must be found without being told the file
    return "easy"


def question_row(c: Candidate, tier: str, context: Context, counts: dict[str, int], counter: TokenCounter,
                 tokens: dict[str, int], pin: Pin, seed: int, perturbation: PerturbedCandidate | None = None,
                 drift: Drift | None = None, stale_pin: str | None = None,
                 prefix: PrefixTokens | None = None) -> dict[str, Any]:
    fact = c.fact
    token_start = None
    if c.start is not None:  # the answer's file (a two-hop answer lies in another file than the target)
        index = bisect.bisect_right([context.segment_starts[p] for p in context.paths], c.start) - 1
        before = sum(tokens[p] for p in context.paths[:index])
        path = context.paths[index]
        start = context.segment_starts[path]
        end = context.segment_starts[context.paths[index + 1]] if index + 1 < len(context.paths) else len(context.text)
        segment = context.text[start:end]
        prefix = prefix or PrefixTokens(counter)  # one per build: a (variant, path) segment is the same in every tier
        token_start = before + prefix.before(f"{context.variant}:{path}", segment, c.start - start)
    change = perturbation.change if perturbation is not None else None
    if change is not None:
        identity = row_id(tier, fact.question_type, fact.path, change.original_symbol, variant="perturbed")
    else:
        identity = row_id(tier, fact.question_type, fact.path, fact.symbol, variant="drift" if drift else "original")
    return {
        "id": identity,
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
        "drift": drift is not None,
        "drift_kind": drift.kind if drift is not None else None,
        "stale_answer": drift.stale_answer if drift is not None else None,
        "stale_pin": stale_pin if drift is not None else None,
    }


def tally(values) -> dict[str, int]:
    """How often each value occurs, by value (sorted, so the manifest's statistics are stable)."""
    return dict(sorted(Counter(values).items()))


def context_record(context: Context, counts: dict[str, int], primary: str) -> dict[str, Any]:
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
