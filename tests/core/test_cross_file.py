"""The cross-file question types on a small package worked out by hand, the oracle's answers to them, and the rules
that keep answers out of their questions and re-wrapped docstrings out of drift."""

from __future__ import annotations

import subprocess
import sys

from cpython_retrieval.generate.contexts import offer_sequence, plan_tiers, render_context
from cpython_retrieval.generate.cross_file import (
    import_source_candidates,
    inherited_method_candidates,
    method_definer_count_candidates,
)
from cpython_retrieval.generate.definitions import Span, parse_module
from cpython_retrieval.generate.drift import file_drift
from cpython_retrieval.generate.facts import Fact, module_facts
from cpython_retrieval.generate.file_links import group_of, import_links
from cpython_retrieval.generate.question_text import question_text
from cpython_retrieval.generate.questions import Candidate, NameIndex, answer_in_question, module_bindings
from cpython_retrieval.prompt import render_prompt
from cpython_retrieval.reference.oracle import oracle_answer

PACKAGE = [
    ("Lib/pkg/__init__.py", '"""A package."""\n'),
    ("Lib/pkg/base.py", "class Base:\n    def run(self):\n        pass\n\n    def stop(self):\n        pass\n"),
    ("Lib/pkg/child.py", "from .base import Base\n\n\nclass Child(Base):\n    if True:\n        def stop(self):\n"
                         "            pass\n"),
    ("Lib/pkg/grand.py", "from . import child\n\n\nclass Grand(child.Child):\n    pass\n"),
    ("Lib/other.py", "import pkg.base\n\n\nclass Local(pkg.base.Base):\n    def stop(self):\n        pass\n"),
]


def _asked(files):
    context = render_context("T1", "original", files)
    parsed = {p: parse_module(t, p) for p, t in files}
    names = {p: NameIndex.of(module_bindings(m)) for p, m in parsed.items()}
    found = (import_source_candidates(context, parsed, names) + inherited_method_candidates(context, parsed, names)
             + method_definer_count_candidates(context, parsed, [], 0))
    return context, {(c.fact.question_type, c.fact.path, c.fact.symbol): c for c in found}


def test_cross_file_candidates_of_a_hand_made_package():
    context, asked = _asked(PACKAGE)
    answers = {key: c.fact.answer for key, c in asked.items()}
    assert answers == {
        ("import_source", "Lib/pkg/child.py", "Base"): "Lib/pkg/base.py",
        ("inherited_method", "Lib/pkg/child.py", "Child.run"): "Base",
        ("inherited_method", "Lib/pkg/grand.py", "Grand.run"): "Base",
        ("inherited_method", "Lib/pkg/grand.py", "Grand.stop"): "Child",
        ("inherited_method", "Lib/other.py", "Local.run"): "Base",
        ("method_definer_count", "Lib/other.py", "stop"): "3",  # Base, Child (under `if`), Local; answer span: last
    }
    for c in asked.values():  # the answer span points at the providing definition
        assert context.text[c.start:c.end] in (c.fact.symbol, c.fact.answer, c.fact.symbol.rsplit(".", 1)[-1])


def test_the_oracle_answers_every_cross_file_candidate():
    context, asked = _asked(PACKAGE)
    for c in asked.values():
        question = question_text(c.fact.question_type, c.fact.symbol, c.fact.path, c.fact.kind, c.name_file)
        prompt = render_prompt(question, context.text)
        assert oracle_answer(prompt) == c.fact.answer, question


def test_no_second_reading_is_asked():
    files = [*PACKAGE[:3], ("Lib/pkg/grand.py", "from . import child\n\n\nclass Grand(child.Child):\n    run = None\n"),
             ("Lib/pkg/more.py", "from .base import Base\nBase = Base\n\n\nclass More:\n    stop = 1\n")]
    _, asked = _asked(files)
    assert ("inherited_method", "Lib/pkg/grand.py", "Grand.run") not in asked  # Grand binds `run` itself
    assert ("import_source", "Lib/pkg/more.py", "Base") not in asked  # more.py binds `Base` twice
    assert not any(k[0] == "method_definer_count" and k[2] == "stop" for k in asked)  # a class body assigns `stop`
    decorated = [*PACKAGE[:2], ("Lib/pkg/child.py", "import dataclasses\nfrom .base import Base\n\n\n"
                                                    "@dataclasses.dataclass\nclass Child(Base):\n    pass\n")]
    _, asked = _asked(decorated)
    assert not any(k[0] == "inherited_method" for k in asked)  # `@dataclass` may define what no `def` shows


