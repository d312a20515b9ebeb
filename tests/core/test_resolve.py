"""Which dataset an adapter runs: explicit folder, Hub repo with a pinned revision, else a cached local build."""

from __future__ import annotations

import pytest

from cpython_retrieval.errors import RetrievalError
from cpython_retrieval.resolve import generator_fingerprint, resolve_dataset


def test_default_builds_once_then_reuses_the_cache(tmp_path):
    first = resolve_dataset(cache_dir=tmp_path)
    assert first.origin == "built" and (first.path / "manifest.json").is_file()
    assert generator_fingerprint() in first.path.name  # a code change never reuses an older build
    again = resolve_dataset(cache_dir=tmp_path)
    assert again.origin == "cached-build" and again.path == first.path
    assert resolve_dataset(str(first.path)).origin == "local"


def test_a_folder_that_is_not_a_dataset_is_refused(tmp_path):
    with pytest.raises(RetrievalError, match="no manifest.json"):
        resolve_dataset(str(tmp_path))


def test_hub_datasets_need_a_pinned_revision_and_fail_clearly_offline(monkeypatch):
    with pytest.raises(RetrievalError, match="without a pinned revision"):
        resolve_dataset("org/cpython-retrieval")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(RetrievalError) as err:
        resolve_dataset("org/cpython-retrieval", revision="v1")
    assert "HF_HUB_OFFLINE=1 and no cached copy" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(RetrievalError, match="neither an existing folder nor a Hub repo id"):
        resolve_dataset("no-such-folder")
