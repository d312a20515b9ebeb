"""Normal forms that make equal answers compare equal: AST dumps, paths, text lines, integers."""

from __future__ import annotations

import ast
import re
import unicodedata
import warnings

from ..parse_lock import PARSE_LOCK

#: Longest single candidate worth parsing; anything longer is not one answer.
MAX_CANDIDATE_CHARS = 1_000
#: How many nested string annotations (``"'X'"``) are unwrapped.
MAX_UNQUOTE_DEPTH = 4


class ParseFailure(Exception):
    """A candidate that cannot be read as the expected kind; the message is the reason."""


# --- expressions -------------------------------------------------------------------------


def parse_expr(source: str) -> ast.expr:
    """One Python expression, or ParseFailure (never SyntaxError, RecursionError, ...)."""
    source = source.strip()
    if not source:
        raise ParseFailure("empty answer")
    if len(source) > MAX_CANDIDATE_CHARS:
        raise ParseFailure("answer too long")
    return _parse(source, "eval").body  # type: ignore[attr-defined]


def parse_module(source: str) -> ast.Module:
    if len(source) > MAX_CANDIDATE_CHARS + 50:
        raise ParseFailure("answer too long")
    return _parse(source, "exec")  # type: ignore[return-value]


def _parse(source: str, mode: str) -> ast.AST:
    try:
        with PARSE_LOCK, warnings.catch_warnings():  # see parse_lock.py: 3.11's ast.parse is not thread-safe
            warnings.simplefilter("ignore")  # invalid escapes in answers must not warn (or error)
            return ast.parse(source, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError) as exc:
        raise ParseFailure("expression does not parse") from exc


def _is_literal_subscript(node: ast.Subscript) -> bool:
    target = node.value
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name == "Literal"


class _Unquote(ast.NodeTransformer):
    """Read string annotations as the expression they spell (``'Node'`` == ``Node``).

    ``Literal[...]`` arguments stay strings: there the quotes are the meaning.
    """

    def __init__(self, depth: int = 0) -> None:
        self.depth = depth

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if _is_literal_subscript(node):
            node.value = self.visit(node.value)
            return node
        return self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if not isinstance(node.value, str) or self.depth >= MAX_UNQUOTE_DEPTH:
            return node
        try:
            inner = parse_expr(node.value)
        except ParseFailure:
            return node
        return _Unquote(self.depth + 1).visit(inner)


def expr_key(node: ast.AST) -> str:
    """Comparable form of an expression: its AST dump after reading string annotations."""
    try:
        return ast.dump(_Unquote().visit(node))
    except RecursionError as exc:
        raise ParseFailure("expression too deeply nested") from exc


def expr_text(node: ast.AST) -> str:
    """Readable form for ``ScoreResult.extracted``."""
    try:
        return ast.unparse(node)
    except (RecursionError, ValueError, AttributeError, TypeError):
        return "<expression>"


# --- telling code from prose -------------------------------------------------------------

_STRING_LITERAL = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
_BRACKETED = re.compile(r"\([^()\[\]{}]*\)|\[[^()\[\]{}]*\]|\{[^()\[\]{}]*\}")
_TWO_WORDS = re.compile(r"[^\W\d]\w*[ \t]+[^\W\d]\w*")


