"""The `ast` producer of definition records: fast, for every file the running interpreter can parse."""

from __future__ import annotations

import ast

from .definition_records import (
    Assignment,
    Definition,
    Import,
    Item,
    LineIndex,
    Span,
    name_span,
)


class AstCollector:
    """Walks a module the way `definitions_cst.CstCollector` does, so both give identical records."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.index = LineIndex(text)
        self.found: list[Definition] = []
        self.assignments: list[Assignment] = []
        self.imports: list[Import] = []

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
            kind = type(stmt)
            if kind in _DEFINITIONS:
                self.visit_definition(stmt, prefix=prefix, in_function=in_function, owner=owner, direct=direct)
            elif kind in _COMPOUND:
                for child_body in _nested_bodies(stmt):
                    self.visit_body(child_body, prefix=prefix, in_function=in_function, owner=owner, direct=False)
            elif in_function:
                continue  # a simple statement inside a function binds nothing a question looks at
            elif kind is ast.Assign or kind is ast.AnnAssign:
                self.record_assignments(stmt, prefix, module_level=owner is None)
            elif owner is None and (kind is ast.Import or kind is ast.ImportFrom):
                self.record_imports(stmt)

    def record_imports(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.Import):
            self.imports.extend(Import(alias.name, None, alias.asname, 0) for alias in stmt.names)
        elif isinstance(stmt, ast.ImportFrom):
            self.imports.extend(Import(stmt.module or "", alias.name, alias.asname, stmt.level or 0) for alias in stmt.names)

    def record_assignments(self, stmt: ast.stmt, prefix: str, *, module_level: bool) -> None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
        for target in targets:
            for name in _bound_names(target):
                self.assignments.append(Assignment(name, f"{prefix}{name}", module_level))

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
            name_span=name_span(self.text, start),
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


def _bound_names(target: ast.expr) -> list[str]:
    """Names an assignment target binds: `x`, each of `a, (b, *c)`; not attributes or subscripts."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _bound_names(element)]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return []


_DEFINITIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})
#: Statements with bodies (simple statements have none: skipping them is most of a file's statements).
_COMPOUND = frozenset(getattr(ast, name) for name in ("If", "For", "AsyncFor", "While", "With", "AsyncWith", "Try",
                                                      "TryStar", "Match") if hasattr(ast, name))


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
