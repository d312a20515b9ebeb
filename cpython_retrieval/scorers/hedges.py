"""Hedges: words of uncertainty around one answer ("Maybe 25.", "I think it's `str`").

The policy (docs/scoring.md, "Hedged answers"): a hedged single answer counts as that answer, for
every question type. A hedge states no second candidate, so it cannot game the one-answer rule; the
score measures what the model retrieved, not how confidently it says so. Hedging *between* answers
("25 or maybe 26") is still several candidates, and a negated answer is still wrong.

``strip_hedges`` removes the phrases (and empty openers such as "Well," or "Actually," at the
start of a sentence), so every type reads the answer that remains; ``NOT_SURE`` lets
the negation check tell "I'm not sure" (a hedge) from "not 25" (a negation).
"""

from __future__ import annotations

import re

_CERTAIN = r"(?:sure|certain|confident|positive)"
_DEGREE = (
    r"(?:entirely|completely|totally|fully|quite|really|absolutely|very|that|too|100\s*%|"
    r"a\s+hundred\s+percent|one\s+hundred\s+percent)"
)
#: What follows "not" / "n't" when it doubts the answer instead of negating it ("not 100% sure").
NOT_SURE = rf"\s+(?:(?:be|say|tell|know)\s+(?:this\s+|that\s+|it\s+)?(?:for\s+)?)?(?:{_DEGREE}\s+)?{_CERTAIN}\b"

_I_AM = r"(?:i['’]m|i\s+am)"
_NOT = r"(?:not|n['’]t|cannot)"
#: "I'm not sure", "Not entirely sure", "I don't know for sure", "I can't be certain".
_DOUBT = (
    rf"(?:(?:{_I_AM}|i)\s+)?(?:do|does|ca|could|would)?{_NOT}{NOT_SURE}"
    r"(?:\s+(?:if|whether|about\s+(?:this|that|it)|of\s+(?:this|that|it)))?"
)
_WORD = r"(?:maybe|perhaps|probably|possibly|likely|presumably|conceivably)"

#: Hedges that open a sentence; the answer follows.
_LEADING = re.compile(
    r"(?:(?<=^)|(?<=[\n.!?;:]\s)|(?<=[\n.!?;:]))(?P<space>[ \t]*)(?:"
    rf"{_DOUBT}(?:[,;]?\s*(?:but|though|however))?"
    r"|i\s+(?:think|believe|guess|suppose|reckon|would\s+say)(?:\s+that)?|i['’]d\s+say"
    r"|(?:my\s+)?(?:best\s+)?guess(?:\s+is)?|if\s+i(?:['’]m|\s+am)\s+not\s+mistaken|if\s+i\s+recall\s+correctly"
    rf"|{_I_AM}\s+(?:fairly|pretty|quite|reasonably|mostly|almost)\s+{_CERTAIN}(?:\s+that)?"
    rf"|(?:most|very|quite)\s+likely|{_WORD}"
    r"|it\s+(?:seems|looks|appears)(?:\s+(?:like|that|to\s+be))?|(?:it\s+)?(?:might|could|may)\s+be"
    r"|is\s+it"
    r"|(?:actually|well|so|ok(?:ay)?|sure|alright|hmm+|yes)(?=[ \t]*,)"  # openers that carry nothing
    r")(?:[ \t]*[,:])?[ \t]+(?=\S)",
    re.I | re.M,
)
#: A hedge word inside "it is probably X".
_INNER = re.compile(rf"\b(is|be|are|was|it['’]s)\s+(?:most\s+|very\s+)?{_WORD}(?=\s+\S)", re.I)
#: Hedges that close a line ("25 (I think)", "25, but I'm not certain.", "25?").
_TRAILING = re.compile(
    r"[ \t]*(?:[,;(—–-][ \t]*)?(?:"
    rf"(?:(?:but|though|although)\s+)?{_DOUBT}"
    r"|i\s+(?:think|believe|guess|suppose)|probably|maybe|perhaps|presumably"
    r"|if\s+i(?:['’]m|\s+am)\s+not\s+mistaken|not\s+sure"
    r")\)?[ \t]*[.!?]*[ \t]*$",
    re.I | re.M,
)
_QUESTION_MARK = re.compile(r"(?<=\S)\?+[ \t]*$", re.M)


def outer_hedge_variants(text: str) -> tuple[str, str]:
    """``text`` without only its opening hedge, and without only its closing one.

    For a docstring line that says "maybe" itself: "I think: Return x, maybe." is "Return x, maybe.".
    """
    opened = _LEADING.sub(r"\g<space>", text, count=1) if _LEADING.match(text) else text
    return opened, _TRAILING.sub("", text, count=1)


def strip_hedges(text: str) -> str:
    """``text`` without hedge phrases; the same text when it has none."""
    out = text
    for _ in range(4):  # "I'm not 100% sure, but I think it's X": two leading hedges
        before = out
        out = _LEADING.sub(r"\g<space>", out)
        out = _TRAILING.sub("", out)
        out = _INNER.sub(r"\1", out)
        out = _QUESTION_MARK.sub("", out)
        if out == before:
            break
    return out
