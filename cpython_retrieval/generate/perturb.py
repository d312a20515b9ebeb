"""Format-preserving libcst transforms of one file's text, for perturbation rows.

Each transform takes a file's text and the targets to change, addressed by the same qualified
names as `definitions.py` (`Outer.method`, `func.<locals>.inner`), and returns the new text. Only
the targeted nodes change; everything else (comments, blank lines, quoting, layout) is kept byte
for byte. A transform that cannot be applied safely raises `PerturbError`; the caller then tries
another target or another kind. The stdlib is never imported or executed: text in, text out.

Transforms:

- `rename`: rename a class or function (method, nested function) and every reference libcst's
  scope analysis ties to that definition (names, string annotations, `global` statements), plus the
  module's `__all__` entry for module-level names. Refused when the name is assigned more than once
  in its scope (then references could point at another binding) or is private-mangled (`__x`).
- `change_return_annotations`, `change_bases`, `change_decorators`, `change_docstring_lines`: the
  counterfactual edits, each replacing the written source of one part of a definition.
- `add_module_function`, `remove_module_function`: change the number of module-level functions.
- `add_imports`: the `import X` a new decorator needs, beside the file's own imports.
"""

from __future__ import annotations

import ast
import dataclasses
import itertools
import re
import sys
import warnings
from collections.abc import Callable

import libcst as cst
import libcst.metadata as md

from ..parse_lock import PARSE_LOCK


class PerturbError(ValueError):
    """The requested edit cannot be made safely."""


_PARSE_LIMIT = 20_000


def _parse(text: str) -> cst.Module:
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise PerturbError(f"libcst cannot parse: {str(exc).splitlines()[0]}") from exc


def _with_recursion(fn):
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _PARSE_LIMIT))
    try:
        return fn()
    except RecursionError as exc:
        raise PerturbError("expression nesting too deep") from exc
    finally:
        sys.setrecursionlimit(limit)


def _body(node) -> list:
    return list(node.body.body) if isinstance(node.body, cst.IndentedBlock) else []


_NESTED = (cst.BaseSuite, cst.BaseCompoundStatement, cst.If, cst.Else, cst.ExceptHandler, cst.ExceptStarHandler,
           cst.Finally, cst.MatchCase)


_STATEMENTS = (cst.ClassDef, cst.FunctionDef, *_NESTED)


def _statement_children(node):
    """Children that can hold definitions, in field order (cheaper than `node.children`, which walks everything)."""
    for item in dataclasses.fields(node):
        value = getattr(node, item.name)
        if isinstance(value, (tuple, list)):
            yield from (v for v in value if isinstance(v, _STATEMENTS))
        elif isinstance(value, _STATEMENTS):
            yield value


def _walk(node, prefix: str, path: tuple, found: dict[str, list[tuple]]) -> None:
    """Record (ancestors..., definition) paths of every class/function, walking statements only."""
    for child in _statement_children(node):
        if isinstance(child, (cst.ClassDef, cst.FunctionDef)):
            qualname = prefix + child.name.value
            found.setdefault(qualname, []).append((*path, child))
            suffix = "." if isinstance(child, cst.ClassDef) else ".<locals>."
            _walk(child.body, qualname + suffix, (*path, child, child.body), found)
        elif isinstance(child, _NESTED):
            _walk(child, prefix, (*path, child), found)


def definition_paths(module: cst.Module) -> dict[str, list[tuple]]:
    """qualname -> one path (module, ..., the definition node) per definition with that qualname."""
    found: dict[str, list[tuple]] = {}
    _walk(module, "", (module,), found)
    return found


def definition_nodes(module: cst.Module) -> dict[str, list[cst.CSTNode]]:
    """qualname -> the class/function nodes with that qualname (several for conditional definitions)."""
    return {q: [p[-1] for p in paths] for q, paths in definition_paths(module).items()}


