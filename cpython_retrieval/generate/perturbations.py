"""Perturbation rows: plan perturbed files, the perturbed context of each tier, and its rows.

A perturbed row asks about a fact that was changed only inside the supplied context, so a model
that answers from memory of the real stdlib gets it wrong. The design is cache-friendly:

- **One perturbed variant per tier.** All perturbation rows of a tier share one context (variant
  `perturbed`): the tier's files in the same order, the selected files replaced by their perturbed
  text, as many as fit the budget at their edited size (`contexts.plan_within`: a file too big for a
  smaller tier's perturbed context moves to the end of the next tier's, keeping them prefix-aligned). A tier therefore has two distinct contexts, not one per row.
- **Per-file, tier-independent perturbations.** Which perturbation a file gets (its kind, targets
  and new values) depends only on the seed, the file's path and text, and (for balancing kinds) the
  perturbed files before it in the seeded file order, never on the tier.
  Which files are perturbed is decided region by region along the tier ladder: the files a tier adds
  to the one below it are a region, and up to `PER_REGION` of them, spread evenly over the region's
  tokens, are perturbed in that tier and every larger one. So the perturbed variant of T50 begins with
  the whole perturbed variant of T25 (prefix-aligned, like the original contexts).
- **One perturbation kind per file**, applied to up to `MAX_TARGETS` definitions of that file (one
  libcst parse and rewrite per file). Only perturbed files are parsed with libcst.

Answers are never written by hand: the perturbed file is re-parsed with `parse_module` and
`module_facts`, and a perturbed fact becomes a candidate only if its answer differs from the
original fact's answer (the one memory would give). For a renamed class, `class_location` asked
about the new name has original answer `NOT PRESENT`: the real stdlib has no class of that name.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field

from ..question_types import NOT_PRESENT
from .contexts import sort_tiers
from .definitions import ParsedModule, parse_module
from .facts import MIN_DOCSTRING_LINE, Fact, module_facts
from .perturb import (
    PerturbError,
    add_module_function,
    change_bases,
    change_decorators,
    change_docstring_lines,
    change_return_annotations,
    remove_module_function,
    rename_module_classes,
)
from .questions import Candidate, allocate, derive_seed, round_robin_by_depth

PERTURBATION_KINDS = ("rename", "return_annotation", "base_classes", "decorators", "docstring_first_line",
                      "module_function_count")
#: The question type a counterfactual kind changes (a rename may change any type).
KIND_QUESTION_TYPE = {k: k for k in PERTURBATION_KINDS if k != "rename"}
#: Tie-break among a file's equally used kinds: scarce kinds first (few stdlib files offer them).
KIND_PRIORITY = ("return_annotation", "decorators", "rename", "base_classes", "docstring_first_line",
                 "module_function_count")
#: Definitions changed in one file (all with the file's one kind).
MAX_TARGETS = 6
#: Files perturbed in each region of the tier ladder (the files a tier adds to the tier below).
PER_REGION = 20

#: Suffixes for fresh names: `clear` -> `clear_staged`, `Decoder` -> `DecoderStaged`.
RENAME_SUFFIXES = ("staged", "shadow", "draft", "revised", "pending", "mirror", "patched", "variant", "bridge",
                   "relay", "ledger", "quill", "ember", "harbor", "tandem", "cobalt")
#: Replacement return annotations (real stdlib annotations; ones from the same file are offered too).
RETURN_ANNOTATIONS = ("None", "bool", "int", "str", "bytes", "float", "list[str]", "dict[str, Any]",
                      "tuple[int, int]", "Iterator[str]", "Optional[str]", "Self", "NoReturn", "set[str]",
                      "Callable[..., Any]")
#: Bases a class may gain (besides classes defined earlier in its own file).
WELL_KNOWN_BASES = ("object", "Exception", "ValueError", "RuntimeError", "dict", "list", "tuple", "abc.ABC",
                    "collections.abc.Mapping", "threading.Thread")
#: Decorators a definition may gain, by how the question names it.
DECORATORS = {
    "function": ("functools.cache", "functools.lru_cache(maxsize=None)", "contextlib.contextmanager",
                 "staticmethod", "typing.no_type_check"),
    "method": ("functools.cache", "abc.abstractmethod", "typing.final", "functools.lru_cache(maxsize=128)",
               "classmethod", "staticmethod", "property"),
    "class": ("dataclasses.dataclass", "functools.total_ordering", "typing.final", "typing.runtime_checkable",
              "dataclasses.dataclass(frozen=True)"),
}
_VERBS = ("Return", "Compute", "Build", "Refresh", "Resolve", "Collect", "Normalize", "Validate", "Register",
          "Release", "Merge", "Encode", "Rebuild", "Flush")
_ADJECTIVES = ("cached", "pending", "canonical", "staged", "effective", "nested", "default", "current",
               "shadow", "partial", "spare", "stale")
_NOUNS = ("checksum", "index", "mapping", "buffer", "handle", "record", "snapshot", "registry", "cursor",
          "token", "ledger", "manifest")
_TAILS = ("for the current thread", "from the staging area", "without touching the cache",
          "using the fallback table", "before the next flush", "for every pending request",
          "after the lock is released", "in declaration order")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Vocabulary:
    """What the whole corpus contains, so new names and sentences can be checked to occur nowhere in it, and
    names that leave a file (renamed or removed) to occur in no other file."""

    files_with: dict[str, int]  # identifier -> how many corpus files contain it (code, strings or comments)
    text: str

    @classmethod
    def from_texts(cls, texts) -> "Vocabulary":
        texts = list(texts)
        files_with: Counter = Counter()
        for text in texts:
            files_with.update(set(_IDENTIFIER.findall(text)))
        return cls(dict(files_with), "\n".join(texts))

    def is_fresh(self, word: str) -> bool:
        return word not in self.files_with and word not in self.text

    def only_in_one_file(self, word: str) -> bool:
        """No other corpus file mentions `word`: a definition of that name can leave its file without a trace."""
        return self.files_with.get(word, 0) <= 1


@dataclass(frozen=True)
class Change:
    """One fact of a perturbed file whose answer the perturbation changed."""

    question_type: str
    perturbed_symbol: str
    original_symbol: str
    original_answer: str


@dataclass
class FilePerturbation:
    path: str  # display path
    kind: str
    text: str  # the perturbed file
    parsed: ParsedModule
    facts: list[Fact]
    changes: dict[tuple[str, str], Change]  # (question type, perturbed symbol) -> change
    edits: list[dict[str, str]] = field(default_factory=list)  # for the manifest: target, before, after

    def summary(self) -> dict:
        return {"path": self.path, "kind": self.kind, "edits": self.edits}


# --- choosing perturbed files ------------------------------------------------------------------

def perturbed_files(plans: dict[str, list[str]], segment_tokens: dict[str, int], per_region: int = PER_REGION) -> dict[str, list[str]]:
    """For each tier of `plans` (a prefix-aligned ladder), the files perturbed in it, in context order.

    A file is perturbed in every tier that holds it or in none, so each tier's perturbed set restricted
    to a smaller tier's files is that tier's set.
    """
    chosen: set[str] = set()
    seen: set[str] = set()
    out = {}
    for tier in sort_tiers(plans):
        region = [p for p in plans[tier] if p not in seen]
        seen.update(region)
        chosen.update(_spread(region, segment_tokens, per_region))
        out[tier] = [p for p in plans[tier] if p in chosen]
    return out


def _spread(region: list[str], segment_tokens: dict[str, int], k: int) -> list[str]:
    """Up to k files of the region, at evenly spaced token positions (all of them if there are few)."""
    if len(region) <= k:
        return list(region)
    total = sum(segment_tokens[p] for p in region)
    picks: list[str] = []
    cumulative, i = 0, 0
    for path in region:
        end = cumulative + segment_tokens[path]
        while i < k and (i + 0.5) * total / k < end:
            if not picks or picks[-1] != path:
                picks.append(path)
            i += 1
        cumulative = end
    return picks


# --- perturbing one file -----------------------------------------------------------------------

def perturb_files(paths: list[str], texts: dict[str, str], facts: dict[str, list[Fact]], seed: int,
                  vocab: Vocabulary) -> dict[str, FilePerturbation]:
    """Perturb `paths`, given in the ladder's context order; kinds are balanced along that order.

    Each file takes the kind used least so far among the kinds it offers (ties broken by
    `KIND_PRIORITY`); targets and new values are drawn from (seed, path). A file's perturbation thus
    depends on the seed, its path and text, and the files before it in the seeded order, which every
    tier holding it shares.
    """
    used = {k: 0 for k in PERTURBATION_KINDS}
    out = {}
    for path in paths:
        found = perturb_file(path, texts[path], facts[path], seed, vocab, used)
        if found is not None:
            out[path] = found
            used[found.kind] += 1
    return out


def perturb_file(path: str, text: str, facts: list[Fact], seed: int, vocab: Vocabulary,
                 used: dict[str, int] | None = None) -> FilePerturbation | None:
    """The file's one perturbation (None if none applies): the viable kind least in `used`, then by priority."""
    by_type: dict[str, list[Fact]] = {}
    for fact in facts:
        by_type.setdefault(fact.question_type, []).append(fact)
    viable = [k for k in KIND_PRIORITY if _targets(k, by_type, vocab)]
    order = sorted(viable, key=lambda k: ((used or {}).get(k, 0), KIND_PRIORITY.index(k)))
    for kind in order:
        kind_rng = random.Random(derive_seed(seed, "perturb", path, kind))
        try:
            result = _apply(kind, path, text, facts, by_type, kind_rng, vocab)
        except (PerturbError, SyntaxError):
            continue
        if result is not None:
            return result
    return None


