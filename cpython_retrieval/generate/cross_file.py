"""Questions that follow the code's structure across files: where an import comes from, which base class provides
an inherited method, how many classes define a method. Each is a fact of a whole context, computed per tier from
the parsed files it holds (like `multi_hop`), and asked only where it has one reading.

- `import_source` (two hops): "Which file defines the name `X` that `Lib/a/b.py` imports?" The file has one
  `from M import X` (relative or absolute, no `as`) and defines nothing named X itself; M resolves to a file of
  the context (`a/m.py` or `a/m/__init__.py`) that defines X once, as a module-level class or function, and
  binds X in no other way.
- `inherited_method` (two hops): "Which class does class `C` get its method `m` from?" C does not bind m; its
  bases are followed one at a time (a class with exactly one positional base, never starred, so the method
  resolution order is that chain) and no class decorator (which could add methods, as `@dataclass` does); a base
  is resolved to a module-level class of the same file, or through the
  file's imports to a class of another file of the context. The answer is the first class of the chain whose body
  defines `def m`; it lies in another file than C, and its name is the only binding of that name in the context.
- `method_definer_count` (aggregation): "How many classes in the context define a method named `m`?" Every
  `class` statement outside functions (nested classes included) whose own body, `if`/`try`/`with`/`for`/
  `while`/`match` blocks included, holds a `def m`/`async def m`, each class once. Asked when at least two
  classes in at least two files define it, no class body binds `m` by assignment, and at most 30 classes do;
  names whose count grew since the tier below come first (names with textual distractors, `distractors`, are
  offered either way: the sampling prefers them).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from .contexts import Context
from .definitions import Definition, ParsedModule
from .distractors import TextCounts
from .facts import Fact
from .multi_hop import _binds, absolute_module, imported_module, module_files
from .questions import Candidate, NameIndex, context_index, target_scope

_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*")
#: The most classes a `method_definer_count` answer may count (beyond that, counting is clerical, not structural).
MAX_DEFINERS = 30


def _module_definitions(parsed: ParsedModule) -> dict[str, list[Definition]]:
    out: dict[str, list[Definition]] = defaultdict(list)
    for d in parsed.definitions:
        if d.qualname == d.name and not d.in_function and d.owner_class is None:
            out[d.name].append(d)
    return out


def single_definition(parsed: ParsedModule, own: NameIndex, name: str) -> Definition | None:
    """The one module-level class or function named `name`, when the file binds that name in no other way."""
    found = _module_definitions(parsed).get(name, [])
    if len(found) != 1 or own.bare[name] != 1 or any(_binds(i) == name for i in parsed.imports):
        return None
    return found[0]


def import_source_candidates(context: Context, parsed: dict[str, ParsedModule],
                             names: dict[str, NameIndex]) -> list[Candidate]:
    in_context = set(context.paths)
    text = TextCounts(context)
    out = []
    for path in context.paths:
        imports = parsed[path].imports
        for imp in imports:
            if imp.name in (None, "*") or imp.asname or names[path].bare[imp.name]:
                continue
            if sum(1 for i in imports if _binds(i) == imp.name or i.name == imp.name) != 1:
                continue  # one import of that name in the file
            homes = [p for p in sorted(module_files(absolute_module(imp, path))) if p in in_context and p != path]
            found = [(p, d) for p in homes if (d := single_definition(parsed[p], names[p], imp.name))]
            if len(homes) != 1 or len(found) != 1:
                continue
            home, definition = found[0]
            fact = Fact("import_source", path, imp.name, definition.node_type, home, home, definition.name_span,
                        definition.kind)
            start = context.file_starts[home] + definition.name_span.start
            out.append(Candidate(fact, True, start, start + len(imp.name), start / len(context.text),
                                 text.import_source(imp.name)))
    return out


class ClassChains:
    """Module-level classes of the context's files and what each class body binds, for following bases."""

    def __init__(self, paths, parsed: dict[str, ParsedModule], names: dict[str, NameIndex]):
        self.parsed, self.names = parsed, names
        self.in_context = set(paths)
        self.top: dict[str, dict[str, list[Definition]]] = {}
        self.members: dict[tuple[str, str], dict[str, list[str]]] = {}  # (path, class) -> member -> binding kinds
        for path in paths:
            self.top[path] = {n: [d for d in ds if d.kind == "class"]
                              for n, ds in _module_definitions(parsed[path]).items()}
            members: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
            for d in parsed[path].definitions:
                if d.owner_class is not None and not d.in_function:
                    members[(path, d.owner_class)][d.name].append(d.kind)
            for a in parsed[path].assignments:
                if not a.module_level and "." in a.qualname:
                    members[(path, a.qualname.rsplit(".", 1)[0])][a.name].append("assignment")
            self.members.update(members)

    def one_class(self, path: str, name: str) -> Definition | None:
        found = self.top[path].get(name, [])
        if len(found) != 1 or self.names[path].bare[name] != 1 or any(_binds(i) == name for i in self.parsed[path].imports):
            return None  # not the file's one binding of that name
        return found[0]

    def base_of(self, path: str, d: Definition) -> tuple[str, Definition] | None:
        """The class of the context that `d`'s one positional base names, or None."""
        if len(d.bases) != 1 or d.has_starred_bases or not _DOTTED.fullmatch(d.bases[0].text):
            return None
        parts = re.split(r"\s*\.\s*", d.bases[0].text)
        if len(parts) == 1 and (local := self.one_class(path, parts[0])) is not None:
            return path, local
        module = imported_module(self.parsed[path], path, parts, self.names[path])
        homes = [p for p in sorted(module_files(module)) if p in self.in_context]
        found = [(p, c) for p in homes if (c := self.one_class(p, parts[-1]))]
        return found[0] if len(homes) == 1 and len(found) == 1 else None

    def chain(self, path: str, d: Definition) -> list[tuple[str, Definition]]:
        """The classes above `d`, nearest first, while each has exactly one base the context resolves."""
        out: list[tuple[str, Definition]] = []
        seen = {(path, d.qualname)}
        current = (path, d)
        while (base := self.base_of(*current)) is not None and (base[0], base[1].qualname) not in seen:
            out.append(base)
            seen.add((base[0], base[1].qualname))
            current = base
        return out


