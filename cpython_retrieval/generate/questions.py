"""Step 3: choose a tier's questions from the candidate facts, unambiguous in that tier's context.

Sampling is balanced over question types (equal shares, in `QUESTION_TYPES` order; a type with too
few candidates gives its remainder to the others in that order) and, within a type, stratified over
answer depth (deciles of the context, taken round-robin), all from `random.Random` seeded by a
sha256 of (seed, tier, type), so the same inputs give the same rows on any machine.

Structure rows prefer targets with textual distractors (`distractors`): a structure family's rows go first to its
types' candidates with distractors (equal shares among the family's types, capped by how many each has), the rest
of the family's rows as before; within a type, candidates with distractors are picked first.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from dataclasses import dataclass, field

from ..question_types import FAMILIES, NOT_PRESENT, QUESTION_TYPES, SAMPLING_ORDER
from .contexts import Context
from .definitions import ParsedModule, Span
from .facts import Fact
from .question_text import question_text

__all__ = ["AbsentClass", "Binding", "Candidate", "NameIndex", "absent_candidates", "identifiers_of", "allocate", "context_candidates",
           "answer_in_question", "derive_seed", "module_bindings", "question_text", "row_id", "sample_questions", "target_scope"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Candidate:
    fact: Fact
    name_file: bool  # the question names the file, because the symbol alone is not unique in the context
    start: int | None  # answer span in the context (None for absent symbols)
    end: int | None
    depth: float | None  # start / context length
    #: A structure target whose words also show where they do not answer it (`distractors`): sampled first.
    distractor: bool = False


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


@dataclass(frozen=True)
class Binding:
    """A name a reader could take a question's target for: a definition at any depth, or an assignment outside functions."""

    name: str  # the bare name
    reader_name: str  # dotted path from the module as a reader writes it (`f.<locals>.g` reads `f.g`)
    module_level: bool  # a direct binding of the module (under if/try blocks too), not inside a class or function


def module_bindings(parsed: ParsedModule) -> list[Binding]:
    """Every binding of a parsed file that a question's target could be confused with."""
    out = [Binding(d.name, d.qualname.replace(".<locals>", ""), d.owner_class is None and not d.in_function
                   and "." not in d.qualname) for d in parsed.definitions]
    out += [Binding(a.name, a.qualname, a.module_level) for a in parsed.assignments]
    return out


def _suffixes(dotted: str) -> list[str]:
    parts = dotted.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


@dataclass
class NameIndex:
    """How many bindings a reader could match to a named target, in a file or a whole context.

    A name matches a binding whose reader name equals it or ends with `.` + it ("the method `C.m`" matches
    `C.m` and `Outer.C.m`; "the class `C`" matches anything named `C`); "the module-level function `f`" matches
    the module-level bindings named `f`. A question is asked only where its target matches exactly one.
    """

    suffixes: Counter = field(default_factory=Counter)
    module_level: Counter = field(default_factory=Counter)
    bare: Counter = field(default_factory=Counter)

    @classmethod
    def of(cls, bindings: list[Binding]) -> NameIndex:
        index = cls()
        index.add(bindings)
        return index

    def add(self, bindings: list[Binding]) -> None:
        for b in bindings:
            self.suffixes.update(_suffixes(b.reader_name))
            self.bare[b.name] += 1
            if b.module_level:
                self.module_level[b.name] += 1

    def merge(self, other: NameIndex) -> None:
        self.suffixes.update(other.suffixes)
        self.module_level.update(other.module_level)
        self.bare.update(other.bare)

    def matches(self, kind: str, name: str) -> int:
        """Bindings matching `name` as a question of `kind` ("function", "method", "class") names it."""
        return self.module_level[name] if kind == "function" else self.suffixes[name]


def context_index(paths, file_indexes: dict[str, NameIndex]) -> NameIndex:
    index = NameIndex()
    for path in paths:
        index.merge(file_indexes[path])
    return index


def context_candidates(context: Context, facts_by_path: dict[str, list[Fact]],
                       file_indexes: dict[str, NameIndex]) -> list[Candidate]:
    """Facts of the context's files whose target has one reading in the whole context (else in its named file).

    `file_indexes` maps a display path to the `NameIndex` of its bindings (every file of the context).
    """
    whole = context_index(context.paths, file_indexes)
    length = len(context.text)
    out = []
    for path in context.paths:
        base = context.file_starts[path]
        own = file_indexes[path]
        for fact in facts_by_path.get(path, ()):
            name_file = target_scope(fact, whole, own)
            if name_file is None:
                continue
            start, end = base + fact.span.start, base + fact.span.end
            out.append(Candidate(fact, name_file, start, end, start / length))
    return out