def _targets(kind: str, by_type: dict[str, list[Fact]], vocab: Vocabulary) -> list[Fact]:
    if kind == "rename":  # a class no other file mentions: renaming it leaves no reference behind elsewhere
        return [f for f in by_type.get("class_location", ()) if not f.symbol.startswith("__")
                and vocab.only_in_one_file(f.symbol)]
    return list(by_type.get(KIND_QUESTION_TYPE[kind], ()))


def _apply(kind, path, text, facts, by_type, rng: random.Random, vocab: Vocabulary) -> FilePerturbation | None:
    targets = sorted(_targets(kind, by_type, vocab), key=lambda f: f.symbol)
    targets = rng.sample(targets, min(MAX_TARGETS, len(targets)))
    renames: dict[str, str] = {}
    edits: list[dict[str, str]] = []
    if kind == "rename":
        wanted = {f.symbol: fresh_name(f.symbol, rng, vocab) for f in targets}
        new_text, renames = rename_module_classes(text, wanted)
        edits = [{"target": old, "before": old, "after": new} for old, new in sorted(renames.items())]
    elif kind == "return_annotation":
        seen = sorted({f.answer for f in by_type["return_annotation"]} | set(RETURN_ANNOTATIONS))
        new = {}
        for f in targets:
            pool = [a for a in seen if _norm(a) != _norm(f.answer)]
            new[f.symbol] = rng.choice(pool)
            edits.append({"target": f.symbol, "before": f.answer, "after": new[f.symbol]})
        new_text = change_return_annotations(text, new)
    elif kind == "base_classes":
        classes = by_type.get("class_location", [])
        new = {}
        for f in targets:
            bases = list(f.answer_json["bases"])
            new[f.symbol] = _new_bases(f, bases, classes, rng)
            edits.append({"target": f.symbol, "before": ", ".join(bases), "after": ", ".join(new[f.symbol])})
        new_text = change_bases(text, new)
    elif kind == "decorators":
        new = {}
        for f in targets:
            current = list(f.answer_json)
            if len(current) >= 2 and rng.random() < 0.5:
                changed = current[:]
                del changed[rng.randrange(len(changed))]
            else:
                pool = [d for d in DECORATORS[f.kind] if d not in current]
                changed = current[:]
                changed.insert(rng.randint(0, len(current)), rng.choice(pool))
            new[f.symbol] = changed
            edits.append({"target": f.symbol, "before": "\n".join(current), "after": "\n".join(changed)})
        new_text = change_decorators(text, new)
    elif kind == "docstring_first_line":
        new = {}
        for f in targets:
            sentence = fresh_sentence(rng, vocab, avoid={f.answer})
            new[f.symbol] = (f.answer, sentence)
            edits.append({"target": f.symbol, "before": f.answer, "after": sentence})
        new_text = change_docstring_lines(text, new)
    elif kind == "module_function_count":
        new_text, edit = _change_function_count(path, text, rng, vocab)
        edits.append(edit)
    else:
        raise AssertionError(kind)
    if new_text == text:
        return None
    parsed = parse_module(new_text, path)
    new_facts = module_facts(parsed, new_text, path)
    changes = diff_facts(kind, facts, new_facts, renames)
    if not changes:
        return None
    return FilePerturbation(path, kind, new_text, parsed, new_facts, changes, edits)


