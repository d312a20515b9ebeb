"""The independent checker passes real datasets and catches each fault it looks for.

Real datasets: a fresh T25/T50 build of this machine's stdlib (the CLI, as a subprocess) and the bundled canonical
folder (found by its path in the repository, not through the package). Faults: small hand-made folders, each one
clean dataset with one deliberate fault, so every failure is traced to its cause.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import dataset_checker, handmade
from .dataset_checker import FormatError, check_dataset, main, split_context
from .parsing import Parser, newer_pythons
from .source_facts import _Source, file_facts

REPO = Path(__file__).resolve().parents[2]
CANONICAL = REPO / "cpython_retrieval" / "dataset" / "canonical"
CANONICAL_FULL = REPO / "cpython_retrieval" / "dataset" / "canonical_full"
CLI = Path(sys.executable).with_name("cpython-retrieval")


def _row_count(folder: Path) -> int:
    return sum(pq.read_metadata(f).num_rows for f in (folder / "data").glob("*.parquet")
               if f.name != "contexts.parquet")


def _failures(report) -> list[tuple[str, str]]:
    return sorted((f.check, f.item) for f in report.failures)


# ------------------------------------------------------------------------------------------ real datasets

@pytest.fixture(scope="module")
def fresh_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build") / "ds"
    done = subprocess.run([str(CLI), "build", "--tiers", "T25,T50", "--out", str(out), "--quiet"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.slow
def test_a_fresh_build_of_this_stdlib_passes_every_check(fresh_build):
    report = check_dataset(fresh_build)
    assert report.failures == [], report.render()
    assert report.rows_checked == _row_count(fresh_build) > 0
    assert report.contexts_checked == 4  # T25 and T50, original and perturbed


@pytest.mark.slow
@pytest.mark.parametrize("folder", [CANONICAL, CANONICAL_FULL], ids=["default", "full"])
def test_the_bundled_canonical_dataset_passes_every_check(folder):
    if sys.version_info < (3, 12) and not newer_pythons():
        pytest.skip("the canonical 3.13 contexts hold PEP 701 f-strings: needs Python 3.12+ here or on PATH/pyenv")
    report = check_dataset(folder)
    assert report.failures == [], report.render()
    assert report.rows_checked == _row_count(folder) > 0
    tiers = json.loads((folder / "manifest.json").read_text())["tiers"]
    assert report.contexts_checked == sum(2 * len(info.get("ladders") or [info]) for info in tiers.values())


def _local_lib(version: str) -> Path | None:
    """A release's Lib/ on this machine: this interpreter's, a pyenv install, or the builder's verified cache."""
    major_minor = ".".join(version.split(".")[:2])
    candidates = [Path(ast.__file__).parent] if sys.version.split()[0] == version else []
    candidates += [Path.home() / ".pyenv" / "versions" / version / "lib" / f"python{major_minor}",
                   Path.home() / ".cache" / "cpython-retrieval" / "sources" / version / "Lib"]
    return next((c for c in candidates if (c / "os.py").is_file()), None)


@pytest.mark.slow
def test_the_canonical_drift_rows_state_both_releases_facts():
    drift = [r for f in (CANONICAL / "data").glob("T*.parquet") for r in pq.read_table(f).to_pylist()
             if r.get("drift")]
    if not drift:
        pytest.skip("the bundled canonical dataset has no drift rows")
    stale_pins = {r["stale_pin"] for r in drift}
    pin = json.loads((CANONICAL / "manifest.json").read_text())["pin"]["version"]
    old, new = _local_lib(min(stale_pins)), _local_lib(pin)
    if len(stale_pins) != 1 or old is None or new is None:
        pytest.skip(f"needs one stale pin ({sorted(stale_pins)}) and both releases' Lib/ here ({old}, {new})")
    report = check_dataset(CANONICAL, old_lib=old, new_lib=new)
    assert report.drift_rows_checked == report.drift_rows == len(drift)
    assert [f for f in report.failures if f.item in report.drift_ids] == [], report.render()