def _unique_path(module: cst.Module, qualname: str, table=None) -> tuple:
    found = (table or definition_paths(module)).get(qualname, [])
    if len(found) != 1:
        raise PerturbError(f"{qualname} is defined {len(found)} times")
    return found[0]


def _unique_definition(module: cst.Module, qualname: str, table=None) -> cst.CSTNode:
    return _unique_path(module, qualname, table)[-1]


def _swap(parent: cst.CSTNode, old: cst.CSTNode, new: cst.CSTNode) -> cst.CSTNode:
    for item in dataclasses.fields(parent):
        value = getattr(parent, item.name)
        if value is old:
            return parent.with_changes(**{item.name: new})
        if isinstance(value, (tuple, list)) and any(v is old for v in value):
            return parent.with_changes(**{item.name: type(value)(new if v is old else v for v in value)})
    raise AssertionError(f"{type(old).__name__} is not a child of {type(parent).__name__}")


def _replace_along(path: tuple, new: cst.CSTNode) -> cst.Module:
    """Rebuild the ancestors on `path` with its last node replaced: no walk over the rest of the tree."""
    for parent, old in zip(reversed(path[:-1]), reversed(path), strict=False):  # each node with its parent
        new = _swap(parent, old, new)
    return new


def _edit_definitions(text: str, edits: dict[str, Callable]) -> str:
    """Apply `edits[qualname](node) -> node` to each uniquely defined target.

    Each target's own statement is cut out (found with `ast`), parsed and regenerated by libcst on its
    own, and spliced back: libcst's cost then scales with the edited definitions, not the file. Where a
    definition cannot be cut out exactly, the whole file goes through libcst instead.
    """
    fast = _edit_snippets(text, edits)
    return fast if fast is not None else _edit_whole_file(text, edits)


