"""One file's bindings and facts, read with plain `ast` (standard library only).

Written from the checker spec alone, sharing no code with `cpython_retrieval`, so that the dataset checker does
not check the generator against itself. Everything is plain data (JSON-ready), because a file whose syntax the
running interpreter cannot parse (3.13's PEP 701 f-strings on 3.11) is parsed by running this same file as a
script under a newer interpreter: `python3.13 source_facts.py < {"texts": [...]}` prints the facts as JSON.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from dataclasses import asdict, dataclass, field

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Statements whose nested statement lists stay in the enclosing scope (module, class or function).
_BLOCK_FIELDS = ("body", "orelse", "finalbody")


@dataclass
class Binding:
    """A name bound in a file, as the spec defines bindings."""

    reader: str  # dotted path of the enclosing class/function names plus the name
    name: str  # the bare name
    kind: str  # "function", "class" or "assignment"
    module_level: bool  # not inside any class or function (if/try/... blocks are transparent)
    in_class: bool  # the nearest enclosing class/function is a class (a method, a nested class, a class attribute)
    directly_in_class: bool  # ... and the statement is an item of that class's own body list, not under if/try/...
    in_function: bool  # inside some function at any depth
    owner: str | None = None  # reader name of the enclosing class when in_class
    # facts of a def or class (None when the node has no such fact)
    returns: str | None = None
    decorators: list[str] = field(default_factory=list)
    docstring_first_line: str | None = None
    docstring_paragraph: str | None = None  # the docstring's first paragraph, whitespace collapsed to single spaces
    parameters: list[str] | None = None
    bases: list[str] = field(default_factory=list)  # positional bases, source text
    keywords: list[str] = field(default_factory=list)  # class keywords, source text
    first_base_name: str | None = None  # last name part of the first positional base, if a Name/Attribute chain
    attribute_base_tails: list[str] = field(default_factory=list)  # dotted text of each Attribute base
    attribute_base_attrs: list[str] = field(default_factory=list)  # last part of each Attribute base


@dataclass
class FileFacts:
    bindings: list[Binding]
    module_function_count: int  # FunctionDef/AsyncFunctionDef statements directly in the module body
    bound_names: list[str] = field(default_factory=list)  # every name the file binds, in any scope (sorted)
    signature_names: list[str] = field(default_factory=list)  # names read by decorators, bases, annotations (sorted)
    # module-scope imports (if/try/... blocks at module level included), in source order: one dict per imported
    # name, {"module": "a.b" ("" for `from . import x`), "name": x or None for `import a.b`, "asname", "level"}
    imports: list[dict] = field(default_factory=list)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class _Source:
    """`ast.get_source_segment` with the file split into lines once (it splits the whole file on every call)."""

    def __init__(self, text: str):
        self.lines = []
        start = 0
        for m in _LINE_BREAK.finditer(text):
            self.lines.append(text[start:m.end()])
            start = m.end()
        self.lines.append(text[start:])

    def segment(self, node: ast.AST) -> str:
        first, last = node.lineno - 1, node.end_lineno - 1
        if first == last:
            return self.lines[first].encode()[node.col_offset:node.end_col_offset].decode()
        head = self.lines[first].encode()[node.col_offset:].decode()
        tail = self.lines[last].encode()[:node.end_col_offset].decode()
        return "".join([head, *self.lines[first + 1:last], tail])


def _docstring_first_line(node: ast.AST) -> str | None:
    doc = ast.get_docstring(node)
    if doc is None:
        return None
    return next((line.strip() for line in doc.split("\n") if line.strip()), None)


def _docstring_paragraph(node: ast.AST) -> str | None:
    doc = ast.get_docstring(node)
    if doc is None:
        return None
    lines = []
    for line in doc.strip().split("\n"):
        if not line.strip():
            break
        lines.append(line)
    return " ".join(" ".join(lines).split())


def _parameters(args: ast.arguments) -> list[str]:
    names = [a.arg for a in args.posonlyargs + args.args]
    if args.vararg:
        names.append("*" + args.vararg.arg)
    names += [a.arg for a in args.kwonlyargs]
    if args.kwarg:
        names.append("**" + args.kwarg.arg)
    return names


def _attribute_chain(node: ast.expr) -> list[str] | None:
    """['a', 'b', 'C'] for `a.b.C`, ['C'] for `C`; None for anything else (calls, subscripts, ...)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def _assigned_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for element in target.elts for n in _assigned_names(element)]
    if isinstance(target, ast.Starred):
        return _assigned_names(target.value)
    return []  # attributes and subscripts bind no name