@pytest.mark.slow
def test_a_corrupted_copy_of_a_build_fails_on_exactly_the_corrupted_row(fresh_build, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(fresh_build, copy)
    table = pq.read_table(copy / "data" / "T50.parquet").to_pylist()
    victim = next(r for r in table if r["question_type"] == "return_annotation" and not r["perturbed"])
    victim["answer"] = victim["answer"] + " | None"
    pq.write_table(pa.Table.from_pylist(table), copy / "data" / "T50.parquet")
    report = check_dataset(copy)
    assert _failures(report) == [("wrong_answer", victim["id"])]


# ------------------------------------------------------------------------------------------ hand-made faults

def _write(tmp_path: Path, contexts, rows) -> Path:
    return handmade.write(tmp_path / "ds", contexts, rows)


def test_the_clean_hand_made_dataset_passes(tmp_path):
    contexts, rows = handmade.shapes_dataset()
    report = check_dataset(_write(tmp_path, contexts, rows))
    assert report.failures == [], report.render()
    assert report.rows_checked == len(rows)
    assert report.new_type_rows_checked == 2 and report.new_type_rows_failed == 0


def _by_symbol(rows, qtype, symbol):
    return next(r for r in rows if r["question_type"] == qtype and r["symbol"] == symbol)


def test_a_module_level_function_bound_twice_in_scope_is_an_ambiguous_target(tmp_path):
    # Lib/compat.py binds a second module-level `make` (inside try/except, still module level)
    compat = "try:\n    from os import make\nexcept ImportError:\n    make = None\n"
    files = [("Lib/shapes.py", handmade.SHAPES), ("Lib/util.py", handmade.UTIL), ("Lib/compat.py", compat)]
    ctx = handmade.context("T1", "original", files)
    ambiguous = handmade.row(ctx, "return_annotation", "make", "Shape", kind="module-level function")
    named = handmade.row(ctx, "return_annotation", "make", "Shape", kind="module-level function",
                         where="Lib/shapes.py")
    report = check_dataset(_write(tmp_path, [ctx], [ambiguous, named]))
    assert _failures(report) == [("ambiguous_target", ambiguous["id"])]
    assert report.ambiguous_targets == 1
    assert "Lib/compat.py" in report.failures[0].reason


def test_a_method_matched_by_two_classes_is_an_ambiguous_target(tmp_path):
    contexts, rows = handmade.shapes_dataset()
    bare = handmade.row(contexts[0], "return_annotation", "area", "float", kind="method")
    report = check_dataset(_write(tmp_path, contexts, rows + [bare]))
    assert _failures(report) == [("ambiguous_target", bare["id"])]


def test_a_context_over_its_budget_is_reported(tmp_path):
    big = "".join(f"def function_{i}(argument_{i}) -> int:\n    return argument_{i} * {i}\n\n\n"
                  for i in range(150))
    files = [("Lib/shapes.py", handmade.SHAPES), ("Lib/big.py", big)]
    ctx = handmade.context("T1", "original", files)
    assert ctx["context_tokens"] > 1000
    row = handmade.row(ctx, "return_annotation", "make", "Shape", kind="module-level function")
    report = check_dataset(_write(tmp_path, [ctx], [row]))
    assert _failures(report) == [("over_budget", ctx["context_id"])]
    assert report.contexts_over_budget == 1


def test_a_recorded_token_count_that_differs_from_the_count_is_reported(tmp_path):
    contexts, rows = handmade.shapes_dataset()
    contexts[0]["context_tokens"] -= 1
    report = check_dataset(_write(tmp_path, contexts, rows))
    assert _failures(report) == [("token_count", contexts[0]["context_id"])]


def _perturbed_pair(perturbed_shapes: str):
    original = handmade.context("T1", "original", [("Lib/shapes.py", handmade.SHAPES),
                                                   ("Lib/util.py", handmade.UTIL)])
    perturbed = handmade.context("T1", "perturbed", [("Lib/shapes.py", perturbed_shapes),
                                                     ("Lib/util.py", handmade.UTIL)])
    row = handmade.row(perturbed, "module_function_count", "Lib/shapes.py", "1", source_file="Lib/shapes.py")
    return [original, perturbed], [row]


def test_a_reference_left_by_a_removed_function_is_a_dangling_reference(tmp_path):
    # `helper` removed cleanly: nothing names it any more
    clean = handmade.SHAPES.split("\n\ndef helper():")[0] + "\n"
    contexts, rows = _perturbed_pair(clean)
    assert check_dataset(_write(tmp_path / "clean", contexts, rows)).failures == []
    # `make` removed, but `helper` still calls it
    make = handmade.SHAPES.index("def make(")
    dangling = handmade.SHAPES[:make] + handmade.SHAPES[handmade.SHAPES.index("def helper():"):]
    assert "def make" not in dangling and "make(" in dangling
    contexts, rows = _perturbed_pair(dangling)
    report = check_dataset(_write(tmp_path / "dangling", contexts, rows))
    assert _failures(report) == [("dangling_reference", contexts[1]["context_id"])]
    assert report.dangling_references == 1 and "`make`" in report.failures[0].reason


def _perturbed_decorators(perturbed_shapes: str):
    original = handmade.context("T1", "original", [("Lib/shapes.py", handmade.SHAPES),
                                                   ("Lib/util.py", handmade.UTIL)])
    perturbed = handmade.context("T1", "perturbed", [("Lib/shapes.py", perturbed_shapes),
                                                     ("Lib/util.py", handmade.UTIL)])
    row = handmade.row(perturbed, "decorators", "Shape.name", "@property\n@functools.cache", kind="method",
                       where="Lib/shapes.py", perturbation_kind="decorators")
    return [original, perturbed], [row]


def test_a_perturbed_row_whose_edit_brings_in_a_name_its_file_does_not_bind_is_reported(tmp_path):
    edited = handmade.SHAPES.replace("    @property\n", "    @property\n    @functools.cache\n")
    contexts, rows = _perturbed_decorators(edited)
    report = check_dataset(_write(tmp_path / "unbound", contexts, rows))
    assert _failures(report) == [("unbound_name", rows[0]["id"])]
    assert report.unbound_name_rows == 1 and "functools" in report.failures[0].reason
    # the same edit with the import it needs is plain code
    imported = '"""Shapes."""\nimport functools\n' + edited.removeprefix('"""Shapes."""\n')
    contexts, rows = _perturbed_decorators(imported)
    assert check_dataset(_write(tmp_path / "imported", contexts, rows)).failures == []
    # a name the original file already read unbound is not one the edit brought in
    unbound_before = handmade.SHAPES.replace("-> Shape:", "-> Polygon:")
    edited_again = unbound_before.replace("    @property\n", "    @property\n    @Polygon.register\n")
    original = handmade.context("T1", "original", [("Lib/shapes.py", unbound_before), ("Lib/util.py", handmade.UTIL)])
    perturbed = handmade.context("T1", "perturbed", [("Lib/shapes.py", edited_again), ("Lib/util.py", handmade.UTIL)])
    row = handmade.row(perturbed, "decorators", "Shape.name", "@property\n@Polygon.register", kind="method",
                       where="Lib/shapes.py", perturbation_kind="decorators")
    assert check_dataset(_write(tmp_path / "already", [original, perturbed], [row])).failures == []


def test_bound_and_signature_names_of_a_file():
    facts = file_facts("import a.b as c, d.e\nfrom f import *\nfrom g import h\n"
                       "@c.deco(k)\nclass X(h, Base, metaclass=M):\n"
                       "    def m(self, p: 'Q[R]', *a: S, **kw) -> T:\n        for i in p: pass\n")
    assert {"c", "d", "h", "X", "m", "self", "p", "a", "kw", "i"} <= set(facts.bound_names)
    assert "f" not in facts.bound_names and "*" not in facts.bound_names
    assert set(facts.signature_names) == {"c", "k", "h", "Base", "M", "Q", "R", "S", "T"}
    assert dataset_checker.unbound_signature_names(facts) == {"k", "Base", "M", "Q", "R", "S", "T"}


@pytest.mark.parametrize("qtype, symbol, wrong", [
    ("return_annotation", "Shape.area", "int"),
    ("decorators", "Shape.name", "@property\n@cache"),
    ("docstring_first_line", "Shape", "A figure."),
    ("parameters", "make", "kind, args, scale, options"),
    ("base_classes", "Circle", "Shape"),
    ("class_location", "Square", "Lib/shapes.py"),
    ("method_owner", "area", "Shape"),
    ("module_function_count", "Lib/shapes.py", "3"),
    ("base_class_location", "Square", "Lib/util.py"),
    ("subclass_count", "Shape", "3"),
])
def test_a_wrong_answer_of_each_type_is_reported(tmp_path, qtype, symbol, wrong):
    contexts, rows = handmade.shapes_dataset()
    victim = _by_symbol(rows, qtype, symbol)
    victim["answer"] = wrong
    report = check_dataset(_write(tmp_path, contexts, rows))
    assert _failures(report) == [("wrong_answer", victim["id"])]
    assert report.wrong_answers == 1


def test_an_absent_symbol_that_occurs_in_the_context_is_reported(tmp_path):
    contexts, rows = handmade.shapes_dataset()
    present = handmade.row(contexts[0], "absent_symbol", "scale", "NOT PRESENT", source_file="Lib/x.py")
    report = check_dataset(_write(tmp_path, contexts, rows + [present]))
    assert _failures(report) == [("wrong_answer", present["id"])]


def test_a_class_location_whose_one_binding_is_not_a_module_level_class_is_reported(tmp_path):
    contexts, rows = handmade.shapes_dataset()
    method = handmade.row(contexts[0], "class_location", "helper", "Lib/shapes.py", source_file="Lib/shapes.py")
    report = check_dataset(_write(tmp_path, contexts, rows + [method]))
    assert _failures(report) == [("wrong_answer", method["id"])]


def test_method_owner_reads_a_def_under_an_if_in_a_class_body_as_a_method(tmp_path, monkeypatch):
    debug = "class Client:\n    if __debug__:\n        def _trace(self, line):\n            pass\n"
    ctx = handmade.context("T1", "original", [("Lib/client.py", debug)])
    row = handmade.row(ctx, "method_owner", "_trace", "Client", where="Lib/client.py")
    folder = _write(tmp_path, [ctx], [row])
    assert check_dataset(folder).failures == []  # the spec: blocks inside a class body are transparent
    monkeypatch.setattr(dataset_checker, "METHOD_OWNER_DEF_DIRECTLY_IN_CLASS_BODY", True)
    report = check_dataset(folder)
    assert _failures(report) == [("wrong_answer", row["id"])]
    assert "not a function directly in a class body" in report.failures[0].reason  # the strict reading


def test_a_subclass_count_whose_base_is_also_written_with_a_module_is_reported(tmp_path):
    extra = "import shapes\n\n\nclass Oval(shapes.Shape):\n    pass\n"
    files = [("Lib/shapes.py", handmade.SHAPES), ("Lib/util.py", handmade.UTIL), ("Lib/oval.py", extra)]
    ctx = handmade.context("T1", "original", files)
    row = handmade.row(ctx, "subclass_count", "Shape", "2")
    report = check_dataset(_write(tmp_path, [ctx], [row]))
    assert _failures(report) == [("ambiguous_target", row["id"])]
    assert report.new_type_rows_checked == 1 and report.new_type_rows_failed == 1


def test_a_base_class_location_whose_base_name_is_bound_twice_is_reported(tmp_path):
    extra = "class Shape:\n    pass\n"
    files = [("Lib/shapes.py", handmade.SHAPES), ("Lib/util.py", handmade.UTIL), ("Lib/other.py", extra)]
    ctx = handmade.context("T1", "original", files)
    row = handmade.row(ctx, "base_class_location", "Square", "Lib/shapes.py", source_file="Lib/util.py")
    report = check_dataset(_write(tmp_path, [ctx], [row]))
    assert _failures(report) == [("ambiguous_target", row["id"])]


def test_the_cross_file_rows_of_the_hand_made_package_pass(tmp_path):
    contexts, rows = handmade.package_dataset()
    report = check_dataset(_write(tmp_path, contexts, rows))
    assert report.failures == [] and report.new_type_rows_checked == len(rows)


@pytest.mark.parametrize("index, wrong", [(0, "Lib/pkg/__init__.py"), (1, "Child"), (2, "Base"), (3, "3")])
def test_a_wrong_cross_file_answer_is_reported(tmp_path, index, wrong):
    contexts, rows = handmade.package_dataset()
    rows[index]["answer"] = wrong
    report = check_dataset(_write(tmp_path, contexts, rows))
    assert _failures(report) == [("wrong_answer", rows[index]["id"])]


def test_cross_file_premises_with_a_second_reading_are_reported(tmp_path):
    files = [*handmade.PACKAGE[:3], ("Lib/pkg/grand.py", "from . import child\n\n\nclass Grand(child.Child):\n"
                                                         "    run = None\n"),
             ("Lib/pkg/more.py", "from .base import Base\nBase = Base\n\n\nclass More:\n    stop = 1\n")]
    ctx = handmade.context("T1", "original", files)
    rows = [handmade.row(ctx, "import_source", "Base", "Lib/pkg/base.py", where="Lib/pkg/more.py"),
            handmade.row(ctx, "inherited_method", "Grand.run", "Base", source_file="Lib/pkg/grand.py"),
            handmade.row(ctx, "method_definer_count", "stop", "2")]
    report = check_dataset(_write(tmp_path, [ctx], rows))
    assert _failures(report) == sorted([("ambiguous_target", rows[0]["id"]), ("wrong_answer", rows[1]["id"]),
                                        ("ambiguous_target", rows[2]["id"])])


def test_a_re_wrapped_docstring_is_whitespace_only_drift():
    def first(text):
        return file_facts(text).bindings[0]

    old = first('def f():\n    """Return the first index of\n    value."""\n')
    new = first('def f():\n    """Return the first index\n    of value."""\n')
    changed = first('def f():\n    """Return the last index\n    of value."""\n')
    row = {"question_type": "docstring_first_line", "answer": "Return the first index", "stale_answer": "x"}
    assert dataset_checker.whitespace_only_drift(row, old, new)
    assert not dataset_checker.whitespace_only_drift(row, old, changed)
    spaced = {"question_type": "return_annotation", "answer": "dict[str, int]", "stale_answer": "dict[str,int]"}
    assert dataset_checker.whitespace_only_drift(spaced, None, None)


def test_an_inherited_method_behind_a_class_decorator_is_reported(tmp_path):
    files = [*handmade.PACKAGE[:3], ("Lib/pkg/grand.py", "import functools\nfrom . import child\n\n\n"
                                                         "@functools.total_ordering\nclass Grand(child.Child):\n"
                                                         "    pass\n")]
    ctx = handmade.context("T1", "original", files)
    row = handmade.row(ctx, "inherited_method", "Grand.run", "Base", source_file="Lib/pkg/grand.py")
    report = check_dataset(_write(tmp_path, [ctx], [row]))
    assert _failures(report) == [("ambiguous_target", row["id"])]


def test_an_answer_visible_in_its_question_is_reported(tmp_path):
    ctx = handmade.context("T1", "original", [("Lib/netrc.py", "class netrc:\n    def hosts(self):\n        pass\n")])
    row = handmade.row(ctx, "method_owner", "hosts", "netrc", where="Lib/netrc.py")
    report = check_dataset(_write(tmp_path, [ctx], [row]))
    assert _failures(report) == [("answer_in_question", row["id"])]


def test_a_duplicate_row_id_is_reported(tmp_path):
    contexts, rows = handmade.shapes_dataset()
    rows[1]["id"] = rows[0]["id"]
    report = check_dataset(_write(tmp_path, contexts, rows))
    assert _failures(report) == [("format", rows[0]["id"])]


def test_question_wording_outside_the_spec_is_reported(tmp_path):
    contexts, rows = handmade.shapes_dataset()
    rows[0]["question"] = rows[0]["question"].replace("What is", "Tell me")
    report = check_dataset(_write(tmp_path, contexts, rows))
    assert _failures(report) == [("question_wording", rows[0]["id"])]


def test_tiers_that_are_not_prefix_aligned_are_reported(tmp_path):
    small = handmade.context("T1", "original", [("Lib/shapes.py", handmade.SHAPES)])
    larger = handmade.context("T2", "original", [("Lib/util.py", handmade.UTIL), ("Lib/shapes.py", handmade.SHAPES)])
    rows = [handmade.row(c, "module_function_count", "Lib/shapes.py", "2", source_file="Lib/shapes.py")
            for c in (small, larger)]
    report = check_dataset(_write(tmp_path, [small, larger], rows))
    assert _failures(report) == [("prefix", larger["context_id"])]


# ----------------------------------------------------------------------------------------------- drift rows

@pytest.fixture
def releases(tmp_path):
    old = handmade.write_release(tmp_path / "old", {"Lib/shapes.py": handmade.OLD_SHAPES,
                                                    "Lib/util.py": handmade.OLD_UTIL,
                                                    "Lib/oldshapes.py": handmade.OLD_SQUARE})
    new = handmade.write_release(tmp_path / "new", {"Lib/shapes.py": handmade.SHAPES, "Lib/util.py": handmade.UTIL})
    return old, new


def _drift_dataset():
    contexts, rows = handmade.shapes_dataset()
    ctx = contexts[0]

    def drift(qtype, symbol, answer, kind_of_drift, stale, **kw):
        return handmade.row(ctx, qtype, symbol, answer, drift=True, drift_kind=kind_of_drift, stale_answer=stale,
                            stale_pin="3.11.7", **kw)

    drift_rows = [
        drift("return_annotation", "make", "Shape", "changed", '"Shape"', kind="module-level function"),
        drift("parameters", "make", "kind, *args, scale, **options", "changed", "kind, *args, **options",
              kind="module-level function"),
        drift("docstring_first_line", "Shape", "A plane figure.", "added", None, kind="class"),
        drift("class_location", "Square", "Lib/util.py", "moved", "Lib/oldshapes.py", source_file="Lib/util.py"),
        drift("module_function_count", "Lib/shapes.py", "2", "changed", "1", source_file="Lib/shapes.py"),
    ]
    return contexts, rows, drift_rows


def test_correct_drift_rows_pass_and_are_counted(tmp_path, releases):
    contexts, rows, drift_rows = _drift_dataset()
    folder = _write(tmp_path, contexts, rows + drift_rows)
    report = check_dataset(folder, old_lib=releases[0], new_lib=releases[1])
    assert report.failures == [], report.render()
    assert (report.drift_rows, report.drift_rows_checked, report.drift_rows_failed) == (5, 5, 0)


def test_drift_rows_without_both_releases_are_reported_as_not_checked(tmp_path, releases):
    contexts, rows, drift_rows = _drift_dataset()
    report = check_dataset(_write(tmp_path, contexts, rows + drift_rows), old_lib=releases[0])
    assert report.failures == []
    assert (report.drift_rows, report.drift_rows_checked) == (5, 0)
    assert "--old-lib and --new-lib" in report.drift_not_checked


@pytest.mark.parametrize("index, field, value", [
    (0, "stale_answer", "Shape"),  # the older release says '"Shape"'
    (1, "stale_answer", "kind, **options"),
    (2, "stale_answer", "A figure."),  # 'added' must have a null stale answer
    (2, "drift_kind", "changed"),  # the older Shape has no docstring: that is 'added', not 'changed'
    (3, "stale_answer", "Lib/shapes.py"),  # the older release defined Square in Lib/oldshapes.py
    (4, "stale_answer", "2"),  # equal to the answer: not a drift
    (0, "context_id", None),  # asked on the perturbed context instead of the tier's original one
])
def test_a_wrong_drift_row_is_reported(tmp_path, releases, index, field, value):
    contexts, rows, drift_rows = _drift_dataset()
    victim = drift_rows[index]
    if field == "context_id":
        perturbed = handmade.context("T1", "perturbed", [("Lib/shapes.py", handmade.SHAPES),
                                                         ("Lib/util.py", handmade.UTIL)])
        contexts.append(perturbed)
        victim["context_id"] = perturbed["context_id"]
        victim["perturbed"] = True
    else:
        victim[field] = value
    report = check_dataset(_write(tmp_path, contexts, rows + drift_rows), old_lib=releases[0], new_lib=releases[1])
    assert _failures(report) == [("drift", victim["id"])], report.render()
    assert report.drift_rows_failed == 1


def test_a_wrong_new_lib_is_reported_rather_than_trusted(tmp_path, releases):
    contexts, rows, drift_rows = _drift_dataset()
    folder = _write(tmp_path, contexts, rows + drift_rows[:1])
    report = check_dataset(folder, old_lib=releases[0], new_lib=releases[0])
    assert _failures(report) == [("drift", drift_rows[0]["id"])]
    assert "differs from the context's copy" in report.failures[0].reason


# ----------------------------------------------------------------------------------------------------- CLI

def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tests.checks.dataset_checker", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def test_the_cli_exits_0_on_a_clean_folder_and_1_with_each_failure_listed(tmp_path):
    contexts, rows = handmade.shapes_dataset()
    clean = _cli(str(_write(tmp_path / "a", contexts, rows)))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "rows_checked: 13" in clean.stdout and clean.stdout.rstrip().endswith("OK")
    rows[0]["answer"] = "int"
    broken = _cli(str(_write(tmp_path / "b", contexts, rows)))
    assert broken.returncode == 1
    assert f"FAIL [wrong_answer] {rows[0]['id']}: answer 'int', the context says 'float'" in broken.stdout


def test_the_cli_refuses_one_release_without_the_other_and_a_folder_without_data(tmp_path):
    one = _cli(str(tmp_path), "--old-lib", str(tmp_path))
    assert one.returncode == 2 and "both --old-lib and --new-lib" in one.stderr
    assert main([str(tmp_path)]) == 2
    missing = tmp_path / "no-such-lib"
    assert main([str(tmp_path), "--old-lib", str(missing), "--new-lib", str(missing)]) == 2


# ------------------------------------------------------------------------------------------- building blocks

def test_a_context_whose_segments_do_not_match_its_file_list_is_refused():
    text = handmade.segment("Lib/a.py", "x = 1\n") + handmade.segment("Lib/b.py", "y = 2\n")
    assert [p for p, _, _ in split_context(text, ["Lib/a.py", "Lib/b.py"])] == ["Lib/a.py", "Lib/b.py"]
    with pytest.raises(FormatError):
        split_context(text, ["Lib/b.py", "Lib/a.py"])
    with pytest.raises(FormatError):
        split_context(text, ["Lib/a.py"])


def test_bindings_follow_the_spec():
    source = (
        "if X:\n    def f(): pass\nelse:\n    f = None\n"
        "class C:\n    a, (b, *c) = 1, (2, 3)\n    d: int = 0\n    e: int\n    x.y = 1\n"
        "    if Y:\n        def m(self):\n            z = 1\n            def inner(): pass\n"
        "def g():\n    w = 1\n    class Local:\n        v = 1\n"
    )
    found = {(b.reader, b.kind, b.module_level, b.in_class, b.directly_in_class) for b in file_facts(source).bindings}
    assert found == {
        ("f", "function", True, False, False), ("f", "assignment", True, False, False),
        ("C", "class", True, False, False),
        ("C.a", "assignment", False, True, True), ("C.b", "assignment", False, True, True),
        ("C.c", "assignment", False, True, True), ("C.d", "assignment", False, True, True),
        ("C.e", "assignment", False, True, True),
        ("C.m", "function", False, True, False), ("C.m.inner", "function", False, False, False),
        ("g", "function", True, False, False), ("g.Local", "class", False, False, False),
    }
    assert file_facts(source).module_function_count == 1  # g; f is inside if/else


_STDLIB = sorted(p for p in Path(ast.__file__).parent.glob("*.py"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file_index=st.integers(0, len(_STDLIB) - 1), pick=st.integers(0, 10**6))
def test_source_segments_equal_ast_get_source_segment(file_index, pick):
    text = _STDLIB[file_index].read_text(encoding="utf-8", errors="surrogateescape")
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return
    nodes = [n for n in ast.walk(tree) if isinstance(n, (ast.expr, ast.keyword))]
    if nodes:
        node = nodes[pick % len(nodes)]
        assert _Source(text).segment(node) == ast.get_source_segment(text, node)


PEP701 = 'names = ["a", "b"]\ndef show() -> str:\n    return f"{", ".join(names)}"\n'


def test_syntax_this_python_cannot_parse_is_read_by_a_newer_one():
    if sys.version_info >= (3, 12):
        pytest.skip("this interpreter parses PEP 701 f-strings itself")
    if not newer_pythons():
        pytest.skip("no Python 3.12+ on this machine to read PEP 701 f-strings")
    with pytest.raises(SyntaxError):
        ast.parse(PEP701)
    parser = Parser()
    facts = parser.facts(PEP701)
    assert [(b.reader, b.returns) for b in facts.bindings] == [("names", None), ("show", "str")]
    assert list(parser.read_elsewhere.values())[0].startswith("python 3.")
