"""Step 2a: parse one source file into neutral definition records (functions, classes, their parts).

Two parsers produce the same records (`definition_records`): `ast` (fast; `definitions_ast`, used
whenever the running interpreter can parse the file) and libcst (`definitions_cst`; parses newer
syntax on any interpreter, so a 3.11 builder can read a 3.15 `Lib/`).
"""

from __future__ import annotations

import ast
import warnings

from ..parse_lock import PARSE_LOCK
from .definition_records import (
    Assignment,
    Definition,
    Import,
    Item,
    LineIndex,
    ParsedModule,
    Span,
    name_span,
)
from .definitions_ast import AstCollector

__all__ = ["Assignment", "Definition", "Import", "Item", "LineIndex", "ParsedModule", "Span", "name_span", "parse_module"]


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
                collector = AstCollector(text)
                return ParsedModule(path, collector.collect(tree), "ast", collector.assignments, collector.imports)
        from .definitions_cst import (
            collect_with_libcst,  # libcst loads only when a file needs it
        )

        definitions, assignments, imports = collect_with_libcst(text)
        return ParsedModule(path, definitions, "libcst", assignments, imports)