class _Collector:
    def __init__(self, text: str):
        self.source = _Source(text)
        self.bindings: list[Binding] = []
        self.imports: list[dict] = []

    def block(self, stmts, prefix: str, scope: str, owner: str | None, in_function: bool, direct: bool) -> None:
        """Visit a statement list. scope: "module", "class" or "function" (the nearest enclosing one)."""
        for stmt in stmts:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.definition(stmt, prefix, scope, owner, in_function, direct)
            elif isinstance(stmt, ast.Import) and scope == "module":
                self.imports += [{"module": a.name, "name": None, "asname": a.asname, "level": 0} for a in stmt.names]
            elif isinstance(stmt, ast.ImportFrom) and scope == "module":
                self.imports += [{"module": stmt.module or "", "name": a.name, "asname": a.asname,
                                  "level": stmt.level or 0} for a in stmt.names]
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                if not in_function:
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else (
                        [stmt.target] if isinstance(stmt.target, ast.Name) else [])
                    for target in targets:
                        for name in _assigned_names(target):
                            self.bindings.append(self._place(Binding(
                                reader=prefix + name, name=name, kind="assignment", module_level=False,
                                in_class=False, directly_in_class=False, in_function=False), scope, owner, direct))
            else:
                for name in _BLOCK_FIELDS:
                    child = getattr(stmt, name, None)
                    if isinstance(child, list) and child and isinstance(child[0], ast.stmt):
                        self.block(child, prefix, scope, owner, in_function, False)
                for handler in getattr(stmt, "handlers", None) or []:
                    self.block(handler.body, prefix, scope, owner, in_function, False)
                for case in getattr(stmt, "cases", None) or []:
                    self.block(case.body, prefix, scope, owner, in_function, False)

    @staticmethod
    def _place(binding: Binding, scope: str, owner: str | None, direct: bool) -> Binding:
        binding.module_level = scope == "module"
        binding.in_class = scope == "class"
        binding.directly_in_class = scope == "class" and direct
        binding.owner = owner if scope == "class" else None
        return binding

    def definition(self, node, prefix: str, scope: str, owner: str | None, in_function: bool, direct: bool) -> None:
        reader = prefix + node.name
        binding = Binding(reader=reader, name=node.name, kind="class" if isinstance(node, ast.ClassDef) else "function",
                          module_level=False, in_class=False, directly_in_class=False, in_function=in_function,
                          decorators=["@" + self.source.segment(d) for d in node.decorator_list],
                          docstring_first_line=_docstring_first_line(node),
                          docstring_paragraph=_docstring_paragraph(node))
        if isinstance(node, ast.ClassDef):
            binding.bases = [self.source.segment(b) for b in node.bases]
            binding.keywords = [self.source.segment(k) for k in node.keywords]
            chain = _attribute_chain(node.bases[0]) if node.bases else None
            binding.first_base_name = chain[-1] if chain else None
            for base in node.bases:
                if isinstance(base, ast.Attribute):
                    chain = _attribute_chain(base)
                    binding.attribute_base_attrs.append(base.attr)
                    binding.attribute_base_tails.append(".".join(chain) if chain else "." + base.attr)
            self.bindings.append(self._place(binding, scope, owner, direct))
            self.block(node.body, reader + ".", "class", reader, in_function, True)
        else:
            binding.returns = self.source.segment(node.returns) if node.returns is not None else None
            binding.parameters = _parameters(node.args)
            self.bindings.append(self._place(binding, scope, owner, direct))
            self.block(node.body, reader + ".", "function", None, True, True)


