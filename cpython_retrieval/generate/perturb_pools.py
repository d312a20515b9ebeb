"""What an edit may bring into a file so that it reads like the file's own code: names the file binds, and the
decorators and bases the file and its package already use.

A perturbation that writes `@functools.cache` into a file that never imports `functools`, or `-> bool` on a
function whose docstring says "Return a list of ...", gives itself away to a careful reader. These helpers
decide which new values are plausible for one file:

- `FileNames`: the names a file binds at module level (imports, `def`, `class`, assignments, loop and `with`
  targets, `if`/`try` blocks included) and the line where each is first bound; an expression may be written
  into a definition only if every name it uses is a builtin or bound above that definition.
- `PackageUsage`: decorator and base-class expressions written in a file's own package (its directory under
  `Lib/`), read with regular expressions (no parse of the package is needed).
- `states_return` / `returns_opaquely`: whether a function's docstring or body already says what it returns.
"""

from __future__ import annotations

import ast
import builtins
import re
import warnings
from dataclasses import dataclass, field

import libcst as cst

from ..parse_lock import PARSE_LOCK
from .definition_records import Definition, ParsedModule

#: Builtin names an edit may use unbound. Fixed across Pythons 3.11+ (3.13's new builtins are left out) so the
#: same pin and seed give the same edits on every interpreter.
BUILTIN_NAMES = frozenset(n for n in dir(builtins) if not n.startswith("_")) - {"PythonFinalizationError"}

#: Decorators never added: each changes how the definition is called or needs a body of a particular shape
#: (a generator, ordering methods, a Protocol, an overload series), so a reader could see it does not fit.
_DECORATORS_NEVER_ADDED = re.compile(
    r"^(?:\w+\.)*(?:staticmethod|classmethod|property|cached_property|abstractproperty|abstractclassmethod|"
    r"abstractstaticmethod|setter|getter|deleter|overload|wraps|contextmanager|asynccontextmanager|"
    r"singledispatch|singledispatchmethod|register|unique|verify|global_enum|total_ordering|"
    r"runtime_checkable|dataclass|coroutine|override|type_check_only|_?simple_enum|_test_simple_enum|member|"
    r"nonmember|dataclass_transform)\b")

_DECORATOR_LINE = re.compile(r"^([ \t]*)@[ \t]*([^\n#]+?)[ \t]*(?:#[^\n]*)?$", re.MULTILINE)
_DEF_LINE = re.compile(r"[ \t]*(?:async[ \t]+)?(def|class)\b")
_PLAIN_IMPORT = re.compile(r"^import ([A-Za-z_]\w*)[ \t]*$", re.MULTILINE)
_CLASS_LINE = re.compile(r"^[ \t]*class[ \t]+\w+[ \t]*\(([^()\n]*)\)[ \t]*:", re.MULTILINE)

#: Docstring words that state what a function returns (the rule docs/perturbations.md states).
_RETURN_WORDS = re.compile(r"\b(?:returns?|returned|returning|yields?|yielded|true|false|none|whether)\b", re.I)
#: Builtin calls whose result type is plain to see (`return str(x)` is a `str`).
_TYPED_CALLS = frozenset({"bool", "int", "float", "complex", "str", "bytes", "bytearray", "list", "dict", "set",
                          "frozenset", "tuple", "len", "repr", "format", "isinstance", "issubclass", "hasattr",
                          "callable", "all", "any", "sorted", "hash", "id", "ord", "chr", "hex", "oct", "bin",
                          "abs", "round", "sum", "divmod", "iter", "reversed", "enumerate", "zip", "map", "filter",
                          "range", "type", "object", "memoryview", "ascii", "super"})


def parse_expression(source: str) -> ast.expr | None:
    try:
        with PARSE_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None


def used_names(source: str) -> set[str] | None:
    """Every name an expression loads, string annotations read as code too; None if it is not an expression."""
    node = parse_expression(source)
    if node is None:
        return None
    names: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            names.add(child.id)
        elif isinstance(child, ast.Constant) and isinstance(child.value, str) and child.value.isprintable():
            inner = used_names(child.value) if child.value.strip() else None
            names |= inner or set()
    return names


