"""The libcst transforms: property tests on random stdlib files and targets, and format preservation."""

from __future__ import annotations

import ast
import difflib
import random
import re
from collections import Counter
from functools import cache

import libcst as cst
import libcst.metadata as md
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cpython_retrieval.generate.definitions import parse_module
from cpython_retrieval.generate.facts import module_facts
from cpython_retrieval.generate.perturb import (
    PerturbError,
    add_module_function,
    change_bases,
    change_decorators,
    change_docstring_lines,
    change_return_annotations,
    definition_nodes,
    remove_module_function,
    rename,
)
from cpython_retrieval.generate.perturbations import (
    KIND_QUESTION_TYPE,
    KINDS_PER_FILE,
    Vocabulary,
    fresh_name,
    layer_kinds,
    perturb_file,
)
from cpython_retrieval.generate.stages import resolve_pin
from cpython_retrieval.sources.corpus import load_corpus

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@cache
def _corpus():
    corpus = load_corpus(resolve_pin("auto", None, False))
    return corpus, Vocabulary.from_texts(f.text for f in corpus.files)


@cache
def _small_files():
    """Corpus files small enough to analyse quickly, that the running interpreter parses."""
    out = []
    for f in _corpus()[0].files:
        if 500 < len(f.text) < 25_000:
            try:
                ast.parse(f.text)
            except SyntaxError:
                continue
            out.append(f)
    return out


def _scope_bound(text: str, qualname: str):
    """(scope of the definition, its one assignment) for `qualname`, by libcst scope analysis."""
    wrapper = md.MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
    scopes = wrapper.resolve(md.ScopeProvider)
    (node,) = definition_nodes(wrapper.module)[qualname]
    scope = scopes[node]
    return scope, node, [a for a in scope.assignments[node.name.value]]


