"""Contradictions: an answer that reads as right but that the output negates or takes back.

Only answers that already read as correct are checked (a wrong answer cannot become more wrong),
so the questions here are narrow: is the right answer *negated* ("not 25", "It isn't X", "X is
wrong"), or does a *self-correction* ("Actually", "Correction:", "scratch that", ...) follow some
answer, whichever of the two parts is right? The kind of answer comes in as two callables, so
this module knows words, not question types:

- ``reads_as_answer(clause)``: the clause alone states the expected answer;
- ``has_candidate(prefix)``: the text states some answer of the kind (right or wrong).

``protected`` spans (occurrences of an expected docstring line) are the answer's own words: a
"not" or "Actually" inside them is not the model's.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence

from .hedges import NOT_SURE

#: Longest clause read after a negation or before a refutation.
MAX_CLAUSE_CHARS = 300

NEGATION = re.compile(
    rf"(?:\bnot\b|n['’]t\b|\bcannot\b|\bnever\b|\bnor\b|\brather\s+than\b|\binstead\s+of\b)(?!{NOT_SURE})",
    re.I,
)
#: "X is wrong", "X (incorrect)", "X is not the answer": the clause before it is refuted.
REFUTATION = re.compile(
    r"(?:[ \t]*[,:—–-])?[ \t]*\(?[ \t]*"
    r"(?:(?:is|was|are|were|would\s+be|seems|looks)\s+"
    r"(?:(?:definitely|clearly|certainly|probably|obviously|simply|just)\s+)?)?"
    r"(?:wrong|incorrect|not\s+(?:right|correct|true|it\b|the\s+(?:right\s+|correct\s+)?answer))\b",
    re.I,
)

_OPENER = r"(?:^|(?<=[\n.!?;:,(—–-]))[ \t*_]*"
#: Markers that correct only when they open a sentence ("It is actually 25" is emphasis, not a correction).
_OPENING_MARKERS = (
    r"actually\b|corrected\b|revised\b|erratum\b"
    r"|(?:(?:definitely|certainly|surely|clearly|absolutely|probably)[ \t]+)?not[ \t]*[.!]"
    r"|(?:correction|revision|update[ds]?|edit(?:ed)?)\b[ \t*_]*[:,—–-]"
    r"|no\b[ \t]*[,.!]|nope\b|oops\b|whoops\b|hmm+[ \t]*,?[ \t]+no\b"
    r"|rather\b|never[ \t]*mind\b|i[ \t]+mean\b|sorry\b[ \t]*[,.!]?[ \t]*(?:it['’]s|it[ \t]+is|that|the[ \t]+answer)"
)
#: Markers that correct wherever they stand.
_ANYWHERE_MARKERS = (
    r"\bjust[ \t]+kidding\b|\bscratch[ \t]+that\b|\bstrike[ \t]+that\b|\bon[ \t]+second[ \t]+thoughts?\b"
    r"|\bon[ \t]+reflection\b|\bi[ \t]+stand[ \t]+corrected\b|\bi[ \t]+misspoke\b"
    r"|\bi[ \t]+(?:was|am)[ \t]+(?:wrong|mistaken|incorrect)\b"
    r"|\b(?:that|this)(?:['’]s|[ \t]+is|[ \t]+was)[ \t]+"
    r"(?:wrong|incorrect|false|not[ \t]+(?:right|correct|it)\b|a[ \t]+(?:mistake|typo))"
    r"|\bmy[ \t]+(?:mistake|bad|apologies|error)\b|\bi[ \t]+meant\b|\blet[ \t]+me[ \t]+(?:correct|fix|revise|amend)\b"
    r"|\bor[ \t]+rather\b|\bi[ \t]+take[ \t]+(?:that|it)[ \t]+back\b"
    r"|\b(?:disregard|ignore)[ \t]+(?:that|this|the[ \t]+above|what[ \t]+i[ \t]+said"
    r"|my[ \t]+(?:previous|earlier|last|first)[ \t]+answer)\b"
    r"|\bno[ \t]*,?[ \t]+wait\b|\bwait[ \t]*,?[ \t]+no\b"
)
CORRECTION = re.compile(rf"{_OPENER}(?P<m>{_OPENING_MARKERS})|(?P<a>{_ANYWHERE_MARKERS})", re.I | re.M)

#: Words between "not" and the answer that keep it negated ("is not: X", "n't think it's X", "can't be X").
_FILLER = re.compile(
    r"(?:[\s:'\"`‘’“”*_,—–-]|\b(?:the|first|docstring|line|text|answer|is|be|was|are|were|it|it['’]s|that"
    r"|exactly|just|simply|equal|to|think|believe|say|reads?|says?)\b)*",
    re.I,
)
_CLAUSE_END = re.compile(
    r"\n|;|[.!?](?=\s|$)|:(?=\s)|\s[—–-]{1,2}\s|[—–]"
    r"|,?\s+(?:but|so|though|although|however|yet|whereas|instead|because|since|while)\b",
    re.I,
)
_OPEN, _CLOSE = "([{", ")]}"

Spans = Sequence[tuple[int, int]]


def _inside(pos: int, spans: Spans) -> bool:
    """``pos`` lies in one of ``spans`` (sorted, not overlapping: as ``re.finditer`` gives them)."""
    i = bisect.bisect_right(spans, (pos, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


_EVENT = re.compile(rf"(?P<end>{_CLAUSE_END.pattern})|(?P<open>[(\[{{])|(?P<close>[)\]}}])|(?P<comma>,)", re.I)


def clause_after(text: str, start: int, commas: bool) -> str:
    """From ``start`` to the end of its clause (brackets kept whole; commas end it when ``commas``)."""
    end = min(len(text), start + MAX_CLAUSE_CHARS)
    depth = 0
    for m in _EVENT.finditer(text, start, end):
        if m.group("open"):
            depth += 1
        elif depth > 0 and m.group("close"):
            depth -= 1
        elif depth == 0 and (m.group("end") is not None or m.group("close") or (commas and m.group("comma"))):
            return text[start: m.start()]
    return text[start:end]


def clause_before(text: str, end: int, commas: bool) -> str:
    """From the start of the clause that ``end`` closes, to ``end`` (the mirror of ``clause_after``)."""
    begin = max(0, end - MAX_CLAUSE_CHARS)
    depth = 0
    for m in reversed(list(_EVENT.finditer(text, begin, end))):
        if m.group("close"):
            depth += 1
        elif depth > 0 and m.group("open"):
            depth -= 1
        elif depth == 0 and (m.group("end") is not None or m.group("open") or (commas and m.group("comma"))):
            return text[m.end(): end]
    return text[begin:end]


def _word_start(text: str, pos: int) -> int:
    """Back to the start of the word ("isn't", not "n't") for the reason's quote."""
    while pos > 0 and not text[pos - 1].isspace():
        pos -= 1
    return pos


