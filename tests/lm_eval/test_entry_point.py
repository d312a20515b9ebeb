"""The `lm_eval.tasks` entry point (pyproject.toml), in the form of lm-eval pull request #4015: inert on lm-eval
0.4.13, which reads only its own folder and `--include_path`, and ready for a release that reads the group."""

from __future__ import annotations

import tomllib
from importlib.metadata import distribution
from pathlib import Path

from cpython_retrieval.lm_eval_tasks import FULL_GROUP, FULL_TASK_NAMES, GROUP, TASK_NAMES, TASKS_DIR

from .plugin_discovery import GROUP as ENTRY_POINT_GROUP
from .plugin_discovery import plugin_task_folders

ROOT = Path(__file__).resolve().parents[2]
VALUE = "cpython_retrieval.lm_eval_tasks"


def test_pyproject_declares_the_task_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"][ENTRY_POINT_GROUP] == {"cpython_retrieval": VALUE}


def test_installed_metadata_carries_the_entry_point():
    eps = [ep for ep in distribution("cpython-retrieval").entry_points if ep.group == ENTRY_POINT_GROUP]
    assert [(ep.name, ep.value) for ep in eps] == [("cpython_retrieval", VALUE)], (
        "the installed cpython-retrieval predates the lm_eval.tasks entry point: reinstall it (pip install -e .)")


def test_indexing_the_entry_points_folder_as_the_pull_request_does_finds_every_task():
    from lm_eval.tasks import TaskManager

    (folder,) = plugin_task_folders("cpython_retrieval")
    assert folder.resolve() == TASKS_DIR.resolve()
    # the pull request globs **/*.yaml in the folder; the shared template is not a .yaml, so it is not a task
    found = sorted(p.name for p in folder.rglob("*.yaml"))
    assert found == sorted(["_cpython_retrieval.yaml", "_cpython_retrieval_full.yaml",
                            *(f"{task}.yaml" for task in TASK_NAMES + FULL_TASK_NAMES)])
    manager = TaskManager(include_path=str(folder), include_defaults=False)
    assert {GROUP, *TASK_NAMES, FULL_GROUP, *FULL_TASK_NAMES} <= set(manager.all_tasks)
    assert set(manager.all_subtasks) >= set(TASK_NAMES + FULL_TASK_NAMES)
    assert {GROUP, FULL_GROUP} <= set(manager.all_groups)


def test_lm_eval_0_4_13_does_not_read_the_group_so_include_path_stays_the_route():
    from lm_eval.tasks import TaskManager

    # documents why docs/lm-eval.md keeps --include_path and the wrapper: without them the tasks are unknown
    assert GROUP not in TaskManager(include_defaults=False).all_tasks, (
        "this lm-eval reads the lm_eval.tasks entry points: make the bare `--tasks cpython_retrieval` the documented "
        "route in docs/lm-eval.md")
