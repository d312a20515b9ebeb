"""The task folder: YAML contract, discovery, docs and prompt."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from cpython_retrieval.dataset.store import load_tier, read_manifest
from cpython_retrieval.errors import RetrievalError
from cpython_retrieval.lm_eval_tasks import (
    FULL_GROUP,
    FULL_TASK_NAMES,
    GROUP,
    TASK_NAMES,
    TASKS_DIR,
    TIERS,
    include_path,
    utils,
)
from cpython_retrieval.prompt import render_prompt
from cpython_retrieval.question_types import TASK_VERSION

from .conftest import BIN, run


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!function", lambda loader, node: ("function", loader.construct_scalar(node)))


def _yaml(name: str) -> dict:
    return yaml.load((TASKS_DIR / name).read_text(), Loader=_Loader)


def test_folder_layout_and_versions():
    group = _yaml("_cpython_retrieval.yaml")
    assert group["group"] == GROUP
    assert group["task"] == list(TASK_NAMES)
    assert [t.lower() for t in TIERS] == ["t25", "t50", "t100", "t200", "t500", "t1000"]
    template = _yaml("_default_template_yaml")
    version = template["metadata"]["version"]
    # one task version for both harnesses: the Inspect tasks log TASK_VERSION (tests/inspect/test_task_metadata.py)
    assert version == TASK_VERSION and group["metadata"]["version"] == version
    for task, tier in zip(TASK_NAMES, TIERS, strict=True):
        cfg = _yaml(f"{task}.yaml")
        assert cfg["task"] == task and cfg["include"] == "_default_template_yaml"
        assert cfg["dataset_kwargs"] == {"cpr_tier": tier}
        assert "metadata" not in cfg or cfg["metadata"]["version"] == version
    full = _yaml("_cpython_retrieval_full.yaml")
    assert full["group"] == FULL_GROUP and full["task"] == list(FULL_TASK_NAMES)
    assert full["metadata"]["version"] == version
    assert full["aggregate_metric_list"] == group["aggregate_metric_list"]
    for task, tier in zip(FULL_TASK_NAMES, TIERS, strict=True):
        cfg = _yaml(f"{task}.yaml")
        assert cfg["task"] == task and cfg["include"] == "_default_template_yaml"
        assert cfg["dataset_kwargs"] == {"cpr_tier": tier, "cpr_size": "full"}
    # the only *.yaml files are the groups and the tiers (the template is not registered on its own)
    assert sorted(p.name for p in TASKS_DIR.glob("*.yaml")) == sorted(
        ["_cpython_retrieval.yaml", "_cpython_retrieval_full.yaml", *(f"{t}.yaml" for t in TASK_NAMES + FULL_TASK_NAMES)])
    readme = (TASKS_DIR / "README.md").read_text()
    assert "## Changelog" in readme and re.search(rf"\bv{re.escape(str(version))}\b", readme)


def test_generation_kwargs_are_explicit():
    gen = _yaml("_default_template_yaml")["generation_kwargs"]
    assert gen["until"] == []  # no default "\n\n" stop: decorator lists span lines
    assert gen["max_gen_toks"] == utils.MAX_GEN_TOKS
    assert gen["temperature"] == 0.0 and gen["do_sample"] is False


def test_metric_list_covers_process_results():
    template = _yaml("_default_template_yaml")
    listed = [m["metric"] for m in template["metric_list"]]
    assert sorted(listed) == sorted(utils.METRIC_KEYS)
    assert all(m["aggregation"] == "mean" for m in template["metric_list"])
    # the group aggregates only metrics every question produces, so size weighting is exact
    group = _yaml("_cpython_retrieval.yaml")
    assert {m["metric"]: m["weight_by_size"] for m in group["aggregate_metric_list"]} == {"score": True, "substring_match": True}


def test_lm_eval_path_command(tmp_path):
    proc = run([str(BIN / "cpython-retrieval"), "lm-eval-path"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == include_path() == str(TASKS_DIR)
    assert (Path(proc.stdout.strip()) / "_cpython_retrieval.yaml").is_file()


@pytest.mark.slow
def test_lm_eval_validate(tmp_path):
    tasks = [GROUP, *TASK_NAMES, FULL_GROUP, *FULL_TASK_NAMES]
    proc = run([str(BIN / "lm_eval"), "validate", "--tasks", ",".join(tasks), "--include_path", include_path()],
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All tasks found and valid" in proc.stdout
    wrapped = run([str(BIN / "cpython-retrieval"), "lm-eval", "validate"], cwd=tmp_path)
    assert wrapped.returncode == 0, wrapped.stdout + wrapped.stderr


def test_task_manager_indexes_the_folder():
    from cpython_retrieval.lm_eval_tasks import task_manager

    tm = task_manager()
    names = {GROUP, *TASK_NAMES, FULL_GROUP, *FULL_TASK_NAMES}
    assert set(tm.match_tasks(sorted(names))) == names


def test_docs_keep_the_context_out_and_prompt_matches_inspect(small_ds):
    out = utils.load_docs("T25", dataset=str(small_ds), context_window=10**6, version=1.0, config_source="x")
    docs = out["test"]
    assert set(out) == {"test"}
    assert "context" not in docs.features
    rows = load_tier(small_ds, "T25")
    assert len(docs) == len(rows)
    for doc, row in zip(docs, rows, strict=True):
        assert doc["id"] == row["id"]
        assert utils.doc_to_text(doc) == render_prompt(row["question"], row["context"], cpython_version=row["cpython_version"])
        assert doc["answer"] == row["answer"]


def test_closed_book_control(small_ds):
    docs = utils.load_docs("T25", dataset=str(small_ds), no_context=True)["test"]
    doc = docs[0]
    assert utils.doc_to_text(doc) == render_prompt(doc["question"], None, cpython_version=doc["cpython_version"], no_context=True)


def test_dataset_from_env(small_ds, monkeypatch):
    monkeypatch.setenv(utils.DATASET_ENV, str(small_ds))
    assert utils.dataset_dir({}) == str(small_ds)
    assert utils.dataset_dir({"dataset": str(small_ds)}) == str(small_ds)


def test_missing_tier_is_an_error_naming_the_fix(small_ds):
    assert set(read_manifest(small_ds)["tiers"]) == {"T25", "T50"}
    with pytest.raises(RetrievalError, match=r"no tier T100.*--tasks cpython_retrieval_t25,cpython_retrieval_t50"):
        utils.load_docs("T100", dataset=str(small_ds), context_window=10**7)


def test_row_filters_mirror_the_inspect_options(small_ds):
    all_docs = utils.load_docs("T25", dataset=str(small_ds), context_window=10**6)["test"]
    only = utils.load_docs("T25", dataset=str(small_ds), context_window=10**6, perturbed="only")["test"]
    exclude = utils.load_docs("T25", dataset=str(small_ds), context_window=10**6, perturbed="exclude")["test"]
    assert len(only) + len(exclude) == len(all_docs) and len(only) > 0
    assert all(only["perturbed"]) and not any(exclude["perturbed"])
    types = utils.load_docs("T25", dataset=str(small_ds), context_window=10**6, question_types="decorators,parameters")["test"]
    assert set(types["question_type"]) <= {"decorators", "parameters"} and len(types) > 0
    with pytest.raises(RetrievalError, match="unknown question type"):
        utils.load_docs("T25", dataset=str(small_ds), context_window=10**6, question_types=["nope"])
    with pytest.raises(RetrievalError, match="perturbed must be one of"):
        utils.load_docs("T25", dataset=str(small_ds), context_window=10**6, perturbed="some")
