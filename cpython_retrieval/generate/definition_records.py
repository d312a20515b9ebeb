"""The neutral definition records both parsers produce (functions, classes, their parts), and offset helpers.

Offsets are character offsets into the file's text, so spans can be located in a context by adding
the file's position. `definitions_ast` and `definitions_cst` fill these records; `definitions`
chooses between them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class Assignment:
    """A name bound by assignment in a class body or at module level (`x = ...`, `a, b = ...`, `x: int = ...`).

    Not a question target, but a reader looking for "the method `m`" would also consider `m = staticmethod(f)`,
    so targets are named to be unique among these too.
    """

    name: str
    qualname: str  # the owner class's qualname + "." + name, or the name itself at module level
    module_level: bool


@dataclass(frozen=True)
class Import:
    """A module-level import (also under module-level if/try blocks): `import a.b [as c]`, `from .m import N [as K]`."""

    module: str  # "a.b"; for `from . import x` the empty string
    name: str | None  # the imported name of a `from` import, "*" for a star import; None for `import a.b`
    asname: str | None
    level: int  # leading dots of a relative `from` import


@dataclass
class ParsedModule:
    path: str
    definitions: list[Definition] = field(default_factory=list)
    parser: str = "ast"
    assignments: list[Assignment] = field(default_factory=list)  # outside functions, in source order
    imports: list[Import] = field(default_factory=list)  # module-level, in source order

    @property
    def module_function_count(self) -> int:
        return sum(1 for d in self.definitions if d.module_level_function)


class LineIndex:
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


def name_span(text: str, start: int) -> Span:
    match = _DEF_NAME.match(text, start)
    if match is None:  # decorators precede: search forward from the keyword position
        match = _DEF_NAME.search(text, start)
    assert match is not None
    group = 1 if match.group(1) else 2
    return Span(match.start(group), match.end(group))