def looks_like_code(text: str) -> bool:
    """False for prose: two words side by side outside strings and brackets.

    Python parses ``It is JSONDecoder`` and ``not present``; an answer written in any
    supported format never has two bare words in a row, so such text is read as prose.
    """
    text = _STRING_LITERAL.sub("''", text)
    for _ in range(20):
        reduced = _BRACKETED.sub("()", text)
        if reduced == text:
            break
        text = reduced
    return not _TWO_WORDS.search(text)


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside brackets and quotes (``f(a, b), c`` -> two items)."""
    items: list[str] = []
    depth = 0
    quote = ""
    start = 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch == sep and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return items


# --- paths -------------------------------------------------------------------------------

#: A ``.py`` path token: segments of word characters, dots and dashes, ``/`` or ``\`` between.
PATH_TOKEN = re.compile(r"(?<![\w.\\/-])([\\/]?(?:[\w.-]+[\\/])*[\w-][\w.-]*\.py)(?![\w\\/])")


def normalize_path(path: str) -> str:
    """Forward slashes, no ``./``, no leading ``/`` or ``Lib/``: ``Lib\\json\\x.py`` == ``json/x.py``."""
    path = path.strip().replace("\\", "/")
    path = re.sub(r"/{2,}", "/", path)
    while path.startswith(("./", "/")):
        path = path[2:] if path.startswith("./") else path[1:]
    if path[:4].lower() == "lib/":
        path = path[4:]
    return path


def find_paths(text: str) -> list[str]:
    """Distinct normalised ``.py`` paths in ``text``, in order of first appearance."""
    return list(dict.fromkeys(normalize_path(m.group(1)) for m in PATH_TOKEN.finditer(text)))


# --- docstring lines ---------------------------------------------------------------------

_QUOTE_CHARS = "'\"`‘’‚‛“”„‟«»"
_DROP_QUOTES = {ord(c): None for c in _QUOTE_CHARS}
_STRING_PREFIX = re.compile(r"^[rRuU](?=['\"])")
_TRAILING_PUNCT = ".,;:!?…"


def normalize_text_line(text: str) -> str:
    """Compare docstring lines ignoring whitespace runs, every quote character and end punctuation."""
    text = unicodedata.normalize("NFC", text.strip())
    text = _STRING_PREFIX.sub("", text)
    text = text.translate(_DROP_QUOTES)
    text = " ".join(text.split())
    return text.rstrip(_TRAILING_PUNCT + " ")


def find_text_line(line: str, text: str) -> list[tuple[int, int]]:
    """Where ``line`` occurs in ``text`` as ``normalize_text_line`` compares it (quotes and spacing free).

    The spans let the contradiction check tell a docstring's own words ("Do not call ...")
    from the model's words around it.
    """
    want = normalize_text_line(line)
    if not want:
        return []
    quotes = re.escape(_QUOTE_CHARS)
    parts = [rf"[\s{quotes}]+" if ch == " " else re.escape(ch) + f"[{quotes}]*" for ch in want]
    pattern = rf"(?<!\w)[{quotes}]*" + "".join(parts) + rf"[{quotes}{re.escape(_TRAILING_PUNCT)}]*(?!\w)"
    try:
        return [m.span() for m in re.finditer(pattern, unicodedata.normalize("NFC", text))]
    except (re.error, RecursionError, MemoryError):
        return []


# --- integers ----------------------------------------------------------------------------

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
          "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_WORD_VALUE = {w: i for i, w in enumerate(_UNITS)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
_NUMBER_WORD = re.compile(
    rf"\b(?:({'|'.join(_TENS)})(?:[\s-]+({'|'.join(_UNITS[1:10])}))?|({'|'.join(_UNITS)}))\b", re.I
)
#: Digits standing alone: not inside a word (``base64``), a decimal (``3.11``), a path or a
#: percentage ("not 100% sure" is a hedge, never a count).
_DIGITS = re.compile(r"(?<![\w.\\/])(-?)(\d{1,9})(?![\w\\/]|\.\d|\s*%)")
_NONE = re.compile(r"^\s*(?:none|no\s+(?:\w+[ -])?functions?)\s*\.?\s*$", re.I)


def find_integers(text: str) -> list[int]:
    """Distinct integers stated in ``text`` (digits or number words), in order.

    The word "one" only counts when nothing else is a number, because prose uses it as a
    pronoun ("12 functions, one of them async").
    """
    values: list[int] = []
    for m in _DIGITS.finditer(text):
        values.append(-int(m.group(2)) if m.group(1) else int(m.group(2)))
    saw_one = False
    for m in _NUMBER_WORD.finditer(text):
        if m.group(3):
            word = m.group(3).lower()
            if word == "one":
                saw_one = True
                continue
            values.append(_WORD_VALUE[word])
        else:
            values.append(_WORD_VALUE[m.group(1).lower()] + (_WORD_VALUE[m.group(2).lower()] if m.group(2) else 0))
    if saw_one and not values:
        values.append(1)
    if not values and _NONE.match(text):
        values.append(0)
    return list(dict.fromkeys(values))


def integer_mentions(text: str) -> list[tuple[int, int, int]]:
    """(start, end, value) of every integer written in ``text`` (digits or a number word, "one" included)."""
    out = [(m.start(), m.end(), -int(m.group(2)) if m.group(1) else int(m.group(2))) for m in _DIGITS.finditer(text)]
    for m in _NUMBER_WORD.finditer(text):
        if m.group(3):
            value = _WORD_VALUE[m.group(3).lower()]
        else:
            value = _WORD_VALUE[m.group(1).lower()] + (_WORD_VALUE[m.group(2).lower()] if m.group(2) else 0)
        out.append((m.start(), m.end(), value))
    return sorted(out)


def is_bare_integer(text: str) -> bool:
    """The whole text is one number (``12``, ``twelve``), nothing else."""
    text = text.strip().rstrip(".").strip()
    return bool(re.fullmatch(r"-?\d{1,9}", text)) or bool(_NUMBER_WORD.fullmatch(text))