def inherited_method_candidates(context: Context, parsed: dict[str, ParsedModule],
                                names: dict[str, NameIndex]) -> list[Candidate]:
    classes = ClassChains(context.paths, parsed, names)
    whole = context_index(context.paths, names)
    text = TextCounts(context)
    out = []
    for path in context.paths:
        for d in parsed[path].definitions:
            if d.kind != "class" or d.qualname != d.name or d.in_function or d.decorators:
                continue  # a class decorator (`@dataclass`) can add methods no `def` shows
            if classes.one_class(path, d.name) is not d:
                continue  # the name is bound again in its file (`from m import C` under an `if`): which class?
            own = classes.members.get((path, d.qualname), {})
            asked: set[str] = set()
            chain = classes.chain(path, d)
            for provider_path, provider in chain:
                if provider.decorators:
                    break
                for method, kinds in sorted(classes.members.get((provider_path, provider.qualname), {}).items()):
                    if method in asked or method in own:
                        continue
                    asked.add(method)  # nearer classes win: a farther definition of the same name is never asked
                    if kinds != ["function"] or provider_path == path or whole.bare[provider.name] != 1:
                        continue
                    if _bound_between(classes, chain, provider, method):
                        continue
                    fact = Fact("inherited_method", path, f"{d.qualname}.{method}", "ClassDef", provider.name,
                                provider.name, provider.name_span, "class")
                    name_file = target_scope(Fact("base_classes", path, d.qualname, "ClassDef", "", "",
                                                  d.name_span, "class"), whole, names[path])
                    if name_file is None:
                        continue
                    start = context.file_starts[provider_path] + provider.name_span.start
                    out.append(Candidate(fact, name_file, start, start + len(provider.name), start / len(context.text),
                                         text.inherited_method(method)))
    return out


def provider_of(classes: ClassChains, path: str, class_name: str, method: str) -> Definition | None:
    """The class that provides `method` to the module-level class `class_name` of `path` by the rule above, or None."""
    d = classes.one_class(path, class_name)
    if d is None or method in classes.members.get((path, d.qualname), {}):
        return None
    for base_path, base in classes.chain(path, d):
        kinds = classes.members.get((base_path, base.qualname), {}).get(method)
        if kinds is not None:
            return base if kinds == ["function"] else None
    return None


def definer_count(paths, parsed: dict[str, ParsedModule], method: str) -> int:
    """How many classes of the files define `method` by the `method_definer_count` rule."""
    definers, _ = _definers(paths, parsed)
    return len(definers.get(method, ()))


def _bound_between(classes: ClassChains, chain, provider: Definition, method: str) -> bool:
    """Whether a class nearer than the provider binds the name in any way (then the nearest one was asked)."""
    for path, d in chain:
        if d is provider:
            return False
        if method in classes.members.get((path, d.qualname), {}):
            return True
    return False


def _definers(paths, parsed: dict[str, ParsedModule]) -> tuple[dict[str, list[tuple[str, str, Definition]]], set[str]]:
    """Method name -> the classes defining it (path, class qualname, first def), and the names class bodies assign."""
    definers: dict[str, dict[tuple[str, str], Definition]] = defaultdict(dict)
    assigned: set[str] = set()
    for path in paths:
        twice = Counter(d.qualname for d in parsed[path].definitions if d.kind == "class")
        for d in parsed[path].definitions:
            if d.kind == "function" and d.owner_class is not None and not d.in_function:
                if twice[d.owner_class] > 1:  # two class statements of one name: a count of names would differ
                    assigned.add(d.name)
                definers[d.name].setdefault((path, d.owner_class), d)
        assigned.update(a.name for a in parsed[path].assignments if not a.module_level and "." in a.qualname)
    return {m: [(p, c, d) for (p, c), d in found.items()] for m, found in definers.items()}, assigned


def method_definer_count_candidates(context: Context, parsed: dict[str, ParsedModule], previous_paths,
                                    want: int) -> list[Candidate]:
    definers, assigned = _definers(context.paths, parsed)
    before, _ = _definers(previous_paths, parsed)
    text = TextCounts(context)
    growing, steady = [], []
    for method, found in sorted(definers.items()):
        if method in assigned or not 2 <= len(found) <= MAX_DEFINERS or len({p for p, _, _ in found}) < 2:
            continue
        last_path, _, last = max(found, key=lambda item: context.file_starts[item[0]] + item[2].name_span.start)
        start = context.file_starts[last_path] + last.name_span.start
        fact = Fact("method_definer_count", last_path, method, "FunctionDef", str(len(found)), len(found),
                    last.name_span, "method")
        candidate = Candidate(fact, False, start, start + len(method), start / len(context.text),
                              text.method_definer_count(method, len(found)))
        (growing if len(found) > len(before.get(method, ())) else steady).append(candidate)
    return growing + [c for c in steady if c.distractor] if len(growing) >= want else growing + steady
