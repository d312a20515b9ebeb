"""Independent checker of a built dataset folder: one reading per question, answers, budgets, traces, drift.

It implements /work/notes/checker_spec.md from the dataset files alone (pyarrow to read parquet, bpe_openai to
count tokens, plain `ast` through `source_facts`) and imports nothing from `cpython_retrieval`, so a fault in the
generator cannot hide behind the same fault in its checker.

    python -m tests.checks.dataset_checker DIR [--old-lib PATH] [--new-lib PATH] [--parser-python PATH]

prints the report and exits 1 on any failure (2 on unusable input).
"""

from __future__ import annotations

import argparse
import builtins
import itertools
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .parsing import Parser, sha
from .source_facts import Binding, FileFacts, identifiers

TOKENIZERS = ("o200k_base", "cl100k_base")
NEW_TYPES = ("base_class_location", "subclass_count", "import_source", "inherited_method", "method_definer_count")
#: Names every file may read without binding them.
BUILTIN_NAMES = frozenset(dir(builtins))
# Library modules of a release's Lib/ (for a "moved" drift row): test suites, IDLE, installed packages and
# build-generated config files are not library modules. lib2to3 is kept (stricter: more files that may define S).
NOT_LIBRARY_DIRS = {"test", "tests", "idle_test", "idlelib", "site-packages", "__pycache__"}

_KIND = r"(?P<kind>module-level function|method|class)"
_SYM = r"`(?P<s>[^`]+)`"
_WHERE = r"(?: defined in `(?P<p>[^`]+)`)?"
_TAIL = r" Answer with .*"
QUESTION_PATTERNS = {
    "return_annotation": rf"What is the return annotation of the {_KIND} {_SYM}{_WHERE}\?{_TAIL}",
    "decorators": rf"Which decorators are applied to the {_KIND} {_SYM}{_WHERE}, from top to bottom\?{_TAIL}",
    "docstring_first_line":
        rf"What is the first non-empty line of the docstring of the {_KIND} {_SYM}{_WHERE}\?{_TAIL}",
    "parameters": rf"What are the parameter names of the {_KIND} {_SYM}{_WHERE}, in order\?{_TAIL}",
    "base_classes": rf"What are the base classes of the class {_SYM}{_WHERE}, in order\?{_TAIL}",
    "class_location": rf"Which file defines the class {_SYM}\?{_TAIL}",
    "absent_symbol": rf"Which file defines the class {_SYM}\?{_TAIL}",
    "method_owner": rf"In `(?P<p>[^`]+)`, which class defines the method {_SYM}\?{_TAIL}",
    "module_function_count":
        rf"How many functions are defined directly in the module body of `(?P<p>[^`]+)` \(.*\)\?{_TAIL}",
    "base_class_location": rf"Which file defines the first base class of the class {_SYM}{_WHERE}\?{_TAIL}",
    "subclass_count": rf"How many classes in the context list {_SYM} among their bases\?(?: .*?)?{_TAIL}",
    "import_source": rf"Which file defines the name {_SYM} that `(?P<p>[^`]+)` imports\?{_TAIL}",
    "inherited_method": rf"{_SYM} is inherited: the class{_WHERE} does not define the method itself\. Which class "
                        rf"provides it, following the class's bases\?{_TAIL}",
    "method_definer_count": rf"How many classes in the context define a method named {_SYM}\?(?: .*?)?{_TAIL}",
}
# The spec's method_owner rule: the one match is a function in a class body, where `if`/`try`/... blocks inside
# the class body are transparent, as at module level (`if __debug__: def _mesg` in imaplib's IMAP4 is a method of
# IMAP4). True reads it strictly: the `def` must be an item of the class's own body.
METHOD_OWNER_DEF_DIRECTLY_IN_CLASS_BODY = False
# question types whose answer is one fact of a named definition
DEFINITION_FACTS = ("return_annotation", "decorators", "docstring_first_line", "parameters", "base_classes")


# ----------------------------------------------------------------------------------------------------- report

@dataclass
class Failure:
    check: str  # which check failed (see Report.counts)
    item: str  # row id, or context id for context checks
    reason: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.item}: {self.reason}"


