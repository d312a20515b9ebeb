"""Pull the answer region out of raw model output, before any type-specific reading.

Steps, in order (documented in docs/scoring.md):
1. coerce to text, drop NUL/control characters, normalise newlines;
2. drop reasoning: keep what follows the last ``</think>``-style closing tag, up to any opening tag
   that follows it (an unclosed opening tag means the model never finished thinking, so nothing
   after it counts);
3. read all of what remains, up to ``MAX_INPUT_CHARS`` characters (a longer output is read from its
   end and is never credited: see ``Region.truncated``);
4. collect every *answer statement*: each ``<answer>...</answer>`` block, and the paragraph (or
   code block) after each answer marker ("Answer:", "The answer is", "Final answer:"), inside or
   outside the tags. No statement outranks another: all are kept, each distinct one once, so
   statements that disagree are several candidates (``Answer: 26`` then ``Final answer: 25``
   fails);
5. otherwise a single fenced code block is the answer; several different ones are several
   candidates, which fails;
6. otherwise the whole remaining text.

No window hides earlier text: a candidate stated 5,000 or 50,000 characters before the last line
still counts (the "one final answer" policy of docs/scoring.md holds at any distance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .normalize import normalize_text_line

#: Characters of (reasoning-stripped) output read; a longer output is read from its end and never credited,
#: because the text cut off could hold another answer. Far above an 8,192-token output budget.
MAX_INPUT_CHARS = 100_000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TAGS = r"think|thinking|thought|thoughts|reasoning|reflection|scratchpad"
_CLOSE_THINK = re.compile(rf"<\s*/\s*(?:{_TAGS})\s*>", re.I)
_OPEN_THINK = re.compile(rf"<\s*(?:{_TAGS})\s*>", re.I)
_ANSWER_TAG = re.compile(r"<\s*answer\s*>(.*?)(?:<\s*/\s*answer\s*>|\Z)", re.I | re.S)
_ANSWER_TAG_MARKUP = re.compile(r"<\s*/?\s*answer\s*>", re.I)
#: Stands for an ``<answer>`` block in the text around the tags (control characters never survive coerce_text).
_TAG_PLACEHOLDER = "\x00"
_MARKER = re.compile(
    r"(?:\bfinal\s+answer\b|\banswer\b)[ \t]*(?:\*\*|__)?[ \t]*[:：]"
    r"|\bthe\s+(?:final\s+|correct\s+|right\s+)?answer\s+(?:is|would\s+be|should\s+be)\b[ \t]*:?",
    re.I,
)
_LEADING_EMPHASIS = re.compile(r"^\s*(?:\*\*|__)(?=\s)")
_INFO_STRING = re.compile(r"^[\w+#.-]*[ \t]*$")
_SPAN = re.compile(r"`([^`\n]+)`")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class Region:
    """Where the answer is read from; ``problem`` is set when extraction itself already fails."""

    text: str
    source: str  # "marker", "answer_tag", "fence", "text"; after a marker or tag the final-line rule is off
    problem: str | None = None
    #: With a marker, the text before it was applied: a docstring line may itself say "The answer is".
    unmarked: str | None = None
    #: Characters of output (after reasoning) that were not read because the output is longer than
    #: MAX_INPUT_CHARS; such an output is never credited.
    truncated: int = 0


def coerce_text(value: object) -> str:
    """Any input as clean text: scorers must never raise on what a model produced."""
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", errors="replace")
    elif not isinstance(value, str):
        value = str(value)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value)


def strip_reasoning(text: str) -> str:
    """The text after the model's thinking; empty when the thinking never closed."""
    closes = list(_CLOSE_THINK.finditer(text))
    if closes:
        text = text[closes[-1].end():]
    opening = _OPEN_THINK.search(text)  # "</think>I don't know. <think>X": X is unfinished thinking
    if opening:
        return text[: opening.start()]
    return text


def fenced_blocks(text: str) -> list[str]:
    """Contents of ``` / ~~~ fenced blocks (an unclosed last fence runs to the end)."""
    blocks: list[str] = []
    for fence in ("```", "~~~"):
        parts = text.split(fence)
        if len(parts) < 2:
            continue
        for inner in parts[1::2]:
            if "\n" in inner:
                first, rest = inner.split("\n", 1)
                if _INFO_STRING.match(first) and rest.strip():
                    inner = rest
            blocks.append(inner.strip("\n"))
        if blocks:
            break
    return blocks


def _first_paragraph(text: str) -> str:
    """The answer after a marker: a leading code block, else text up to the first blank line."""
    text = _LEADING_EMPHASIS.sub("", text, count=1)
    stripped = text.lstrip()
    if stripped.startswith(("```", "~~~")):
        blocks = fenced_blocks(stripped)
        if blocks:
            return blocks[0]
    stripped = stripped.strip()
    split = _BLANK_LINE.search(stripped)
    return stripped[: split.start()] if split else stripped