def _norm(annotation: str) -> str:
    return re.sub(r"[\s'\"]", "", annotation).removeprefix("typing.")


def _new_bases(fact: Fact, bases: list[str], classes: list[Fact], rng: random.Random) -> list[str]:
    """Swap two adjacent different bases, or add one (a class defined earlier in the file, or a well-known base)."""
    swappable = [i for i in range(len(bases) - 1) if bases[i] != bases[i + 1]]
    if swappable and rng.random() < 0.5:
        i = rng.choice(swappable)
        return [*bases[:i], bases[i + 1], bases[i], *bases[i + 2:]]
    name = fact.symbol.rsplit(".", 1)[-1]
    earlier = sorted(c.symbol for c in classes if c.span.start < fact.span.start and c.symbol not in bases and c.symbol != name)
    pool = earlier if earlier and rng.random() < 0.5 else [b for b in WELL_KNOWN_BASES if b not in bases]
    return [*bases, rng.choice(pool)]


def _change_function_count(path: str, text: str, rng: random.Random, vocab: Vocabulary) -> tuple[str, dict[str, str]]:
    parsed = parse_module(text, path)
    names = sorted(d.name for d in parsed.definitions if d.module_level_function)
    if not names:
        raise PerturbError("no module-level function")
    count = len(names)
    # only a function nothing references can go: its name occurs once in its file (the `def`) and in no other file
    unreferenced = [n for n in names if vocab.only_in_one_file(n) and len(re.findall(rf"\b{re.escape(n)}\b", text)) == 1]
    if count >= 2 and unreferenced and rng.random() < 0.5:
        victim = rng.choice(unreferenced)
        return remove_module_function(text, victim), {"target": victim, "before": str(count), "after": str(count - 1)}
    name = fresh_function_name(rng, vocab)
    sentence = fresh_sentence(rng, vocab)
    source = f'def {name}(value, *, strict=False):\n    """{sentence}"""\n    return value\n'
    after = rng.choice(names)
    return add_module_function(text, after, source), {"target": name, "before": str(count), "after": str(count + 1)}