@dataclass
class Report:
    folder: str
    rows_checked: int = 0
    contexts_checked: int = 0
    drift_rows: int = 0
    drift_rows_checked: int = 0
    drift_not_checked: str | None = None  # why drift rows were not checked
    new_type_rows_checked: int = 0
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    drift_ids: set[str] = field(default_factory=set, repr=False)
    new_type_ids: set[str] = field(default_factory=set, repr=False)

    def _items(self, *checks: str) -> int:
        return len({f.item for f in self.failures if f.check in checks})

    @property
    def ambiguous_targets(self) -> int:
        """Rows whose target matches more than one binding in scope (or whose premise has a second reading)."""
        return self._items("ambiguous_target")

    @property
    def wrong_answers(self) -> int:
        """Rows whose answer differs from the re-derivation, or cannot be re-derived at all."""
        return self._items("wrong_answer")

    @property
    def contexts_over_budget(self) -> int:
        return self._items("over_budget")

    @property
    def dangling_references(self) -> int:
        """Perturbed contexts naming a definition their perturbation removed."""
        return self._items("dangling_reference")

    @property
    def unbound_name_rows(self) -> int:
        """Perturbed rows whose file's edit brought in a name the file does not bind."""
        return self._items("unbound_name")

    @property
    def drift_rows_failed(self) -> int:
        return len({f.item for f in self.failures if f.item in self.drift_ids})

    @property
    def new_type_rows_failed(self) -> int:
        return len({f.item for f in self.failures if f.item in self.new_type_ids})

    def counts(self) -> dict:
        other = sorted({f.check for f in self.failures} - {
            "ambiguous_target", "wrong_answer", "over_budget", "dangling_reference", "unbound_name"})
        return {
            "rows_checked": self.rows_checked,
            "ambiguous_targets": self.ambiguous_targets,
            "wrong_answers": self.wrong_answers,
            "contexts_checked": self.contexts_checked,
            "contexts_over_budget": self.contexts_over_budget,
            "dangling_references": self.dangling_references,
            "unbound_name_rows": self.unbound_name_rows,
            "drift_rows": self.drift_rows,
            "drift_rows_checked": self.drift_rows_checked,
            "drift_rows_failed": self.drift_rows_failed,
            "drift_not_checked": self.drift_not_checked,
            "new_type_rows_checked": self.new_type_rows_checked,
            "new_type_rows_failed": self.new_type_rows_failed,
            **{f"{check}_failures": self._items(check) for check in other},
            "failures": len(self.failures),
        }

    @property
    def ok(self) -> bool:
        return not self.failures

    def render(self) -> str:
        lines = [f"dataset: {self.folder}"]
        lines += [f"  {key}: {value}" for key, value in self.counts().items()]
        lines += [f"  note: {note}" for note in self.notes]
        lines += [f"FAIL {failure}" for failure in self.failures]
        lines.append("OK" if self.ok else f"{len(self.failures)} failure(s)")
        return "\n".join(lines)


# ----------------------------------------------------------------------------------------------- contexts

class FormatError(ValueError):
    pass


def split_context(text: str, files: list[str]) -> list[tuple[str, str, str]]:
    """(display path, file text, whole segment) per file, in order, checked against the `files` list."""
    segments = []
    pos = 0
    for i, path in enumerate(files):
        header = f"# ===== File: {path} =====\n"
        if not text.startswith(header, pos):
            raise FormatError(f"expected the header of {path} at offset {pos}")
        if i + 1 < len(files):
            end = text.find(f"\n# ===== File: {files[i + 1]} =====\n", pos + len(header))
            if end < 0:
                raise FormatError(f"no header for {files[i + 1]} after {path}")
            end += 1
        else:
            end = len(text)
        segment = text[pos:end]
        if not segment.endswith("\n\n") and segment != header + "\n":
            raise FormatError(f"segment of {path} does not end with the file's newline plus a blank line")
        segments.append((path, segment[len(header):-1], segment))
        pos = end
    if pos != len(text):
        raise FormatError("text after the last file")
    headers = re.findall(r"^# ===== File: \S+ =====$", text, re.MULTILINE)
    if len(headers) != len(files):
        raise FormatError(f"{len(headers)} header lines for {len(files)} files")
    return segments


@dataclass
class Located:
    path: str
    b: Binding


class ContextView:
    """One context's files, their bindings and indexes for the spec's matching rules."""

    def __init__(self, context_id: str, text: str, segments: list[tuple[str, str, str]], parser: Parser):
        self.context_id = context_id
        self.text = text
        self.texts = {path: file_text for path, file_text, _ in segments}
        self.order = [path for path, _, _ in segments]
        self.facts: dict[str, FileFacts] = {}
        self.unparsed: dict[str, str] = {}
        parser.parse_all(list(self.texts.values()))
        for path, file_text in self.texts.items():
            found = parser.facts(file_text)
            if isinstance(found, str):
                self.unparsed[path] = found
            else:
                self.facts[path] = found
        self.by_suffix: dict[str, list[Located]] = defaultdict(list)
        self.by_name: dict[str, list[Located]] = defaultdict(list)
        self.module_level: dict[str, list[Located]] = defaultdict(list)
        self.classes: list[Located] = []
        for path in self.order:
            for b in self.facts[path].bindings if path in self.facts else []:
                located = Located(path, b)
                parts = b.reader.split(".")
                for i in range(len(parts)):
                    self.by_suffix[".".join(parts[i:])].append(located)
                self.by_name[b.name].append(located)
                if b.module_level:
                    self.module_level[b.name].append(located)
                if b.kind == "class":
                    self.classes.append(located)
        self._words: set[str] | None = None

    @property
    def words(self) -> set[str]:
        if self._words is None:
            self._words = identifiers(self.text)
        return self._words

    def files_naming(self, name: str) -> str:
        """The files where `name` occurs as an identifier word, for a failure's reason."""
        places = [p for p in self.order if name in identifiers(self.texts[p])]
        return ", ".join(places[:5]) + (f" (+{len(places) - 5} files)" if len(places) > 5 else "")


# --------------------------------------------------------------------------------------------- row checks

class RowFault(Exception):
    def __init__(self, check: str, reason: str):
        super().__init__(reason)
        self.check = check
        self.reason = reason


def _where(matches: list[Located], path: str | None) -> list[Located]:
    return [m for m in matches if path is None or m.path == path]


def _describe(matches: list[Located]) -> str:
    return "; ".join(f"{m.b.kind} {m.b.reader} in {m.path}" for m in matches[:6]) + (
        f"; ... ({len(matches)} in all)" if len(matches) > 6 else "")


def _one(matches: list[Located], what: str) -> Located:
    if len(matches) > 1:
        raise RowFault("ambiguous_target", f"{what} matches {len(matches)} bindings: {_describe(matches)}")
    if not matches:
        raise RowFault("wrong_answer", f"{what} matches no binding")
    return matches[0]


