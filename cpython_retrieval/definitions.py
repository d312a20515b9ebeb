"""Step 2a: parse one source file into neutral definition records (functions, classes, their parts).

Two parsers produce the same records: `ast` (fast; used whenever the running interpreter can parse
the file) and libcst (parses Python 3.0-3.14 syntax on any interpreter, so a 3.11 builder can read
a 3.13 `Lib/`). Offsets are character offsets into the file's text, so spans can be located in a
context by adding the file's position.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, field

from .parse_lock import PARSE_LOCK

_DEF_NAME = re.compile(r"(?:async\s+)?def\s+(\w+)|class\s+(\w+)")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Item:
    """A piece of source as written (an annotation, a base, a decorator) and where it is."""

    text: str
    span: Span


@dataclass(frozen=True)
class Definition:
    kind: str  # "function" or "class"
    node_type: str  # FunctionDef, AsyncFunctionDef, ClassDef
    name: str
    qualname: str  # dotted from the module; functions inside functions add "<locals>"
    name_span: Span
    in_function: bool  # defined inside a function body (never a question target)
    owner_class: str | None  # qualname of the class whose body directly holds it
    direct: bool  # a direct statement of its parent's body (not under if/try/with/for/while)
    decorators: tuple[Item, ...] = ()
    returns: Item | None = None
    params: tuple[str, ...] = ()
    params_span: Span | None = None
    bases: tuple[Item, ...] = ()
    keywords: tuple[Item, ...] = ()  # "metaclass=ABCMeta" as written, one per keyword
    has_starred_bases: bool = False
    docstring: str | None = None  # cleaned (inspect.cleandoc), as ast.get_docstring(clean=True)
    docstring_span: Span | None = None

    @property
    def module_level_function(self) -> bool:
        return self.kind == "function" and self.owner_class is None and not self.in_function and self.direct and "." not in self.qualname


@dataclass
class ParsedModule:
    path: str
    definitions: list[Definition] = field(default_factory=list)
    parser: str = "ast"

    @property
    def module_function_count(self) -> int:
        return sum(1 for d in self.definitions if d.module_level_function)


class _LineIndex:
    """Convert (1-based line, UTF-8 byte column) from `ast` to character offsets."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.starts = [0]
        for line in self.lines[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def offset(self, lineno: int, col_bytes: int) -> int:
        line = self.lines[lineno - 1]
        col = col_bytes if line.isascii() else len(line.encode("utf-8")[:col_bytes].decode("utf-8", errors="ignore"))
        return self.starts[lineno - 1] + col


def parse_module(text: str, path: str, *, prefer: str = "ast") -> ParsedModule:
    """Parse with `ast` (or libcst when asked, or when `ast` cannot parse this syntax); raise SyntaxError if neither can."""
    with PARSE_LOCK:  # see parse_lock.py
        if prefer == "ast":
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    tree = ast.parse(text, filename=path)
            except (SyntaxError, ValueError):
                pass
            else:
                return ParsedModule(path, _AstCollector(text).collect(tree), "ast")
        from .definitions_cst import collect_with_libcst

        return ParsedModule(path, collect_with_libcst(text), "libcst")


def _name_span(text: str, start: int) -> Span:
    match = _DEF_NAME.match(text, start)
    if match is None:  # decorators precede: search forward from the keyword position
        match = _DEF_NAME.search(text, start)
    assert match is not None
    group = 1 if match.group(1) else 2
    return Span(match.start(group), match.end(group))


class _AstCollector:
    def __init__(self, text: str) -> None:
        self.text = text
        self.index = _LineIndex(text)
        self.found: list[Definition] = []

    def span(self, node: ast.AST) -> Span:
        return Span(
            self.index.offset(node.lineno, node.col_offset),  # type: ignore[attr-defined]
            self.index.offset(node.end_lineno, node.end_col_offset),  # type: ignore[attr-defined]
        )

    def item(self, node: ast.AST) -> Item:
        span = self.span(node)
        return Item(self.text[span.start : span.end], span)

    def collect(self, tree: ast.Module) -> list[Definition]:
        self.visit_body(tree.body, prefix="", in_function=False, owner=None, direct=True)
        return self.found

    def visit_body(self, body: list[ast.stmt], *, prefix: str, in_function: bool, owner: str | None, direct: bool) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.visit_definition(stmt, prefix=prefix, in_function=in_function, owner=owner, direct=direct)
            else:
                for child_body in _nested_bodies(stmt):
                    self.visit_body(child_body, prefix=prefix, in_function=in_function, owner=owner, direct=False)

    def visit_definition(self, node, *, prefix: str, in_function: bool, owner: str | None, direct: bool) -> None:
        qualname = f"{prefix}{node.name}"
        start = self.index.offset(node.lineno, node.col_offset)
        docstring, doc_span = None, None
        if node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant) and isinstance(node.body[0].value.value, str):
            docstring = ast.get_docstring(node, clean=True)
            doc_span = self.span(node.body[0].value)
        common = dict(
            node_type=type(node).__name__,
            name=node.name,
            qualname=qualname,
            name_span=_name_span(self.text, start),
            in_function=in_function,
            owner_class=owner,
            direct=direct,
            decorators=tuple(self.item(d) for d in node.decorator_list),
            docstring=docstring,
            docstring_span=doc_span,
        )
        if isinstance(node, ast.ClassDef):
            self.found.append(
                Definition(
                    kind="class",
                    bases=tuple(self.item(b) for b in node.bases),
                    keywords=tuple(self.item_keyword(k) for k in node.keywords),
                    has_starred_bases=any(isinstance(b, ast.Starred) for b in node.bases) or any(k.arg is None for k in node.keywords),
                    **common,
                )
            )
            self.visit_body(node.body, prefix=f"{qualname}.", in_function=in_function, owner=qualname, direct=True)
        else:
            params, params_span = self.parameters(node.args)
            self.found.append(
                Definition(
                    kind="function",
                    returns=self.item(node.returns) if node.returns is not None else None,
                    params=params,
                    params_span=params_span,
                    **common,
                )
            )
            self.visit_body(node.body, prefix=f"{qualname}.<locals>.", in_function=True, owner=None, direct=True)

    def item_keyword(self, keyword: ast.keyword) -> Item:
        span = self.span(keyword)
        return Item(self.text[span.start : span.end], span)

    def parameters(self, args: ast.arguments) -> tuple[tuple[str, ...], Span | None]:
        ordered: list[tuple[str, ast.arg]] = [(a.arg, a) for a in args.posonlyargs + args.args]
        if args.vararg is not None:
            ordered.append((f"*{args.vararg.arg}", args.vararg))
        ordered.extend((a.arg, a) for a in args.kwonlyargs)
        if args.kwarg is not None:
            ordered.append((f"**{args.kwarg.arg}", args.kwarg))
        if not ordered:
            return (), None
        first, last = self.span(ordered[0][1]), self.span(ordered[-1][1])
        return tuple(name for name, _ in ordered), Span(first.start, last.end)


def _nested_bodies(stmt: ast.stmt):
    """Statement bodies that can hold definitions (if/else, try/except/finally, with, for, while, match)."""
    if isinstance(getattr(stmt, "body", None), list):
        yield stmt.body
    for handler in getattr(stmt, "handlers", ()) or ():
        yield handler.body
    for case in getattr(stmt, "cases", ()) or ():
        yield case.body
    for attr in ("orelse", "finalbody"):
        value = getattr(stmt, attr, None)
        if isinstance(value, list):
            yield value
