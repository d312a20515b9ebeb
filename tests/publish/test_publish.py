"""Publishing: argument validation, the dry-run plan, and the upload sequence against a recording fake API."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest

from cpython_retrieval.dataset.publish import plan_publish, publish
from cpython_retrieval.dataset.store import write_dataset
from cpython_retrieval.errors import RetrievalError
from cpython_retrieval.generate.stages import build_dataset


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("pub")
    write_dataset(build_dataset(tiers=["T25"], per_tier=9), out)
    return out


def test_plan_lists_exactly_the_dataset_files(folder):
    plan = plan_publish(folder, "org/cpython-retrieval")
    assert plan.files == ("LICENSE", "README.md", "data/T25.parquet", "data/contexts.parquet", "manifest.json")
    assert plan.tag.startswith("cpython-3.") and "gen" in plan.tag
    assert "CPython" in plan.commit_message and "T25" in plan.commit_message
    assert plan_publish(folder, "org/x", revision="v1").tag == "v1"


@pytest.mark.parametrize("repo_id", ["noslash", "a/b/c", "/x", "org/", "org/na me"])
def test_bad_repo_ids_are_refused(folder, repo_id):
    with pytest.raises(RetrievalError, match="ORG/NAME"):
        plan_publish(folder, repo_id)


def test_incomplete_or_foreign_folders_are_refused(folder, tmp_path):
    with pytest.raises(RetrievalError, match="not a cpython-retrieval dataset"):
        plan_publish(tmp_path, "org/x")
    with pytest.raises(RetrievalError, match="valid tag"):
        plan_publish(folder, "org/x", revision="bad tag")


class RecordingApi:
    def __init__(self, fail=None):
        self.calls, self.fail = [], fail

    def create_repo(self, repo_id, **kw):
        self.calls.append(("create_repo", repo_id, kw))

    def upload_folder(self, **kw):
        if self.fail:
            raise self.fail
        self.calls.append(("upload_folder", kw["repo_id"], kw))
        return SimpleNamespace(oid="abc123")

    def create_tag(self, repo_id, **kw):
        self.calls.append(("create_tag", repo_id, kw))


def test_publish_creates_uploads_once_and_tags_that_commit(folder):
    plan = plan_publish(folder, "org/ds", private=True)
    api = RecordingApi()
    assert publish(plan, folder, api=api) == "abc123"
    names = [c[0] for c in api.calls]
    assert names == ["create_repo", "upload_folder", "create_tag"]
    assert api.calls[0][2] == {"repo_type": "dataset", "private": True, "exist_ok": True}
    assert api.calls[1][2]["allow_patterns"] == list(plan.files) and api.calls[1][2]["commit_message"] == plan.commit_message
    assert api.calls[2][2]["revision"] == "abc123" and api.calls[2][2]["tag"] == plan.tag


def test_publish_failure_is_one_line_without_the_token(folder, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret_value")
    api = RecordingApi(fail=PermissionError("401 Unauthorized: token hf_secret_value rejected\nmore"))
    with pytest.raises(RetrievalError) as err:
        publish(plan_publish(folder, "org/ds"), folder, api=api)
    assert "\n" not in str(err.value) and "PermissionError" in str(err.value)
    assert "hf_secret_value" not in str(err.value)


def test_cli_dry_run_prints_the_plan_and_sends_nothing(folder, monkeypatch):
    env = {"HF_TOKEN": "hf_secret_value", "HF_HUB_OFFLINE": "1", "PATH": __import__("os").environ["PATH"]}
    result = subprocess.run([sys.executable, "-m", "cpython_retrieval", "publish", str(folder), "--repo-id", "org/ds", "--dry-run"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "data/T25.parquet" in result.stdout and "commit message:" in result.stdout
    assert "hf_secret_value" not in result.stdout + result.stderr