def fresh_name(qualname: str, rng: random.Random, vocab: Vocabulary) -> str:
    """A plausible new bare name for the definition `qualname`, occurring nowhere in the corpus.

    Scheme: the old name plus a suffix word drawn by the seeded rng from `RENAME_SUFFIXES`
    (`clear_staged`; CamelCase names get `DecoderStaged`); if every word clashes, `_v2`, `_v3`, ...
    """
    old = qualname.rsplit(".", 1)[-1]
    camel = old.lstrip("_")[:1].isupper()
    words = list(RENAME_SUFFIXES)
    rng.shuffle(words)
    candidates = [old + w.capitalize() if camel else f"{old}_{w}" for w in words]
    candidates += [f"{old}V{i}" if camel else f"{old}_v{i}" for i in range(2, 100)]
    for candidate in candidates:
        if vocab.is_fresh(candidate):
            return candidate
    raise PerturbError(f"no fresh name for {old}")


def fresh_function_name(rng: random.Random, vocab: Vocabulary) -> str:
    for _ in range(200):
        name = f"_{rng.choice(_VERBS).lower()}_{rng.choice(_ADJECTIVES)}_{rng.choice(_NOUNS)}"
        if vocab.is_fresh(name):
            return name
    raise PerturbError("no fresh function name")


