"""Version drift: facts that changed between an older CPython release and the dataset's, found by comparing the
two releases' files. A drift row asks such a fact on the tier's ordinary context (no edit, so it shares the tier's
one cacheable prefix); a model recalling the older, longer-trained-on release gives the known stale answer.

Kinds of drift, for a target present in both releases at the same file path and qualified name:

- `changed`: the fact has another value in the older release (a different return annotation, bases, decorators,
  docstring first line, parameters, or number of module-level functions). "Different" is judged on normalised
  values: an older value the primary scorer would accept for the newer answer (a mere re-spacing) is no drift,
  and neither is a docstring whose first paragraph reads the same with its whitespace collapsed (re-wrapping
  moves words between lines, so the first line changes while the text does not).
- `added`: the older definition lacks the fact (no return annotation, decorators, docstring, bases or
  parameters yet). The stale answer is null: there is no older value a reply could repeat.
- `moved` (class_location): a module-level class defined in exactly one file of the older release, another
  file than the one that defines it now.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from .definitions import Definition, ParsedModule
from .facts import Fact, first_docstring_line

#: The question types drift is looked for in.
DRIFT_TYPES = ("return_annotation", "base_classes", "decorators", "docstring_first_line", "parameters",
               "module_function_count", "class_location")
_TOP_LEVEL_CLASS = re.compile(r"^class[ \t]+([A-Za-z_]\w*)", re.MULTILINE)


@dataclass(frozen=True)
class Drift:
    fact: Fact  # the newer release's fact (the expected answer)
    kind: str  # "changed", "added", "moved"
    stale_answer: str | None  # the older release's value; None when it had none


def older_value(question_type: str, old: Definition) -> str | None:
    """What the older definition says for a question type, written as that type's answers are; None if nothing."""
    if question_type == "return_annotation":
        return old.returns.text if old.returns is not None else None
    if question_type == "decorators":
        return "\n".join(f"@{item.text}" for item in old.decorators) or None
    if question_type == "docstring_first_line":
        return first_docstring_line(old.docstring)
    if question_type == "parameters":
        return ", ".join(old.params) or None
    if question_type == "base_classes":
        if old.has_starred_bases:
            return None
        return ", ".join(item.text for item in (*old.bases, *old.keywords)) or None
    raise ValueError(question_type)


def same_answer(question_type: str, new: str, old: str) -> bool:
    from ..scorers import (
        score_answer,  # framework-free; imported late, the build needs it only here
    )

    return score_answer(question_type, new, old).correct


def file_drift(facts: list[Fact], new: ParsedModule, old: ParsedModule | None) -> list[Drift]:
    """Drift of one file's candidate facts against the same path in the older release (None: no such file)."""
    if old is None:
        return []
    old_defs: dict[str, list[Definition]] = defaultdict(list)
    for d in old.definitions:
        old_defs[d.qualname].append(d)
    new_defs: dict[str, list[Definition]] = defaultdict(list)
    for d in new.definitions:
        new_defs[d.qualname].append(d)
    out = []
    for fact in facts:
        if fact.question_type == "module_function_count":
            if old.module_function_count != new.module_function_count:
                out.append(Drift(fact, "changed", str(old.module_function_count)))
            continue
        if fact.question_type not in DRIFT_TYPES or fact.question_type == "class_location":
            continue
        found = old_defs.get(fact.symbol, [])
        if len(found) != 1 or found[0].kind != ("class" if fact.kind == "class" else "function"):
            continue  # not one definition of the same kind at the same qualified name in both releases
        value = older_value(fact.question_type, found[0])
        if value is None:
            out.append(Drift(fact, "added", None))
        elif not same_answer(fact.question_type, fact.answer, value) and not _rewrapped(fact, new_defs, found[0]):
            out.append(Drift(fact, "changed", value))
    return out


def first_paragraph(docstring: str | None) -> str:
    """The docstring's first paragraph (up to its first blank line) with all whitespace collapsed to one space."""
    lines = (docstring or "").strip().split("\n")
    paragraph = []
    for line in lines:
        if not line.strip():
            break
        paragraph.append(line)
    return " ".join(" ".join(paragraph).split())


def _rewrapped(fact: Fact, new_defs: dict[str, list[Definition]], old: Definition) -> bool:
    """A docstring fact whose first paragraph is the same text, only wrapped into lines differently."""
    if fact.question_type != "docstring_first_line":
        return False
    new = new_defs.get(fact.symbol, [])
    return len(new) == 1 and first_paragraph(new[0].docstring) == first_paragraph(old.docstring)


class OlderRelease:
    """The older release's files, parsed on demand (only the paths and class homes the newer tiers ask about)."""

    def __init__(self, version: str, texts: dict[str, str]) -> None:
        self.version = version
        self.texts = texts  # display path -> text
        self._parsed: dict[str, ParsedModule | None] = {}
        self._class_homes: dict[str, list[str]] | None = None

    def parsed(self, display_path: str) -> ParsedModule | None:
        if display_path not in self._parsed:
            from .definitions import parse_module

            text = self.texts.get(display_path)
            try:
                self._parsed[display_path] = None if text is None else parse_module(text, display_path)
            except SyntaxError:
                self._parsed[display_path] = None
        return self._parsed[display_path]

    def class_homes(self, name: str) -> list[str]:
        """Display paths whose module body defines class `name` (a text pre-filter, then each file's parse decides)."""
        if self._class_homes is None:
            homes: dict[str, list[str]] = defaultdict(list)
            for path, text in sorted(self.texts.items()):
                for found in set(_TOP_LEVEL_CLASS.findall(text)):
                    homes[found].append(path)
            self._class_homes = homes
        out = []
        for path in self._class_homes.get(name, []):
            parsed = self.parsed(path)
            if parsed is not None and any(d.kind == "class" and d.qualname == name for d in parsed.definitions):
                out.append(path)
        return out


def moved_class(fact: Fact, older: OlderRelease) -> Drift | None:
    """A class_location fact whose class the older release defined in exactly one other file."""
    homes = older.class_homes(fact.symbol)
    if len(homes) == 1 and homes[0] != fact.path:
        return Drift(fact, "moved", homes[0])
    return None
