"""Questions that need more than one place of the context, exact and checkable like the single-needle ones.

- `base_class_location` (two hops): "Which file defines the first base class of class `X`?" Find X, read its
  first base (a name or dotted name), then find the one class of that name in the context, in another file. The
  question is asked only when X's own imports resolve the base to that very file (`from .m import B`, `import
  a.m` with `a.m.B`), so the answer is what the code means, not a namesake.
- `subclass_count` (aggregation): "How many classes in the context list `B` among their bases?" Every `class`
  statement of every file counts (nested ones too) whose positional bases include `B` written exactly so. A base is
  asked only when no base in the context is written `module.B` (so "written the same way in every file" holds),
  and when at least two classes in at least two files list it; bases whose count grew since the tier below come
  first, so the answer depends on the part of the context a smaller tier lacks (bases with textual distractors,
  `distractors`, are offered either way: the sampling prefers them).

Both are facts of a whole context, not of one file, so they are computed per tier here (stage 4 of the build)
from the parsed files the context holds.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from .contexts import Context
from .definitions import Definition, Import, ParsedModule, Span
from .distractors import TextCounts
from .facts import Fact
from .questions import Candidate, NameIndex, context_index, target_scope

_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*")
_NAME = re.compile(r"[A-Za-z_]\w*")


def base_class_location_candidates(context: Context, parsed: dict[str, ParsedModule],
                                   names: dict[str, NameIndex]) -> list[Candidate]:
    whole = context_index(context.paths, names)
    text = TextCounts(context)
    module_classes: dict[str, list[tuple[str, Definition]]] = defaultdict(list)
    for path in context.paths:
        for d in parsed[path].definitions:
            if d.kind == "class" and d.qualname == d.name and not d.in_function:
                module_classes[d.name].append((path, d))
    out = []
    for path in context.paths:
        for d in parsed[path].definitions:
            if d.kind != "class" or d.in_function or not d.bases or not _DOTTED.fullmatch(d.bases[0].text):
                continue
            parts = re.split(r"\s*\.\s*", d.bases[0].text)
            base = parts[-1]
            found = module_classes.get(base, [])
            if whole.bare[base] != 1 or len(found) != 1 or found[0][0] == path:
                continue  # the base is not one class of another file, or something else shares its name
            base_path, base_def = found[0]
            if base_path not in module_files(imported_module(parsed[path], path, parts, names[path])):
                continue  # the file's imports do not point at that class: a namesake, not the base
            fact = Fact("base_class_location", path, d.qualname, "ClassDef", base_path, base_path,
                        base_def.name_span, "class")
            name_file = target_scope(fact, whole, names[path])
            if name_file is None:
                continue
            start = context.file_starts[base_path] + base_def.name_span.start
            out.append(Candidate(fact, name_file, start, start + len(base_def.name), start / len(context.text),
                                 text.base_class_location(base)))
    return out


def module_files(module: str | None) -> set[str]:
    """The display paths a module can live in: `a/b.py` or `a/b/__init__.py`."""
    if not module:
        return set()
    relative = module.replace(".", "/")
    return {f"Lib/{relative}.py", f"Lib/{relative}/__init__.py"}


def absolute_module(imp: Import, display_path: str) -> str | None:
    """The absolute module a `from` import names, resolved against the importing file's package."""
    if imp.level == 0:
        return imp.module
    package = display_path.removeprefix("Lib/").split("/")[:-1]
    if imp.level - 1 > len(package):
        return None
    anchor = package[: len(package) - (imp.level - 1)]
    return ".".join([*anchor, *([imp.module] if imp.module else [])]) or None


def imported_module(parsed: ParsedModule, display_path: str, parts: list[str], own: NameIndex) -> str | None:
    """The module a base written `N` or `a.b.N` comes from, by the file's module-level imports; None unless one
    import alone binds the first name (and nothing else in the file does)."""
    first = parts[0]
    binders = [i for i in parsed.imports if _binds(i) == first]
    if len(binders) != 1 or own.bare[first]:
        return None
    imp = binders[0]
    if len(parts) == 1:  # `from M import N`
        return absolute_module(imp, display_path) if imp.name == first else None
    if imp.name is None:  # `import a.b` binds `a`; `import a.b as c` binds `c`
        root = imp.module if imp.asname else first
    elif imp.name != "*":  # `from pkg import sub` binds the submodule `sub`
        package = absolute_module(imp, display_path)
        root = f"{package}.{imp.name}" if package else None
    else:
        return None
    return ".".join([root, *parts[1:-1]]) if root else None


def _binds(imp: Import) -> str:
    if imp.asname:
        return imp.asname
    return imp.name if imp.name is not None else imp.module.split(".")[0]


@dataclass(frozen=True)
class _Listing:
    path: str
    span: Span  # the base as written in that class statement


def base_listings(paths, parsed: dict[str, ParsedModule]) -> tuple[dict[str, list[_Listing]], set[str]]:
    """For each base written as a plain name: the classes listing it (once per class), and the names some base
    writes dotted (`module.B`), which are never asked."""
    listings: dict[str, list[_Listing]] = defaultdict(list)
    dotted: set[str] = set()
    for path in paths:
        for d in parsed[path].definitions:
            if d.kind != "class":
                continue
            seen = set()
            for item in d.bases:
                if _NAME.fullmatch(item.text):
                    if item.text not in seen:
                        seen.add(item.text)
                        listings[item.text].append(_Listing(path, item.span))
                elif _DOTTED.fullmatch(item.text):
                    dotted.add(re.split(r"\s*\.\s*", item.text)[-1])
    return listings, dotted


def subclass_count_candidates(context: Context, parsed: dict[str, ParsedModule], previous_paths, want: int) -> list[Candidate]:
    """Bases listed by 2+ classes in 2+ files; those whose count grew since the tier below first, at least `want`,
    and those with textual distractors (`distractors.TextCounts`) in any case."""
    listings, dotted = base_listings(context.paths, parsed)
    before, _ = base_listings(previous_paths, parsed)
    text = TextCounts(context)
    growing, steady = [], []
    for base, found in sorted(listings.items()):
        if base in dotted or len(found) < 2 or len({f.path for f in found}) < 2:
            continue
        last = found[-1]  # the answer needs reading up to the last class that lists the base
        start = context.file_starts[last.path] + last.span.start
        fact = Fact("subclass_count", last.path, base, "ClassDef", str(len(found)), len(found), last.span, "class")
        candidate = Candidate(fact, False, start, start + len(base), start / len(context.text),
                              text.subclass_count(base, len(found)))
        (growing if len(found) > len(before.get(base, ())) else steady).append(candidate)
    return growing + [c for c in steady if c.distractor] if len(growing) >= want else growing + steady
