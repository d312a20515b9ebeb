"""ASTSemanticMatch: one comparator per ``answer_kind`` of question_types, and the dispatch.

Code-like answers are compared as parsed Python (``ast.dump`` after normalisation), so
spacing, quotes around annotations, backticks, a leading ``@`` or ``->`` do not matter,
while any difference in meaning does.  Lists (decorators, bases, parameters) must match
item for item, in order.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..question_types import NOT_PRESENT
from .candidates import Found, Parsed, bare_code, find_code, other_statement, resolve
from .extract import clean, strip_bullet
from .hedges import outer_hedge_variants, strip_hedges
from .location import bare_location, find_location, is_bare_location, is_location_candidate, read_location
from .normalize import (
    ParseFailure,
    find_integers,
    is_bare_integer,
    normalize_path,
    normalize_text_line,
)
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
    for i, (e, g) in enumerate(zip(expected, got, strict=True), 1):
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


def _find_code(kind: str, text: str, question: str | None) -> Found[Parsed]:
    parse, list_kind, joiner, class_is_subject = _CODE_KINDS[kind]
    return find_code(text, parse, list_kind=list_kind, joiner=joiner, class_is_subject=class_is_subject,
                     question=question)


def _score_code(kind: str, expected: str, region: str, question: str | None, final_line: bool) -> ScoreResult:
    parse = _CODE_KINDS[kind][0]
    try:
        want = parse(expected)
    except ParseFailure as exc:
        return failed(f"expected answer is invalid ({exc})")
    found = resolve(region, lambda t: _find_code(kind, t, question), bare_code(parse), final_line=final_line)
    if not found.items:
        return failed(found.note or "no answer found", clean(region))
    if len(found.items) > 1:
        shown = "; ".join(c.shown.replace("\n", " ") for c in found.items[:4])
        return failed(f"{len(found.items)} candidate answers: {shown}", shown)
    got = found.items[0]
    problem = _compare(kind, want, got)
    return failed(problem, got.shown) if problem else passed(got.shown)


# --- paths or NOT PRESENT ----------------------------------------------------------------


def _score_location(expected: str, region: str, final_line: bool) -> ScoreResult:
    found = read_location(region, final_line=final_line)
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


def _is_bare_integer_line(line: str) -> bool:
    return is_bare_integer(clean(strip_bullet(line)))


def _score_integer(expected: str, region: str, final_line: bool) -> ScoreResult:
    try:
        want = int(expected.strip())
    except ValueError:
        return failed("expected answer is invalid (not an integer)")
    found = resolve(region, _find_integers, _is_bare_integer_line, final_line=final_line)
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
    r"|^it(?:\s+(?:is|reads|says)|['’]s)\b\s*:?\s*",
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


def _score_once(kind: str, expected: str, region: str, question: str | None, final_line: bool) -> ScoreResult:
    if kind == "path_or_absent":
        return _score_location(expected, region, final_line)
    if kind == "integer":
        return _score_integer(expected, region, final_line)
    if kind == "text_line":
        return _score_text_line(expected, region)
    if kind in _CODE_KINDS:
        return _score_code(kind, expected, region, question, final_line)
    raise ValueError(f"unknown answer_kind {kind!r}")


#: Reasons that say a reading found several answers (the hedge-free retry must not turn them into one).
_SEVERAL = re.compile(r"\d+ candidate (?:answers|integers|paths)|\d+ different|NOT PRESENT plus a path")


def _is_bare_code(kind: str, text: str) -> bool:
    return kind in _CODE_KINDS and bare_code(_CODE_KINDS[kind][0])(text)


def score_region(
    kind: str,
    expected: str,
    region: str,
    question: str | None = None,
    *,
    unmarked: str | None = None,
    final_line: bool = True,
) -> ScoreResult:
    """Score an extracted answer region against the canonical ``expected`` for ``kind``.

    ``unmarked`` is the output before an answer marker was applied; only a docstring line,
    which may itself contain "The answer is", is also compared with it as a whole.
    ``final_line`` is False for a marked region (the final-line rule is off there). A region
    that fails is read once more without its hedges ("Maybe 25."): a hedged answer is that
    answer. (No stdlib parameter or class is named like a hedge word, so none is lost.)
    """
    result = _score_once(kind, expected, region, question, final_line)
    if not result.correct and kind == "text_line" and unmarked is not None:
        whole = _score_text_line(expected, unmarked)
        if whole.correct:
            return whole
    if not result.correct and not _SEVERAL.match(result.reason):  # hedges never remove a candidate
        variants = [strip_hedges(region)]
        if kind == "text_line":  # the line may say "maybe" itself: also drop only the outer hedge
            variants.extend(outer_hedge_variants(region))
        for unhedged in dict.fromkeys(variants):
            if unhedged != region and unhedged.strip():
                retry = _score_once(kind, expected, unhedged, question, final_line)
                if retry.correct:
                    return retry
    return result


# --- what the contradiction check needs to know about a kind ----------------------------------

#: Kinds whose answers are comma-separated lists (a comma does not end their clause).
LIST_KINDS = ("call_arguments", "expression_list", "name_list")
_TOKEN = re.compile(r"[^\W\d]\w*|\d+")


def reads_as(kind: str, expected: str, clause: str, question: str | None = None) -> bool:
    """``clause`` alone states the expected answer (used on the clause after "not" and the like)."""
    if kind in _CODE_KINDS and not all(t in clause for t in _TOKEN.findall(expected)):
        return False  # cheap: an equal answer spells every name of the expected one
    return _score_once(kind, expected, clause, question, final_line=False).correct


def has_candidate(kind: str, text: str, question: str | None = None) -> bool:
    """``text`` states some answer of the kind, right or wrong (a docstring line may be any words).

    Code-like text is also read line by line: lines that each parse can fail to parse together.
    """
    if kind == "integer":
        return bool(find_integers(text))
    if kind == "path_or_absent":
        return bool(find_location(text).items)
    if kind == "text_line":
        return bool(re.search(r"\w", text))
    if _find_code(kind, text, question).items:
        return True
    lines = [line for line in text.split("\n") if line.strip()]
    return len(lines) > 1 and any(_find_code(kind, line, question).items for line in lines)


def restated_otherwise(kind: str, expected: str, text: str) -> str | None:
    """A line of the output that states another count or path than ``expected``, wherever it stands
    ("Answer: 31" then a later line "30."); None when there is none.

    Only counts and paths: their bare candidates are unmistakable, while a lone word ("Summary") parses
    as a class name. A later absence wording next to a right path is left to the negation checks.
    """
    if kind == "integer":
        return other_statement(text, int(expected), _find_integers, _is_bare_integer_line)
    if kind == "path_or_absent":
        answer = NOT_PRESENT if expected.strip() == NOT_PRESENT else normalize_path(expected)
        return other_statement(text, answer, find_location, bare_location,
                               ignore=lambda item: item == NOT_PRESENT)
    return None


def is_candidate(kind: str, text: str) -> bool:
    """The whole text is one candidate of the kind, right or wrong (a docstring line may be any words)."""
    if kind == "integer":
        return _is_bare_integer_line(text)
    if kind == "path_or_absent":
        return is_location_candidate(text)
    if kind == "text_line":
        return bool(re.search(r"\w", text))
    return bare_code(_CODE_KINDS[kind][0])(text)


def is_bare_answer(kind: str, expected: str, text: str) -> bool:
    """The whole text is the expected answer with no words around it (nothing there to contradict it).

    Strict on purpose: parsers accept generous formats, so "parses as the kind" is not enough;
    the whole text must read as exactly the expected answer.
    """
    if kind == "integer":
        return _is_bare_integer_line(text) and find_integers(text) == [int(expected)]
    if kind == "path_or_absent":
        return is_bare_location(text)
    if kind == "text_line":
        return normalize_text_line(text) == normalize_text_line(expected)
    parse = _CODE_KINDS[kind][0]
    try:
        return _compare(kind, parse(expected), parse(clean(text))) is None
    except ParseFailure:
        return False


#: answer_kinds this module can score (question_types must use only these).
ANSWER_KINDS = ("path_or_absent", "integer", "text_line", *_CODE_KINDS)
