"""The question types: one precise definition and one answer format each.

This module is the contract between generation (``questions.py``), scoring
(``scorers/``) and the adapters' prompts, so every definition lives here once.
"""

from __future__ import annotations

from dataclasses import dataclass

FAMILIES = ("single_needle", "two_hop", "aggregation")

#: The tasks' comparability version: bumped with every change that makes scores incomparable (prompts, data
#: selection, generation settings, scoring). The Inspect tasks log it as `task_version`, the lm-eval YAMLs carry it
#: as `metadata.version` and eval.yaml as `version: "N-A"`; tests/core/test_task_metadata.py holds them to it.
TASK_VERSION = 3

#: Canonical answer of an ``absent_symbol`` row (and the escape offered to every
#: location question, so absent and present rows read the same to the model).
NOT_PRESENT = "NOT PRESENT"
_LOCATION_FORMAT = f"one path such as `Lib/json/decoder.py`, or `{NOT_PRESENT}` if no file in the context defines it"


@dataclass(frozen=True)
class QuestionType:
    """A question type: its definition (for docs and the card) and answer format (for prompts)."""

    name: str
    definition: str
    answer_format: str
    example_answer: str
    #: How answers are compared: expression, expression_list, call_arguments,
    #: path_or_absent, integer, text_line, name_list, dotted_name.
    answer_kind: str
    #: How many places of the context the answer needs: one (`single_needle`), a chain of two
    #: (`two_hop`), or every occurrence of something (`aggregation`).
    family: str = "single_needle"


QUESTION_TYPES: dict[str, QuestionType] = {
    qt.name: qt
    for qt in (
        QuestionType(
            "return_annotation",
            "The return annotation of function or method X, exactly as written after `->` "
            "(string annotations keep their quotes).",
            "the annotation expression exactly as written after `->` (a string annotation keeps its quotes), "
            "without the `->`",
            "Optional[str]",
            "expression",
        ),
        QuestionType(
            "class_location",
            "The path, as shown in the context's file header, of the one file that defines class X.",
            _LOCATION_FORMAT,
            "Lib/json/decoder.py",
            "path_or_absent",
        ),
        QuestionType(
            "base_classes",
            "The base classes of class X in the order written, followed by its class keywords "
            "(such as `metaclass=ABCMeta`) in the order written.",
            "the bases as written, comma-separated, in order, then any class keywords (such as `metaclass=ABCMeta`) "
            "as written",
            "Mapping, metaclass=ABCMeta",
            "call_arguments",
        ),
        QuestionType(
            "module_function_count",
            "The number of functions (`def` and `async def`) that are direct statements of the "
            "module body of file F. Functions inside classes, other functions, or module-level "
            "`if`/`try`/`with` blocks are not counted.",
            "one integer",
            "12",
            "integer",
        ),
        QuestionType(
            "decorators",
            "The decorators of function or class X, top to bottom, each as written after `@`.",
            "one decorator per line, top to bottom, each as written after its `@` (arguments included) and "
            "starting with `@`",
            "@staticmethod\n@functools.lru_cache(maxsize=None)",
            "expression_list",
        ),
        QuestionType(
            "docstring_first_line",
            "The first non-empty line of X's docstring, with surrounding whitespace removed.",
            "that line of text alone, as written, without surrounding whitespace",
            "Return a new dictionary initialized from an optional positional argument.",
            "text_line",
        ),
        QuestionType(
            "parameters",
            "The parameter names of function or method X in signature order, `self`/`cls` included, "
            "with `*` before the variadic positional and `**` before the variadic keyword parameter; "
            "the bare `*` and `/` markers, defaults and annotations are left out.",
            "the names in signature order, comma-separated, `self`/`cls` included, with `*` before a variadic "
            "positional parameter and `**` before a variadic keyword parameter (as in `self, key, *args, **kwargs`), "
            "leaving out the bare `*` and `/` markers, defaults and annotations",
            "self, key, default, *args, **kwargs",
            "name_list",
        ),
        QuestionType(
            "method_owner",
            "The class in file F that defines method M (the only class in F that does); nested "
            "classes are named by their dotted path from the module, such as `Outer.Inner`.",
            "the class name alone (a nested class as `Outer.Inner`)",
            "JSONDecoder",
            "dotted_name",
        ),
        QuestionType(
            "absent_symbol",
            "Asked exactly like `class_location` about a real stdlib class that no file in the "
            f"context defines (nor mentions); the right answer is `{NOT_PRESENT}`.",
            _LOCATION_FORMAT,  # identical to class_location's, so the prompt does not reveal the row type
            NOT_PRESENT,
            "path_or_absent",
        ),
        QuestionType(
            "base_class_location",
            "Two hops: the path of the file that defines the class named by class X's first base. X's first "
            "base is written as a name or dotted name whose last part names a class defined exactly once in the "
            "context (nothing else there has that name), in another file than X.",
            "one path such as `Lib/json/decoder.py`",
            "Lib/collections/abc.py",
            "path_or_absent",
            family="two_hop",
        ),
        QuestionType(
            "subclass_count",
            "Aggregation: how many `class` statements in the whole context (nested ones included) list base B, "
            "written exactly `B`, among their positional bases. B is asked only when no base in the context is "
            "written `module.B`, and when at least two classes in at least two files list it.",
            "one integer",
            "7",
            "integer",
            family="aggregation",
        ),
        QuestionType(
            "import_source",
            "Two hops: the path of the file that defines the name X which file F imports. F has one `from M import X` "
            "(relative or absolute, without `as`) and binds X in no other way; M is a file of the context "
            "(`a/m.py` or `a/m/__init__.py`) that defines X once, as a module-level class or function.",
            "one path such as `Lib/json/decoder.py`: the file the import statement names, which defines the name",
            "Lib/json/decoder.py",
            "path_or_absent",
            family="two_hop",
        ),
        QuestionType(
            "inherited_method",
            "Two hops or more: class C does not bind method M itself; following its bases (each class on the way has "
            "no class decorator and exactly one positional base, resolved in the same file or through the file's imports to another file of "
            "the context), the first class whose body defines `def M`. It lies in another file than C, and its name is "
            "the only binding of that name in the context.",
            "the providing class's name alone (it is the only binding of that name in the context): the first class, "
            "following the bases from the class on, whose body defines the method",
            "JSONDecoder",
            "dotted_name",
            family="two_hop",
        ),
        QuestionType(
            "method_definer_count",
            "Aggregation: how many `class` statements outside functions, in the whole context (nested classes "
            "included), define a method named M in their own body (`if`/`try`/`with`/`for`/`while`/`match` blocks of "
            "the body included, nested classes and functions not); each class counts once. M is asked when 2 to 30 "
            "classes in at least two files define it and no class body binds it by assignment.",
            "one integer",
            "5",
            "integer",
            family="aggregation",
        ),
    )
}

#: The order types share a tier's rows in (`questions.allocate`): the scarce structure families first, so the
#: rows a type lacks candidates for pass to another type of a structure family before the single needles.
SAMPLING_ORDER = tuple(
    [name for name, qt in QUESTION_TYPES.items() if qt.family == "aggregation"]
    + [name for name, qt in QUESTION_TYPES.items() if qt.family == "two_hop"]
    + [name for name, qt in QUESTION_TYPES.items() if qt.family == "single_needle"]
)