@dataclass(frozen=True)
class FileNames:
    """Names bound at module level in one file, with the line of each one's first binding.

    Read from the file's definition records (the same under `ast` and libcst, so every interpreter decides
    alike). Imports and assignments carry no line there and count as bound from the top of the file; a module-level
    class or function is bound from its `def`/`class` line.
    """

    first_line: dict[str, int]

    @classmethod
    def of(cls, parsed: ParsedModule, text: str) -> FileNames:
        found: dict[str, int] = {}
        for item in parsed.imports:
            if item.name == "*":
                continue
            name = item.asname or (item.name if item.name is not None else item.module.split(".")[0])
            found[name] = 0
        for assignment in parsed.assignments:
            if assignment.module_level:
                found[assignment.name] = 0
        for d in parsed.definitions:
            if d.owner_class is None and not d.in_function and "." not in d.qualname:
                line = text.count("\n", 0, d.name_span.start) + 1
                found[d.name] = min(found.get(d.name, line), line)
        return cls(found)

    def allows(self, source: str, line: int, imported: frozenset[str] = frozenset()) -> bool:
        """Every name `source` uses is a builtin, bound in this file on a line before `line`, or in `imported`
        (modules the edit imports at the top of the file)."""
        names = used_names(source)
        return names is not None and all(n in BUILTIN_NAMES or n in imported or self.first_line.get(n, line) < line
                                         for n in names)


def addable_decorator(source: str) -> bool:
    """A general-purpose decorator: a dotted name not read from a builtin (`functools.lru_cache`, `_check_name`), or
    a call of one whose arguments are all non-string constants (`lru_cache(maxsize=512)`, `recursive_repr()`), and
    none of `_DECORATORS_NEVER_ADDED`. A decorator with other arguments (`wraps(func)`, `deprecated("use X")`) is
    tied to the definition it was written for."""
    source = source.strip().lstrip("@").strip()
    if _DECORATORS_NEVER_ADDED.match(source):
        return False
    node = parse_expression(source)
    if isinstance(node, ast.Call):
        arguments = [*node.args, *(k.value for k in node.keywords)]
        if any(not isinstance(a, ast.Constant) or isinstance(a.value, str) for a in arguments):
            return False
        node = node.func
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id not in BUILTIN_NAMES


def callee(source: str) -> str:
    """What a decorator does, whatever its arguments and module: `lru_cache` for `functools.lru_cache(maxsize=512)`;
    every caching decorator (`cache`, `lru_cache`, `cached_property`, `_tp_cache`) is one, `cache`, so that a
    definition never gains a second cache."""
    name = source.strip().lstrip("@").split("(", 1)[0].strip().rsplit(".", 1)[-1]
    return "cache" if "cache" in name.lower() else name


def decorator_uses(text: str) -> list[tuple[str, str]]:
    """(kind, decorator source) for each one-line decorator of a text; kind is "class", "function" (a def at
    column 0) or "method" (an indented def: a method, or now and then a nested function)."""
    out = []
    for m in _DECORATOR_LINE.finditer(text):
        rest = text[m.end() + 1:]
        while True:  # skip the decorators below it down to the def/class line
            line = rest.split("\n", 1)[0]
            if not line.lstrip().startswith("@"):
                break
            rest = rest[len(line) + 1:]
        defined = _DEF_LINE.match(rest)
        if defined is None:
            continue
        kind = "class" if defined.group(1) == "class" else ("function" if not m.group(1) else "method")
        out.append((kind, m.group(2)))
    return out


def base_uses(text: str) -> list[str]:
    """Each positional base written on a one-line `class X(...):` line, as a plain name or dotted name."""
    out = []
    for m in _CLASS_LINE.finditer(text):
        for part in m.group(1).split(","):
            part = part.strip()
            if part and "=" not in part and re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*", part):
                out.append(part)
    return out


@dataclass
class PackageUsage:
    """Decorators and bases written in each package (directory) of the corpus, read on demand."""

    texts_by_dir: dict[str, list[str]] = field(default_factory=dict)
    _decorators: dict[str, list[tuple[str, str]]] = field(default_factory=dict, repr=False)
    _bases: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _imports: dict[str, set[str]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, files) -> PackageUsage:
        """`files`: (display path, text) pairs."""
        by_dir: dict[str, list[str]] = {}
        for path, text in sorted(files):
            by_dir.setdefault(package_of(path), []).append(text)
        return cls(by_dir)

    def decorators(self, path: str) -> list[tuple[str, str]]:
        """(kind, source) of the decorators the files of `path`'s directory write."""
        key = package_of(path)
        if key not in self._decorators:
            self._decorators[key] = [u for t in self.texts_by_dir.get(key, ()) for u in decorator_uses(t)]
        return self._decorators[key]

    def bases(self, path: str) -> list[str]:
        key = package_of(path)
        if key not in self._bases:
            self._bases[key] = [u for t in self.texts_by_dir.get(key, ()) for u in base_uses(t)]
        return self._bases[key]


    def plain_imports(self, path: str) -> set[str]:
        """Modules the package imports with a plain `import X` statement at the top of some file."""
        key = package_of(path)
        if key not in self._imports:
            self._imports[key] = {m for t in self.texts_by_dir.get(key, ()) for m in _PLAIN_IMPORT.findall(t)}
        return self._imports[key]


