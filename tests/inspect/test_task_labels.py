"""The Inspect task's labels tell the truth: a source that does not match its pin is refused unless
`allow_mismatch` is asked for, and then the task metadata says so (issue 21)."""

from __future__ import annotations

import pytest

from cpython_retrieval.dataset import resolve
from cpython_retrieval.errors import RetrievalError
from cpython_retrieval.tasks.retrieval import retrieval_task

from ..core.test_corpus_and_sources import GOOD, make_lib


@pytest.fixture
def lib(tmp_path, monkeypatch):
    monkeypatch.setattr(resolve, "user_cache_dir", lambda name: str(tmp_path / "cache"))
    lib = make_lib(tmp_path / "src", {f"m{i}.py": GOOD.replace("Alpha", f"Alpha{i}") for i in range(6)})
    (lib / "broken.py").write_bytes(b"# -*- coding: utf-8 -*-\nx = '\xff'\n")
    return lib


def test_a_mismatched_source_is_refused_in_one_line(lib):
    with pytest.raises(RetrievalError) as err:
        retrieval_task("T25", pin="3.13.0", source=str(lib))
    assert "-T allow_mismatch=true" in str(err.value) and "\n" not in str(err.value)


def test_an_allowed_mismatch_is_in_the_task_metadata(lib):
    task = retrieval_task("T25", pin="3.13.0", source=str(lib), allow_mismatch="true")
    md = task.metadata
    assert md["cpython_version"] == "3.13.0" and md["source_matches_pin"] is False and md["allow_mismatch"] is True
    assert "broken.py" in md["source_mismatch"]["dropped_files"]
    assert "broken.py (undecodable)" in md["source_mismatch"]["differing_files"]


def test_a_typo_in_allow_mismatch_is_refused(lib):
    with pytest.raises(RetrievalError, match="allow_mismatch must be true or false"):
        retrieval_task("T25", pin="3.13.0", source=str(lib), allow_mismatch="yes please")


def test_the_canonical_task_says_its_source_matches():
    md = retrieval_task("T25").metadata
    assert md["source_matches_pin"] is True and md["source_mismatch"] is None and md["allow_mismatch"] is False
