"""Textual distractors: whether the words a structure question is about also show in the context where they do
not answer it, so that only the code's structure tells the answer apart.

The structure families (two hops, aggregation) are asked to measure reading structure, not finding a line. A
target whose name shows once in the context is answered by its first textual hit, so the sampling prefers
targets with distractors (`questions.stratified_pick`): for each type, the candidates flagged here come first
(in the seeded order, round-robin over depth), the others only when too few are flagged. The rule is read from
the context's lines alone (the same lines for every candidate of a context, counted once), never from a
solver's answers:

- `method_definer_count` of `m`: the number of indented `def m` lines differs from the number of classes that
  define `m` (a nested function, a method inside a function, a property's getter and setter, a class defining
  `m` in two branches);
- `subclass_count` of `B`: the number of `class` lines whose bases, as far as that one line shows them, list
  `B` as an item differs from the number of classes listing `B` (a bases list spread over lines, a class
  statement in a docstring);
- `inherited_method` of `C.m`: more than one indented `def m` line in the context (other classes define `m`
  too, so the one that counts is the one C's bases lead to);
- `import_source` of `S`: more than one file of the context has a `class S`/`def S` line at column 0 (the import
  statement, not the name, decides the file);
- `base_class_location` of `B`: more than one `class B` line in the context, at any indentation.
"""

from __future__ import annotations

import re
from collections import Counter

from .contexts import Context

_INDENTED_DEF = re.compile(r"^[ \t]+(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)", re.M)
_TOP_DEF = re.compile(r"^(?:class|(?:async[ \t]+)?def)[ \t]+([A-Za-z_]\w*)", re.M)
_CLASS = re.compile(r"^[ \t]*class[ \t]+([A-Za-z_]\w*)", re.M)
_CLASS_BASES = re.compile(r"^[ \t]*class[ \t]+[A-Za-z_]\w*[ \t]*\((.*)$", re.M)


def _line_items(rest: str) -> list[str]:
    """The bases written on a class line after its `(`: split at commas outside brackets, up to the closing `)`
    or the end of the line (quotes are not read: a line is what a search shows)."""
    items, depth, current = [], 0, []
    for char in rest:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


class TextCounts:
    """How often each name shows on the kinds of lines above, in one context's text (counted once)."""

    def __init__(self, context: Context):
        text = context.text
        self.indented_defs = Counter(_INDENTED_DEF.findall(text))
        self.class_lines = Counter(_CLASS.findall(text))
        self.base_lines: Counter[str] = Counter()
        for rest in _CLASS_BASES.findall(text):
            self.base_lines.update(set(_line_items(rest)))
        self.top_files: Counter[str] = Counter()
        for path in context.paths:
            start = context.file_starts[path]
            end = min((s for s in context.file_starts.values() if s > start), default=len(text))
            self.top_files.update(set(_TOP_DEF.findall(text, start, end)))

    def method_definer_count(self, method: str, count: int) -> bool:
        return self.indented_defs[method] != count

    def subclass_count(self, base: str, count: int) -> bool:
        return self.base_lines[base] != count

    def inherited_method(self, method: str) -> bool:
        return self.indented_defs[method] > 1

    def import_source(self, name: str) -> bool:
        return self.top_files[name] > 1

    def base_class_location(self, base: str) -> bool:
        return self.class_lines[base] > 1
