"""Find the candidate answers in an answer region, and insist on exactly one.

The anti-gaming rule lives here: every distinct candidate found counts, so an answer that
hedges between answers ("`int` or `str`", two paths, "12 (or 13)") has several and fails.
The one exception is the *final-line rule*: when the last line is a bare candidate and no
earlier line is one, that line is the answer (a model reasoning in prose, then answering).
It does not apply after an answer marker or inside ``<answer>`` tags: what follows a marker
is the answer, all of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from .extract import clean, code_spans, nonempty_lines, strip_bullet
from .hedges import strip_hedges
from .normalize import ParseFailure

T = TypeVar("T")


@dataclass
class Found(Generic[T]):
    """Distinct candidates found, and why there are none when there are none."""

    items: list[T] = field(default_factory=list)
    note: str | None = None


#: "It is 24." / "The answer is 24": a pronoun or "the answer" and a copula, then the answer alone.
_STATEMENT_LEAD = re.compile(
    r"^\s*(?:(?:so|thus|hence|therefore)\s*,?\s*)?(?:it|that|this|the\s+(?:final\s+)?(?:answer|result|count|number))"
    r"\s*(?:is|['’]s|was|would\s+be|should\s+be|must\s+be)\b\s*:?\s*",
    re.I,
)


def statement_core(line: str) -> str:
    """What a line states, for the final-line rule: "Maybe 24" and "It is 24." both state 24."""
    return _STATEMENT_LEAD.sub("", strip_hedges(line), count=1)


#: Words that join candidates without adding meaning: "12 or 13", "Perhaps int, perhaps str", "a / b".
_JOINERS = (r"[?;]|\s/\s|\s[-–—]\s|(?<=\d)[-–](?=\d)"
            r"|\b(?:or|either|and/or|maybe|perhaps|possibly|probably|to|between)\b")
_CONNECTORS = re.compile(rf"(?:\s*(?:,|{_JOINERS})\s*)+", re.I)
_CONNECTORS_NO_COMMA = re.compile(rf"(?:\s*(?:{_JOINERS})\s*)+", re.I)
_BETWEEN = re.compile(r"\bbetween\b(.{1,200}?)\band\b", re.I)
_CONNECTORS_CODE = re.compile(rf"(?:\s*(?:/|{_JOINERS})\s*)+", re.I)


def connector_pieces(text: str, *, commas: bool = True, code: bool = False) -> list[str]:
    """``text`` split at the connectors that join alternatives ("int or str" -> int, str; "11 to 13").

    In code-like answers (``code``) a bare ``/`` joins too ("JSONEncoder/JSONDecoder"); in paths it is a
    separator.
    """
    pattern = _CONNECTORS_CODE if code else _CONNECTORS if commas else _CONNECTORS_NO_COMMA
    text = _BETWEEN.sub(r"\1 or ", text)  # "between 11 and 13": two candidates
    return [p for p in pattern.split(text) if p.strip()]
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+")


def _key(item: object) -> object:
    return getattr(item, "key", item)


_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s")
_UNNUMBERED_BULLET = re.compile(r"^\s*[-*•+]\s+")


def _numbered_items(lines: list[str]) -> list[bool]:
    """Which lines are items of a numbered list (two or more in a row): "1. foo" is an item, but a lone
    "30. More text" states 30."""
    numbered = [bool(_NUMBERED.match(line)) for line in lines]
    return [n and ((i > 0 and numbered[i - 1]) or (i + 1 < len(lines) and numbered[i + 1]))
            for i, n in enumerate(numbered)]


def stated_answers(
    line: str, find: Callable[[str], Found[T]], is_bare: Callable[[str], bool], *, list_item: bool = False
) -> list[T]:
    """The answers a line states: each sentence that is one candidate, or only candidates and connectors.

    "It is 24.", "Maybe 24", "12 or 13", "Either int or str." state answers; "I looked through
    Lib/a.py and Lib/b.py first." mentions candidates in prose and states none.
    """
    stated: list[T] = []
    line = strip_bullet(line) if list_item else _UNNUMBERED_BULLET.sub("", line, count=1)
    for sentence in _SENTENCE_BREAK.split(line):
        core = statement_core(sentence)
        core = core.rstrip(". \t") or core  # "Maybe Lib/x.py.." states Lib/x.py
        if is_bare(core):
            stated.extend(find(core).items)
            continue
        for pieces in (connector_pieces(core), connector_pieces(core, code=True)):
            if len(pieces) > 1 and all(is_bare(p) for p in pieces):  # else prose
                for piece in pieces:
                    stated.extend(find(piece).items)
                break
    return stated


def other_statement(
    text: str, answer: object, find: Callable[[str], Found[T]], is_bare: Callable[[str], bool],
    ignore: Callable[[T], bool] = lambda item: False,
) -> str | None:
    """The first line of ``text`` that states an answer other than ``answer`` (a key), or None."""
    lines = nonempty_lines(text)
    for line, list_item in zip(lines, _numbered_items(lines), strict=True):
        stated = stated_answers(line, find, is_bare, list_item=list_item)
        if any(_key(item) != answer and not ignore(item) for item in stated):
            return line.strip()
    return None


def resolve(
    text: str, find: Callable[[str], Found[T]], is_bare: Callable[[str], bool], *, final_line: bool = True
) -> Found[T]:
    """Candidates of ``text``, narrowed to the last line by the final-line rule when it applies.

    The rule applies only when no earlier line states a different answer (``stated_answers``), however
    far back: "12 or 13" or a bare "Lib/a.py" 5,000 characters earlier keeps a last line from winning.
    """
    found = find(text)
    if len(found.items) <= 1 or not final_line:
        return found
    lines = nonempty_lines(text)
    last_line = statement_core(lines[-1]) if lines else ""
    if len(lines) < 2 or not is_bare(last_line):
        return found
    last = find(last_line)
    if len(last.items) != 1:
        return found
    answer = _key(last.items[0])
    items = _numbered_items(lines)
    for line, list_item in zip(lines[:-1], items, strict=False):
        if any(_key(item) != answer for item in stated_answers(line, find, is_bare, list_item=list_item)):
            return found
    return last


# --- code-like answers: spans, sentences, lead-ins ----------------------------------------


@dataclass(frozen=True)
class Parsed:
    """One code-like candidate: ``key`` compares, ``shown`` is for humans, ``raw`` is the input."""

    key: object
    shown: str
    raw: str
    items: tuple = ()
    keywords: tuple = ()


Parser = Callable[[str], Parsed]

#: Words that end up alone after a lead-in ("It is long.") and are never an answer.
_NOT_ANSWERS = {
    "a", "an", "the", "it", "this", "that", "these", "those", "there", "here", "not", "also", "so",
    "sure", "ok", "okay", "yes", "no", "hmm", "well", "thus", "therefore", "hence", "note", "answer",
    "final", "done", "defined", "located", "found", "in", "on", "at", "by", "of", "to", "as", "and",
    "or", "long", "short", "correct", "incorrect", "right", "wrong", "missing", "empty", "unknown",
    "unclear", "given", "shown", "used", "called", "named", "true", "false", "pass", "...", "is",
    "are", "following", "below", "above", "simply", "just", "only", "exactly", "then", "now",
    "let", "me", "i", "we", "you", "they", "he", "she", "one", "which",
    # hedges ("It is probably ...") are never the answer either
    "maybe", "perhaps", "probably", "possibly", "likely", "presumably", "certain", "think", "guess", "believe",
}
_LEAD_IN = re.compile(
    r"(?:\b(?:is|are|was|were|be|returns?|inherits?\s+from|derives?\s+from|subclass(?:es)?(?:\s+of)?"
    r"|defined\s+(?:in|by|on)|belongs\s+to|in\s+class|class|decorated\s+with|decorators?|parameters?"
    r"|arguments?|annotation|annotated\s+(?:as|with)|bases?|takes|accepts|named|called)\b"
    r"|\b(?:it|that|this|here)['’]s\b|->|[:：](?=\s|$))\s*",
    re.I,
)
_AND = re.compile(r"(?:\s*,)?\s+and\s+", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-Z`\"'*(])")
_SUBJECT_BEFORE = re.compile(r"\b(?:of|for|function|method|def|decorating|named)\s*[*_]*\s*$", re.I)
_CLASS_BEFORE = re.compile(r"\bclass\s*[*_]*\s*$", re.I)
_SUBJECT_AFTER = re.compile(
    r"^[*_]*\s*(?:'s\b|’s\b|returns?\b|inherits?\b|derives?\b|subclasses\b|has\b|have\b|takes\b|accepts\b"
    r"|is\s+(?:decorated|annotated|defined|implemented|declared|a\s+(?:function|method|class))\b|(?:function|method)\b)",
    re.I,
)
_LIST_SEPARATOR = re.compile(r"^(?:\s|,|;|\band\b|[-*•]\s|\d{1,3}[.)]\s)*$", re.I)


def question_names(question: str | None) -> set[str]:
    """Backticked names in the question body: the subject, never the answer."""
    if not question:
        return set()
    body = question.split(" Answer with ", 1)[0]
    names: set[str] = set()
    for m in code_spans(body):
        name = m.group(1).strip()
        names.add(name)
        names.add(name.rsplit(".", 1)[-1])
    return names


def _distinct(cands: list[Parsed]) -> list[Parsed]:
    seen: dict[object, Parsed] = {}
    for cand in cands:
        seen.setdefault(cand.key, cand)
    return list(seen.values())


def _drop_question_names(cands: list[Parsed], names: set[str]) -> list[Parsed]:
    if len(cands) < 2 or not names:
        return cands
    kept = [c for c in cands if clean(c.raw).lstrip("@") not in names and c.shown not in names]
    return kept or cands


def _subject_spans(text: str, spans: list[re.Match[str]], class_is_subject: bool) -> list[re.Match[str]]:
    """Drop spans that name what the question is about ("the return annotation of `get` is ...")."""
    kept = []
    for m in spans:
        before, after = text[max(0, m.start() - 40): m.start()], text[m.end(): m.end() + 40]
        subject = _SUBJECT_BEFORE.search(before) or _SUBJECT_AFTER.match(after)
        if class_is_subject and _CLASS_BEFORE.search(before):
            subject = True
        if not subject:
            kept.append(m)
    return kept


def _span_groups(text: str, spans: list[re.Match[str]], list_kind: bool, joiner: str) -> list[str]:
    """Each span alone, or for list answers runs of spans joined only by separators."""
    if not list_kind:
        return [m.group(1) for m in spans]
    groups: list[list[str]] = []
    previous_end = None
    for m in spans:
        if previous_end is not None and _LIST_SEPARATOR.match(text[previous_end: m.start()]):
            groups[-1].append(m.group(1))
        else:
            groups.append([m.group(1)])
        previous_end = m.end()
    return [joiner.join(group) for group in groups]


def _units(text: str, parse: Parser, list_kind: bool) -> list[str]:
    """Sentences of prose; for lists, a run of lines that are each an item is one unit."""
    units: list[str] = []
    run: list[str] = []
    for line in nonempty_lines(text):
        item = next((i for i in (strip_bullet(line), strip_bullet(strip_hedges(line))) if _try(parse, i)), None)
        if list_kind and item is not None:  # "@b (I think)" is still the list's last item
            run.append(item)
            continue
        if run:
            units.append("\n".join(run))
            run = []
        units.extend(part for part in _SENTENCE_END.split(line) if part.strip())
    if run:
        units.append("\n".join(run))
    return units


def _try(parse: Parser, text: str) -> Parsed | None:
    text = clean(text)
    if not text or text.lower() in _NOT_ANSWERS:
        return None
    try:
        return parse(text)
    except ParseFailure:
        return None


def find_code(
    text: str,
    parse: Parser,
    *,
    list_kind: bool = False,
    joiner: str = ", ",
    class_is_subject: bool = True,
    question: str | None = None,
) -> Found[Parsed]:
    """Code-like candidates: the whole region if it parses, else `spans`, else prose sentences."""
    whole = clean(text)
    try:
        return Found([parse(whole)])
    except ParseFailure as exc:
        note = str(exc)
    names = question_names(question)
    all_spans = code_spans(text)
    spans = [m for m in _subject_spans(text, all_spans, class_is_subject) if m.group(1).strip() not in names]
    if spans:
        cands = _parse_spans(text, spans, parse, list_kind, joiner)
        if cands:
            return Found(_drop_question_names(cands, names))
    cands = []
    for unit in _units(text.replace("`", ""), parse, list_kind):
        unit = clean(unit if "\n" in unit else strip_bullet(unit))
        variants = []
        for reading in dict.fromkeys((unit, clean(strip_hedges(unit)))):  # "Maybe int." states int
            variants.append(reading)
            for m in _LEAD_IN.finditer(reading):
                variants.append(_AND.sub(", ", reading[m.end():]) if list_kind else reading[m.end():])
        read = _read_unit(variants, parse)
        if not read and "\n" in unit:  # lines that are each an item but no list together: each is a candidate
            read = [c for c in (_try(parse, line) for line in unit.split("\n")) if c is not None]
        cands.extend(read)
    if not cands and all_spans:
        # every span looked like the question's subject; they are still the only code given
        cands = _parse_spans(text, all_spans, parse, list_kind, joiner)
    return Found(_drop_question_names(_distinct(cands), names), note)


def _read_unit(variants: list[str], parse: Parser) -> list[Parsed]:
    """The first reading of a sentence that parses: one candidate, or several joined by "or" and the like."""
    for variant in variants:
        found = _try(parse, variant)
        if found is not None:
            return [found]
    for variant in variants:
        pieces = connector_pieces(variant, code=True)  # "int or str": a hedge between two candidates
        parsed = [_try(parse, p) for p in pieces] if len(pieces) > 1 else []
        if parsed and all(parsed):
            return [p for p in parsed if p is not None]
    return []


def _parse_spans(text: str, spans: list[re.Match[str]], parse: Parser, list_kind: bool, joiner: str) -> list[Parsed]:
    return _distinct([c for c in (_try(parse, g) for g in _span_groups(text, spans, list_kind, joiner)) if c])


def bare_code(parse: Parser) -> Callable[[str], bool]:
    """A line that is, in its entirety, one candidate (for the final-line rule)."""

    def is_bare(line: str) -> bool:
        return _try(parse, strip_bullet(line)) is not None

    return is_bare