def target_matches(view: ContextView, kind: str, symbol: str, path: str | None) -> list[Located]:
    if kind == "module-level function":
        return _where(view.module_level.get(symbol, []), path)
    return _where(view.by_suffix.get(symbol, []), path)


def check_kind(match: Located, kind: str) -> None:
    b = match.b
    ok = {"module-level function": b.kind == "function" and b.module_level,
          "method": b.kind == "function" and b.in_class,
          "class": b.kind == "class"}[kind]
    if not ok:
        where = "module level" if b.module_level else ("a class body" if b.in_class else "a function")
        raise RowFault("wrong_answer", f"the one match of the {kind} is a {b.kind} `{b.reader}` in {where} "
                                       f"of {match.path}")


def _method_of_class(b: Binding) -> bool:
    return b.directly_in_class if METHOD_OWNER_DEF_DIRECTLY_IN_CLASS_BODY else b.in_class


def definition_fact(b: Binding, question_type: str) -> str | None:
    """The fact a definition states, or None when it states none (no annotation, decorator, docstring, ...)."""
    if question_type == "return_annotation":
        return b.returns
    if question_type == "decorators":
        return "\n".join(b.decorators) or None
    if question_type == "docstring_first_line":
        return b.docstring_first_line
    if question_type == "parameters":
        return ", ".join(b.parameters or []) or None
    if question_type == "base_classes":
        return ", ".join(b.bases + b.keywords) or None
    raise ValueError(question_type)


def parse_question(row: dict) -> re.Match:
    qtype = row["question_type"]
    pattern = QUESTION_PATTERNS.get(qtype)
    if pattern is None:
        raise RowFault("question_wording", f"unknown question type {qtype!r}")
    found = re.fullmatch(pattern, row["question"], re.DOTALL)
    if found is None:
        raise RowFault("question_wording", f"question does not follow the {qtype} wording: {row['question'][:120]!r}")
    return found


@dataclass
class Derivation:
    answer: str
    path: str | None = None  # the file the fact is read from
    binding: Binding | None = None  # the target definition, when there is one


def _file_in_context(view: ContextView, path: str | None) -> None:
    if path is not None and path not in view.texts:
        raise RowFault("wrong_answer", f"the question names {path}, which is not in the context")
    if path is not None and path in view.unparsed:
        raise RowFault("unparsed_file", f"{path}: {view.unparsed[path]}")


def derive(row: dict, view: ContextView) -> Derivation:
    """Re-derive a row's answer from its context alone, enforcing the one-reading rule on the way."""
    q = parse_question(row)
    qtype = row["question_type"]
    groups = q.groupdict()
    symbol, path = groups.get("s"), groups.get("p")
    if symbol is not None and qtype != "subclass_count" and symbol != row["symbol"]:
        raise RowFault("metadata", f"the question names `{symbol}` but the row's symbol is {row['symbol']!r}")
    _file_in_context(view, path)
    if view.unparsed and path is None:
        raise RowFault("unparsed_file", "the context has files no interpreter here parses: "
                       + "; ".join(f"{p}: {why}" for p, why in view.unparsed.items()))

    if qtype in DEFINITION_FACTS:
        kind = groups.get("kind") or "class"
        match = _one(target_matches(view, kind, symbol, path), f"the {kind} `{symbol}`"
                     + (f" in {path}" if path else " in the context"))
        check_kind(match, kind)
        fact = definition_fact(match.b, qtype)
        if fact is None:
            raise RowFault("wrong_answer", f"{match.b.reader} in {match.path} states no {qtype}")
        return Derivation(fact, match.path, match.b)

    if qtype == "class_location":
        match = _one(view.by_name.get(symbol, []), f"the name `{symbol}` in the context")
        if not (match.b.kind == "class" and match.b.module_level):
            raise RowFault("wrong_answer", f"the one binding of `{symbol}` is not a module-level class: "
                                           f"{_describe([match])}")
        return Derivation(match.path, match.path, match.b)

    if qtype == "absent_symbol":
        if symbol in view.words:
            raise RowFault("wrong_answer", f"`{symbol}` occurs in the context as an identifier "
                                           f"(in {view.files_naming(symbol)})")
        return Derivation("NOT PRESENT")

    if qtype == "method_owner":
        match = _one(_where(view.by_name.get(symbol, []), path), f"the name `{symbol}` in {path}")
        if not (match.b.kind == "function" and _method_of_class(match.b)):
            raise RowFault("wrong_answer", f"the one binding of `{symbol}` in {path} is not a function directly in "
                                           f"a class body: {_describe([match])}")
        return Derivation(match.b.owner, path, match.b)

    if qtype == "module_function_count":
        if path not in view.facts:
            raise RowFault("wrong_answer", f"{path} is not a parsed file of the context")
        return Derivation(str(view.facts[path].module_function_count), path)

    if qtype == "base_class_location":
        match = _one(target_matches(view, "class", symbol, path), f"the class `{symbol}`"
                     + (f" in {path}" if path else " in the context"))
        check_kind(match, "class")
        base = match.b.first_base_name
        if base is None:
            first = match.b.bases[0] if match.b.bases else None
            raise RowFault("wrong_answer", f"{match.b.reader}'s first positional base is "
                           + (f"`{first}`, not a name or attribute chain" if first else "missing"))
        found = _one(view.by_name.get(base, []), f"the base name `{base}` of {match.b.reader} in the context")
        if not (found.b.kind == "class" and found.b.module_level):
            raise RowFault("wrong_answer", f"the one binding of the base name `{base}` is not a module-level class: "
                                           f"{_describe([found])}")
        if found.path == match.path:
            raise RowFault("wrong_answer", f"the base `{base}` is defined in {found.path}, the same file as "
                                           f"{match.b.reader}")
        return Derivation(found.path, match.path, match.b)

    if qtype == "subclass_count":
        written = [f"{c.b.reader} in {c.path}" for c in view.classes
                   for tail, attr in zip(c.b.attribute_base_tails, c.b.attribute_base_attrs, strict=True)
                   if (attr == symbol if "." not in symbol else tail.endswith("." + symbol))]
        if written:
            raise RowFault("ambiguous_target", f"positional bases written `x.{symbol}` also exist: "
                                               + "; ".join(written[:6]) + (f" ({len(written)} in all)"
                                                                         if len(written) > 6 else ""))
        return Derivation(str(sum(symbol in c.b.bases for c in view.classes)))

    if qtype == "import_source":
        return derive_import_source(view, symbol, path)

    if qtype == "inherited_method":
        return derive_inherited_method(view, symbol, path)

    if qtype == "method_definer_count":
        return derive_method_definer_count(view, symbol)

    raise RowFault("question_wording", f"unknown question type {qtype!r}")


