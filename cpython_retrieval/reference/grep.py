"""The search floor: a deliberately naive solver that answers every question the way a text search would.

`cpython_retrieval/grep` stands for a reader that never sees the code's structure: it splits the prompt's
`<files>` block at the file headers and reads each file as lines, with regular expressions, indentation and
bracket counting (no `ast`, no libcst, no model, no fact extractor). What it scores is the share of the set a
text search answers; what it misses is the share that needs structure. It must stay naive, deterministic
and documented, so that number means something:

- a definition is found by its line (`class C`, then the first `def m` indented below it for `C.m`; a
  module-level function by `^def f`, else any `def f`), the first hit in context order;
- annotation, parameters and bases are read from that line and the lines after it until its brackets close;
  decorators are the `@` lines directly above it; the docstring is the string on the next non-blank line;
- `module_function_count` counts `def` lines at column 0 of the file (strings and all);
- `class_location` / `absent_symbol`: the first file with a `class Name` line, else `NOT PRESENT`;
- `method_owner`: the `class` lines above the method's first `def` line, by indentation;
- `base_class_location` (two hops): the first base's last dotted part, then the first file with a `class Base`
  line anywhere, whatever the files import;
- `subclass_count` (aggregation): the `class` lines whose one-line bases list `Base` as an item;
- any other question (a type added later): a guess from its wording (`_guess`), else `UNKNOWN`; never an error.

The files are split into lines once per context (keyed by the prompt head's sha256, `prompt_cache`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..generate.question_text import ParsedQuestion, parse_question
from ..question_types import NOT_PRESENT
from .oracle import UNKNOWN, prompt_question, split_context, split_prompt
from .prompt_cache import HeadedPrompt, OnceCache, headed

__all__ = ["GrepFile", "grep_answer", "context_files"]

#: Lines read after a definition line at most, looking for its brackets to close or its docstring.
_LOOKAHEAD = 60
_OPEN, _CLOSE = "([{", ")]}"
_STRING_START = re.compile(r"""^\s*[rRuUbBfF]{0,2}("{3}|'{3}|"|')""")


@dataclass(frozen=True)
class GrepFile:
    """One file of the context, as the lines a search tool sees."""

    path: str
    lines: tuple[str, ...]


_FILES: OnceCache[str, tuple[GrepFile, ...]] = OnceCache(8)


def context_files(prompt: HeadedPrompt) -> tuple[GrepFile, ...]:
    """The prompt's files as lines, once per prompt head; no `<files>` block: no files."""
    def make() -> tuple[GrepFile, ...]:
        context, _ = split_prompt(prompt.text)  # the last `Question: ` is the real one
        if context is None:
            return ()
        return tuple(GrepFile(path, tuple(text.split("\n"))) for path, text in split_context(context))

    return _FILES.get(prompt.key, make)


# -- reading lines ------------------------------------------------------------------------------

def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _code(line: str) -> str:
    """The line without a trailing `# comment` that holds no quote (a search tool's idea of a comment)."""
    return re.sub(r"\s*#[^'\"]*$", "", line)


def _outside_strings(text: str):
    """(index, char, bracket depth before the char) for each character outside '...' and "..." quotes."""
    depth, quote, i = 0, "", 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        else:
            yield i, char, depth
            if char in _OPEN:
                depth += 1
            elif char in _CLOSE:
                depth = max(0, depth - 1)
        i += 1


def _header(lines: tuple[str, ...], at: int) -> tuple[str, int]:
    """(the header text joined, index of its last line): lines from `at` until brackets close, no `\\` at the end."""
    parts, depth = [], 0
    for end in range(at, min(len(lines), at + _LOOKAHEAD)):
        code = _code(lines[end]).strip()
        parts.append(code.removesuffix("\\"))
        for _, char, _ in _outside_strings(code):
            depth += (char in _OPEN) - (char in _CLOSE)
        if depth <= 0 and not code.endswith("\\"):
            return " ".join(parts), end
    return " ".join(parts), min(len(lines), at + _LOOKAHEAD) - 1


def _bracketed(text: str, start: int) -> str | None:
    """The text inside the bracket pair that opens at or after `start`, or None without one."""
    opened = None
    for i, char, depth in _outside_strings(text):
        if i < start:
            continue
        if opened is None:
            if char in _OPEN:
                opened = i
            elif not char.isspace():
                return None
        elif char in _CLOSE and depth == 1:
            return text[opened + 1:i]
    return None if opened is None else text[opened + 1:]


def _items(text: str) -> list[str]:
    """`text` split at commas outside brackets and quotes, each stripped, empty ones left out."""
    cuts = [i for i, char, depth in _outside_strings(text) if char == "," and depth == 0]
    pieces = [text[a + 1:b] for a, b in zip([-1, *cuts], [*cuts, len(text)], strict=True)]
    return [p.strip() for p in pieces if p.strip()]


# -- finding definition lines -------------------------------------------------------------------

def _hits(files, pattern: re.Pattern[str]):
    """(file, line index) of every line the pattern matches, in context order."""
    for file in files:
        for i, line in enumerate(file.lines):
            if pattern.match(line):
                yield file, i


def _first(files, pattern: re.Pattern[str]) -> tuple[GrepFile, int] | None:
    return next(_hits(files, pattern), None)


def _def_pattern(name: str, keyword: str, column0: bool) -> re.Pattern[str]:
    lead = "" if column0 else r"\s*"
    word = r"(?:async\s+)?def" if keyword == "def" else "class"
    return re.compile(rf"^{lead}{word}\s+{re.escape(name)}\b")


def _below(file: GrepFile, at: int, pattern: re.Pattern[str]) -> int | None:
    """The first line after `at` that the pattern matches and that is indented deeper than line `at` (grep -A)."""
    parent = _indent(file.lines[at])
    return next((i for i in range(at + 1, len(file.lines))
                 if pattern.match(file.lines[i]) and _indent(file.lines[i]) > parent), None)


def _locate(files, q: ParsedQuestion, *, want: str | None = None) -> tuple[GrepFile, int] | None:
    """The line defining the question's target, as grep finds it.

    The first dotted part: `^class X` / `^def f` at column 0, else at any indentation; each further part: the
    first matching line after it, indented deeper (never checking where the class ends). Hits of the first part
    are tried in context order until every part is found.
    """
    if q.path is not None:
        files = [f for f in files if f.path == q.path]
    parts = q.symbol.split(".")
    last = want or ("def" if q.kind in ("function", "method") else "class")
    first = last if len(parts) == 1 else "class"
    rest = [_def_pattern(part, last if n == len(parts) - 1 else "class", False) for n, part in enumerate(parts[1:], 1)]
    for column0 in (True, False):
        for file, at in _hits(files, _def_pattern(parts[0], first, column0)):
            for pattern in rest:
                at = _below(file, at, pattern)
                if at is None:
                    break
            else:
                return file, at
    return None


# -- one answer per question type ---------------------------------------------------------------

def _return_annotation(files, q) -> str:
    hit = _locate(files, q)
    if hit is None:
        return UNKNOWN
    text, _ = _header(hit[0].lines, hit[1])
    arrow = text.rfind("->")
    if arrow < 0:
        return "None"
    rest = text[arrow + 2:]
    colon = next((i for i, char, depth in _outside_strings(rest) if char == ":" and depth == 0), len(rest))
    return rest[:colon].strip() or UNKNOWN


def _parameters(files, q) -> str:
    hit = _locate(files, q)
    if hit is None:
        return UNKNOWN
    text, _ = _header(hit[0].lines, hit[1])
    name = re.search(rf"def\s+{re.escape(q.symbol.split('.')[-1])}\b", text)
    inner = _bracketed(text, name.end()) if name else None
    if inner is None:
        return UNKNOWN
    names = []
    for item in _items(inner):
        match = re.match(r"(\*{0,2})\s*([A-Za-z_]\w*)", item)
        if match:
            names.append(match.group(1) + match.group(2))
    return ", ".join(names)


def _base_items(files, q) -> list[str] | None:
    hit = _locate(files, q, want="class")
    if hit is None:
        return None
    text, _ = _header(hit[0].lines, hit[1])
    name = re.search(rf"class\s+{re.escape(q.symbol.split('.')[-1])}\b", text)
    inner = _bracketed(text, name.end()) if name else None
    return [] if inner is None else _items(inner)


def _base_classes(files, q) -> str:
    items = _base_items(files, q)
    if items is None:
        return UNKNOWN
    return ", ".join(items) or "object"


def _decorators(files, q) -> str:
    hit = _locate(files, q)
    if hit is None:
        return UNKNOWN
    file, at = hit
    found = []
    for line in (file.lines[i] for i in range(at - 1, -1, -1)):
        stripped = _code(line).strip()
        if stripped.startswith("@"):
            found.append(stripped)
        elif not line.strip().startswith("#"):
            break
    return "\n".join(reversed(found)) or "none"


def _docstring_first_line(files, q) -> str:
    hit = _locate(files, q)
    if hit is None:
        return UNKNOWN
    file, at = hit
    _, end = _header(file.lines, at)
    after = [line for line in file.lines[end + 1:end + 1 + _LOOKAHEAD] if line.strip()]
    opening = _STRING_START.match(after[0]) if after else None
    if opening is None:
        return UNKNOWN
    quote = opening.group(1)
    for line in [after[0][opening.end():], *after[1:]]:
        text = line.split(quote)[0].strip()
        if text:
            return text
        if quote in line:
            break
    return UNKNOWN


def _class_location(files, q) -> str:
    for column0 in (True, False):
        hit = _first(files, _def_pattern(q.symbol, "class", column0))
        if hit is not None:
            return hit[0].path
    return NOT_PRESENT


def _method_owner(files, q) -> str:
    files = [f for f in files if q.path is None or f.path == q.path]
    hit = _first(files, re.compile(rf"^\s+(?:async\s+)?def\s+{re.escape(q.symbol)}\b"))
    if hit is None:
        return UNKNOWN
    file, at = hit
    chain, level = [], _indent(file.lines[at])
    for line in (file.lines[i] for i in range(at - 1, -1, -1)):
        match = re.match(r"^(\s*)class\s+([A-Za-z_]\w*)", line)
        if match and len(match.group(1)) < level:
            chain.append(match.group(2))
            level = len(match.group(1))
            if level == 0:
                break
    return ".".join(reversed(chain)) or UNKNOWN


def _module_function_count(files, q) -> str:
    file = next((f for f in files if f.path == (q.path or q.symbol)), None)
    if file is None:
        return UNKNOWN
    return str(sum(1 for line in file.lines if re.match(r"(?:async\s+)?def\s", line)))


def _base_class_location(files, q) -> str:
    """Two hops by search: the first base's last dotted part, then the first `class Base` line anywhere."""
    items = _base_items(files, q)
    if not items or "=" in items[0]:
        return UNKNOWN
    base = items[0].split("[")[0].split(".")[-1].strip()
    hit = _first(files, _def_pattern(base, "class", False))
    return hit[0].path if hit else NOT_PRESENT


def _subclass_count(files, q) -> str:
    """Aggregation by search: `class` lines whose bases, on that one line, list the name as an item."""
    count = 0
    for file in files:
        for line in file.lines:
            match = re.match(r"^\s*class\s+[A-Za-z_]\w*\s*\((.*)", line)
            if match and q.symbol in _items(_bracketed("(" + match.group(1), 0) or ""):
                count += 1
    return str(count)


def _import_source(files, q) -> str:
    """Two hops by search: skip the import, take the first file with a `class S` / `def S` line at column 0."""
    hit = _first(files, re.compile(rf"^(?:class|(?:async\s+)?def)\s+{re.escape(q.symbol)}\b"))
    return hit[0].path if hit else NOT_PRESENT


def _inherited_method(files, q) -> str:
    """Inheritance by search: the class above the first indented `def M` line that is not in the asked class."""
    owner, _, method = q.symbol.rpartition(".")
    for file, at in _hits(files, re.compile(rf"^\s+(?:async\s+)?def\s+{re.escape(method)}\b")):
        for line in (file.lines[i] for i in range(at - 1, -1, -1)):
            match = re.match(r"^(\s*)class\s+([A-Za-z_]\w*)", line)
            if match and len(match.group(1)) < _indent(file.lines[at]):
                if match.group(2) != owner.split(".")[-1]:
                    return match.group(2)
                break
    return UNKNOWN


def _method_definer_count(files, q) -> str:
    """Aggregation by search: indented `def S` lines (nested functions and redefinitions count too)."""
    pattern = re.compile(rf"^\s+(?:async\s+)?def\s+{re.escape(q.symbol)}\b")
    return str(sum(1 for _ in _hits(files, pattern)))


_BY_TYPE: dict[str, Callable[..., str]] = {
    "return_annotation": _return_annotation,
    "parameters": _parameters,
    "base_classes": _base_classes,
    "decorators": _decorators,
    "docstring_first_line": _docstring_first_line,
    "class_location": _class_location,
    "absent_symbol": _class_location,
    "method_owner": _method_owner,
    "module_function_count": _module_function_count,
    "base_class_location": _base_class_location,
    "subclass_count": _subclass_count,
    "import_source": _import_source,
    "inherited_method": _inherited_method,
    "method_definer_count": _method_definer_count,
}


def _guess(question: str, files) -> str:
    """A question of a type this model does not know: what a search for its first named name suggests."""
    asked = question.split(" Answer with ", 1)[0]
    quoted = re.findall(r"`([^`]+)`", asked)
    paths = [t for t in quoted if t.startswith("Lib/")]
    names = [t.split(".")[-1] for t in quoted if not t.startswith("Lib/") and re.fullmatch(r"[\w.]+", t)]
    if paths:
        files = [f for f in files if f.path == paths[0]] or files
    if not names:
        return UNKNOWN
    name, lower = names[0], asked.lower()
    if "which file" in lower:
        hit = _first(files, re.compile(rf"^\s*(?:class|(?:async\s+)?def)\s+{re.escape(name)}\b"))
        return hit[0].path if hit else NOT_PRESENT
    if "which class" in lower:
        return _method_owner(files, ParsedQuestion("method_owner", name))
    if "how many" in lower:
        word = re.compile(rf"(?<![\w.]){re.escape(name)}\s*\(" if "call" in lower else rf"\b{re.escape(name)}\b")
        return str(sum(len(word.findall(line)) for f in files for line in f.lines
                       if not re.match(r"\s*(?:class|(?:async\s+)?def)\s", line)))
    return UNKNOWN


def grep_answer(prompt: str | HeadedPrompt) -> str:
    """Answer a rendered prompt from its files by text search alone; any question gets a string, never an error."""
    prompt = headed(prompt)
    question = prompt_question(prompt)
    files = context_files(prompt)
    parsed = parse_question(question)
    try:
        if parsed is not None and parsed.question_type in _BY_TYPE:
            return _BY_TYPE[parsed.question_type](files, parsed)
        return _guess(question, files)
    except RecursionError:  # regular expressions on pathological lines; a search that fails says so
        return UNKNOWN
