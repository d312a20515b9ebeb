"""The libcst producer of definition records: the same records as the `ast` one, for syntax newer than the interpreter."""

from __future__ import annotations

import inspect
import sys

import libcst as cst
import libcst.metadata as md

from .definition_records import (
    Assignment,
    Definition,
    Import,
    Item,
    LineIndex,
    Span,
    name_span,
)


def collect_with_libcst(text: str) -> tuple[list[Definition], list[Assignment], list[Import]]:
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise SyntaxError(f"libcst: {str(exc).splitlines()[0]}") from exc
    wrapper = md.MetadataWrapper(module, unsafe_skip_copy=True)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))  # long `a + b + ...` chains recurse once per operand
    try:
        positions = wrapper.resolve(md.PositionProvider)
        collector = CstCollector(text, positions)
        return collector.collect(module), collector.assignments, collector.imports
    except RecursionError as exc:
        raise SyntaxError("libcst: expression nesting too deep to analyse") from exc
    finally:
        sys.setrecursionlimit(limit)


class CstCollector:
    def __init__(self, text: str, positions) -> None:
        self.text = text
        self.positions = positions
        self.index = LineIndex(text)
        self.found: list[Definition] = []
        self.assignments: list[Assignment] = []
        self.imports: list[Import] = []

    def offset(self, position: md.CodePosition) -> int:
        return self.index.starts[position.line - 1] + position.column

    def span(self, node: cst.CSTNode) -> Span:
        code_range = self.positions[node]
        return Span(self.offset(code_range.start), self.offset(code_range.end))

    def item(self, node: cst.CSTNode) -> Item:
        span = self.span(node)
        return Item(self.text[span.start : span.end], span)

    def collect(self, module: cst.Module) -> list[Definition]:
        self.visit_body(module.body, prefix="", in_function=False, owner=None, direct=True)
        return self.found

    def visit_body(self, body, *, prefix: str, in_function: bool, owner: str | None, direct: bool) -> None:
        for stmt in body:
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                self.visit_definition(stmt, prefix=prefix, in_function=in_function, owner=owner, direct=direct)
            elif isinstance(stmt, (cst.SimpleStatementLine, cst.BaseSmallStatement)):
                self.record_assignments(stmt, prefix, in_function=in_function, owner=owner)
            else:
                self.visit_nested(stmt, prefix=prefix, in_function=in_function, owner=owner)

    def visit_nested(self, node: cst.CSTNode, *, prefix: str, in_function: bool, owner: str | None) -> None:
        """Definitions under if/try/with/for/while/match: not direct statements of the parent body."""
        for child in node.children:
            if isinstance(child, (cst.FunctionDef, cst.ClassDef)):
                self.visit_definition(child, prefix=prefix, in_function=in_function, owner=owner, direct=False)
            elif isinstance(child, (cst.SimpleStatementLine, cst.BaseSmallStatement)):
                self.record_assignments(child, prefix, in_function=in_function, owner=owner)
            elif isinstance(child, (cst.BaseSuite, cst.BaseCompoundStatement, cst.If, cst.Else, cst.ExceptHandler,
                                    cst.ExceptStarHandler, cst.Finally, cst.MatchCase)):
                self.visit_nested(child, prefix=prefix, in_function=in_function, owner=owner)

    def record_assignments(self, stmt, prefix: str, *, in_function: bool, owner: str | None) -> None:
        """`x = ...`, `a, b = ...` and `x: T = ...` outside functions, as the `ast` producer records them."""
        if in_function:
            return
        smalls = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else [stmt]
        for small in smalls:
            if owner is None and isinstance(small, (cst.Import, cst.ImportFrom)):
                self.record_import(small)
                continue
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
            elif isinstance(small, cst.AnnAssign):
                targets = [small.target]
            else:
                continue
            for target in targets:
                for name in _bound_names(target):
                    self.assignments.append(Assignment(name, f"{prefix}{name}", owner is None))

    def visit_definition(self, node, *, prefix: str, in_function: bool, owner: str | None, direct: bool) -> None:
        name = node.name.value
        qualname = f"{prefix}{name}"
        keyword_start = self.offset(self.positions[node].start)
        if node.decorators:  # libcst's range starts at the first decorator; find the keyword after the last one
            keyword_start = self.span(node.decorators[-1]).end
        docstring, doc_span = self.docstring(node)
        common = dict(
            name=name,
            qualname=qualname,
            name_span=name_span(self.text, keyword_start),
            in_function=in_function,
            owner_class=owner,
            direct=direct,
            decorators=tuple(self.item(d.decorator) for d in node.decorators),
            docstring=docstring,
            docstring_span=doc_span,
        )
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else node.body.body
        if isinstance(node, cst.ClassDef):
            bases = tuple(self.item(arg.value) for arg in node.bases if not arg.star)
            keywords = tuple(self.keyword_item(arg) for arg in node.keywords if arg.keyword is not None)
            starred = any(arg.star for arg in node.bases) or any(arg.star or arg.keyword is None for arg in node.keywords)
            self.found.append(Definition(kind="class", node_type="ClassDef", bases=bases, keywords=keywords,
                                         has_starred_bases=starred, **common))
            self.visit_body(body, prefix=f"{qualname}.", in_function=in_function, owner=qualname, direct=True)
        else:
            params, params_span = self.parameters(node.params)
            self.found.append(
                Definition(
                    kind="function",
                    node_type="AsyncFunctionDef" if node.asynchronous is not None else "FunctionDef",
                    returns=self.item(node.returns.annotation) if node.returns is not None else None,
                    params=params,
                    params_span=params_span,
                    **common,
                )
            )
            self.visit_body(body, prefix=f"{qualname}.<locals>.", in_function=True, owner=None, direct=True)

    def keyword_item(self, arg: cst.Arg) -> Item:
        start = self.span(arg.keyword).start
        end = self.span(arg.value).end
        return Item(self.text[start:end], Span(start, end))

    def docstring(self, node) -> tuple[str | None, Span | None]:
        if not isinstance(node.body, cst.IndentedBlock) or not node.body.body:
            return None, None
        first = node.body.body[0]
        if not (isinstance(first, cst.SimpleStatementLine) and first.body and isinstance(first.body[0], cst.Expr)):
            return None, None
        value = first.body[0].value
        if not isinstance(value, (cst.SimpleString, cst.ConcatenatedString)):
            return None, None
        evaluated = value.evaluated_value
        if not isinstance(evaluated, str):
            return None, None
        return inspect.cleandoc(evaluated), self.span(value)

    def parameters(self, params: cst.Parameters) -> tuple[tuple[str, ...], Span | None]:
        ordered: list[tuple[str, cst.Param]] = [(p.name.value, p) for p in (*params.posonly_params, *params.params)]
        if isinstance(params.star_arg, cst.Param):
            ordered.append((f"*{params.star_arg.name.value}", params.star_arg))
        ordered.extend((p.name.value, p) for p in params.kwonly_params)
        if params.star_kwarg is not None:
            ordered.append((f"**{params.star_kwarg.name.value}", params.star_kwarg))
        if not ordered:
            return (), None
        first = self.span(ordered[0][1].name).start
        last_param = ordered[-1][1]
        last = self.span(last_param.annotation.annotation if last_param.annotation else last_param.name).end
        return tuple(name for name, _ in ordered), Span(first, last)

    def record_import(self, node) -> None:
        code = cst.Module([]).code_for_node
        if isinstance(node, cst.Import):
            for alias in node.names:
                self.imports.append(Import(code(alias.name), None, _asname(alias), 0))
            return
        module = code(node.module) if node.module is not None else ""
        level = len(node.relative)
        if isinstance(node.names, cst.ImportStar):
            self.imports.append(Import(module, "*", None, level))
            return
        for alias in node.names:
            self.imports.append(Import(module, code(alias.name), _asname(alias), level))


def _asname(alias: cst.ImportAlias) -> str | None:
    return alias.asname.name.value if alias.asname is not None else None


def _bound_names(target: cst.BaseExpression) -> list[str]:
    """Names an assignment target binds: `x`, each of `a, (b, *c)`; not attributes or subscripts."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in _bound_names(element.value)]
    return []