def dotted_root(source: str) -> str | None:
    """`functools` for `functools.lru_cache(maxsize=None)`: the module a dotted decorator is read from."""
    m = re.match(r"([A-Za-z_]\w*)\.[A-Za-z_]", source.strip())
    return m.group(1) if m else None


def package_of(display_path: str) -> str:
    return display_path.rsplit("/", 1)[0]


def enclosing_packages(display_path: str) -> list[str]:
    """A file's package and the packages around it, nearest first: `Lib/a/b/c.py` -> `Lib/a/b`, `Lib/a`, `Lib`;
    each as a path inside it (`Lib/a/b/_`), as `PackageUsage` methods take."""
    parts = display_path.split("/")[:-1]
    return ["/".join(parts[:i]) + "/_" for i in range(len(parts), 0, -1)]


def states_return(docstring: str | None) -> bool:
    """The docstring says what the function returns (or yields, or whether something holds)."""
    return bool(docstring) and _RETURN_WORDS.search(docstring) is not None


def function_source(text: str, definition: Definition) -> str | None:
    """The `def` statement of `definition` (decorators left out), dedented; None if its end cannot be told from
    indentation alone (a line of a string or a continuation sits left of the body)."""
    lines = text.split("\n")
    first = text.count("\n", 0, definition.name_span.start)
    head = lines[first]
    indent = len(head) - len(head.lstrip(" \t"))
    if not head.lstrip().startswith(("def ", "async ")):
        return None
    end = first + 1
    while end < len(lines):
        line = lines[end]
        if line.strip() and not line.lstrip().startswith("#") and len(line) - len(line.lstrip(" \t")) <= indent:
            break
        end += 1
    block = lines[first:end]
    if any(line.strip() and not line.startswith(head[:indent]) for line in block):
        return None
    return "\n".join(line[indent:] for line in block) + "\n"


def returns_opaquely(text: str, definition: Definition) -> bool:
    """The function returns a value on every `return`, and no returned expression shows its type.

    Opaque: a name, an attribute, a subscript, an `await`, or a call of anything but a builtin whose result type
    is plain (`str(...)`, `len(...)`); a literal, comparison, `not`, arithmetic, f-string or display shows its
    type. A generator (`yield`) and a function that never returns a value are left out: their annotation is fixed
    by their shape. Read with libcst, so every interpreter decides alike.
    """
    source = function_source(text, definition)
    if source is None:
        return False
    try:
        module = cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError):
        return False
    if len(module.body) != 1 or not isinstance(module.body[0], cst.FunctionDef):
        return False
    finder = _Returns()
    module.body[0].body.visit(finder)
    return not finder.yields and bool(finder.values) and all(_opaque(v) for v in finder.values)


class _Returns(cst.CSTVisitor):
    """The returned expressions of one function body, nested definitions and lambdas left out."""

    def __init__(self) -> None:
        self.values: list[cst.BaseExpression | None] = []
        self.yields = False

    def visit_FunctionDef(self, node) -> bool:
        return False

    def visit_ClassDef(self, node) -> bool:
        return False

    def visit_Lambda(self, node) -> bool:
        return False

    def visit_Yield(self, node) -> None:
        self.yields = True

    def visit_Return(self, node: cst.Return) -> None:
        self.values.append(node.value)


def _opaque(value) -> bool:
    if isinstance(value, cst.Await):
        value = value.expression
    if isinstance(value, cst.Name):
        return value.value not in ("True", "False", "None")
    if isinstance(value, (cst.Attribute, cst.Subscript)):
        return True
    if isinstance(value, cst.Call):
        return not (isinstance(value.func, cst.Name) and value.func.value in _TYPED_CALLS)
    return False
