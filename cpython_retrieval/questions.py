"""Step 3: choose a tier's questions from the candidate facts, unambiguous in that tier's context.

Sampling is balanced over question types (equal shares, in `QUESTION_TYPES` order; a type with too
few candidates gives its remainder to the others in that order) and, within a type, stratified over
answer depth (deciles of the context, taken round-robin), all from `random.Random` seeded by a
sha256 of (seed, tier, type), so the same inputs give the same rows on any machine.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from dataclasses import dataclass

from .contexts import Context
from .definitions import Span
from .facts import Fact
from .question_types import NOT_PRESENT, QUESTION_TYPES

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Candidate:
    fact: Fact
    name_file: bool  # the question names the file, because the symbol alone is not unique in the context
    start: int | None  # answer span in the context (None for absent symbols)
    end: int | None
    depth: float | None  # start / context length


@dataclass(frozen=True)
class AbsentClass:
    """A real stdlib class outside this tier's context (its name defined once in the whole corpus)."""

    name: str
    path: str


def derive_seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "big")


def row_id(tier: str, question_type: str, path: str, symbol: str, variant: str = "original") -> str:
    digest = hashlib.sha256(f"{question_type}:{path}:{symbol}".encode()).hexdigest()[:10]
    suffix = "" if variant == "original" else f"-{variant}"
    return f"{tier}-{question_type}-{digest}{suffix}"


def question_text(question_type: str, symbol: str, path: str, kind: str, name_file: bool) -> str:
    """The question as asked, ending with the type's answer format."""
    where = f" defined in `{path}`" if name_file else ""
    qt = QUESTION_TYPES[question_type]
    body = {
        "return_annotation": f"What is the return annotation of the {kind} `{symbol}`{where}?",
        "decorators": f"Which decorators are applied to the {kind} `{symbol}`{where}, from top to bottom?",
        "docstring_first_line": f"What is the first non-empty line of the docstring of the {kind} `{symbol}`{where}?",
        "parameters": f"What are the parameter names of the {kind} `{symbol}`{where}, in order?",
        "base_classes": f"What are the base classes of the class `{symbol}`{where}, in order?",
        "class_location": f"Which file defines the class `{symbol}`?",
        "absent_symbol": f"Which file defines the class `{symbol}`?",
        "method_owner": f"In `{path}`, which class defines the method `{symbol}`?",
        "module_function_count": (
            f"How many functions are defined directly in the module body of `{path}` (count top-level `def` and "
            "`async def` statements only, not those inside classes, functions or `if`/`try`/`with` blocks)?"
        ),
    }[question_type]
    return f"{body} Answer with {qt.answer_format}."


def context_candidates(context: Context, facts_by_path: dict[str, list[Fact]], all_defs_by_path: dict[str, list[tuple[str, str]]]) -> list[Candidate]:
    """Facts of the context's files that stay unambiguous in the whole context.

    `all_defs_by_path` maps a display path to (name, qualname) of every definition in it, nested ones too.
    """
    qualnames = Counter(q for path in context.paths for _, q in all_defs_by_path[path])
    names = Counter(n for path in context.paths for n, _ in all_defs_by_path[path])
    length = len(context.text)
    out = []
    for path in context.paths:
        base = context.file_starts[path]
        for fact in facts_by_path.get(path, ()):
            if fact.question_type == "class_location":
                if names[fact.symbol] != 1:
                    continue  # another definition (class, function or method) shares the name
                name_file = False
            elif fact.question_type in ("method_owner", "module_function_count"):
                name_file = True
            else:
                name_file = qualnames[fact.symbol] != 1
            start, end = base + fact.span.start, base + fact.span.end
            out.append(Candidate(fact, name_file, start, end, start / length))
    return out


def absent_candidates(context: Context, absent: list[AbsentClass]) -> list[Candidate]:
    """Classes outside the context whose name does not occur in it at all, not even in a comment."""
    identifiers = set(_IDENTIFIER.findall(context.text))
    out = []
    for item in absent:
        if item.name not in identifiers:
            fact = Fact("absent_symbol", item.path, item.name, "ClassDef", NOT_PRESENT, None, Span(0, 0), "class")
            out.append(Candidate(fact, False, None, None, None))
    return out


def allocate(n: int, available: dict[str, int], order=None) -> dict[str, int]:
    """Equal shares over `order` (default: question types in registry order), capped by what is
    available, the remainder passed on in that order."""
    keys = [t for t in (order if order is not None else QUESTION_TYPES) if t in available]
    if not keys:
        return {}
    alloc = {t: min(available[t], n // len(keys) + (1 if i < n % len(keys) else 0)) for i, t in enumerate(keys)}
    deficit = n - sum(alloc.values())
    while deficit > 0:
        progressed = False
        for t in keys:
            if deficit and alloc[t] < available[t]:
                alloc[t] += 1
                deficit -= 1
                progressed = True
        if not progressed:
            break
    return alloc


def round_robin_by_depth(items: list, k: int, start: int = 0, depth=lambda item: item.depth) -> list:
    """k items taken round-robin over depth deciles, from decile `start` on; items without a depth form one stratum.

    Groups (types, perturbation kinds) start at different deciles, so a small sample of each does not
    pile up near the start of the context. Items are taken in the order given (shuffle them first).
    """
    buckets: dict[int, list] = {}
    for item in items:
        value = depth(item)
        buckets.setdefault(-1 if value is None else min(9, int(value * 10)), []).append(item)
    keys = sorted(buckets)
    first = next((i for i, key in enumerate(keys) if key >= start % 10), 0)
    keys = keys[first:] + keys[:first]
    picked: list = []
    while len(picked) < k and any(buckets[key] for key in keys):
        for key in keys:
            if buckets[key] and len(picked) < k:
                picked.append(buckets[key].pop(0))
    return picked


def stratified_pick(candidates: list[Candidate], k: int, rng: random.Random, start: int = 0) -> list[Candidate]:
    """k candidates in a seeded order, round-robin over depth deciles from decile `start` on."""
    ordered = sorted(candidates, key=lambda c: (c.fact.path, c.fact.symbol))
    rng.shuffle(ordered)
    return round_robin_by_depth(ordered, k, start)


def sample_questions(candidates: list[Candidate], n: int, seed: int, tier: str, question_types=None) -> list[Candidate]:
    by_type: dict[str, list[Candidate]] = {}
    for c in candidates:
        if question_types is None or c.fact.question_type in question_types:
            by_type.setdefault(c.fact.question_type, []).append(c)
    alloc = allocate(n, {t: len(v) for t, v in by_type.items()})
    chosen: list[Candidate] = []
    for index, (qtype, k) in enumerate(alloc.items()):
        start = index * 10 // len(alloc)
        chosen.extend(stratified_pick(by_type[qtype], k, random.Random(derive_seed(seed, tier, qtype)), start))
    return chosen
