"""Every question has one reading: targets are named so that exactly one binding in scope matches them."""

from __future__ import annotations

from collections import Counter

from cpython_retrieval.generate.contexts import render_context
from cpython_retrieval.generate.definitions import parse_module
from cpython_retrieval.generate.facts import module_facts
from cpython_retrieval.generate.question_text import parse_question, question_text
from cpython_retrieval.generate.questions import (
    NameIndex,
    context_candidates,
    module_bindings,
)

DIST = '''\
def requires(name) -> bool:
    """Tell whether the named distribution is required."""
    return True


class Distribution:
    def requires(self) -> "Optional[List[str]]":
        """Generated requirements specified for this Distribution."""
        return None

    def version(self) -> str:
        return ""


class Globber:
    scandir = staticmethod(len)

    def walk(self) -> None:
        pass


class Walker:
    def scandir(self) -> list:
        return []

    def walk_only_here(self) -> int:
        return 1
'''

OTHER = '''\
class Distribution:
    def requires(self) -> int:
        return 0


def version() -> str:
    return "1"
'''


def _candidates(files: dict[str, str]):
    context = render_context("T1", "original", list(files.items()))
    parsed = {p: parse_module(t, p) for p, t in files.items()}
    facts = {p: module_facts(parsed[p], files[p], p) for p in files}
    names = {p: NameIndex.of(module_bindings(parsed[p])) for p in files}
    return {(c.fact.question_type, c.fact.path, c.fact.symbol): c for c in context_candidates(context, facts, names)}


def test_a_module_level_function_is_named_as_such_and_the_method_by_its_class():
    found = _candidates({"Lib/dist.py": DIST})
    function = found[("return_annotation", "Lib/dist.py", "requires")]
    method = found[("return_annotation", "Lib/dist.py", "Distribution.requires")]
    assert not function.name_file and not method.name_file
    assert "the module-level function `requires`?" in question_text("return_annotation", "requires", "Lib/dist.py",
                                                                     function.fact.kind, function.name_file)
    assert "the method `Distribution.requires`?" in question_text("return_annotation", "Distribution.requires",
                                                                   "Lib/dist.py", "method", False)


def test_a_name_bound_twice_in_the_context_is_qualified_with_its_file_or_skipped():
    found = _candidates({"Lib/dist.py": DIST, "Lib/other.py": OTHER})
    # `Distribution.requires` is a method of two files: each question names its file
    assert found[("return_annotation", "Lib/dist.py", "Distribution.requires")].name_file
    assert found[("return_annotation", "Lib/other.py", "Distribution.requires")].name_file
    # the class `Distribution` is defined twice: no location question can have one answer
    assert ("class_location", "Lib/dist.py", "Distribution") not in found
    # a module-level function `version` and a method `Distribution.version` do not collide
    assert not found[("return_annotation", "Lib/other.py", "version")].name_file


def test_method_owner_counts_class_body_assignments():
    found = _candidates({"Lib/dist.py": DIST})
    assert ("method_owner", "Lib/dist.py", "scandir") not in found  # Globber binds scandir by assignment
    assert found[("method_owner", "Lib/dist.py", "walk_only_here")].fact.answer == "Walker"
    assert ("method_owner", "Lib/dist.py", "requires") not in found  # also a module-level function


def test_assignments_count_in_both_parsers():
    via_ast, via_cst = parse_module(DIST, "m", prefer="ast"), parse_module(DIST, "m", prefer="libcst")
    assert via_ast.assignments == via_cst.assignments
    assert [a.qualname for a in via_ast.assignments] == ["Globber.scandir"]


def test_every_question_reads_back_to_its_target():
    for (qtype, path, symbol), c in _candidates({"Lib/dist.py": DIST, "Lib/other.py": OTHER}).items():
        parsed = parse_question(question_text(qtype, symbol, path, c.fact.kind, c.name_file))
        assert parsed is not None and parsed.question_type == qtype and parsed.symbol == symbol
        assert parsed.path == (path if c.name_file else None)


def test_parameters_questions_state_the_variadic_format():
    text = question_text("parameters", "f", "Lib/m.py", "function", False)
    assert "`*` before a variadic positional" in text and "`**` before a variadic keyword" in text
    assert "bare `*` and `/` markers" in text


def test_rows_go_out_grouped_by_context_and_round_robin_over_types(built_small):
    for rows in built_small.rows.values():
        contexts = [r["context_id"] for r in rows]
        assert contexts == sorted(contexts, key=lambda c: ("perturbed" in c, c))  # one block per context
        ordinary = [r for r in rows if not r["perturbed"]]
        types = Counter(r["question_type"] for r in ordinary)
        first = [r["question_type"] for r in ordinary[: len(types)]]
        assert sorted(first) == sorted(types), "the first rows cover every type"
