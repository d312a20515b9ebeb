"""The Inspect tasks' metadata (version, display name, description, tags, headline metric) and the inspect_evals
register entry (register/cpython_retrieval/eval.yaml) checked against the installed tasks and the bundled dataset."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from cpython_retrieval import __version__
from cpython_retrieval.dataset.canonical import canonical_dir
from cpython_retrieval.dataset.store import dataset_identity, load_rows, read_manifest
from cpython_retrieval.generate.contexts import DEFAULT_TIERS
from cpython_retrieval.question_types import TASK_VERSION
from cpython_retrieval.tasks import retrieval

ROOT = Path(__file__).resolve().parents[2]
EVAL_YAML = ROOT / "register" / "cpython_retrieval" / "eval.yaml"

# inspect_evals 0.26.0 `metadata.py`: the keys ExternalEvalMetadata and its parts accept (extra="forbid") and need.
_ENTRY_KEYS = {"title", "full_title", "common_title", "paper_title", "description", "arxiv", "contributors", "tasks",
               "tags", "metadata", "source", "evaluation_report"}
_ENTRY_REQUIRED = {"description", "contributors", "tasks", "source", "common_title"}
_TASK_KEYS = {"name", "dataset_samples", "human_baseline", "comment", "task_path", "kind"}
_SOURCE_KEYS = {"repository_url", "repository_commit", "maintainers", "comment"}
_RUNTIME_KEYS = {"fast", "sandbox", "requires", "environment", "supports_k8s", "extras"}
_ASSET_KEYS = {"type", "source", "fetch_method", "state", "comment"}
_ASSET_TYPES = {"huggingface", "git_clone", "direct_url", "git_dependency"}
_ASSET_STATES = {"floating", "pinned", "controlled"}
_FETCH_METHODS = {"git_clone", "curl", "wget", "requests", "urllib", "wget_py", "gdown", "hf_dataset", "load_dataset",
                  "snapshot_download", "hf_hub_download", "download_and_verify", "gdown_and_verify", "pip_install_git",
                  "pyproject_toml", "other"}


@pytest.fixture(scope="module")
def entry() -> dict:
    return yaml.safe_load(EVAL_YAML.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def canonical_manifest() -> dict:
    return read_manifest(canonical_dir())


def test_each_tier_task_carries_version_name_description_tags_and_headline():
    task = retrieval.retrieval_task("T50")
    assert task.version == TASK_VERSION > 0
    assert task.display_name == "cpython_retrieval T50"
    assert "50k-token" in task.description
    assert set(task.tags) == set(retrieval.TASK_TAGS)
    assert task.headline_metric.scorer == "ast_semantic_match" and task.headline_metric.metric == "accuracy"


def test_register_entry_has_only_keys_inspect_evals_accepts(entry):
    assert set(entry) <= _ENTRY_KEYS and _ENTRY_REQUIRED <= set(entry)
    assert entry.get("full_title") or entry.get("title")
    assert "\n" not in entry["description"].strip()  # one line: inspect_evals renders it into its README
    assert set(entry["source"]) <= _SOURCE_KEYS
    assert entry["source"]["repository_url"].startswith("https://")
    assert re.fullmatch(r"[0-9a-f]{40}", entry["source"]["repository_commit"])
    assert set(entry["metadata"]) <= _RUNTIME_KEYS
    assert entry["metadata"]["requires"] == {"internet": False}  # the bundled dataset needs no download
    for task in entry["tasks"]:
        assert set(task) <= _TASK_KEYS and task["task_path"]
    for asset in entry["metadata"]["extras"]["external_assets"]:
        assert set(asset) <= _ASSET_KEYS
        assert asset["type"] in _ASSET_TYPES and asset["state"] in _ASSET_STATES
        assert asset["fetch_method"] in _FETCH_METHODS


def test_register_entry_matches_installed_tasks_and_bundled_dataset(entry, canonical_manifest):
    from inspect_ai._util.registry import registry_lookup

    import cpython_retrieval._registry  # noqa: F401  (registers the tasks, as the inspect_ai entry point does)

    names = [task["name"] for task in entry["tasks"]]
    assert names == [f"cpython_retrieval/{tier}" for tier in DEFAULT_TIERS]
    for task in entry["tasks"]:
        tier = task["name"].split("/")[1]
        assert registry_lookup("task", task["name"]) is not None
        source = (ROOT / task["task_path"]).read_text(encoding="utf-8")
        assert f'{tier} = _make("{tier}")' in source
        assert task["dataset_samples"] == len(load_rows(canonical_dir(), tier))
    extras = entry["metadata"]["extras"]
    assert extras["version"] == f"{TASK_VERSION}-A"
    identity = dataset_identity(canonical_manifest)
    assert extras["dataset"] == {"bundled": True, "cpython_version": identity["cpython_version"],
                                 "generator_version": identity["generator_version"],
                                 "dataset_fingerprint": identity["dataset_fingerprint"]}
    assert identity["generator_version"] == __version__
    pin = canonical_manifest["pin"]
    (asset,) = extras["external_assets"]
    assert asset["source"] == pin["tarball_url"] and asset["state"] == "pinned"
    assert pin["tarball_sha256"] in asset["comment"]


def test_register_entry_validates_with_inspect_evals_when_installed(entry):
    metadata = pytest.importorskip("inspect_evals.metadata", reason="inspect_evals is not a dependency")
    metadata.ExternalEvalMetadata(**{**entry, "id": EVAL_YAML.parent.name})