def test_an_answer_that_shows_in_its_question_is_never_picked():
    fact = Fact("method_owner", "Lib/netrc.py", "hosts", "FunctionDef", "netrc", "netrc", Span(0, 1), "method")
    assert answer_in_question(Candidate(fact, True, 0, 1, 0.0))
    other = Fact("method_owner", "Lib/netrc.py", "hosts", "FunctionDef", "NetrcParseError", "x", Span(0, 1), "method")
    assert not answer_in_question(Candidate(other, True, 0, 1, 0.0))


def test_a_re_wrapped_docstring_is_no_drift_and_a_changed_one_is():
    old = 'def f():\n    """Return the first index of\n    value."""\n'
    wrapped = 'def f():\n    """Return the first index\n    of value."""\n'
    changed = 'def f():\n    """Return the last index\n    of value."""\n'
    for text, drifted in ((wrapped, False), (changed, True)):
        new = parse_module(text, "Lib/m.py")
        facts = [f for f in module_facts(new, text, "Lib/m.py") if f.question_type == "docstring_first_line"]
        found = file_drift(facts, new, parse_module(old, "Lib/m.py"))
        assert bool(found) == drifted


def test_import_links_and_groups():
    known = {p for p, _ in PACKAGE} | {"Lib/os.py"}
    assert import_links("Lib/pkg/child.py", PACKAGE[2][1], known) == ["Lib/pkg/base.py"]
    assert import_links("Lib/pkg/grand.py", PACKAGE[3][1], known) == ["Lib/pkg/__init__.py", "Lib/pkg/child.py"]
    text = "import os, pkg.base as b\nfrom pkg import (\n    child,  # a submodule\n    grand)\n"
    assert import_links("Lib/x.py", text, known) == ["Lib/pkg/__init__.py", "Lib/pkg/child.py", "Lib/pkg/grand.py",
                                                     "Lib/os.py", "Lib/pkg/base.py"]
    assert group_of("Lib/pkg/sub/m.py") == "pkg" and group_of("Lib/os.py") == "Lib/os.py"


def test_a_file_is_offered_with_the_files_its_imports_name():
    paths = [f"Lib/m{i}.py" for i in range(30)]
    links = {p: ["Lib/m29.py"] for p in paths if p != "Lib/m29.py"}
    sequence = offer_sequence(paths, 0, links)
    assert sequence[1] == "Lib/m29.py" and sorted(sequence) == sorted(paths)


def test_one_package_holds_at_most_a_quarter_of_a_tier_on_the_first_pass():
    tokens = {f"Lib/big/m{i}.py": 3000 for i in range(20)} | {f"Lib/s{i}.py": 3000 for i in range(20)}
    plan = plan_tiers(tokens, ["T25"], 0)
    assert len(plan["T25"]) == 8 and sum(tokens[p] for p in plan["T25"] if p.startswith("Lib/big/")) <= 25_000 // 4
    plan = plan_tiers({p: n for p, n in tokens.items() if p.startswith("Lib/big/")}, ["T25"], 0)
    assert len(plan["T25"]) == 8  # alone, the second pass fills the tier from the one package


def test_build_with_stale_source_alone_refuses_in_one_line_when_no_default_is_older(tmp_path):
    cli = [sys.executable, "-m", "cpython_retrieval", "build", "--pin", "3.11.7", "--stale-source", str(tmp_path),
           "--out", str(tmp_path / "out")]
    done = subprocess.run(cli, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "--stale-pin" in done.stderr