# ------------------------------------------------------------------------------------ cross-file questions

def _binds(imp: dict) -> str:
    """The name an import binds: `as` name, the imported name, or the first part of `import a.b`."""
    return imp["asname"] or imp["name"] or imp["module"].split(".")[0]


def _from_module(imp: dict, path: str) -> str | None:
    """The absolute module of a `from` import, resolved against the importing file's package for relative ones."""
    if not imp["level"]:
        return imp["module"]
    package = path.removeprefix("Lib/").split("/")[:-1]
    if imp["level"] - 1 > len(package):
        return None
    return ".".join(package[:len(package) - imp["level"] + 1] + ([imp["module"]] if imp["module"] else [])) or None


def _module_file(view: ContextView, module: str | None, what: str) -> str:
    """The one context file a module lives in (`a/b.py` or `a/b/__init__.py`)."""
    if not module:
        raise RowFault("wrong_answer", f"{what}: the import names no module")
    stem = "Lib/" + module.replace(".", "/")
    files = [p for p in (stem + ".py", stem + "/__init__.py") if p in view.texts]
    if len(files) != 1:
        raise RowFault("wrong_answer" if not files else "ambiguous_target",
                       f"{what}: module {module} is {len(files)} files of the context")
    return files[0]


def _one_module_definition(view: ContextView, path: str, name: str, kinds: tuple[str, ...], what: str) -> Binding:
    """The one binding of `name` in the file, which must be a module-level definition of one of `kinds` and not
    also bound by an import."""
    facts = view.facts.get(path)
    if facts is None:
        raise RowFault("unparsed_file", f"{path}: {view.unparsed.get(path)}")
    found = [b for b in facts.bindings if b.name == name]
    if len(found) != 1 or not (found[0].module_level and found[0].kind in kinds):
        raise RowFault("ambiguous_target" if len(found) > 1 else "wrong_answer",
                       f"{what}: `{name}` has {len(found)} bindings in {path}, not one module-level {'/'.join(kinds)}")
    if any(_binds(i) == name for i in facts.imports):
        raise RowFault("ambiguous_target", f"{what}: {path} also imports a `{name}`")
    return found[0]


def derive_import_source(view: ContextView, name: str, path: str) -> Derivation:
    facts = view.facts[path]
    binders = [i for i in facts.imports if _binds(i) == name or i["name"] == name]
    if len(binders) != 1 or binders[0]["name"] != name or binders[0]["asname"]:
        raise RowFault("ambiguous_target" if len(binders) > 1 else "wrong_answer",
                       f"{path} has {len(binders)} imports of `{name}`, not one `from M import {name}`")
    if any(b.name == name for b in facts.bindings):
        raise RowFault("ambiguous_target", f"{path} also binds `{name}` itself")
    home = _module_file(view, _from_module(binders[0], path), f"the import of `{name}` in {path}")
    _one_module_definition(view, home, name, ("class", "function"), f"the import of `{name}` in {path}")
    return Derivation(home, path)


def _class_named(view: ContextView, path: str, name: str, what: str) -> Located:
    return Located(path, _one_module_definition(view, path, name, ("class",), what))


def _resolve_base(view: ContextView, cls: Located) -> Located:
    """The class of the context that a class's one positional base names, by its file's own bindings and imports."""
    b = cls.b
    if len(b.bases) != 1 or b.first_base_name is None:
        raise RowFault("wrong_answer", f"{b.reader} in {cls.path} has bases {b.bases}: not one name or attribute chain")
    parts = [part.strip() for part in b.bases[0].split(".")]
    what = f"the base `{b.bases[0]}` of {b.reader} in {cls.path}"
    facts = view.facts[cls.path]
    own = [x for x in facts.bindings if x.name == parts[0]]
    if len(parts) == 1 and len(own) == 1 and own[0].kind == "class" and own[0].module_level \
            and not any(_binds(i) == parts[0] for i in facts.imports):
        return Located(cls.path, own[0])
    binders = [i for i in facts.imports if _binds(i) == parts[0]]
    if len(binders) != 1 or own:
        raise RowFault("wrong_answer", f"{what}: `{parts[0]}` is bound {len(binders)} times by imports and "
                                       f"{len(own)} times otherwise in {cls.path}")
    imp = binders[0]
    if len(parts) == 1:
        if imp["name"] != parts[0]:
            raise RowFault("wrong_answer", f"{what}: imported under another name")
        module = _from_module(imp, cls.path)
    else:
        if imp["name"] is None:
            root = imp["module"] if imp["asname"] else parts[0]
        elif imp["name"] != "*":
            package = _from_module(imp, cls.path)
            root = f"{package}.{imp['name']}" if package else None
        else:
            root = None
        module = ".".join([root, *parts[1:-1]]) if root else None
    return _class_named(view, _module_file(view, module, what), parts[-1], what)


