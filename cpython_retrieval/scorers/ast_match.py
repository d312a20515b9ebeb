"""ASTSemanticMatch: one comparator per ``answer_kind`` of question_types, and the dispatch.

Code-like answers are compared as parsed Python (``ast.dump`` after normalisation), so
spacing, quotes around annotations, backticks, a leading ``@`` or ``->`` do not matter,
while any difference in meaning does.  Lists (decorators, bases, parameters) must match
item for item, in order.
"""

from __future__ import annotations

import re
from typing import Callable

from ..question_types import NOT_PRESENT
from .candidates import Found, Parsed, bare_code, find_code, resolve
from .extract import clean, strip_bullet
from .location import read_location
from .normalize import ParseFailure, find_integers, is_bare_integer, normalize_path, normalize_text_line
from .parsers import (
    parse_call_arguments,
    parse_dotted_name,
    parse_expression,
    parse_expression_list,
    parse_name_list,
)
from .result import ScoreResult, failed, passed

# --- comparison ------------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _compare_items(expected: tuple, got: tuple, word: str) -> str | None:
    """None when equal, else the first difference in words."""
    if len(expected) != len(got):
        return f"expected {_plural(len(expected), word)}, got {len(got)}"
    for i, (e, g) in enumerate(zip(expected, got), 1):
        if e[0] != g[0] or (len(e) > 2 and e[1] != g[1]):
            return f"{word} {i} differs: expected {e[-1]}, got {g[-1]}"
    return None


def _compare(kind: str, expected: Parsed, got: Parsed) -> str | None:
    if kind == "call_arguments":
        return _compare_items(expected.items, got.items, "base") or _compare_items(
            expected.keywords, got.keywords, "keyword")
    if kind == "expression_list":
        return _compare_items(expected.items, got.items, "decorator")
    if kind == "name_list":
        return _compare_items(expected.items, got.items, "parameter")
    if expected.key != got.key:
        what = "class name" if kind == "dotted_name" else "expression"
        return f"{what} differs: expected {expected.shown}, got {got.shown}"
    return None


#: answer_kind -> (parser, is a list, joiner of list spans, "class `X`" names the subject)
_CODE_KINDS: dict[str, tuple[Callable[[str], Parsed], bool, str, bool]] = {
    "expression": (parse_expression, False, ", ", True),
    "dotted_name": (parse_dotted_name, False, ", ", False),
    "call_arguments": (parse_call_arguments, True, ", ", True),
    "expression_list": (parse_expression_list, True, "\n", True),
    "name_list": (parse_name_list, True, ", ", True),
}


def _score_code(kind: str, expected: str, region: str, question: str | None) -> ScoreResult:
    parse, list_kind, joiner, class_is_subject = _CODE_KINDS[kind]
    try:
        want = parse(expected)
    except ParseFailure as exc:
        return failed(f"expected answer is invalid ({exc})")
    found = resolve(
        region,
        lambda t: find_code(t, parse, list_kind=list_kind, joiner=joiner,
                            class_is_subject=class_is_subject, question=question),
        bare_code(parse),
    )
    if not found.items:
        return failed(found.note or "no answer found", clean(region))
    if len(found.items) > 1:
        shown = "; ".join(c.shown.replace("\n", " ") for c in found.items[:4])
        return failed(f"{len(found.items)} candidate answers: {shown}", shown)
    got = found.items[0]
    problem = _compare(kind, want, got)
    return failed(problem, got.shown) if problem else passed(got.shown)


# --- paths or NOT PRESENT ----------------------------------------------------------------


