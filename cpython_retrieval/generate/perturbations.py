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

import builtins
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
    add_imports,
    add_module_function,
    change_bases,
    change_decorators,
    change_docstring_lines,
    change_return_annotations,
    remove_module_function,
    rename_module_classes,
)
from .perturb_pools import (
    BUILTIN_NAMES,
    FileNames,
    PackageUsage,
    addable_decorator,
    base_uses,
    callee,
    decorator_uses,
    dotted_root,
    enclosing_packages,
    returns_opaquely,
    states_return,
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
#: Kinds layered on one file at most: a dense tier holds few, large files (T25 of 3.11 has five that any kind
#: applies to), so one kind per file would leave a kind out and too few changed facts to pair with ordinary rows.
KINDS_PER_FILE = 3

#: Suffixes for fresh names: `clear` -> `clear_staged`, `Decoder` -> `DecoderStaged`.
RENAME_SUFFIXES = ("staged", "shadow", "draft", "revised", "pending", "mirror", "patched", "variant", "bridge",
                   "relay", "ledger", "quill", "ember", "harbor", "tandem", "cobalt")
#: Replacement return annotations besides those the file itself writes; each is offered only where the file binds
#: every name it uses (`Any`, `Iterator`, `Optional`, `Callable`: imported by the file, above the function).
RETURN_ANNOTATIONS = ("bool", "int", "str", "bytes", "float", "list[str]", "dict[str, Any]", "tuple[int, int]",
                      "Iterator[str]", "Optional[str]", "set[str]", "Callable[..., Any]")
#: Annotations never given to a function that returns a value.
_NO_VALUE_ANNOTATIONS = frozenset({"None", "NoReturn", "Never", "typing.NoReturn", "typing.Never"})
_EXCEPTION_NAME = re.compile(r"(?:Error|Exception|Warning|Exit|Interrupt)$")
_VERBS = ("Return", "Compute", "Build", "Refresh", "Resolve", "Collect", "Normalize", "Validate", "Register",
          "Release", "Merge", "Encode", "Rebuild", "Flush")
_ADJECTIVES = ("cached", "pending", "canonical", "staged", "effective", "nested", "default", "current",
               "shadow", "partial", "spare", "stale")
_NOUNS = ("checksum", "index", "mapping", "buffer", "handle", "record", "snapshot", "registry", "cursor",
          "token", "ledger", "manifest")
_TAILS = ("for the current thread", "from the staging area", "without touching the cache",
          "using the fallback table", "before the next flush", "for every pending request",
          "after the lock is released", "in declaration order")
_CLASS_TAILS = ("kept for the current thread", "read from the staging area", "shared by every pending request",
                "built before the next flush", "held until the lock is released", "in declaration order")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Vocabulary:
    """What the whole corpus contains, so new names and sentences can be checked to occur nowhere in it, and
    names that leave a file (renamed or removed) to occur in no other file."""

    files_with: dict[str, int]  # identifier -> how many corpus files contain it (code, strings or comments)
    text: str
    packages: PackageUsage = field(default_factory=PackageUsage)  # decorators and bases each package writes

    @classmethod
    def from_texts(cls, texts) -> Vocabulary:
        """Without package usage: an edit then draws only on what its own file writes."""
        texts = list(texts)
        files_with: Counter = Counter()
        for text in texts:
            files_with.update(set(_IDENTIFIER.findall(text)))
        return cls(dict(files_with), "\n".join(texts))

    @classmethod
    def from_files(cls, files) -> Vocabulary:
        """From (display path, text) pairs of the whole corpus."""
        files = list(files)
        vocab = cls.from_texts(text for _, text in files)
        return cls(vocab.files_with, vocab.text, PackageUsage.of(files))

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
    kind: str  # the perturbation kind that made the change


@dataclass
class FilePerturbation:
    path: str  # display path
    kind: str  # the first kind applied (a rename is always alone)
    text: str  # the perturbed file
    parsed: ParsedModule
    facts: list[Fact]
    changes: dict[tuple[str, str], Change]  # (question type, perturbed symbol) -> change
    edits: list[dict[str, str]] = field(default_factory=list)  # for the manifest: target, before, after (, kind)
    kinds: list[str] = field(default_factory=list)  # every kind applied, in order (`kind` first)

    def __post_init__(self) -> None:
        self.kinds = self.kinds or [self.kind]

    def summary(self) -> dict:
        return {"path": self.path, "kind": self.kind, "kinds": self.kinds, "edits": self.edits}


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
    `KIND_PRIORITY`), then up to `KINDS_PER_FILE - 1` more the same way (`layer_kinds`); targets and new
    values are drawn from (seed, path). A file's perturbation thus depends on the seed, its path and text,
    and the files before it in the seeded order, which every tier holding it shares.
    """
    used = {k: 0 for k in PERTURBATION_KINDS}
    out = {}
    for path in paths:
        found = layer_kinds(path, texts[path], facts[path], seed, vocab, used)
        if found is not None:
            out[path] = found
            for kind in found.kinds:
                used[kind] += 1
    return out


def layer_kinds(path: str, text: str, facts: list[Fact], seed: int, vocab: Vocabulary, used: dict[str, int],
                most: int = KINDS_PER_FILE) -> FilePerturbation | None:
    """Up to `most` kinds applied one over another (each by `perturb_file` on the text the one before left).

    A rename stays alone (it changes the symbols the other kinds name). The other kinds change disjoint question
    types, so each change is re-derived against the original file's facts; a layer that would undo a change of
    an earlier one (removing a function whose annotation was changed) is not taken.
    """
    first = perturb_file(path, text, facts, seed, vocab, used)
    if first is None or first.kind == "rename":
        return first
    layers, tried = [first], {"rename", first.kind}
    kept = Counter(c.kind for c in first.changes.values())
    while len(layers) < most:
        tally = {**used, **{x.kind: used.get(x.kind, 0) + 1 for x in layers}}
        found = perturb_file(path, layers[-1].text, layers[-1].facts, seed, vocab, tally, exclude=frozenset(tried))
        if found is None:
            break
        tried.add(found.kind)
        now = Counter(c.kind for c in _layered_changes([*layers, found], facts).values())
        if now[found.kind] and all(now[k] >= n for k, n in kept.items()):
            layers.append(found)
            kept = now
    if len(layers) == 1:
        return first
    last = layers[-1]
    edits = [{**e, "kind": x.kind} for x in layers for e in x.edits]
    return FilePerturbation(path, first.kind, last.text, last.parsed, last.facts, _layered_changes(layers, facts),
                            edits, [x.kind for x in layers])


def _layered_changes(layers: list[FilePerturbation], original: list[Fact]) -> dict[tuple[str, str], Change]:
    """The changes of every layer, each against the original file (so an original answer is what memory gives)."""
    out: dict[tuple[str, str], Change] = {}
    for layer in layers:
        out.update(diff_facts(layer.kind, original, layers[-1].facts, {}))
    return out


def perturb_file(path: str, text: str, facts: list[Fact], seed: int, vocab: Vocabulary,
                 used: dict[str, int] | None = None, exclude: frozenset[str] = frozenset()) -> FilePerturbation | None:
    """The file's one perturbation (None if none applies): the viable kind least in `used`, then by priority, not
    in `exclude`."""
    by_type: dict[str, list[Fact]] = {}
    for fact in facts:
        by_type.setdefault(fact.question_type, []).append(fact)
    viable = [k for k in KIND_PRIORITY if k not in exclude and _targets(k, by_type, vocab)]
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


@dataclass
class _FileView:
    """What the plausibility rules read of the original file: its definitions, the names it binds, where each
    definition starts, and the decorators and bases it and its package write."""

    path: str
    text: str
    parsed: ParsedModule
    names: FileNames
    vocab: Vocabulary

    @classmethod
    def of(cls, path: str, text: str, vocab: Vocabulary) -> _FileView:
        parsed = parse_module(text, path)
        return cls(path, text, parsed, FileNames.of(parsed, text), vocab)

    def definition(self, qualname: str):
        found = [d for d in self.parsed.definitions if d.qualname == qualname]
        return found[0] if len(found) == 1 else None

    def line(self, qualname: str) -> int:
        d = self.definition(qualname)
        return self.text.count("\n", 0, d.name_span.start) + 1 if d is not None else 0

    def decorator_pools(self, kind: str) -> list[list[str]]:
        """Decorators written on definitions of this kind in the file, then in its package, then in each package
        around it up to `Lib/` (sorted and unique at each level)."""
        own = sorted({src for k, src in decorator_uses(self.text) if k == kind})
        return [own] + [sorted({src for k, src in self.vocab.packages.decorators(package) if k == kind})
                        for package in enclosing_packages(self.path)]

    def base_pool(self) -> tuple[list[str], list[str]]:
        """(bases the file writes, bases its package writes), sorted and unique."""
        return sorted(set(base_uses(self.text))), sorted(set(self.vocab.packages.bases(self.path)))


def _apply(kind, path, text, facts, by_type, rng: random.Random, vocab: Vocabulary) -> FilePerturbation | None:
    view = _FileView.of(path, text, vocab) if kind in ("return_annotation", "base_classes", "decorators") else None
    targets = sorted(_targets(kind, by_type, vocab), key=lambda f: f.symbol)
    if kind == "return_annotation":
        targets = [f for f in targets if _annotation_can_change(f, view)]
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
            pool = _annotation_pool(f, seen, view)
            if pool:
                new[f.symbol] = rng.choice(pool)
                edits.append({"target": f.symbol, "before": f.answer, "after": new[f.symbol]})
        new_text = change_return_annotations(text, new) if new else text
    elif kind == "base_classes":
        hierarchy = _hierarchy(by_type.get("base_classes", []))
        new = {}
        for f in targets:
            bases = list(f.answer_json["bases"])
            changed = _new_bases(f, bases, view, hierarchy, rng)
            if changed is not None:
                new[f.symbol] = changed
                edits.append({"target": f.symbol, "before": ", ".join(bases), "after": ", ".join(changed)})
        new_text = change_bases(text, new) if new else text
    elif kind == "decorators":
        new, imports = {}, set()
        for f in targets:
            found = _new_decorators(f, view, rng)
            if found is not None:
                new[f.symbol], modules = found
                imports |= modules
                edits.append({"target": f.symbol, "before": "\n".join(f.answer_json), "after": "\n".join(new[f.symbol])})
        new_text = change_decorators(text, new) if new else text
        if imports:
            new_text = add_imports(new_text, sorted(imports))
            edits.append({"target": "imports", "before": "", "after": "\n".join(f"import {m}" for m in sorted(imports))})
    elif kind == "docstring_first_line":
        new = {}
        for f in targets:
            sentence = fresh_sentence(rng, vocab, avoid={f.answer}, kind=f.kind, text=text)
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
    if kind == "decorators" and not _imports_landed(view.parsed, parsed):
        return None
    new_facts = module_facts(parsed, new_text, path)
    changes = diff_facts(kind, facts, new_facts, renames)
    if not changes:
        return None
    return FilePerturbation(path, kind, new_text, parsed, new_facts, changes, edits)


def _norm(annotation: str) -> str:
    return re.sub(r"[\s'\"]", "", annotation).removeprefix("typing.")


def _imports_landed(before: ParsedModule, after: ParsedModule) -> bool:
    """Any import the edit added is a real module-level import statement (not text inside a string)."""
    def plain(parsed):
        return sorted(i.module for i in parsed.imports if i.name is None and i.asname is None)
    added = len(after.imports) - len(before.imports)
    return added == 0 or len(plain(after)) - len(plain(before)) == added


def _annotation_can_change(fact: Fact, view: _FileView) -> bool:
    """A function whose return a reader cannot already tell: not a dunder (their returns are fixed by protocol), no
    `is_`/`has_` predicate, a docstring that does not state the return (`states_return`), and a body whose every
    `return` gives a value of no visible type (`returns_opaquely`)."""
    d = view.definition(fact.symbol)
    if d is None or d.kind != "function" or _norm(fact.answer) in _NO_VALUE_ANNOTATIONS:
        return False
    if d.name.startswith("__") or re.match(r"_*(?:is|has|can|should)_", d.name):
        return False
    return not states_return(d.docstring) and returns_opaquely(view.text, d)


def _annotation_pool(fact: Fact, seen: list[str], view: _FileView) -> list[str]:
    line = view.line(fact.symbol)
    return [a for a in seen if _norm(a) != _norm(fact.answer) and _norm(a) not in _NO_VALUE_ANNOTATIONS
            and (fact.kind == "method" or "Self" not in a) and view.names.allows(a, line)]


def _new_decorators(fact: Fact, view: _FileView, rng: random.Random) -> tuple[list[str], set[str]] | None:
    """(new decorators, modules to import), or None when no edit fits.

    Remove one decorator (of two or more), or add one written on definitions of the same kind in the file, else in
    its package, else in the packages around it (up to `Lib/`): a general-purpose one (`addable_decorator`) that is
    not already there under other arguments, using only names the file binds above this definition, or failing
    that a dotted one (`functools.lru_cache()`) read from a module the file's package imports with `import X`, then
    adding that import. Decorators that change how a definition is called (`staticmethod`, `property`, ...) are
    neither added nor removed, and a new one goes below them.
    """
    current = list(fact.answer_json)
    removable = [i for i, d in enumerate(current) if addable_decorator(d)] if len(current) >= 2 else []
    line = view.line(fact.symbol)
    present = {callee(d) for d in current}
    imports = view.vocab.packages.plain_imports(view.path)
    pool: list[tuple[str, str | None]] = []
    for level in view.decorator_pools(fact.kind):
        fitting = [d for d in level if addable_decorator(d) and callee(d) not in present]
        pool = [(d, None) for d in fitting if view.names.allows(d, line)]
        pool = pool or [(d, dotted_root(d)) for d in fitting if dotted_root(d) in imports
                        and dotted_root(d) not in view.names.first_line
                        and view.names.allows(d, line, frozenset({dotted_root(d)}))]
        if pool:
            break
    if removable and (not pool or rng.random() < 0.5):
        changed = current[:]
        del changed[rng.choice(removable)]
        return changed, set()
    if not pool:
        return None
    fixed = max((i + 1 for i, d in enumerate(current) if not addable_decorator(d)), default=0)
    added, module = rng.choice(pool)
    changed = current[:]
    changed.insert(rng.randint(fixed, len(current)), added)
    return changed, {module} if module else set()


def _hierarchy(base_facts: list[Fact]) -> dict[str, list[str]]:
    """Bare class name -> the bare names of its bases, for the classes of one file."""
    out: dict[str, list[str]] = {}
    for f in base_facts:
        out.setdefault(f.symbol.rsplit(".", 1)[-1], []).extend(b.rsplit(".", 1)[-1] for b in f.answer_json["bases"])
    return out


def _descends(child: str, parent: str, hierarchy: dict[str, list[str]]) -> bool:
    """`child` is `parent` or a subclass of it, as far as the file's own classes and the builtins tell."""
    child, parent = child.rsplit(".", 1)[-1], parent.rsplit(".", 1)[-1]
    seen, stack = set(), [child]
    while stack:
        name = stack.pop()
        if name == parent:
            return True
        if name in seen:
            continue
        seen.add(name)
        builtin = getattr(builtins, name, None) if name in BUILTIN_NAMES else None
        other = getattr(builtins, parent, None) if parent in BUILTIN_NAMES else None
        if isinstance(builtin, type) and isinstance(other, type) and issubclass(builtin, other):
            return True
        stack.extend(hierarchy.get(name, ()))
    return False