def _segment_end(text: str, start: int, next_marker: int) -> int:
    """A marked answer ends where the line holding the next marker begins."""
    newline = text.rfind("\n", start, next_marker)
    return newline if newline >= 0 and text[start:newline].strip() else next_marker


def _statement_key(text: str) -> str:
    """Statements equal up to wrappers and end punctuation ("25" and "`25`.") are one statement."""
    return normalize_text_line(clean(text))


def _distinct_statements(texts: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for text in texts:
        if text.strip():
            seen.setdefault(_statement_key(text), text.strip())
    return list(seen.values())


def _marked(text: str) -> list[str]:
    """The answer after each marker in ``text``, in order; a marker with nothing after it marks nothing."""
    markers = list(_MARKER.finditer(text))
    ends = [_segment_end(text, m.end(), n.start()) for m, n in zip(markers, markers[1:], strict=False)] + [len(text)]
    out = []
    for m, end in zip(markers, ends, strict=False):  # no marker: one end, no segment
        segment = text[m.end(): end]
        if segment.lstrip().startswith(_TAG_PLACEHOLDER):
            continue  # "My answer: <answer>25</answer>": the tag is that statement
        out.append(_first_paragraph(segment.replace(_TAG_PLACEHOLDER, "")))
    return out


def _unmarked_region(text: str, source: str = "text") -> Region:
    """No marker: a single code block, else the whole text."""
    blocks = fenced_blocks(text)
    distinct = list(dict.fromkeys(b.strip() for b in blocks if b.strip()))
    if len(distinct) > 1:
        return Region(text, "fence", f"{len(distinct)} different code blocks")
    if blocks:  # one block, or only empty ones
        return Region(distinct[0] if distinct else "", "fence")
    return Region(text.strip(), source)


def visible_text(output: object) -> str:
    """The output after the model's reasoning, at most its last MAX_INPUT_CHARS characters."""
    return strip_reasoning(coerce_text(output))[-MAX_INPUT_CHARS:]


def answer_text(output: object) -> str:
    """The output a reader judges: reasoning dropped, capped, ``<answer>`` tags turned into line breaks."""
    return _ANSWER_TAG_MARKUP.sub("\n", visible_text(output))


def answer_region(output: object) -> Region:
    """Where in the model output the answer is to be read from."""
    return _answer_region(strip_reasoning(coerce_text(output)))


def _answer_region(text: str) -> Region:
    truncated = max(0, len(text) - MAX_INPUT_CHARS)
    if truncated:
        return replace(_answer_region(text[-MAX_INPUT_CHARS:]), truncated=truncated)
    tags = [m.group(1) for m in _ANSWER_TAG.finditer(text)]
    statements: list[str] = []
    if tags:
        source = "answer_tag"
        for inner in tags:
            marked = _marked(inner)
            if marked:
                statements.extend(marked)
                continue
            region = _unmarked_region(inner, source)
            if region.problem:
                return Region(region.text, source, region.problem)
            statements.append(region.text)
        outside = _ANSWER_TAG.sub(f"\n\n{_TAG_PLACEHOLDER}\n\n", text)
        statements.extend(_marked(outside))
    else:
        source = "marker"
        statements = _marked(text)
    answers = _distinct_statements(statements)
    if answers:
        unmarked = _ANSWER_TAG_MARKUP.sub("", text).strip()
        return Region("\n\n".join(answers), source, unmarked=unmarked)
    return _unmarked_region(text)


def code_spans(text: str) -> list[re.Match[str]]:
    """Inline `code` spans, in order (their ``start()``/``end()`` let callers read the context)."""
    return list(_SPAN.finditer(text))


_CHECK_MARK = re.compile(r"\s*(?:✅|✔️?|✓|☑️?)\s*$")


def clean(text: str) -> str:
    """Remove wrappers that carry no meaning: whitespace, **bold**, `backticks`, one final ``.;,!?``, a final ✅."""
    text = _CHECK_MARK.sub("", text.strip())
    for _ in range(4):
        before = text
        if len(text) > 4 and text.startswith("**") and text.endswith("**") and not text.startswith("***"):
            text = text[2:-2].strip()
        if len(text) >= 2 and text.startswith("`") and text.endswith("`"):
            text = text.strip("`").strip()
        if text[-1:] in ";,!?" or (text.endswith(".") and not text.endswith("..")):
            text = text[:-1].rstrip()
        if text == before:
            break
    return text


_BULLET = re.compile(r"^\s*(?:[-*•+]|\d{1,3}[.)])\s+")


def strip_bullet(line: str) -> str:
    """A list item without its bullet (``- x``, ``* x``, ``1. x``); ``*args`` is not a bullet."""
    return _BULLET.sub("", line, count=1)


def nonempty_lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]