def derive_inherited_method(view: ContextView, symbol: str, path: str | None) -> Derivation:
    class_name, _, method = symbol.rpartition(".")
    match = _one(target_matches(view, "class", class_name, path), f"the class `{class_name}`"
                 + (f" in {path}" if path else " in the context"))
    check_kind(match, "class")
    if not match.b.module_level:
        raise RowFault("wrong_answer", f"{match.b.reader} in {match.path} is not a module-level class")

    def members(cls: Located) -> list[Binding]:
        return [x for x in view.facts[cls.path].bindings
                if x.in_class and not x.in_function and x.owner == cls.b.reader and x.name == method]

    if members(match):
        raise RowFault("wrong_answer", f"{match.b.reader} binds `{method}` itself")
    seen = {(match.path, match.b.reader)}
    current = match
    while True:
        if current.b.decorators:
            raise RowFault("ambiguous_target", f"{current.b.reader} in {current.path} has class decorators "
                                               f"({', '.join(current.b.decorators)}), which can add methods")
        current = _resolve_base(view, current)
        if (current.path, current.b.reader) in seen:
            raise RowFault("wrong_answer", f"the bases of {match.b.reader} loop back to {current.b.reader}")
        seen.add((current.path, current.b.reader))
        found = members(current)
        if not found:
            continue
        if len(found) != 1 or found[0].kind != "function":
            raise RowFault("ambiguous_target", f"{current.b.reader} in {current.path} binds `{method}` "
                                               f"{len(found)} times, not as one method")
        if current.b.decorators:
            raise RowFault("ambiguous_target", f"the provider {current.b.reader} has class decorators")
        break
    if current.path == match.path:
        raise RowFault("wrong_answer", f"the provider {current.b.reader} is in the same file as {match.b.reader}")
    if len(view.by_name.get(current.b.name, [])) != 1:
        raise RowFault("ambiguous_target", f"the provider's name `{current.b.name}` has "
                                           f"{len(view.by_name[current.b.name])} bindings in the context")
    return Derivation(current.b.name, match.path, match.b)


def derive_method_definer_count(view: ContextView, method: str) -> Derivation:
    count = 0
    for path in view.order:
        bindings = view.facts[path].bindings
        methods = {x.owner for x in bindings if x.name == method and x.kind == "function" and x.in_class
                   and not x.in_function}
        assigned = [x for x in bindings if x.name == method and x.kind == "assignment" and x.in_class]
        if assigned:
            raise RowFault("ambiguous_target", f"a class body in {path} binds `{method}` by assignment "
                                               f"({assigned[0].reader})")
        count += sum(1 for x in bindings if x.kind == "class" and not x.in_function and x.reader in methods)
    return Derivation(str(count))


def answer_in_question(row: dict) -> bool:
    """Whether the answer shows in the question's own words (before " Answer with "), as a whole word or path."""
    body = row["question"].split(" Answer with ", 1)[0]
    return re.search(rf"(?<![\w]){re.escape(row['answer'])}(?![\w])", body) is not None


def whitespace_only_drift(row: dict, old_binding: Binding | None, new_binding: Binding | None) -> bool:
    """A `changed` drift row whose two values read the same once whitespace is normalised (docstrings: the first
    paragraph with its whitespace collapsed, so a re-wrapped docstring is no drift)."""
    if row["question_type"] == "docstring_first_line" and old_binding is not None and new_binding is not None:
        return old_binding.docstring_paragraph == new_binding.docstring_paragraph
    return re.sub(r"\s+", "", row["stale_answer"] or "") == re.sub(r"\s+", "", row["answer"])


# ------------------------------------------------------------------------------------------------- drift

def lib_root(path: str | Path) -> Path:
    root = Path(path)
    return root / "Lib" if (root / "Lib").is_dir() else root


def read_source(root: Path, display_path: str) -> str | None:
    """A release file by its display path `Lib/...`, as text (None when the release has no such file)."""
    relative = display_path.removeprefix("Lib/")
    file = root / relative
    if not file.is_file():
        return None
    raw = file.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        import io
        import tokenize
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        return raw.decode(encoding)


class Release:
    """A release's Lib/, read on demand."""

    def __init__(self, path: str | Path, parser: Parser):
        self.root = lib_root(path)
        self.parser = parser
        self._classes: dict[str, list[str]] | None = None

    def facts(self, display_path: str) -> FileFacts | None:
        text = read_source(self.root, display_path)
        if text is None:
            return None
        found = self.parser.facts(text)
        if isinstance(found, str):
            raise RowFault("unparsed_file", f"{display_path} of {self.root}: {found}")
        return found

    def text(self, display_path: str) -> str | None:
        return read_source(self.root, display_path)

    def module_classes(self) -> dict[str, list[str]]:
        """Module-level class name -> display paths of the library modules defining it."""
        if self._classes is None:
            paths = []
            for file in sorted(self.root.rglob("*.py")):
                parts = file.relative_to(self.root).parts
                if set(parts[:-1]) & NOT_LIBRARY_DIRS or parts[0].startswith("config-") \
                        or parts[-1].startswith("_sysconfigdata"):
                    continue
                paths.append("Lib/" + "/".join(parts))
            texts = {p: read_source(self.root, p) for p in paths}
            self.parser.parse_all(list(texts.values()))
            self._classes = defaultdict(list)
            for p, text in texts.items():
                found = self.parser.facts(text)
                if isinstance(found, str):
                    raise RowFault("unparsed_file", f"{p} of {self.root}: {found}")
                for b in found.bindings:
                    if b.kind == "class" and b.module_level:
                        self._classes[b.name].append(p)
        return self._classes


