"""Which dataset an adapter runs: explicit folder, Hub repo with a pinned revision, the bundled canonical dataset,
or a cached build of another pin or source."""

from __future__ import annotations

import pytest

from cpython_retrieval.dataset.resolve import (
    INSPECT_SPELLING,
    LM_EVAL_SPELLING,
    generator_fingerprint,
    resolve_dataset,
)
from cpython_retrieval.errors import RetrievalError


@pytest.mark.slow
def test_another_pin_builds_once_then_reuses_the_cache(tmp_path):
    import platform

    first = resolve_dataset(pin=platform.python_version() if platform.python_version() == "3.11.7" else "3.11.7",
                            cache_dir=tmp_path)
    assert first.origin == "built" and (first.path / "manifest.json").is_file()
    assert generator_fingerprint() in first.path.name  # a code change never reuses an older build
    again = resolve_dataset(pin="3.11.7", cache_dir=tmp_path)
    assert again.origin == "cached-build" and again.path == first.path
    assert resolve_dataset(str(first.path)).origin == "local"


def test_a_folder_that_is_not_a_dataset_is_refused(tmp_path):
    with pytest.raises(RetrievalError, match="no manifest.json"):
        resolve_dataset(str(tmp_path))


def test_hub_datasets_need_a_pinned_revision_and_fail_clearly_offline(monkeypatch):
    with pytest.raises(RetrievalError, match="without a pinned revision: pass -T revision=TAG"):
        resolve_dataset("org/cpython-retrieval", spelling=INSPECT_SPELLING)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(RetrievalError) as err:
        resolve_dataset("org/cpython-retrieval", revision="v1")
    assert "HF_HUB_OFFLINE=1 and no cached copy" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(RetrievalError, match="no such folder"):
        resolve_dataset("no-such-folder")


def test_a_mistyped_local_folder_is_not_taken_for_a_hub_repo(tmp_path, monkeypatch):
    (tmp_path / "out" / "dataset").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RetrievalError) as err:
        resolve_dataset("out/datset", spelling=INSPECT_SPELLING)
    message = str(err.value)
    assert "no such folder (did you mean out/dataset?)" in message and "-T dataset=DIR" in message
    assert "revision" not in message.split(";")[0]


def test_an_unavailable_pin_names_the_frameworks_own_flag(tmp_path, monkeypatch):
    import cpython_retrieval.sources.fetch as fetch

    def offline(url, archive, timeout):
        raise OSError("network is unreachable")

    monkeypatch.setattr(fetch, "_download", offline)
    for spelling, flag in ((INSPECT_SPELLING, "-T source=PATH"), (LM_EVAL_SPELLING, '"source": "PATH"')):
        with pytest.raises(RetrievalError) as err:
            resolve_dataset(pin="3.14.10", cache_dir=tmp_path, spelling=spelling)
        assert flag in str(err.value) and "3.14.10" in str(err.value) and "\n" not in str(err.value)


def test_offline_hub_load_uses_the_cached_snapshot(tmp_path, written_small):
    """HF_HUB_OFFLINE=1 with the pinned revision in the Hub cache: no network, the cached files are used."""
    import json
    import os
    import shutil
    import subprocess
    import sys

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "datasets--org--cpython-retrieval"
    shutil.copytree(written_small, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "cpython-3.11.7-v1").write_text(commit)
    code = ("import json; from cpython_retrieval.dataset.resolve import resolve_dataset; "
            "r = resolve_dataset('org/cpython-retrieval', revision='cpython-3.11.7-v1'); "
            "print(json.dumps([r.origin, str(r.path)]))")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    origin, path = json.loads(result.stdout.strip().splitlines()[-1])
    assert origin == "hub" and path.endswith(commit) and os.path.isfile(os.path.join(path, "manifest.json"))
