"""Step 2b: turn a parsed file's definitions into candidate facts, one per (question type, target).

Only facts that can be stated unambiguously within their file are kept here (a target defined
once in its file, items written on one line, a docstring line present verbatim in the source).
Whether a fact is also unambiguous in a whole context is decided per tier in `questions.py`.
The same extractor answers perturbed rows, so no answer is ever written by hand.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..scorers.normalize import looks_like_code
from .definitions import Definition, ParsedModule, Span

#: Docstring lines shorter than this are too generic to be a retrieval target.
MIN_DOCSTRING_LINE = 12


@dataclass(frozen=True)
class Fact:
    question_type: str
    path: str  # display path, e.g. Lib/json/decoder.py
    symbol: str  # qualname; the method name for method_owner; the path for module_function_count
    ast_node_type: str
    answer: str
    answer_json: Any
    span: Span  # where the fact is stated, relative to the file's text
    kind: str = ""  # "function", "method" or "class": how the question names the target


def first_docstring_line(docstring: str | None) -> str | None:
    if not docstring:
        return None
    for line in docstring.split("\n"):
        if line.strip():
            return line.strip()
    return None


def module_facts(parsed: ParsedModule, text: str, display_path: str) -> list[Fact]:
    """Every candidate fact the file offers."""
    defs = [d for d in parsed.definitions if not d.in_function]
    qualname_counts = Counter(d.qualname for d in parsed.definitions)
    facts: list[Fact] = []
    count = parsed.module_function_count
    if count:
        facts.append(Fact("module_function_count", display_path, display_path, "Module", str(count), count,
                          Span(0, len(text)), "module"))
    classes = [d for d in defs if d.kind == "class"]
    for d in defs:
        if qualname_counts[d.qualname] != 1:
            continue  # conditional or repeated definitions: no single answer
        kind = d.kind if d.kind == "class" else ("method" if d.owner_class else "function")
        facts.extend(_definition_facts(d, text, display_path, kind))
    if len(classes) >= 2:
        facts.extend(_method_owner_facts(defs, display_path))
    return facts


def _one_line(*items) -> bool:
    """Written on one line each, and readable as code by the scorer (a conditional expression as a base reads as
    prose there, so such a fact could not be scored and is not asked)."""
    return all("\n" not in item.text and looks_like_code(item.text) for item in items)


def _definition_facts(d: Definition, text: str, path: str, kind: str) -> list[Fact]:
    out: list[Fact] = []

    def add(qtype: str, answer: str, answer_json: Any, span: Span) -> None:
        out.append(Fact(qtype, path, d.qualname, d.node_type, answer, answer_json, span, kind))

    if d.returns is not None and _one_line(d.returns):
        add("return_annotation", d.returns.text, d.returns.text, d.returns.span)
    if d.decorators and _one_line(*d.decorators):
        add("decorators", "\n".join(f"@{item.text}" for item in d.decorators), [item.text for item in d.decorators],
            Span(d.decorators[0].span.start, d.decorators[-1].span.end))
    line = first_docstring_line(d.docstring)
    if line and len(line) >= MIN_DOCSTRING_LINE and d.docstring_span is not None:
        literal = text[d.docstring_span.start : d.docstring_span.end]
        where = literal.find(line)
        if where >= 0:  # escapes in the literal would make the evaluated line differ from what the context shows
            start = d.docstring_span.start + where
            add("docstring_first_line", line, line, Span(start, start + len(line)))
    if d.kind == "function" and d.params and d.params_span is not None:
        add("parameters", ", ".join(d.params), list(d.params), d.params_span)
    if d.kind == "class" and (d.bases or d.keywords) and not d.has_starred_bases and _one_line(*d.bases, *d.keywords):
        items = (*d.bases, *d.keywords)
        add("base_classes", ", ".join(item.text for item in items),
            {"bases": [b.text for b in d.bases], "keywords": [k.text for k in d.keywords]},
            Span(items[0].span.start, items[-1].span.end))
    if d.kind == "class" and d.owner_class is None and d.qualname == d.name:
        add("class_location", path, path, d.name_span)
    return out


def _method_owner_facts(defs: list[Definition], path: str) -> list[Fact]:
    """Methods defined by exactly one class of the file (and not also a module-level function)."""
    owners: dict[str, list[Definition]] = {}
    top_level_functions = {d.name for d in defs if d.kind == "function" and d.owner_class is None}
    for d in defs:
        if d.kind == "function" and d.owner_class is not None:
            owners.setdefault(d.name, []).append(d)
    facts = []
    for name, found in owners.items():
        if len(found) == 1 and name not in top_level_functions and not name.startswith("__"):
            d = found[0]
            facts.append(Fact("method_owner", path, name, d.node_type, d.owner_class, d.owner_class, d.name_span, "method"))
    return facts