def fact_in_file(facts: FileFacts, row: dict, derivation: Derivation) -> str | None:
    """The row's fact as one release's file at the same path states it, for the same qualified name."""
    qtype = row["question_type"]
    if qtype == "module_function_count":
        return str(facts.module_function_count)
    if qtype == "method_owner":
        same = [b for b in facts.bindings if b.name == row["symbol"]]
        if len(same) != 1:
            raise RowFault("drift", f"`{row['symbol']}` is bound {len(same)} times in the file")
        if not (same[0].kind == "function" and _method_of_class(same[0])):
            raise RowFault("drift", f"`{row['symbol']}` is not a method directly in a class body")
        return same[0].owner
    if qtype in DEFINITION_FACTS:
        target = derivation.binding
        same = [b for b in facts.bindings if b.reader == target.reader and b.kind == target.kind]
        if len(same) != 1:
            raise RowFault("drift", f"the {target.kind} `{target.reader}` is defined {len(same)} times in the file")
        return definition_fact(same[0], qtype)
    raise RowFault("drift", f"the spec defines no drift rule for {qtype}")


def check_drift(row: dict, derivation: Derivation, view: ContextView, old: Release, new: Release,
                original_context: str | None) -> None:
    """Raise RowFault("drift", ...) unless the row's answer and stale answer are the two releases' facts."""
    kind, stale, answer = row.get("drift_kind"), row.get("stale_answer"), row["answer"]
    if row["context_id"] != original_context:
        raise RowFault("drift", f"asked on {row['context_id']}, not the tier's original context {original_context}")
    if stale == answer:
        raise RowFault("drift", f"stale_answer equals the answer {answer!r}")
    qtype = row["question_type"]
    path = derivation.path
    if qtype == "class_location":
        if kind != "moved":
            raise RowFault("drift", f"a class_location drift row must be 'moved', not {kind!r}")
        new_facts = new.facts(path)
        here = [b for b in new_facts.bindings if b.name == row["symbol"]] if new_facts else []
        if not any(b.kind == "class" and b.module_level for b in here):
            raise RowFault("drift", f"the newer release's {path} defines no module-level class {row['symbol']}")
        older = old.module_classes().get(row["symbol"], [])
        if len(older) != 1:
            raise RowFault("drift", f"the older release defines a module-level class {row['symbol']} in "
                                    f"{len(older)} files ({', '.join(older[:5])}), not exactly one")
        if older[0] == path:
            raise RowFault("drift", f"the older release defines {row['symbol']} in the same file {path}")
        if stale != older[0]:
            raise RowFault("drift", f"stale_answer {stale!r}, but the older release defines {row['symbol']} "
                                    f"in {older[0]}")
        return
    if kind not in ("changed", "added"):
        raise RowFault("drift", f"drift_kind {kind!r} is not 'changed' or 'added' for {qtype}")
    if new.text(path) != view.texts.get(path):
        raise RowFault("drift", f"the newer release's {path} differs from the context's copy (wrong --new-lib?)")
    new_fact = fact_in_file(new.facts(path), row, derivation)
    if new_fact != answer:
        raise RowFault("drift", f"the newer release's {path} states {new_fact!r}, the answer is {answer!r}")
    old_facts = old.facts(path)
    if old_facts is None:
        raise RowFault("drift", f"the older release has no {path}")
    old_fact = fact_in_file(old_facts, row, derivation)
    if kind == "added":
        if stale is not None:
            raise RowFault("drift", f"an 'added' row must have a null stale_answer, has {stale!r}")
        if old_fact is not None:
            raise RowFault("drift", f"'added', but the older release's {path} states {old_fact!r}")
    else:
        if old_fact is None:
            raise RowFault("drift", f"'changed', but the older release's {path} states no {qtype} "
                                    "(should be 'added' with a null stale_answer)")
        if stale != old_fact:
            raise RowFault("drift", f"stale_answer {stale!r}, but the older release's {path} states {old_fact!r}")
        target = derivation.binding
        pair = [None, None]
        if target is not None:
            for i, facts in enumerate((old_facts, new.facts(path))):
                same = [b for b in facts.bindings if b.reader == target.reader and b.kind == target.kind]
                pair[i] = same[0] if len(same) == 1 else None
        if whitespace_only_drift(row, *pair):
            raise RowFault("whitespace_drift", f"{stale!r} and {answer!r} differ only in whitespace or wrapping")


# ------------------------------------------------------------------------------------------- whole folder

def _tier_size(tier: str) -> int:
    if not re.fullmatch(r"T\d+", tier or ""):
        raise FormatError(f"tier name {tier!r} is not T<thousands>")
    return int(tier[1:])


class _TokenCounter:
    """Tokens of one file segment, counted once per distinct segment (tiers repeat the smaller tiers' files)."""

    def __init__(self):
        self._encodings = {}
        self._counts: dict[tuple[str, str], int] = {}

    def count(self, name: str, segment: str) -> int:
        if name not in self._encodings:
            import bpe_openai
            self._encodings[name] = bpe_openai.get_encoding(name)
        key = (name, sha(segment))
        if key not in self._counts:
            self._counts[key] = len(self._encodings[name].encode_ordinary(segment))
        return self._counts[key]