# Names a module has without binding them.
_MODULE_NAMES = ("__name__", "__file__", "__doc__", "__spec__", "__loader__", "__package__", "__builtins__",
                 "__path__", "__annotations__", "__dict__", "__class__", "__qualname__", "__module__")


def bound_names(tree: ast.Module) -> set[str]:
    """Every name the file binds anywhere: imports (`import a.b` binds `a`; a star import binds nothing one can
    name), def/class names, parameters, assignment / for / with / except / match / walrus targets, global and
    nonlocal declarations, type parameters."""
    names = set(_MODULE_NAMES)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias) and node.name != "*":
            names.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
        elif type(node).__name__ in ("TypeVar", "TypeVarTuple", "ParamSpec") and isinstance(node.name, str):
            names.add(node.name)  # 3.12 type parameters (a `type X = ...` alias binds a Store Name, above)
    return names


def _loaded_names(node: ast.AST | None, annotation: bool) -> set[str]:
    """Names an expression reads; in an annotation, a string is read as the code it stands for."""
    found: set[str] = set()
    for child in ast.walk(node) if node is not None else ():
        if isinstance(child, ast.Name):
            found.add(child.id)
        elif annotation and isinstance(child, ast.Constant) and isinstance(child.value, str):
            try:
                inner = ast.parse(child.value.strip(), mode="eval")
            except (SyntaxError, ValueError):
                continue
            found |= _loaded_names(inner, True)
    return found


def signature_names(tree: ast.Module) -> set[str]:
    """Names read by every decorator, base and class keyword, and return and parameter annotation of the file."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for decorator in node.decorator_list:
                found |= _loaded_names(decorator, False)
        if isinstance(node, ast.ClassDef):
            for base in [*node.bases, *(k.value for k in node.keywords)]:
                found |= _loaded_names(base, False)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found |= _loaded_names(node.returns, True)
            args = node.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                found |= _loaded_names(arg.annotation if arg is not None else None, True)
    return found


def file_facts(text: str) -> FileFacts:
    """Parse one file's text (raises SyntaxError if this interpreter cannot)."""
    tree = ast.parse(text)
    collector = _Collector(text)
    collector.block(tree.body, "", "module", None, False, True)
    count = sum(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in tree.body)
    return FileFacts(bindings=collector.bindings, module_function_count=count, imports=collector.imports,
                     bound_names=sorted(bound_names(tree)), signature_names=sorted(signature_names(tree)))


def to_json(facts: FileFacts) -> dict:
    return asdict(facts)


def from_json(data: dict) -> FileFacts:
    return FileFacts(bindings=[Binding(**b) for b in data["bindings"]],
                     module_function_count=data["module_function_count"], imports=data.get("imports", []),
                     bound_names=data.get("bound_names", []), signature_names=data.get("signature_names", []))


def identifiers(text: str) -> set[str]:
    """Every identifier-like word of a text (comments and strings included)."""
    return set(IDENTIFIER.findall(text))


def _serve() -> None:
    """Script mode: read {"texts": [...]} on stdin, print [{"facts": ...} | {"error": ...}] on stdout."""
    request = json.load(sys.stdin)
    answers = []
    for text in request["texts"]:
        try:
            answers.append({"facts": to_json(file_facts(text))})
        except SyntaxError as exc:
            answers.append({"error": f"{type(exc).__name__}: {exc}"})
    json.dump({"python": sys.version.split()[0], "answers": answers}, sys.stdout)


if __name__ == "__main__":
    _serve()
