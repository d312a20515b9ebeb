"""Rejections beyond "not X": words that rule an answer out, strike it through, or set an alternative beside it.

``contradictions`` reads "not X", "X is wrong" and corrections; this module reads the other ways an output
takes back the answer it states (issue 21), each only where it touches the answer itself, so prose around a
right answer is never read as a rejection of it:

- ``rejected``: "X is ruled out", "X doesn't define it", "X isn't the file", "X is false", "X (no)", "X ❌",
  and before the answer "Anything but X", "Unlikely to be X", "❌ X";
- ``struck_through``: ``~~X~~``, ``<del>X</del>``, ``<s>X</s>`` around any candidate;
- ``alternative``: "X or Y" (the answer, then another), and a sentence or paragraph that opens with "or",
  "alternatively" or "otherwise" and offers a candidate ("...\\n\\nor just @staticmethod").

The kind of answer comes in as callables, as in ``contradictions``: ``is_answer`` (the text is the expected
answer and nothing else), ``reads_as_answer`` (the text states the expected answer), ``is_candidate`` (the
text is one candidate of the kind, right or wrong, and nothing else) and ``has_candidate`` (the text states
some candidate).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .candidates import statement_core
from .contradictions import _FILLER, Spans, _inside, _quote, clause_after, clause_before

_MARKS = r"❌|✗|✘|✖|❎|🚫|⛔|👎|×"
_AUX = r"is|are|was|were|does|do|did|has|have|had|can|could|would|should|must|will|may|might"
#: After an answer stated on its own: the words that reject it.
REJECTED_AFTER = re.compile(
    r"[ \t]*(?:[,:—–-][ \t]*)?(?:"
    rf"\(?[ \t]*(?:{_MARKS})"
    r"|\([ \t]*(?:not|no|nope|false|wrong|incorrect|rejected|excluded|ruled[ \t]+out|x)[ \t]*\)"
    rf"|(?:{_AUX})(?:[ \t]+not\b|n['’]t\b)|(?:can['’]t|cannot|won['’]t|ain['’]t)\b"
    r"|(?:(?:is|are|was|were|seems|looks|has[ \t]+been|have[ \t]+been|can[ \t]+be|could[ \t]+be|must[ \t]+be"
    r"|should[ \t]+be|would[ \t]+be|gets|got)[ \t]+)?"
    r"(?:false|untrue|ruled[ \t]+out|excluded|eliminated|impossible|unlikely|rejected|invalid|discarded)\b"
    r")",
    re.I,
)
#: Before an answer: words that rule it out ("Anything but X", "Unlikely to be X", "❌ X").
REJECTED_BEFORE = re.compile(
    r"\banything[ \t]+(?:but|except|other[ \t]+than)\b|\b(?:except(?:[ \t]+for)?|excluding|other[ \t]+than)\b"
    r"|\bunlikely\b|\bhardly\b|\bfar[ \t]+from\b|\brul(?:e|es|ed|ing)[ \t]+out\b|\bexclud(?:e|es|ed|ing)\b"
    rf"|\beliminat(?:e|es|ed|ing)\b|\breject(?:s|ed|ing)?\b|\bdiscard(?:s|ed|ing)?\b|(?:{_MARKS})",
    re.I,
)
_STRUCK = re.compile(
    r"(?<!~)~~(?!~)(?P<tilde>[^\n]+?)(?<!~)~~(?!~)|<\s*(?P<tag>s|del|strike)\s*>(?P<inner>.*?)<\s*/\s*(?P=tag)\s*>",
    re.I | re.S,
)
ALTERNATIVE = re.compile(
    r"(?:\b(?:or|alternatively|otherwise|unless)\b|(?<=\s)/(?=\s))(?:[ \t]+(?:just|maybe|perhaps|possibly|probably|else|even|simply|only"
    r"|also|instead))*[ \t]*[,:]?[ \t]*",
    re.I,
)
#: Where the statement before an "or" begins: a line break, a sentence end, ";" or ": ".
_STATEMENT_START = re.compile(r"\n|[.!?](?=\s)|;|:(?=\s)")
_HEAD_TRIM = " \t,(—–:-*_"
_WORD = re.compile(r"\w")


def rejected(text: str, is_answer: Callable[[str], bool], *, commas: bool, protected: Spans = ()) -> str | None:
    """Why the answer, stated on its own, is ruled out before or after it; None when it is not."""
    for m in REJECTED_AFTER.finditer(text):
        if _inside(m.end() - 1, protected) or not m.group().strip():
            continue
        head = clause_before(text, m.start(), commas)
        if head.strip() and is_answer(head):
            return f'the answer is rejected: "{_quote(text, m.start() - len(head), m.end())}"'
    for m in REJECTED_BEFORE.finditer(text):
        if _inside(m.start(), protected):
            continue
        tail = clause_after(text, m.end(), commas)
        unfilled = tail[_FILLER.match(tail).end():]  # "Unlikely to be X": X
        unworded = tail[_FILLER_WORDS.match(tail).end():]  # "Unlikely to be 'X'": 'X' (quotes may be the answer's)
        if any(t.strip() and is_answer(t) for t in dict.fromkeys((tail, unfilled, unworded))):
            return f'the answer is rejected: "{_quote(text, m.start(), m.end() + len(tail))}"'
    return None


_FILLER_WORDS = re.compile(r"(?:[\s:,*_]|\b(?:the|answer|is|be|it|it['’]s|that|to|exactly|just|simply)\b)*", re.I)
_TEXT_GAP = re.compile(r"[\s'\"`‘’“”.,;:)*_]*")


def rejected_spans(text: str, spans: Spans) -> str | None:
    """``rejected`` for an answer found at ``spans`` (a docstring line): rejecting words right after it."""
    for m in REJECTED_AFTER.finditer(text):
        if _inside(m.end() - 1, spans) or not m.group().strip():
            continue
        for start, end in spans:
            if end <= m.start() and _TEXT_GAP.fullmatch(text, end, m.start()):
                return f'the answer is rejected: "{_quote(text, start, m.end())}"'
    for m in REJECTED_BEFORE.finditer(text):
        if _inside(m.start(), spans):
            continue
        for start, end in spans:
            if start >= m.end() and _FILLER.fullmatch(text, m.end(), start):
                return f'the answer is rejected: "{_quote(text, m.start(), end)}"'
    return None


def struck_through(text: str, has_candidate: Callable[[str], bool], *, protected: Spans = ()) -> str | None:
    """Why a candidate is struck through (a withdrawn answer, whichever it is); None when none is."""
    for m in _STRUCK.finditer(text):
        inner = m.group("tilde") if m.group("tilde") is not None else m.group("inner")
        if _inside(m.start(), protected) or not inner.strip():
            continue
        if has_candidate(inner):
            return f'an answer is struck through: "{_quote(text, m.start(), m.end())}"'
    return None


def _statement_head(text: str, end: int) -> str:
    """The statement that an "or" at ``end`` continues, from where its line or sentence begins."""
    starts = [m.end() for m in _STATEMENT_START.finditer(text, max(0, end - 400), end)]
    begin = starts[-1] if starts else max(0, end - 400)
    head = text[begin:end].rstrip(_HEAD_TRIM)
    return re.sub(r"^[\s*_]*(?:either\b)?", "", head, flags=re.I)


def alternative(
    text: str,
    reads_as_answer: Callable[[str], bool],
    is_candidate: Callable[[str], bool],
    *,
    offers: Callable[[str], bool] | None = None,
    protected: Spans = (),
) -> str | None:
    """Why the output offers an alternative to its answer ("X or Y", "\\n\\nor just Y"); None when it does not.

    An "or" counts when it follows a candidate stated on its own ("12 or 13"), or opens a sentence, line or
    parenthesis and is followed by a candidate alone ("Or perhaps 13."); an alternative that restates the answer
    ("Twelve (or 12)") offers nothing else. ``offers`` (default ``is_candidate``) says what, after an opening
    "or", is a candidate.
    """
    for m in ALTERNATIVE.finditer(text):
        if _inside(m.start(), protected) or re.match(r"or\s+rather\b", text[m.start():], re.I):
            continue  # "or rather" is a correction, read by ``contradictions``
        tail = clause_after(text, m.end(), commas=False)
        if not _WORD.search(tail):
            continue
        head = _statement_head(text, m.start())
        if not head.strip():
            if (offers or is_candidate)(statement_core(tail)) and not reads_as_answer(tail):
                return f'an alternative follows the answer: "{_quote(text, m.start(), m.end() + len(tail))}"'
        elif is_candidate(head) and not (reads_as_answer(head) and reads_as_answer(tail)):
            start = text.rfind(head, 0, m.start())
            return f'an alternative is offered: "{_quote(text, start, m.end() + len(tail))}"'
    return None