def _read_rows(folder: Path) -> tuple[list[dict], list[dict]]:
    import pyarrow.parquet as pq
    data = folder / "data"
    if not (data / "contexts.parquet").is_file():
        raise FormatError(f"{folder} has no data/contexts.parquet: pass a folder written by "
                          "`cpython-retrieval build --out DIR`")
    contexts = pq.read_table(data / "contexts.parquet").to_pylist()
    rows = []
    for file in sorted(data.glob("*.parquet")):
        if file.name != "contexts.parquet":
            rows += [dict(r, _file=file.stem) for r in pq.read_table(file).to_pylist()]
    return rows, contexts


def check_context_text(report: Report, ctx: dict, segments, counter: _TokenCounter) -> None:
    cid, tier = ctx["context_id"], ctx["tier"]
    budget = _tier_size(tier) * 1000
    tokenizer = ctx.get("tokenizer") or "o200k_base"
    if tokenizer not in TOKENIZERS:
        report.failures.append(Failure("over_budget", cid, f"tokenizer {tokenizer!r} cannot be counted here "
                                                           f"(bpe_openai has {', '.join(TOKENIZERS)})"))
        return
    counted = sum(counter.count(tokenizer, segment) for _, _, segment in segments)
    if counted > budget:
        report.failures.append(Failure("over_budget", cid, f"{counted} {tokenizer} tokens > {budget} for {tier}"))
    if counted != ctx.get("context_tokens"):
        report.failures.append(Failure("token_count", cid, f"context_tokens says {ctx.get('context_tokens')}, "
                                                           f"counted {counted} ({tokenizer}, per file segment)"))


def check_dangling(report: Report, perturbed: ContextView, original: ContextView) -> None:
    for path in perturbed.order:
        if path not in original.texts or perturbed.texts[path] == original.texts[path]:
            continue
        if path not in perturbed.facts or path not in original.facts:
            continue  # reported as unparsed
        before = {b.name for b in original.facts[path].bindings if b.kind != "assignment"}
        after = {b.name for b in perturbed.facts[path].bindings if b.kind != "assignment"}
        for name in sorted(before - after):
            if name in perturbed.words:
                report.failures.append(Failure(
                    "dangling_reference", perturbed.context_id,
                    f"`{name}`, defined in the original {path} but not in the perturbed one, still occurs in "
                    f"{perturbed.files_naming(name)}"))


def unbound_signature_names(facts: FileFacts) -> set[str]:
    """Names the file's decorators, bases and annotations read that the file does not bind and are not builtins."""
    return set(facts.signature_names) - set(facts.bound_names) - BUILTIN_NAMES


def introduced_names(perturbed: ContextView, original: ContextView) -> dict[str, set[str]]:
    """Per perturbed file (one that differs from the same tier's original file): the unbound names its decorators,
    bases and annotations read that the original file's did not, i.e. names the edit brought in."""
    out = {}
    for path in perturbed.order:
        if path not in original.texts or perturbed.texts[path] == original.texts[path]:
            continue
        if path in perturbed.facts and path in original.facts:
            new = unbound_signature_names(perturbed.facts[path]) - unbound_signature_names(original.facts[path])
            if new:
                out[path] = new
    return out


def ladder_of_contexts(folder: Path) -> tuple[dict[str, int], dict[int, int]]:
    """(context id -> ladder, ladder -> seed) as the manifest declares them (`tiers.<T>.ladders`); a one-ladder
    dataset declares none, and every context is ladder 0. The checks below then verify what is declared."""
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    ladder: dict[str, int] = {}
    seeds: dict[int, int] = {}
    for info in (manifest.get("tiers") or {}).values():
        for k, entry in enumerate(info.get("ladders") or []):
            for key in ("context_id", "perturbed_context_id"):
                if entry.get(key):
                    ladder[entry[key]] = k
            seeds[k] = entry.get("seed")
    return ladder, seeds


def check_prefixes(report: Report, contexts: list[dict], ladder: dict[str, int]) -> None:
    """Within one ladder, each variant's context of a tier starts with that of the tier below."""
    groups: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for ctx in contexts:
        groups[(ladder.get(ctx["context_id"], 0), ctx["variant"])].append(ctx)
    for (k, variant), group in sorted(groups.items()):
        group.sort(key=lambda c: _tier_size(c["tier"]))
        for smaller, larger in itertools.pairwise(group):
            if not larger["text"].startswith(smaller["text"]):
                report.failures.append(Failure("prefix", larger["context_id"],
                                               f"does not start with the {variant} {smaller['tier']} context of "
                                               f"ladder {k}"))


