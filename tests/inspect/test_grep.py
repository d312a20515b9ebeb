"""The search-floor model `cpython_retrieval/grep`, in process: right where a text search is, wrong where it is not."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cpython_retrieval.dataset.store import load_tier
from cpython_retrieval.generate.contexts import render_context
from cpython_retrieval.generate.questions import question_text
from cpython_retrieval.prompt import render_prompt
from cpython_retrieval.question_types import NOT_PRESENT, QUESTION_TYPES
from cpython_retrieval.reference import grep
from cpython_retrieval.reference.grep import grep_answer
from cpython_retrieval.reference.oracle import oracle_answer
from cpython_retrieval.scorers import score_answer

ROOT = Path(__file__).resolve().parents[2]


def _context(files) -> str:
    return render_context("T25", "original", files).text


def _ask(text: str, qtype: str, symbol: str, path: str = "", kind: str = "class", name_file: bool = False):
    """(grep's answer, oracle's answer) to one question about a context."""
    prompt = render_prompt(question_text(qtype, symbol, path, kind, name_file), text)
    return grep_answer(prompt), oracle_answer(prompt)


SIMPLE = [("Lib/a.py", 'class A(Base, metaclass=M):\n    """Docstring of class A here."""\n    @staticmethod\n'
                       '    def go(x, *rest, key=None, **kw) -> "A":\n        pass\n\ndef top(a, \\\n        b=1):\n'
                       '    """\n    Top docstring.\n    """\n'),
          ("Lib/b.py", "class B(A):\n    class Inner:\n        def other(self):\n            pass\n"
                       "class C(A, B):\n    pass\n")]


def test_simple_code_is_answered_like_the_oracle():
    text = _context(SIMPLE)
    questions = [("class_location", "A", "", "class"), ("absent_symbol", "Missing", "", "class"),
                 ("base_classes", "A", "", "class"), ("parameters", "A.go", "", "method"),
                 ("return_annotation", "A.go", "", "method"), ("decorators", "A.go", "", "method"),
                 ("decorators", "top", "", "function"), ("docstring_first_line", "A", "", "class"),
                 ("docstring_first_line", "top", "", "function"), ("parameters", "top", "", "function"),
                 ("method_owner", "other", "Lib/b.py", "method"),
                 ("module_function_count", "Lib/a.py", "Lib/a.py", "module"),
                 ("base_class_location", "B", "", "class"), ("subclass_count", "A", "", "class")]
    for qtype, symbol, path, kind in questions:
        got, right = _ask(text, qtype, symbol, path, kind, name_file=qtype in ("method_owner", "module_function_count"))
        assert got == right, (qtype, symbol, got, right)
    assert _ask(text, "subclass_count", "A")[0] == "2"
    assert _ask(text, "absent_symbol", "Missing")[0] == NOT_PRESENT
    assert _ask(text, "method_owner", "other", "Lib/b.py", "method", True)[0] == "B.Inner"


def _wrong_where_structure_matters(files, qtype, symbol, path="", kind="class", name_file=False, grep_says=None):
    got, right = _ask(_context(files), qtype, symbol, path, kind, name_file)
    assert got == grep_says, (qtype, got)
    assert got != right and not score_answer(qtype, right, got).correct


def test_a_def_line_inside_a_string_counts_as_a_function():
    files = [("Lib/m.py", 'USAGE = """\ndef example():\n    pass\n"""\n\ndef real():\n    pass\n')]
    _wrong_where_structure_matters(files, "module_function_count", "Lib/m.py", "Lib/m.py", "module", True,
                                   grep_says="2")


def test_two_hops_take_the_first_class_line_of_the_name_whatever_the_imports():
    files = [("Lib/doc.py", '"""Example:\n\n    class Base:\n        pass\n"""\n'),
             ("Lib/base.py", "class Base:\n    pass\n"),
             ("Lib/user.py", "from base import Base\n\nclass User(Base):\n    pass\n")]
    _wrong_where_structure_matters(files, "base_class_location", "User", grep_says="Lib/doc.py")


def test_counting_sees_bases_on_the_class_line_only():
    files = [("Lib/a.py", "class Base:\n    pass\nclass One(Base):\n    pass\n"),
             ("Lib/b.py", "from a import Base\nclass Two(Mixin,\n          Base):\n    pass\n")]
    _wrong_where_structure_matters(files, "subclass_count", "Base", grep_says="1")


def test_the_owner_is_read_from_indentation_above_the_first_def_line():
    files = [("Lib/m.py", "class Outer:\n    class Flag(Exception):\n        pass\n    if __debug__:\n"
                          "        def _note(self):\n            pass\n")]
    _wrong_where_structure_matters(files, "method_owner", "_note", "Lib/m.py", "method", True, grep_says="Outer.Flag")


def test_a_class_line_in_a_string_is_a_location():
    files = [("Lib/doc.py", 'EXAMPLE = """\nclass Widget:\n    pass\n"""\n'),
             ("Lib/real.py", "class Widget:\n    pass\n")]
    # the name is bound once in the context (in Lib/real.py), but the first `class Widget` line is in a string
    _wrong_where_structure_matters(files, "class_location", "Widget", grep_says="Lib/doc.py")


def test_the_module_reads_text_only():
    """No parser, no fact extractor: the module imports neither `ast`/libcst nor the project's extractor."""
    source = (ROOT / "cpython_retrieval" / "reference" / "grep.py").read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module or ""}
    assert not {name for name in imported if name.split(".")[0] in ("ast", "libcst")}
    assert not {name for name in imported if "definitions" in name or "facts" in name or "FileIndex" in name}
    assert imported & {"generate.question_text.parse_question", "re"}  # it reads questions and searches text


