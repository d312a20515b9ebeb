"""The wording of every question, and its exact inverse: one place for both, so the generator's questions and
the reference models' reading of them cannot drift apart.

A target is named so that one binding in the question's scope matches it (see `questions.NameIndex`):

- a class or a method by its dotted qualified name ("the method `Request.get_header`");
- a function at module level as "the module-level function `name`";
- with " defined in `Lib/x.py`" when the name alone would match more than one binding in the context.

Each question ends with its type's answer format (`question_types.QUESTION_TYPES[...].answer_format`), which
states the counting rules a reader could doubt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..prompt import QUESTION_MARK
from ..question_types import QUESTION_TYPES

#: How a question names a definition target, by `Fact.kind`.
KIND_PHRASES = {"function": "module-level function", "method": "method", "class": "class"}
_PHRASE_KINDS = {phrase: kind for kind, phrase in KIND_PHRASES.items()}

#: The subclass-count matching rule, stated in the question itself.
SUBCLASS_RULE = ("Count every `class` statement in every file, nested ones included, whose bases (inside its "
                 "parentheses, before any keyword such as `metaclass=`) include `{base}` written exactly like that; "
                 "a base written as `module.{base}` or `{base}[...]` does not count.")

#: The method-definer-count matching rule, stated in the question itself.
DEFINER_RULE = ("Count every `class` statement outside functions in every file, nested classes included, whose own "
                "body (its `if`/`try`/`with`/`for`/`while`/`match` blocks included, nested classes and functions not) "
                "holds a `def {method}` or `async def {method}`; a class counts once however often it defines it.")

_BODIES = {
    "return_annotation": "What is the return annotation of the {kind} `{symbol}`{where}?",
    "decorators": "Which decorators are applied to the {kind} `{symbol}`{where}, from top to bottom?",
    "docstring_first_line": "What is the first non-empty line of the docstring of the {kind} `{symbol}`{where}?",
    "parameters": "What are the parameter names of the {kind} `{symbol}`{where}, in order?",
    "base_classes": "What are the base classes of the class `{symbol}`{where}, in order?",
    "class_location": "Which file defines the class `{symbol}`?",
    "absent_symbol": "Which file defines the class `{symbol}`?",
    "method_owner": "In `{path}`, which class defines the method `{symbol}`?",
    "module_function_count": (
        "How many functions are defined directly in the module body of `{path}` (count top-level `def` and "
        "`async def` statements only, not those inside classes, functions or `if`/`try`/`with` blocks)?"
    ),
    "base_class_location": "Which file defines the first base class of the class `{symbol}`{where}?",
    "subclass_count": "How many classes in the context list `{symbol}` among their bases? " + SUBCLASS_RULE.replace(
        "{base}", "{symbol}"),
    "import_source": "Which file defines the name `{symbol}` that `{path}` imports?",
    "inherited_method": ("`{symbol}` is inherited: the class{where} does not define the method itself. Which class "
                         "provides it, following the class's bases?"),
    "method_definer_count": "How many classes in the context define a method named `{symbol}`? " + DEFINER_RULE.replace(
        "{method}", "{symbol}"),
}


def question_text(question_type: str, symbol: str, path: str, kind: str, name_file: bool) -> str:
    """The question as asked, ending with the type's answer format."""
    where = f" defined in `{path}`" if name_file else ""
    body = _BODIES[question_type].format(kind=KIND_PHRASES.get(kind, kind), symbol=symbol, path=path, where=where)
    return f"{body} Answer with {QUESTION_TYPES[question_type].answer_format}."


@dataclass(frozen=True)
class ParsedQuestion:
    """A question read back from its wording. `class_location` also stands for `absent_symbol` (same words)."""

    question_type: str
    symbol: str
    path: str | None = None  # the file the question names, if any
    kind: str | None = None  # "function" (module-level), "method" or "class"


def _pattern(body: str) -> re.Pattern[str]:
    text = re.escape(body)
    for field, group in (("kind", r"(?P<kind>module\-level\ function|method|class)"), ("symbol", r"(?P<symbol>[^`]+)"),
                         ("path", r"(?P<path>[^`]+)"), ("where", r"(?: defined\ in\ `(?P<where>[^`]+)`)?")):
        text = text.replace(re.escape("{" + field + "}"), group, 1)
        text = text.replace(re.escape("{" + field + "}"), f"(?P={group.split('>')[0][4:]})")
    return re.compile(text)


_PATTERNS = [(qtype, _pattern(body)) for qtype, body in _BODIES.items() if qtype != "absent_symbol"]


def parse_question(question: str) -> ParsedQuestion | None:
    """Read a question (with or without a `Question: ` prefix and its answer-format sentence) back into its parts."""
    text = question.strip()
    if QUESTION_MARK in text:
        text = text.rsplit(QUESTION_MARK, 1)[1]
    for qtype, pattern in _PATTERNS:
        match = pattern.search(text)
        if match:
            groups = match.groupdict()
            path = groups.get("where") or groups.get("path")
            symbol = groups.get("symbol") or path or ""
            kind = _PHRASE_KINDS.get(groups.get("kind") or "")
            return ParsedQuestion(qtype, symbol, path, kind)
    return None