def check_dataset(folder: str | Path, *, old_lib: str | Path | None = None, new_lib: str | Path | None = None,
                  parser_pythons: list[str] | None = None) -> Report:
    """Check every row and context of a dataset folder against the spec; see Report for the counts."""
    folder = Path(folder)
    report = Report(folder=str(folder))
    parser = Parser(parser_pythons)
    old = new = None
    if old_lib is not None and new_lib is not None:
        old, new = Release(old_lib, parser), Release(new_lib, parser)
        for name, release in (("--old-lib", old), ("--new-lib", new)):
            if not release.root.is_dir():
                raise FormatError(f"{name} {release.root} is not a directory: pass a release's Lib/ folder")
    else:
        report.drift_not_checked = "drift checks need both --old-lib and --new-lib"
    rows, contexts = _read_rows(folder)
    counter = _TokenCounter()

    views: dict[str, ContextView] = {}
    placement = {ctx["context_id"]: (ctx["tier"], ctx["variant"]) for ctx in contexts}
    ladder, ladder_seeds = ladder_of_contexts(folder)
    original_of_tier: dict[tuple[str, int], str] = {}  # (tier, ladder) -> its original context
    for ctx in contexts:
        cid = ctx["context_id"]
        report.contexts_checked += 1
        try:
            _tier_size(ctx["tier"])
            segments = split_context(ctx["text"], json.loads(ctx["files"]))
        except (FormatError, ValueError) as exc:
            report.failures.append(Failure("format", cid, str(exc)))
            continue
        check_context_text(report, ctx, segments, counter)
        views[cid] = ContextView(cid, ctx["text"], segments, parser)
        for path, why in views[cid].unparsed.items():
            report.failures.append(Failure("unparsed_file", cid, f"{path}: {why}"))
        if ctx["variant"] == "original":
            key = (ctx["tier"], ladder.get(cid, 0))
            if key in original_of_tier:
                report.failures.append(Failure("format", cid, f"a second original context for {ctx['tier']} in "
                                                              f"ladder {key[1]}"))
            original_of_tier[key] = cid
    if parser.read_elsewhere:
        report.notes.append(f"{len(parser.read_elsewhere)} file(s) parsed by a newer interpreter ("
                            + ", ".join(sorted(set(parser.read_elsewhere.values()))) + ")")

    check_prefixes(report, [c for c in contexts if c["context_id"] in views], ladder)
    introduced: dict[str, dict[str, set[str]]] = {}  # perturbed context id -> path -> names
    for ctx in contexts:
        if ctx["variant"] == "perturbed" and ctx["context_id"] in views:
            original = original_of_tier.get((ctx["tier"], ladder.get(ctx["context_id"], 0)))
            if original in views:
                check_dangling(report, views[ctx["context_id"]], views[original])
                introduced[ctx["context_id"]] = introduced_names(views[ctx["context_id"]], views[original])
            else:
                report.failures.append(Failure("format", ctx["context_id"], "no original context in its tier"))

    drift_rows = [r for r in rows if r.get("drift")]
    report.drift_rows = len(drift_rows)
    pins = sorted({str(r.get("stale_pin")) for r in drift_rows})
    if old is not None and len(pins) > 1:
        report.notes.append(f"drift rows name several stale pins {pins}; all were checked against {old.root}")

    seen_ids: set[str] = set()
    for row in rows:
        report.rows_checked += 1
        rid = row["id"]
        if rid in seen_ids:
            report.failures.append(Failure("format", rid, "a second row with this id"))
        seen_ids.add(rid)
        if row["tier"] != row["_file"]:
            report.failures.append(Failure("format", rid, f"a {row['tier']} row in data/{row['_file']}.parquet"))
        is_new_type = row["question_type"] in NEW_TYPES
        if is_new_type:
            report.new_type_rows_checked += 1
            report.new_type_ids.add(rid)
        if row.get("drift"):
            report.drift_ids.add(rid)
        view = views.get(row["context_id"])
        if view is None:
            report.failures.append(Failure("format", rid, f"context {row['context_id']} is missing or unreadable"))
            continue
        expected = (row["tier"], "perturbed" if row.get("perturbed") else "original")
        if placement[row["context_id"]] != expected:
            report.failures.append(Failure("format", rid, f"a {' '.join(expected)} row on {row['context_id']}"))
        row_ladder = ladder.get(row["context_id"], 0)
        if ladder_seeds and row.get("seed") != ladder_seeds.get(row_ladder):
            report.failures.append(Failure("format", rid, f"seed {row.get('seed')} on a context of ladder {row_ladder} "
                                                          f"(seed {ladder_seeds.get(row_ladder)})"))
        names = introduced.get(row["context_id"], {}).get(row["source_file"]) if row.get("perturbed") else None
        if names:
            report.failures.append(Failure("unbound_name", rid, f"the edit of {row['source_file']} brings in "
                                           f"{', '.join(sorted(names))}, which that file does not bind"))
        drift_checked = bool(row.get("drift")) and old is not None
        report.drift_rows_checked += drift_checked
        try:
            derivation = derive(row, view)
        except RowFault as fault:
            report.failures.append(Failure(fault.check, rid, fault.reason))
            continue
        if answer_in_question(row):
            report.failures.append(Failure("answer_in_question", rid, f"the answer {row['answer']!r} shows in the "
                                                                      "question's own words"))
        if derivation.answer != row["answer"]:
            report.failures.append(Failure("wrong_answer", rid, f"answer {row['answer']!r}, the context says "
                                                                f"{derivation.answer!r}"))
        if drift_checked:
            try:
                check_drift(row, derivation, view, old, new, original_of_tier.get((row["tier"], row_ladder)))
            except RowFault as fault:
                report.failures.append(Failure(fault.check, rid, fault.reason))
    return report


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m tests.checks.dataset_checker", description=__doc__.split("\n")[0])
    cli.add_argument("folder", help="a dataset folder (manifest.json, data/*.parquet)")
    cli.add_argument("--old-lib", help="the older release's Lib/ (drift rows' stale_pin)")
    cli.add_argument("--new-lib", help="the dataset pin's Lib/")
    cli.add_argument("--parser-python", action="append", default=[],
                     help="an interpreter that parses syntax this one cannot (tried before those found)")
    args = cli.parse_args(argv)
    if (args.old_lib is None) != (args.new_lib is None):
        print("error: drift checks need both --old-lib and --new-lib; pass both or neither", file=sys.stderr)
        return 2
    try:
        report = check_dataset(args.folder, old_lib=args.old_lib, new_lib=args.new_lib,
                               parser_pythons=args.parser_python)
    except FormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.render())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