QUESTIONS = st.one_of(
    st.text(max_size=200),
    st.builds(lambda verb, name, rest: f"{verb} `{name}`{rest}",
              st.sampled_from(["Which file defines what `x` imported in", "How many calls of", "Which class provides",
                               "Which classes override", "How many classes in the context list", "Which file defines"]),
              st.sampled_from(["A", "A.go", "top", "Base", "Lib/a.py", "", "(", "a b"]),
              st.sampled_from(["?", " in `Lib/b.py`? Answer with one integer.", "", " Answer with `NOT PRESENT`."])),
)


_CODE_PIECES = ["class A", "class B", "(", ")", "[", "]", ":", "\n", "    ", "def go", "def top", "async ", "@dec",
                "A", "Base", ", ", "=", "->", '"""', "'", '"', "#", "\\\n", "x", "*", "**", "/"]
SOURCES = st.lists(st.sampled_from(_CODE_PIECES), max_size=60).map("".join)
KNOWN = st.builds(lambda qtype, symbol, kind, name_file: question_text(qtype, symbol, "Lib/a.py", kind, name_file),
                  st.sampled_from(sorted(QUESTION_TYPES)), st.sampled_from(["A", "A.go", "top", "Base", "A.B.go"]),
                  st.sampled_from(["class", "method", "function"]), st.booleans())


@settings(max_examples=300, deadline=None)
@given(question=QUESTIONS | KNOWN, sources=st.lists(SOURCES, min_size=1, max_size=3), closed_book=st.booleans())
def test_any_question_on_any_text_gets_a_deterministic_string(question, sources, closed_book):
    """Every type on malformed code (open brackets, unterminated strings), unknown and future question types and
    closed-book prompts: an answer, never an error, and the same answer again."""
    files = [(f"Lib/{'ab'[i % 2]}{i}.py" if i else "Lib/a.py", text) for i, text in enumerate(sources)]
    prompt = render_prompt(question, None if closed_book else _context(files), no_context=closed_book)
    first = grep_answer(prompt)
    assert isinstance(first, str) and first
    assert grep_answer(prompt) == first


def test_unknown_types_are_answered_from_their_wording():
    text = _context(SIMPLE)
    ask = lambda q: grep_answer(render_prompt(q, text))  # noqa: E731
    assert ask("Which file defines the function that `top` names? Answer with one path.") == "Lib/a.py"
    assert ask("Which class of the context provides the method `other`?") == "B.Inner"
    assert ask("How many calls of `top` are there in the context? Answer with one integer.") == "0"
    assert ask("What colour is `A`?") == grep.UNKNOWN


def test_each_context_is_split_once():
    text = _context([*SIMPLE, ("Lib/split_once.py", "class Once:\n    pass\n")])  # a context no other test asks about
    before = grep._FILES.computed
    for qtype in QUESTION_TYPES:
        grep_answer(render_prompt(question_text(qtype, "A", "Lib/a.py", "class", True), text))
    assert grep._FILES.computed - before == 1


def _grep_right(row) -> bool:
    """The primary scorer's verdict on grep's answer to a dataset row, asked with the prompt the tasks send."""
    answer = grep_answer(render_prompt(row["question"], row["context"]))
    return score_answer(row["question_type"], row["answer"], answer, question=row["question"]).correct


def test_single_needles_are_within_reach_of_a_search(small_dataset):
    """The search floor is high where one place holds the answer: that is what it measures."""
    for tier in ("T25", "T50"):
        rows = [r for r in load_tier(small_dataset, tier)
                if QUESTION_TYPES[r["question_type"]].family == "single_needle"]
        right = sum(_grep_right(r) for r in rows)
        assert right >= 0.9 * len(rows), (tier, right, len(rows))


def test_floor_tool_counts_every_row_and_the_oracle_scores_one(small_dataset, tmp_path):
    out = tmp_path / "floor.json"
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "grep_floor.py"), "--dataset", str(small_dataset),
                           "--tiers", "T25", "--oracle", "--json", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = json.loads(out.read_text())
    rows = load_tier(small_dataset, "T25")
    oracle, floor = counts["cpython_retrieval/oracle"], counts["cpython_retrieval/grep"]
    assert oracle["all"]["all"] == [len(rows), len(rows)]
    expected = sum(_grep_right(r) for r in rows)
    assert floor["all"]["all"] == [expected, len(rows)]
    assert sum(cell[1] for cell in floor["type"].values()) == len(rows)
    for qtype in {r["question_type"] for r in rows}:
        assert f"| `{qtype}` |" in proc.stdout