def _quote(text: str, start: int, end: int) -> str:
    snippet = " ".join(text[max(0, start): end].split())
    return snippet if len(snippet) <= 80 else snippet[:77] + "..."


def negation(
    text: str, reads_as_answer: Callable[[str], bool], *, commas: bool, protected: Spans = ()
) -> str | None:
    """Why the answer is negated or refuted in ``text``, or None."""
    for m in NEGATION.finditer(text):
        if _inside(m.start(), protected):
            continue
        tail = clause_after(text, m.end(), commas)
        for following in NEGATION.finditer(tail):  # "not 25 nor 26": the next negation starts its own clause
            if not _inside(m.end() + following.start(), protected):
                tail = tail[: following.start()]
                break
        unfilled = tail[_FILLER.match(tail).end():]  # "n't think it's X": X
        readings = dict.fromkeys(t for t in (tail, unfilled) if t.strip())
        if any(reads_as_answer(t) for t in readings):
            return f'the answer is negated: "{_quote(text, _word_start(text, m.start()), m.end() + len(tail))}"'
    for m in REFUTATION.finditer(text):
        if _inside(m.start(), protected):
            continue
        head = clause_before(text, m.start(), commas)
        if head.strip() and reads_as_answer(head):
            return f'the answer is refuted: "{_quote(text, m.start() - len(head), m.end())}"'
    return None


_TEXT_REFUTATION_GAP = re.compile(r"[\s'\"`‘’“”.,;:)*_]*")


def negation_of_spans(text: str, spans: Spans) -> str | None:
    """``negation`` for an answer found at ``spans`` (a docstring line): "not" right before it, "wrong" right after."""
    for m in NEGATION.finditer(text):
        if _inside(m.start(), spans):
            continue
        for start, end in spans:
            if start >= m.end() and _FILLER.fullmatch(text, m.end(), start):
                return f'the answer is negated: "{_quote(text, _word_start(text, m.start()), end)}"'
    for m in REFUTATION.finditer(text):
        if _inside(m.start(), spans):
            continue
        for start, end in spans:
            if end <= m.start() and _TEXT_REFUTATION_GAP.fullmatch(text, end, m.start()):
                return f'the answer is refuted: "{_quote(text, start, m.end())}"'
    return None


#: What may stand between an answer and the correction that follows it ("25 — Actually", "25. Actually").
_SEPARATORS = " \t\n—–-:;,.!?(*_"


def _marker_start(m: re.Match[str]) -> int:
    return m.start("m") if m.group("m") is not None else m.start()


def correction(text: str, has_candidate: Callable[[str], bool], *, protected: Spans = ()) -> str | None:
    """Why ``text`` takes an answer back (a correction marker after some answer), or None.

    The prefix before the last marker is the longest, so it alone decides whether any marker
    follows an answer (one reading, however many markers).
    """
    markers = [m for m in CORRECTION.finditer(text) if not _inside(_marker_start(m), protected)]
    if not markers or not has_candidate(text[: _marker_start(markers[-1])].rstrip(_SEPARATORS)):
        return None
    word = (markers[-1].group("m") or markers[-1].group("a")).strip()
    return f'self-corrected: "{_quote(word, 0, len(word))}" follows an answer'
