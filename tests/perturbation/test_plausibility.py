"""Edits a reader cannot tell from real code: names the file binds, whole docstring sentences, return annotations
the docstring and body do not contradict. The property test judges edits with the independent checker's reading
(`tests/checks/source_facts.py`, plain `ast`), not with the generator's own helpers."""

from __future__ import annotations

import ast
import re
from functools import cache

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cpython_retrieval.generate.definitions import parse_module
from cpython_retrieval.generate.facts import module_facts
from cpython_retrieval.generate.perturb import add_imports, change_docstring_lines
from cpython_retrieval.generate.perturb_pools import (
    FileNames,
    addable_decorator,
    callee,
    returns_opaquely,
    states_return,
)
from cpython_retrieval.generate.perturbations import Vocabulary, perturb_file
from tests.checks.dataset_checker import unbound_signature_names
from tests.checks.source_facts import file_facts

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

MODULE = '''"""A module."""
import functools
import os

from typing import Any

_cache = {}


class Late:
    pass


def plain(x):
    return os.fspath(x)


def described(x) -> list[str]:
    """Return a list of requirements."""
    return helper(x)


def literal() -> bool:
    return True


def gen() -> Any:
    yield 1


def opaque(x) -> str:
    """Look something up."""
    if x:
        return _cache[x]
    return plain(x).strip()


class After:
    pass
'''


def _definition(parsed, qualname):
    return next(d for d in parsed.definitions if d.qualname == qualname)


def test_names_are_allowed_only_where_the_file_binds_them_above_the_definition():
    parsed = parse_module(MODULE, "Lib/m.py")
    names = FileNames.of(parsed, MODULE)
    line = MODULE[: MODULE.index("def opaque")].count("\n") + 1
    assert names.allows("functools.lru_cache(maxsize=None)", line)
    assert names.allows("Optional[Any]", line) is False  # Optional is not imported
    assert names.allows("dict[str, Any]", line) and names.allows("'Late'", line)
    assert not names.allows("After", line)  # defined below: not yet bound when the def runs
    assert not names.allows("abc.abstractmethod", line)
    assert names.allows("abc.abstractmethod", line, frozenset({"abc"}))


def test_only_general_purpose_decorators_are_added():
    for source in ("functools.lru_cache(maxsize=512)", "_check_name", "recursive_repr()", "abc.abstractmethod"):
        assert addable_decorator(source), source
    for source in ("property", "x.setter", "staticmethod", "functools.wraps(func)", 'deprecated("use y")',
                   "contextlib.contextmanager", "object.__new__", "enum._simple_enum(IntEnum)", "dataclass"):
        assert not addable_decorator(source), source
    assert callee("functools.lru_cache(maxsize=1)") == callee("functools.cache") == callee("cached_property")


def test_a_return_is_opaque_only_when_no_returned_expression_shows_its_type():
    parsed = parse_module(MODULE, "Lib/m.py")
    verdicts = {q: returns_opaquely(MODULE, _definition(parsed, q)) for q in ("plain", "literal", "gen", "opaque")}
    assert verdicts == {"plain": True, "literal": False, "gen": False, "opaque": True}
    assert states_return("Return a list of requirements.") and states_return("Test whether x is set.")
    assert not states_return("Look something up.") and not states_return(None)


def test_a_return_annotation_edit_skips_functions_whose_docstring_or_body_tells_the_return():
    parsed = parse_module(MODULE, "Lib/m.py")
    facts = module_facts(parsed, MODULE, "Lib/m.py")
    vocab = Vocabulary.from_texts([MODULE])
    edited = set()
    for seed in range(30):
        found = perturb_file("Lib/m.py", MODULE, facts, seed, vocab, {"return_annotation": -1})
        if found is not None and found.kind == "return_annotation":
            edited |= {e["target"] for e in found.edits}
    assert edited == {"opaque"}