def _exception_like(name: str, hierarchy: dict[str, list[str]]) -> bool:
    """Named like an exception, or derived (within the file, or among the builtins) from one that is."""
    seen, stack = set(), [name.rsplit(".", 1)[-1]]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        if _EXCEPTION_NAME.search(current) or _descends(current, "BaseException", {}):
            return True
        stack.extend(hierarchy.get(current, ()))
    return False


def _new_bases(fact: Fact, bases: list[str], view: _FileView, hierarchy: dict[str, list[str]],
               rng: random.Random) -> list[str] | None:
    """Swap two adjacent bases neither of which derives from the other, or append a base the file (else its
    package) writes as a base, or a class defined above it in the file: bound above the class, not derived from
    a base it already has (the order of bases would then be impossible), an exception only for an exception
    class. None when no such edit exists."""
    name = fact.symbol.rsplit(".", 1)[-1]
    swappable = [i for i in range(len(bases) - 1) if bases[i] != bases[i + 1]
                 and not _descends(bases[i], bases[i + 1], hierarchy) and not _descends(bases[i + 1], bases[i], hierarchy)]
    line = view.line(fact.symbol)
    exceptional = _exception_like(name, hierarchy)

    def fits(base: str) -> bool:
        last = base.rsplit(".", 1)[-1]
        builtin = getattr(builtins, last, None) if base in BUILTIN_NAMES else None
        if isinstance(builtin, type) and not issubclass(builtin, BaseException):
            return False  # `tuple`, `dict`, `staticmethod`: a builtin type as a second base rarely fits its layout
        return (base not in bases and last != name and "object" not in bases
                and view.names.allows(base, line) and not _descends(last, name, hierarchy)
                and not any(_descends(base, b, hierarchy) for b in bases)
                and _exception_like(base, hierarchy) == exceptional)

    own, package = view.base_pool()
    earlier = sorted(d.name for d in view.parsed.definitions if d.kind == "class" and "." not in d.qualname
                     and view.line(d.qualname) < line)
    pool = [b for b in sorted(set(own) | set(earlier)) if fits(b)] or [b for b in package if fits(b)]
    if swappable and (not pool or rng.random() < 0.5):
        i = rng.choice(swappable)
        return [*bases[:i], bases[i + 1], bases[i], *bases[i + 2:]]
    if not pool:
        return None
    return [*bases, rng.choice(pool)]