def fresh_sentence(rng: random.Random, vocab: Vocabulary, avoid=()) -> str:
    """A plausible docstring first line that occurs nowhere in the corpus."""
    for _ in range(200):
        sentence = f"{rng.choice(_VERBS)} the {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {rng.choice(_TAILS)}."
        if sentence not in avoid and len(sentence) >= MIN_DOCSTRING_LINE and vocab.is_fresh(sentence):
            return sentence
    raise PerturbError("no fresh sentence")


def diff_facts(kind: str, original: list[Fact], perturbed: list[Fact], renames: dict[str, str]) -> dict[tuple[str, str], Change]:
    """Facts of the perturbed file whose answer differs from what the original file says about them."""
    before = {(f.question_type, f.symbol): f for f in original}
    new_qualnames = {}
    for old, new_bare in renames.items():
        new_qualnames[old] = old.rsplit(".", 1)[0] + "." + new_bare if "." in old else new_bare
    changes = {}
    for fact in perturbed:
        if kind != "rename" and fact.question_type != KIND_QUESTION_TYPE[kind]:
            continue
        original_symbol = _unrename(fact.symbol, new_qualnames)
        old = before.get((fact.question_type, original_symbol))
        if fact.question_type == "class_location" and original_symbol != fact.symbol:
            original_answer = NOT_PRESENT  # a renamed class: no class of the new name exists in the real stdlib
        elif old is None or old.answer == fact.answer:
            continue
        else:
            original_answer = old.answer
        changes[(fact.question_type, fact.symbol)] = Change(fact.question_type, fact.symbol, original_symbol, original_answer)
    return changes


def _unrename(symbol: str, new_qualnames: dict[str, str]) -> str:
    for old, new in new_qualnames.items():
        if symbol == new or symbol.startswith(new + "."):
            return old + symbol[len(new):]
    return symbol


# --- sampling perturbed rows -------------------------------------------------------------------

@dataclass(frozen=True)
class PerturbedCandidate:
    candidate: Candidate  # the fact in the perturbed context
    kind: str
    change: Change
    pair_id: str | None  # the ordinary row asking the same question, if it was sampled


def perturbed_row_count(per_tier: int, share: float) -> int:
    """Perturbed rows so that they are `share` of a tier's rows, ordinary rows staying `per_tier`."""
    return 0 if share <= 0 else round(per_tier * share / (1 - share))


def _depth(c: PerturbedCandidate) -> float:
    return c.candidate.depth or 0


def sample_perturbed(candidates: list[PerturbedCandidate], n: int, seed: int, tier: str) -> list[PerturbedCandidate]:
    """n candidates: equal shares per kind (remainder passed on in kind order), paired ones first, each
    share spread round-robin over depth deciles (kinds start at different deciles)."""
    by_kind: dict[str, list[PerturbedCandidate]] = {}
    for c in candidates:
        by_kind.setdefault(c.kind, []).append(c)
    kinds = [k for k in PERTURBATION_KINDS if k in by_kind]
    alloc = allocate(n, {k: len(by_kind[k]) for k in kinds}, kinds)
    chosen = []
    for index, kind in enumerate(kinds):
        rng = random.Random(derive_seed(seed, tier, "perturbed", kind))
        pool = sorted(by_kind[kind], key=lambda c: (c.candidate.fact.path, c.candidate.fact.question_type, c.candidate.fact.symbol))
        rng.shuffle(pool)
        paired = [c for c in pool if c.pair_id is not None]
        unpaired = [c for c in pool if c.pair_id is None]
        start = index * 10 // max(1, len(kinds))
        picked = round_robin_by_depth(paired, alloc[kind], start, _depth)
        picked += round_robin_by_depth(unpaired, alloc[kind] - len(picked), start + len(picked), _depth)
        chosen.extend(picked)
    return chosen