def _names(text: str) -> Counter:
    found = Counter()

    class Names(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            found[node.value] += 1

    cst.parse_module(text).visit(Names())
    return found


@pytest.mark.slow
@SETTINGS
@given(data=st.data())
def test_rename_is_consistent_parseable_and_fresh(data):
    corpus, vocab = _corpus()
    f = data.draw(st.sampled_from(_small_files()), label="file")
    parsed = parse_module(f.text, f.display_path)
    counts = Counter(d.qualname for d in parsed.definitions)
    targets = sorted(d.qualname for d in parsed.definitions if counts[d.qualname] == 1 and not d.name.startswith("__"))
    assume(targets)
    qualname = data.draw(st.sampled_from(targets), label="target")
    old = qualname.rsplit(".", 1)[-1]
    new = fresh_name(qualname, random.Random(data.draw(st.integers(0, 2**32), label="rng")), vocab)
    try:
        out = rename(f.text, {qualname: new})
    except PerturbError as exc:  # refused only for the documented reasons
        assert re.search(r"bound \d+ times|reference of kind", str(exc)), exc
        assume(False)
    new_qualname = qualname[: len(qualname) - len(old)] + new

    ast.parse(out)  # still parses
    assert vocab.is_fresh(new) and new not in f.text  # no clash, anywhere in the stdlib

    scope_before, _, (assignment,) = _scope_bound(f.text, qualname)
    name_refs = sum(1 for a in assignment.references if isinstance(a.node, cst.Name))
    scope_after, node, bound = _scope_bound(out, new_qualname)
    assert node.name.value == new and len(bound) == 1
    assert len(bound[0].references) == len(assignment.references)  # every reference moved to the new name
    assert not scope_after.assignments[old]  # the old name is bound nowhere in that scope any more
    before, after = _names(f.text), _names(out)
    assert before[old] - after[old] >= 1 + name_refs  # plus `global` statements naming it
    assert after[new] - before[new] >= 1 + name_refs

    # the fact extractor on the perturbed file gives the renamed facts, with the same answers up to the name
    mapped = {}
    for fact in module_facts(parse_module(out, f.display_path), out, f.display_path):
        symbol = fact.symbol
        if symbol == new_qualname or symbol.startswith(new_qualname + "."):
            symbol = qualname + symbol[len(new_qualname):]
        mapped[(fact.question_type, symbol)] = fact.answer
    for fact in module_facts(parsed, f.text, f.display_path):
        if fact.question_type == "method_owner" or fact.question_type == "module_function_count":
            continue  # the method name itself, or a count: checked below / unchanged by a rename
        if fact.symbol == qualname or fact.symbol.startswith(qualname + "."):
            expected = re.sub(rf"(?<![\w.]){re.escape(old)}\b", new, fact.answer)
            assert mapped.get((fact.question_type, fact.symbol)) in (fact.answer, expected), fact
    definition = next(d for d in parsed.definitions if d.qualname == qualname)
    if definition.kind == "class" and "." not in qualname:
        assert mapped[("class_location", qualname)] == f.display_path


@SETTINGS
@given(data=st.data())
def test_file_perturbation_is_derived_by_the_extractor(data):
    _, vocab = _corpus()
    f = data.draw(st.sampled_from(_small_files()), label="file")
    facts = module_facts(parse_module(f.text, f.display_path), f.text, f.display_path)
    used = {k: data.draw(st.integers(0, 3), label=k) for k in KIND_QUESTION_TYPE}  # steer towards different kinds
    found = perturb_file(f.display_path, f.text, facts, data.draw(st.integers(0, 1000), label="seed"), vocab, used)
    assume(found is not None)
    ast.parse(found.text)
    fresh = {(x.question_type, x.symbol): x.answer for x in module_facts(parse_module(found.text, f.display_path), found.text, f.display_path)}
    assert found.changes
    for (qtype, symbol), change in found.changes.items():
        assert fresh[(qtype, symbol)] != change.original_answer
        if found.kind != "rename":
            assert qtype == KIND_QUESTION_TYPE[found.kind] and symbol == change.original_symbol



@SETTINGS
@given(data=st.data())
def test_layered_kinds_change_what_they_say_against_the_original_file(data):
    """Each change of a file with several kinds is re-derived by the extractor, belongs to the kind that owns its
    question type, and keeps the real file's answer as its original answer; a rename stays alone."""
    _, vocab = _corpus()
    f = data.draw(st.sampled_from(_small_files()), label="file")
    facts = module_facts(parse_module(f.text, f.display_path), f.text, f.display_path)
    used = {k: data.draw(st.integers(0, 3), label=k) for k in KIND_QUESTION_TYPE} | {"rename": 9}
    found = layer_kinds(f.display_path, f.text, facts, data.draw(st.integers(0, 1000), label="seed"), vocab, used)
    assume(found is not None)
    assert found.kinds[0] == found.kind and len(set(found.kinds)) == len(found.kinds) <= KINDS_PER_FILE
    assert found.kinds == ["rename"] or "rename" not in found.kinds
    fresh = {(x.question_type, x.symbol): x.answer for x in module_facts(parse_module(found.text, f.display_path),
                                                                        found.text, f.display_path)}
    before = {(x.question_type, x.symbol): x.answer for x in facts}
    assert {c.kind for c in found.changes.values()} == set(found.kinds)
    for (qtype, symbol), change in found.changes.items():
        assert fresh[(qtype, symbol)] != change.original_answer
        if change.kind != "rename":
            assert qtype == KIND_QUESTION_TYPE[change.kind] and symbol == change.original_symbol
            assert before[(qtype, symbol)] == change.original_answer


SAMPLE = '''"""Module docstring."""
__all__ = ["Widget", "helper"]


class Base:
    pass


# a comment that must survive
class Widget(Base, metaclass=Meta):
    """Hold one widget, sized in pixels."""

    def resize(self, width, height) -> "Widget":
        return Widget()

    @staticmethod
    @register(kind="x")
    def make(spec: 'list[Widget]') -> int:  # trailing comment
        return len(spec)


def helper():
    global Widget
    return Widget.make([])


def unused(x):
    return x
'''


def _changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_rename_touches_only_bound_names_and_keeps_formatting():
    out = rename(SAMPLE, {"Widget": "WidgetStaged"})
    assert "class WidgetStaged(Base, metaclass=Meta):" in out
    assert '-> "WidgetStaged"' in out and "'list[WidgetStaged]'" in out and "return WidgetStaged()" in out
    assert '__all__ = ["WidgetStaged", "helper"]' in out and "global WidgetStaged" in out
    assert "Hold one widget" in out and "# a comment that must survive" in out
    assert not re.search(r"\bWidget\b", out)
    assert len(_changed_lines(SAMPLE, out)) == 2 * 7


def test_rename_refuses_a_name_bound_twice():
    with pytest.raises(PerturbError):
        rename(SAMPLE + "\nWidget = None\n", {"Widget": "WidgetStaged"})


def test_counterfactual_edits_change_one_line_each():
    edits = [
        (change_return_annotations(SAMPLE, {"Widget.make": "Optional[str]"}), "-> Optional[str]:  # trailing comment"),
        (change_bases(SAMPLE, {"Widget": ["Base", "object"]}), "class Widget(Base, object, metaclass=Meta):"),
        (change_decorators(SAMPLE, {"Widget.make": ["functools.cache", "staticmethod", 'register(kind="x")']}), "@functools.cache"),
        (change_docstring_lines(SAMPLE, {"Widget": ("Hold one widget, sized in pixels.", "Build the staged index.")}), '"""Build the staged index."""'),
    ]
    for out, expected in edits:
        ast.parse(out)
        assert expected in out
        changed = _changed_lines(SAMPLE, out)
        assert len([c for c in changed if c.startswith("+")]) == 1, changed


def test_module_function_count_edits():
    added = add_module_function(SAMPLE, "helper", 'def _new_one(value):\n    return value\n')
    removed = remove_module_function(SAMPLE, "unused")
    count = lambda text: sum(isinstance(n, ast.FunctionDef) for n in ast.parse(text).body)  # noqa: E731
    assert (count(added), count(removed)) == (count(SAMPLE) + 1, count(SAMPLE) - 1)
    assert added.index("def _new_one") > added.index("def helper") and "def unused" not in removed


# --- module-class renames without scope analysis --------------------------------------------------

from cpython_retrieval.generate import perturb as _perturb  # noqa: E402


def _uses_both_ways(text: str, names: set[str]):
    import libcst as cst

    via_ast = _perturb._name_uses_with_ast(text, names)
    found = _perturb._NameUses(names)
    cst.parse_module(text).visit(found)
    return via_ast, found


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_ast_and_libcst_see_the_same_name_uses_on_stdlib_files(corpus, data):
    """The fast (`ast`) and the fallback (libcst) reading of a file must decide every rename alike, or a build
    would depend on which interpreter ran it."""
    import keyword
    import re as _re

    files = {f.path: f for f in corpus.files if "class " in f.text and len(f.text) < 60_000}
    f = files[data.draw(st.sampled_from(sorted(files)))]
    reserved = set(keyword.kwlist) | set(keyword.softkwlist)
    words = sorted(set(_re.findall(r"\b[A-Za-z_]\w*\b", f.text)) - reserved)
    names = set(data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=6)))
    names |= set(_re.findall(r"^class\s+(\w+)", f.text, _re.MULTILINE)[:4])
    via_ast, via_cst = _uses_both_ways(f.text, names)
    assert via_ast is not None
    for name in names:
        assert (name in via_ast.unsafe) == (name in via_cst.unsafe), (f.path, name, via_ast.unsafe.get(name),
                                                                      via_cst.unsafe.get(name))
        if name not in via_ast.unsafe:
            assert via_ast.occurrences[name] == via_cst.occurrences[name], (f.path, name)
            assert via_ast.in_all[name] == via_cst.in_all[name], (f.path, name)


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_a_fast_rename_equals_the_scope_analysis_rename(corpus, data):
    """Where the fast rename applies, libcst's scope analysis renames exactly the same occurrences."""
    files = {f.path: f for f in corpus.files if _re_classes(f.text) and len(f.text) < 60_000}
    f = files[data.draw(st.sampled_from(sorted(files)))]
    name = data.draw(st.sampled_from(_re_classes(f.text)))
    fast, applied = _perturb.rename_module_classes(f.text, {name: name + "Staged"})
    if not applied:
        return  # the fast path declined (a trace or another binding): nothing to compare
    assert _perturb.rename(f.text, {name: name + "Staged"}) == fast
    assert not re.search(rf"\b{re.escape(name)}\b", fast)


def _re_classes(text: str) -> list[str]:
    return sorted(set(re.findall(r"^class\s+([A-Za-z]\w*)", text, re.MULTILINE)))