def target_scope(fact: Fact, whole: NameIndex, own: NameIndex) -> bool | None:
    """Whether the question must name the fact's file (True), need not (False), or cannot be asked (None)."""
    qtype = fact.question_type
    if qtype == "class_location":
        return False if whole.bare[fact.symbol] == 1 else None  # the only binding of that name in the context
    if qtype == "method_owner":
        return True if own.bare[fact.symbol] == 1 else None  # asked in its file, where nothing else has the name
    if qtype == "module_function_count":
        return True
    if whole.matches(fact.kind, fact.symbol) == 1:
        return False
    if own.matches(fact.kind, fact.symbol) == 1:
        return True
    return None


def identifiers_of(text: str) -> set[str]:
    return set(_IDENTIFIER.findall(text))


def absent_candidates(identifiers: set[str], absent: list[AbsentClass]) -> list[Candidate]:
    """Classes outside the context whose name does not occur in it at all (`identifiers`: every word of the context,
    headers, comments and strings included)."""
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
    """k candidates in a seeded order, round-robin over depth deciles from decile `start` on: those with textual
    distractors (`Candidate.distractor`, structure types only) first, the others only when too few have them."""
    ordered = sorted(candidates, key=lambda c: (c.fact.path, c.fact.symbol))
    rng.shuffle(ordered)
    picked = round_robin_by_depth([c for c in ordered if c.distractor], k, start)
    return picked + round_robin_by_depth([c for c in ordered if not c.distractor], k - len(picked), start)


def scorable(c: Candidate) -> bool:
    """The scoring core accepts the fact's answer for itself (else no reply could ever be right)."""
    from ..scorers import (
        score_answer,  # framework-free; imported late to keep this module light
    )

    question = question_text(c.fact.question_type, c.fact.symbol, c.fact.path, c.fact.kind, c.name_file)
    return score_answer(c.fact.question_type, c.fact.answer, c.fact.answer, question=question).correct


def answer_in_question(c: Candidate) -> bool:
    """Whether the answer shows in the question's own words (before its answer format), as a whole word or path: a
    method's owner `netrc` in the path `Lib/netrc.py` would give the answer away."""
    question = question_text(c.fact.question_type, c.fact.symbol, c.fact.path, c.fact.kind, c.name_file)
    body = question.rsplit(" Answer with ", 1)[0]
    return re.search(rf"(?<![\w]){re.escape(c.fact.answer)}(?![\w])", body) is not None


def sample_scorable(pick, candidates: list):
    """`pick(candidates)` among candidates whose answer does not show in their question, again without any picked
    candidate whose answer the scorer cannot read (rare: checking every candidate would cost more than the whole
    sample)."""
    candidates = [c for c in candidates if not answer_in_question(getattr(c, "candidate", c))]
    while True:
        chosen = pick(candidates)
        bad = [c for c in chosen if not scorable(getattr(c, "candidate", c))]
        if not bad:
            return chosen
        drop = {id(c) for c in bad}
        candidates = [c for c in candidates if id(c) not in drop]


def prefer_distractors(alloc: dict[str, int], by_type: dict[str, list[Candidate]]) -> dict[str, int]:
    """The same rows per family, re-shared within each structure family: first to candidates with textual
    distractors (equal shares over the family's types, capped by each type's count of them), then the remainder
    capped by the rest of each type's candidates (both in `SAMPLING_ORDER`)."""
    out = dict(alloc)
    for family in FAMILIES:
        if family == "single_needle":
            continue
        types = [t for t in alloc if QUESTION_TYPES[t].family == family]
        total = sum(alloc[t] for t in types)
        rich = {t: sum(1 for c in by_type[t] if c.distractor) for t in types}
        first = allocate(total, rich, types)
        rest = allocate(total - sum(first.values()), {t: len(by_type[t]) - first.get(t, 0) for t in types}, types)
        out.update({t: first.get(t, 0) + rest.get(t, 0) for t in types})
    return out


def sample_questions(candidates: list[Candidate], n: int, seed: int, tier: str, question_types=None,
                     salt: tuple = ()) -> list[Candidate]:
    """n candidates in equal shares per type, each share round-robin over depth deciles (`salt` keeps another
    sample of the same tier, such as its drift rows, independent of the ordinary one)."""
    by_type: dict[str, list[Candidate]] = {}
    for c in candidates:
        if question_types is None or c.fact.question_type in question_types:
            by_type.setdefault(c.fact.question_type, []).append(c)
    alloc = prefer_distractors(allocate(n, {t: len(v) for t, v in by_type.items()}, SAMPLING_ORDER), by_type)
    chosen: list[Candidate] = []
    for index, (qtype, k) in enumerate(alloc.items()):
        start = index * 10 // len(alloc)
        chosen.extend(stratified_pick(by_type[qtype], k, random.Random(derive_seed(seed, tier, *salt, qtype)), start))
    return chosen