def test_a_docstring_edit_replaces_the_whole_first_sentence():
    text = ('def f():\n    """Return a list of\n    requirements for the package.\n\n    More text.\n    """\n'
            'def g():\n    """Compute it.  Then stop\n    here."""\n'
            'def h():\n    """A title line\n    with no full stop\n\n    Rest."""\n')
    out = change_docstring_lines(text, {"f": ("Return a list of", "Build the staged index."),
                                        "g": ("Compute it.  Then stop", "Flush the index."),
                                        "h": ("A title line", "Merge the index.")})
    assert '"""Build the staged index.\n\n    More text.\n    """' in out
    assert '"""Flush the index."""' in out
    assert '"""Merge the index.\n\n    Rest."""' in out
    ast.parse(out)


def test_added_imports_join_the_files_import_lines_in_order():
    text = '"""Doc."""\nimport os\nimport sys\n\nx = 1\n'
    assert add_imports(text, ["functools"]) == '"""Doc."""\nimport functools\nimport os\nimport sys\n\nx = 1\n'
    unsorted = "import sys\nimport os\n"
    assert add_imports(unsorted, ["abc"]) == "import sys\nimport os\nimport abc\n"


@cache
def _corpus():
    from cpython_retrieval.generate.stages import resolve_pin
    from cpython_retrieval.sources.corpus import load_corpus

    corpus = load_corpus(resolve_pin("auto", None, False))
    files = [f for f in corpus.files if 500 < len(f.text) < 40_000 and _parses(f.text)]
    return files, Vocabulary.from_files((f.display_path, f.text) for f in corpus.files)


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


_SENTENCE_END = re.compile(r"[.!?:]\s*$")


def _lines(docstring: str) -> list[str]:
    """Stripped lines, trailing blank ones dropped (cleandoc keeps a whitespace-only last line of a one-line text)."""
    lines = [line.strip() for line in docstring.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _docstrings(text: str) -> list[str]:
    """Every def/class docstring of a file, in walk order (edits add or remove no definition)."""
    nodes = [n for n in ast.walk(ast.parse(text)) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    return [ast.get_docstring(n) or "" for n in nodes]


@SETTINGS
@given(data=st.data())
def test_edits_bring_in_no_name_their_file_does_not_bind_and_leave_no_half_sentence(data):
    files, vocab = _corpus()
    kind = data.draw(st.sampled_from(["decorators", "base_classes", "return_annotation", "docstring_first_line"]))
    f = data.draw(st.sampled_from(files), label="file")
    facts = module_facts(parse_module(f.text, f.display_path), f.text, f.display_path)
    assume(any(x.question_type == kind for x in facts))
    used = {k: (0 if k == kind else 9) for k in ("rename", "return_annotation", "base_classes", "decorators",
                                                 "docstring_first_line", "module_function_count")}
    found = perturb_file(f.display_path, f.text, facts, data.draw(st.integers(0, 10_000), label="seed"), vocab, used)
    assume(found is not None and found.kind == kind)
    before, after = file_facts(f.text), file_facts(found.text)
    assert unbound_signature_names(after) <= unbound_signature_names(before), found.edits
    if kind == "docstring_first_line":
        for was, now in zip(_docstrings(f.text), _docstrings(found.text), strict=True):
            if was == now:
                continue
            was_lines, now_lines = _lines(was), _lines(now)
            kept = len(now_lines) - 1  # the new sentence is one line; the rest is the original's tail
            assert kept == 0 or now_lines[1:] == was_lines[-kept:], (was, now)
            cut = len(was_lines) - kept  # lines of the original that were replaced
            assert _SENTENCE_END.search(now_lines[0])
            assert cut == len(was_lines) or not was_lines[cut].strip() or _SENTENCE_END.search(was_lines[cut - 1]), \
                (was, now)
    if kind == "return_annotation":
        docs = {d.qualname: d.docstring for d in parse_module(f.text, f.display_path).definitions}
        for edit in found.edits:
            assert not states_return(docs[edit["target"]]), edit