def _ast_statements(tree: ast.Module) -> dict[str, list[ast.stmt]]:
    """qualname -> def/class statements, with the same qualnames as `definition_paths`."""
    found: dict[str, list[ast.stmt]] = {}

    def walk(body, prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qualname = prefix + node.name
                found.setdefault(qualname, []).append(node)
                walk(node.body, qualname + ("." if isinstance(node, ast.ClassDef) else ".<locals>."))
            else:
                for field in ("body", "handlers", "cases", "orelse", "finalbody"):
                    for child in getattr(node, field, None) or ():
                        walk(child.body if isinstance(child, (ast.excepthandler, ast.match_case)) else [child], prefix)

    walk(tree.body, "")
    return found


def _edit_snippets(text: str, edits: dict[str, Callable]) -> str | None:
    """The fast path of `_edit_definitions`; None when some target cannot be cut out exactly."""
    try:
        with PARSE_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = _ast_statements(ast.parse(text))
    except (SyntaxError, ValueError, RecursionError):
        return None
    lines = text.splitlines(keepends=True)
    cuts = []
    for qualname, fn in edits.items():
        nodes = table.get(qualname, [])
        if len(nodes) != 1:
            return None  # the whole-file path reports the ambiguity
        node = nodes[0]
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
        cuts.append((first, node.end_lineno, fn))
    cuts.sort(key=lambda c: c[0])
    if any(a[1] > b[0] for a, b in itertools.pairwise(cuts)):
        return None  # nested targets: one snippet would hold another
    for first, last, fn in reversed(cuts):
        block = lines[first:last]
        indent = block[0][: len(block[0]) - len(block[0].lstrip(" \t"))]
        if not block[-1].endswith("\n") or any(line.strip() and not line.startswith(indent) or (not line.strip() and line != "\n")
                                                for line in block):
            return None  # a line outside the definition's indentation (a string or continuation) or stray whitespace
        snippet = "".join(line[len(indent):] if line.strip() else line for line in block)
        try:
            module = cst.parse_module(snippet)
        except cst.ParserSyntaxError:
            return None
        if len(module.body) != 1 or not isinstance(module.body[0], (cst.FunctionDef, cst.ClassDef)):
            return None
        new = module.with_changes(body=[fn(module.body[0])]).code
        lines[first:last] = [indent + line if line.strip() else line for line in new.splitlines(keepends=True)]
    return "".join(lines)


def _edit_whole_file(text: str, edits: dict[str, Callable]) -> str:
    """Parse the whole file and rebuild only the ancestors of each target; one parse, one codegen."""

    def run() -> str:
        module = _parse(text)
        for qualname, fn in sorted(edits.items()):
            path = _unique_path(module, qualname)
            module = _replace_along(path, fn(path[-1]))
        return module.code

    return _with_recursion(run)


# --- rename -----------------------------------------------------------------------------------

def rename(text: str, renames: dict[str, str]) -> str:
    """Rename each target (qualname -> new bare name) and the references scope analysis binds to it."""
    return rename_where_safe(text, renames, skip_unsafe=False)[0]


def rename_where_safe(text: str, renames: dict[str, str], *, skip_unsafe: bool = True) -> tuple[str, dict[str, str]]:
    """Like `rename`, but leave out the targets that cannot be renamed safely; returns (text, renames applied)."""

    def run() -> tuple[str, dict[str, str]]:
        module = _parse(text)
        wrapper = md.MetadataWrapper(module, unsafe_skip_copy=True)
        scopes = wrapper.resolve(md.ScopeProvider)
        table = definition_paths(module)
        name_edits: dict[int, str] = {}  # id(Name node) -> new value
        string_edits: dict[int, list[tuple[str, str]]] = {}  # id(string node) -> [(old, new)]
        module_level: dict[str, str] = {}
        applied: dict[str, str] = {}
        for qualname, new_name in sorted(renames.items()):
            try:
                names, strings, top = _rename_plan(module, scopes, table, qualname, new_name)
            except PerturbError:
                if not skip_unsafe:
                    raise
                continue
            name_edits.update(names)
            for key, pair in strings.items():
                string_edits.setdefault(key, []).append(pair)
            module_level.update(top)
            applied[qualname] = new_name
        if not applied:
            return text, applied
        return module.visit(_Renamer(name_edits, string_edits, module_level)).code, applied

    return _with_recursion(run)


def _rename_plan(module, scopes, table, qualname: str, new_name: str):
    node = _unique_definition(module, qualname, table)
    old = node.name.value
    if old.startswith("__"):
        raise PerturbError(f"{qualname}: dunder or name-mangled names are not renamed")
    if not new_name.isidentifier() or new_name == old or new_name.startswith("__"):
        raise PerturbError(f"{new_name!r} is not a new plain identifier")
    scope = scopes[node]
    assignments = list(scope.assignments[old])
    if len(assignments) != 1 or assignments[0].node is not node:
        raise PerturbError(f"{qualname}: {old} is bound {len(assignments)} times in its scope")
    names = {id(node.name): new_name}
    strings = {}
    for access in assignments[0].references:
        ref = access.node
        if isinstance(ref, cst.Name) and ref.value == old:
            names[id(ref)] = new_name
        elif isinstance(ref, cst.SimpleString):
            strings[id(ref)] = (old, new_name)
        else:
            raise PerturbError(f"{qualname}: reference of kind {type(ref).__name__}")
    top = {old: new_name} if isinstance(scope, md.GlobalScope) else {}
    return names, strings, top


class _Renamer(cst.CSTTransformer):
    def __init__(self, names: dict[int, str], strings: dict[int, list[tuple[str, str]]], module_level: dict[str, str]) -> None:
        self.names = names
        self.strings = strings
        self.module_level = module_level
        self.in_all = 0
        self.depth = 0  # function nesting, for `global` statements

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        new = self.names.get(id(original_node))
        return updated_node.with_changes(value=new) if new is not None else updated_node

    def leave_SimpleString(self, original_node: cst.SimpleString, updated_node: cst.SimpleString) -> cst.SimpleString:
        edits = self.strings.get(id(original_node))
        if edits is not None:
            body = updated_node.value[len(updated_node.prefix):]
            for old, new in edits:  # the annotation's own words only, not `x.old` attributes
                body = re.sub(rf"(?<![\w.]){re.escape(old)}\b", new, body)
            return updated_node.with_changes(value=updated_node.prefix + body)
        if self.in_all and updated_node.evaluated_value in self.module_level:
            quote = updated_node.quote
            return updated_node.with_changes(value=f"{updated_node.prefix}{quote}{self.module_level[updated_node.evaluated_value]}{quote}")
        return updated_node

    def leave_Global(self, original_node: cst.Global, updated_node: cst.Global) -> cst.Global:
        names = [item.with_changes(name=item.name.with_changes(value=self.module_level.get(item.name.value, item.name.value)))
                 for item in updated_node.names]
        return updated_node.with_changes(names=names)

    def _is_all(self, targets) -> bool:
        return any(isinstance(t, cst.Name) and t.value == "__all__" for t in targets)

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.depth == 0 and self._is_all(t.target for t in node.targets):
            self.in_all += 1

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        if self.depth == 0 and self._is_all(t.target for t in original_node.targets):
            self.in_all -= 1
        return updated_node

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if self.depth == 0 and self._is_all([node.target]):
            self.in_all += 1

    def leave_AugAssign(self, original_node: cst.AugAssign, updated_node: cst.AugAssign) -> cst.AugAssign:
        if self.depth == 0 and self._is_all([original_node.target]):
            self.in_all -= 1
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth += 1

    def leave_FunctionDef(self, original_node, updated_node):
        self.depth -= 1
        return updated_node

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.depth += 1

    def leave_ClassDef(self, original_node, updated_node):
        self.depth -= 1
        return updated_node


# --- rename of module-level classes without scope analysis ---------------------------------------

#: Type parameters and aliases (3.12+ syntax) bind names too.
_TYPE_PARAM_NODES = tuple(getattr(cst, name) for name in ("TypeVar", "TypeVarTuple", "ParamSpec", "TypeAlias")
                          if hasattr(cst, name))
_BINDERS = (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor, cst.WithItem, cst.ExceptHandler,
            cst.ExceptStarHandler, cst.NamedExpr, cst.Del, cst.Param, cst.ImportAlias, cst.Global, cst.Nonlocal,
            cst.MatchAs, cst.MatchStar, cst.MatchMapping, *_TYPE_PARAM_NODES)


class _NameUses(cst.CSTVisitor):
    """Every way the file uses the target names: references, and anything that would make a rename unsafe."""

    def __init__(self, names: set[str]) -> None:
        self.names = names
        self.occurrences: dict[str, int] = {n: 0 for n in names}  # Name nodes, of any role
        self.unsafe: dict[str, str] = {}
        self.in_all: dict[str, int] = {n: 0 for n in names}  # string entries of the module's `__all__`
        self.depth = 0  # inside how many function and class bodies
        self.all_depth = 0  # inside how many module-level `__all__` assignments
        self.classes_seen: set[str] = set()

    def _mark(self, name: str, why: str) -> None:
        if name in self.names:
            self.unsafe.setdefault(name, why)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in self.names:
            self.occurrences[node.value] += 1

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._mark(node.attr.value, "an attribute of that name")

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._mark(node.keyword.value, "a keyword argument of that name")

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        for name in _dotted_names(node.name):  # `import a.N as b`: a module path, not the class
            self._mark(name, "an imported name of that name")

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        for name in _dotted_names(node.module) if node.module is not None else []:
            self._mark(name, "an imported module of that name")

    def visit_MatchKeywordElement(self, node: cst.MatchKeywordElement) -> None:
        self._mark(node.key.value, "a class pattern keyword of that name")

    def _binder(self, node) -> None:
        for child in _subtree_names(node):
            self._mark(child, f"bound by {type(node).__name__}")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._mark(node.name.value, "a function of that name")
        self.depth += 1

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth -= 1

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if node.name.value in self.occurrences and (self.depth or _seen_before(self.classes_seen, node.name.value)):
            self._mark(node.name.value, "another class of that name")
        self.depth += 1

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.depth -= 1

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if self.all_depth and node.evaluated_value in self.in_all:
            self.in_all[node.evaluated_value] += 1

    def _assigns_all(self, node: cst.Assign | cst.AugAssign) -> bool:
        """A module-level `__all__ = ...` or `__all__ += ...`."""
        targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        return not self.depth and any(isinstance(t, cst.Name) and t.value == "__all__" for t in targets)

    def visit_Assign(self, node: cst.Assign) -> None:
        self.all_depth += self._assigns_all(node)

    def leave_Assign(self, node: cst.Assign) -> None:
        self.all_depth -= self._assigns_all(node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.all_depth += self._assigns_all(node)

    def leave_AugAssign(self, node: cst.AugAssign) -> None:
        self.all_depth -= self._assigns_all(node)

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, _BINDERS):
            self._binder(node)
        return super().on_visit(node)


def _dotted_names(node) -> list[str]:
    names = []
    while isinstance(node, cst.Attribute):
        names.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        names.append(node.value)
    return names


def _subtree_names(node) -> list[str]:
    """Names a binding construct binds (its targets; a parameter list's parameter names)."""
    targets = {
        cst.AssignTarget: lambda n: [n.target], cst.AnnAssign: lambda n: [n.target], cst.AugAssign: lambda n: [n.target],
        cst.For: lambda n: [n.target], cst.CompFor: lambda n: [n.target], cst.NamedExpr: lambda n: [n.target],
        cst.Del: lambda n: [n.target], cst.WithItem: lambda n: [n.asname.name] if n.asname else [],
        cst.ExceptHandler: lambda n: [n.name.name] if n.name else [],
        cst.ExceptStarHandler: lambda n: [n.name.name] if n.name else [],
        cst.Param: lambda n: [n.name], cst.Global: lambda n: [i.name for i in n.names],
        cst.Nonlocal: lambda n: [i.name for i in n.names],
        cst.ImportAlias: lambda n: [n.asname.name if n.asname else n.name],
        cst.MatchAs: lambda n: [n.name] if n.name else [], cst.MatchStar: lambda n: [n.name] if n.name else [],
        cst.MatchMapping: lambda n: [n.rest] if n.rest else [],
        **{kind: (lambda n: [n.name]) for kind in _TYPE_PARAM_NODES},
    }[type(node)](node)
    out: list[str] = []
    stack = list(targets)
    while stack:
        item = stack.pop()
        if isinstance(item, cst.Name):
            out.append(item.value)
        elif isinstance(item, cst.Attribute):  # `import a.b` binds `a`; `x.y = ...` binds nothing
            if isinstance(node, cst.ImportAlias):
                stack.append(item.value)
        elif isinstance(item, (cst.Tuple, cst.List)):
            stack.extend(e.value for e in item.elements)
        elif isinstance(item, cst.StarredElement):
            stack.append(item.value)
    return out


def rename_module_classes(text: str, renames: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Rename module-level classes (name -> new name) where that is exact without scope analysis.

    A class qualifies when its name is bound nowhere else in the file (no other definition, assignment,
    parameter, import, loop or `except` target, anywhere), is no attribute or keyword name, and every
    occurrence of the word in the text is a name node or an entry of the module's `__all__`: then every
    reference is to the class, and replacing the word renames exactly the class and its references, leaving
    no trace (no comment or docstring still names it). Returns (text, renames applied); one libcst parse.
    """
    candidates = {}
    for old, new in sorted(renames.items()):
        if "." in old or not new.isidentifier() or new == old or old.startswith("__") or new.startswith("__"):
            continue
        if re.search(rf"\.\s*{re.escape(old)}\b|#[^\n]*\b{re.escape(old)}\b", text):
            continue  # an attribute or a comment mentions it: cheap to see, no parse needed
        candidates[old] = new
    if not candidates:
        return text, {}

    uses = _name_uses_with_ast(text, set(candidates))
    if uses is None:  # syntax newer than this interpreter: libcst finds the same uses, more slowly
        def run():
            module = _parse(text)
            found = _NameUses(set(candidates))
            module.visit(found)
            return found

        uses = _with_recursion(run)
    applied = {}
    for old, new in candidates.items():
        if old in uses.unsafe:
            continue
        words = len(re.findall(rf"\b{re.escape(old)}\b", text))
        if words != uses.occurrences[old] + uses.in_all[old] or not _defines_module_class(text, old):
            continue  # some occurrence is in a string or docstring: renaming would leave a trace
        applied[old] = new
    for old, new in applied.items():
        text = re.sub(rf"\b{re.escape(old)}\b", new, text)
    return text, applied


@dataclasses.dataclass
class _AstUses:
    occurrences: dict[str, int]
    unsafe: dict[str, str]
    in_all: dict[str, int]
    classes_seen: set[str] = dataclasses.field(default_factory=set)


def _name_uses_with_ast(text: str, names: set[str]) -> _AstUses | None:
    """What `_NameUses` finds, read from `ast` (20x faster than libcst); None when `ast` cannot parse the file.

    The two agree on every file both parse (a test compares them on the stdlib): `ast` keeps definition,
    parameter, attribute, keyword and import names as strings where libcst has name nodes, so the class's own
    name is counted here by hand and those roles are checked by field.
    """
    try:
        with PARSE_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return None
    uses = _AstUses({n: 0 for n in names}, {}, {n: 0 for n in names})

    def mark(name, why):
        if name in names:
            uses.unsafe.setdefault(name, why)

    def walk(node, depth: int, in_all: bool) -> None:
        if isinstance(node, ast.Name):
            if node.id in names:
                uses.occurrences[node.id] += 1
                if not isinstance(node.ctx, ast.Load):
                    mark(node.id, f"bound by {type(node.ctx).__name__}")
        elif isinstance(node, ast.Attribute):
            mark(node.attr, "an attribute of that name")
        elif isinstance(node, ast.keyword) and node.arg is not None:
            mark(node.arg, "a keyword argument of that name")
        elif isinstance(node, ast.arg):
            mark(node.arg, "bound by Param")
        elif isinstance(node, ast.alias):
            mark(node.asname or node.name.split(".")[0], "bound by ImportAlias")
            for part in node.name.split("."):  # `import a.N as b`: a module path, not the class
                mark(part, "an imported name of that name")
        elif isinstance(node, ast.ImportFrom) and node.module:
            for part in node.module.split("."):
                mark(part, "an imported module of that name")
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                mark(name, f"bound by {type(node).__name__}")
        elif isinstance(node, ast.ExceptHandler) and node.name:
            mark(node.name, "bound by ExceptHandler")
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            mark(node.name, f"bound by {type(node).__name__}")
        elif isinstance(node, ast.MatchMapping) and node.rest:
            mark(node.rest, "bound by MatchMapping")
        elif isinstance(node, ast.MatchClass):
            for name in node.kwd_attrs:
                mark(name, "a class pattern keyword of that name")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            mark(node.name, "a function of that name")
        elif isinstance(node, ast.ClassDef) and node.name in names:
            uses.occurrences[node.name] += 1  # libcst counts the class's own name node
            if depth or _seen_before(uses.classes_seen, node.name):
                mark(node.name, "another class of that name")
        elif type(node).__name__ in ("TypeVar", "TypeVarTuple", "ParamSpec") and getattr(node, "name", None):
            mark(node.name, f"bound by {type(node).__name__}")
        elif in_all and isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
            uses.in_all[node.value] += 1
        child_in_all = in_all or (depth == 0 and (
            isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            or isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == "__all__"))
        child_depth = depth + isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        for child in ast.iter_child_nodes(node):
            walk(child, child_depth, child_in_all)

    with PARSE_LOCK:
        walk(tree, 0, False)
    return uses


def _seen_before(seen: set[str], name: str) -> bool:
    """Whether `name` was seen before this call (it is now)."""
    if name in seen:
        return True
    seen.add(name)
    return False


def _defines_module_class(text: str, name: str) -> bool:
    return re.search(rf"^class[ \t]+{re.escape(name)}\b", text, re.MULTILINE) is not None


# --- counterfactual edits ---------------------------------------------------------------------

def _expression(source: str) -> cst.BaseExpression:
    try:
        return cst.parse_expression(source)
    except cst.ParserSyntaxError as exc:
        raise PerturbError(f"not an expression: {source!r}") from exc


def change_return_annotations(text: str, annotations: dict[str, str]) -> str:
    """Replace the return annotation of each function (qualname -> new annotation source)."""

    def edit(source: str):
        def apply(node: cst.FunctionDef) -> cst.FunctionDef:
            if not isinstance(node, cst.FunctionDef) or node.returns is None:
                raise PerturbError("no return annotation to change")
            return node.with_changes(returns=node.returns.with_changes(annotation=_expression(source)))
        return apply

    return _edit_definitions(text, {q: edit(a) for q, a in annotations.items()})


def _rejoin(args: list[cst.Arg]) -> list[cst.Arg]:
    """Comma-separate arguments on one line; the last keeps no trailing comma."""
    out = []
    for i, arg in enumerate(args):
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")) if i < len(args) - 1 else cst.MaybeSentinel.DEFAULT
        out.append(arg.with_changes(comma=comma))
    return out


def change_bases(text: str, bases: dict[str, list[str]]) -> str:
    """Set each class's positional bases (qualname -> base sources in order); keywords are kept after them.

    A base whose source equals an existing one reuses that node, so its formatting is kept.
    """

    def edit(sources: list[str]):
        def apply(node: cst.ClassDef) -> cst.ClassDef:
            if not isinstance(node, cst.ClassDef) or any(a.star for a in (*node.bases, *node.keywords)):
                raise PerturbError("not a class with plain bases")
            existing = {cst.Module([]).code_for_node(a.value): a for a in node.bases}
            new_bases = [existing.get(s) or cst.Arg(value=_expression(s)) for s in sources]
            args = _rejoin([*new_bases, *node.keywords])
            lpar = node.lpar if node.lpar is not cst.MaybeSentinel.DEFAULT else cst.LeftParen()
            rpar = node.rpar if node.rpar is not cst.MaybeSentinel.DEFAULT else cst.RightParen()
            if not args:
                raise PerturbError("a class needs at least one base or keyword here")
            return node.with_changes(bases=args[: len(new_bases)], keywords=args[len(new_bases):], lpar=lpar, rpar=rpar)
        return apply

    return _edit_definitions(text, {q: edit(b) for q, b in bases.items()})


def change_decorators(text: str, decorators: dict[str, list[str]]) -> str:
    """Set each definition's decorators (qualname -> sources after `@`, top to bottom).

    Existing decorators are reused by source text, keeping their formatting; blank lines and comments
    above the first decorator belong to the definition and stay where they are.
    """

    def edit(sources: list[str]):
        def apply(node):
            if not node.decorators or not sources:
                raise PerturbError("a decorated definition keeps at least one decorator here")
            code = cst.Module([]).code_for_node
            existing = {code(d.decorator): d for d in node.decorators}
            new = [existing.get(s) or cst.Decorator(decorator=_expression(s)) for s in sources]
            return node.with_changes(decorators=new)
        return apply

    return _edit_definitions(text, {q: edit(d) for q, d in decorators.items()})


_SENTENCE_END = (".", "!", "?", ":")


def _first_sentence_end(value: str, where: int, old: str, content_end: int) -> int:
    """Where the sentence that begins the docstring at `where` (its first line `old`) ends in the literal `value`.

    The sentence runs on over the following lines of its paragraph until one ends with `.`, `!`, `?` or `:` (or the
    paragraph ends), so replacing up to here replaces whole sentences and leaves no half sentence behind.
    """
    end = where + len(old)
    if old.rstrip().endswith(_SENTENCE_END):
        return end
    while True:
        newline = value.find("\n", end, content_end)
        if newline < 0 or value[end:newline].strip():
            return end  # the docstring ends on this line, or text follows the line where it was not expected
        next_newline = value.find("\n", newline + 1, content_end)
        line = value[newline + 1: next_newline if next_newline >= 0 else content_end]
        if not line.strip():
            return end  # the paragraph ends
        end = newline + 1 + len(line.rstrip())
        if line.rstrip().endswith(_SENTENCE_END):
            return end


def change_docstring_lines(text: str, lines: dict[str, tuple[str, str]]) -> str:
    """Replace the sentence that begins each definition's docstring (its first line `old` and the lines that
    continue it) with `new`: the first occurrence of `old` in the docstring literal marks where it begins."""

    def edit(old: str, new: str):
        def apply(node):
            body = _body(node)
            first = body[0] if body else None
            if not (isinstance(first, cst.SimpleStatementLine) and first.body and isinstance(first.body[0], cst.Expr)
                    and isinstance(first.body[0].value, cst.SimpleString)):
                raise PerturbError("no simple docstring literal")
            literal = first.body[0].value
            start = len(literal.prefix) + len(literal.quote)
            where = literal.value.find(old, start)
            if where < 0 or "\\" in new or literal.quote[0] in new:
                raise PerturbError("docstring line not found verbatim, or the new line needs escaping")
            end = _first_sentence_end(literal.value, where, old, len(literal.value) - len(literal.quote))
            value = literal.value[:where] + new + literal.value[end:]
            stmt = first.with_changes(body=[first.body[0].with_changes(value=literal.with_changes(value=value)), *first.body[1:]])
            return node.with_changes(body=node.body.with_changes(body=[stmt, *body[1:]]))
        return apply

    return _edit_definitions(text, {q: edit(o, n) for q, (o, n) in lines.items()})


_IMPORT_LINE = re.compile(r"^import ([A-Za-z_][\w.]*)[ \t]*\n", re.MULTILINE)


def add_imports(text: str, modules: list[str]) -> str:
    """Add `import M` for each module to the file's first run of plain `import X` lines at column 0: in
    alphabetical place when that run is sorted, else at its end. The caller checks that the new lines parse as
    module-level imports (a run inside a string would not). Refused when the file has no such run."""
    first = _IMPORT_LINE.search(text)
    if first is None:
        raise PerturbError("no `import X` line to add an import beside")
    start = end = first.start()
    names = []
    while (m := _IMPORT_LINE.match(text, end)) is not None:
        names.append(m.group(1))
        end = m.end()
    run = names + [m for m in modules if m not in names]
    if names == sorted(names):
        run = sorted(run)
    return text[:start] + "".join(f"import {name}\n" for name in run) + text[end:]


def _module_function_index(module: cst.Module, name: str) -> int:
    hits = [i for i, stmt in enumerate(module.body) if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name]
    if len(hits) != 1:
        raise PerturbError(f"{name} is not a single module-level function")
    return hits[0]


def add_module_function(text: str, after: str, source: str) -> str:
    """Insert a function (its source, unindented) right after the module-level function `after`."""

    def run() -> str:
        module = _parse(text)
        index = _module_function_index(module, after)
        try:
            stmt = cst.parse_statement(source)
        except cst.ParserSyntaxError as exc:
            raise PerturbError("the new function does not parse") from exc
        if not isinstance(stmt, cst.FunctionDef):
            raise PerturbError("not a function")
        stmt = stmt.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
        body = list(module.body)
        body.insert(index + 1, stmt)
        return module.with_changes(body=body).code

    return _with_recursion(run)


def remove_module_function(text: str, name: str) -> str:
    """Delete the module-level function `name` (with the comments and blank lines attached above it)."""

    def run() -> str:
        module = _parse(text)
        index = _module_function_index(module, name)
        body = list(module.body)
        del body[index]
        return module.with_changes(body=body).code

    return _with_recursion(run)