def _score_location(expected: str, region: str) -> ScoreResult:
    found = read_location(region)
    items = found.items
    if not items:
        return failed("no path or NOT PRESENT found", clean(region))
    paths = [p for p in items if p != NOT_PRESENT]
    shown = ", ".join(p if p == NOT_PRESENT else f"Lib/{p}" for p in items)
    if NOT_PRESENT in items and paths:
        return failed("NOT PRESENT plus a path", shown)
    if len(paths) > 1:
        return failed(f"{len(paths)} candidate paths: {', '.join(paths[:4])}", shown)
    got = items[0]
    if expected.strip() == NOT_PRESENT:
        if got == NOT_PRESENT:
            return passed(NOT_PRESENT)
        return failed("answered a path, but no file in the context defines the class", f"Lib/{got}")
    if got == NOT_PRESENT:
        return failed("answered NOT PRESENT, but the class is defined in the context", NOT_PRESENT)
    want = normalize_path(expected)
    if got != want:
        return failed(f"path differs: expected {want}, got {got} (compared without Lib/)", f"Lib/{got}")
    return passed(f"Lib/{got}")


# --- integers ----------------------------------------------------------------------------


def _find_integers(text: str) -> Found[int]:
    values = find_integers(text)
    return Found(values, None if values else "no integer found")


def _score_integer(expected: str, region: str) -> ScoreResult:
    try:
        want = int(expected.strip())
    except ValueError:
        return failed("expected answer is invalid (not an integer)")
    found = resolve(region, _find_integers, lambda line: is_bare_integer(clean(strip_bullet(line))))
    if not found.items:
        return failed("no integer found", clean(region))
    if len(found.items) > 1:
        shown = ", ".join(str(v) for v in found.items[:6])
        return failed(f"{len(found.items)} candidate integers: {shown}", shown)
    got = found.items[0]
    if got != want:
        return failed(f"expected {want}, got {got}", str(got))
    return passed(str(got))


# --- docstring lines ---------------------------------------------------------------------

_TEXT_LEAD_IN = re.compile(
    r"^[^\n]{0,80}?\b(?:docstring|line)\b[^\n:]{0,60}?(?:\s(?:is|reads|says)\b\s*:?|:)\s*"
    r"|^it\s+(?:is|reads|says)\b\s*:?\s*",
    re.I,
)


_QUOTE_MARK = re.compile(r"^\s*>\s*")


def _text_variants(region: str) -> list[str]:
    """Readings of a docstring answer; each must equal the expected line as a whole."""
    text = region.strip()
    variants = [text]
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) == 2 and lines[0].rstrip().endswith(":") and len(lines[0]) <= 120:
        variants.append(lines[1])  # one short intro line ending in ":", then the line itself
    for v in list(variants):
        v = clean(strip_bullet(_QUOTE_MARK.sub("", v)))
        variants.append(v)
        stripped = _TEXT_LEAD_IN.sub("", v, count=1)
        if stripped != v:
            variants.append(stripped)
    return variants


def _score_text_line(expected: str, region: str) -> ScoreResult:
    want = normalize_text_line(expected)
    if not want:
        return failed("expected answer is invalid (empty)")
    variants = _text_variants(region)
    for v in variants:
        if normalize_text_line(v) == want:
            return passed(normalize_text_line(v))
    got = normalize_text_line(clean(region))
    if not got:
        return failed("no answer found")
    n_lines = len([line for line in region.split("\n") if line.strip()])
    if n_lines > 1:
        return failed(f"expected one line, got {n_lines}", got)
    return failed("text differs", got)


# --- dispatch ------------------------------------------------------------------------------


def score_region(
    kind: str, expected: str, region: str, question: str | None = None, *, unmarked: str | None = None
) -> ScoreResult:
    """Score an extracted answer region against the canonical ``expected`` for ``kind``.

    ``unmarked`` is the output before an answer marker was applied; only a docstring line,
    which may itself contain "The answer is", is also compared with it as a whole.
    """
    if kind == "path_or_absent":
        return _score_location(expected, region)
    if kind == "integer":
        return _score_integer(expected, region)
    if kind == "text_line":
        result = _score_text_line(expected, region)
        if not result.correct and unmarked is not None:
            whole = _score_text_line(expected, unmarked)
            if whole.correct:
                return whole
        return result
    if kind in _CODE_KINDS:
        return _score_code(kind, expected, region, question)
    raise ValueError(f"unknown answer_kind {kind!r}")


#: answer_kinds this module can score (question_types must use only these).
ANSWER_KINDS = ("path_or_absent", "integer", "text_line", *_CODE_KINDS)