def _change_function_count(path: str, text: str, rng: random.Random, vocab: Vocabulary) -> tuple[str, dict[str, str]]:
    parsed = parse_module(text, path)
    names = sorted(d.name for d in parsed.definitions if d.module_level_function)
    if not names:
        raise PerturbError("no module-level function")
    count = len(names)
    # only a function nothing references can go: its name occurs once in its file (the `def`) and in no other file,
    # and defines nothing inside (a nested `def extract` would leave a same-named method elsewhere dangling)
    nesting = {d.qualname.split(".", 1)[0] for d in parsed.definitions if "." in d.qualname}
    unreferenced = [n for n in names if n not in nesting and vocab.only_in_one_file(n)
                    and len(re.findall(rf"\b{re.escape(n)}\b", text)) == 1]
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


def fresh_sentence(rng: random.Random, vocab: Vocabulary, avoid=(), kind: str = "function", text: str = "") -> str:
    """A plausible docstring first line that occurs nowhere in the corpus: an imperative for a function or method
    (`Resolve the staged index before the next flush.`), a noun phrase for a class (`A staged index kept ...`);
    nor in `text`, the file being edited (an earlier layer may have written a fresh sentence there)."""
    for _ in range(200):
        adjective, noun = rng.choice(_ADJECTIVES), rng.choice(_NOUNS)
        if kind == "class":
            article = "An" if adjective[0] in "aeiou" else "A"
            sentence = f"{article} {adjective} {noun} {rng.choice(_CLASS_TAILS)}."
        else:
            sentence = f"{rng.choice(_VERBS)} the {adjective} {noun} {rng.choice(_TAILS)}."
        if sentence not in avoid and len(sentence) >= MIN_DOCSTRING_LINE and vocab.is_fresh(sentence) \
                and sentence not in text:
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
        changes[(fact.question_type, fact.symbol)] = Change(fact.question_type, fact.symbol, original_symbol, original_answer,
                                                        kind)
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
