"""lm-evaluation-harness task folder for cpython-retrieval (pass it to `lm_eval --include_path`).

lm-eval 0.4.13 reads no task entry points, so the folder has to be named on the command line (the package also
declares the `lm_eval.tasks` entry point of lm-eval pull request #4015, for a release that reads it):

    lm_eval run --model ... --tasks cpython_retrieval --include_path "$(cpython-retrieval lm-eval-path)"

or use the wrapper `cpython-retrieval lm-eval ...`, which adds the include path and the truncation
tripwire. From Python: `task_manager()` below. Details: docs/lm-eval.md and README.md here.
"""

from __future__ import annotations

from pathlib import Path

TASKS_DIR = Path(__file__).resolve().parent
GROUP = "cpython_retrieval"
#: Tier subtasks, smallest first (task name = f"cpython_retrieval_{tier.lower()}").
TIERS = ("T25", "T50", "T100", "T200", "T500", "T1000")
TASK_NAMES = tuple(f"{GROUP}_{tier.lower()}" for tier in TIERS)
#: The same tiers on the canonical dataset's `full` size (several independent contexts per tier).
FULL_GROUP = f"{GROUP}_full"
FULL_TASK_NAMES = tuple(f"{FULL_GROUP}_{tier.lower()}" for tier in TIERS)


def include_path() -> str:
    """The folder to pass as `--include_path` (or `TaskManager(include_path=...)`)."""
    return str(TASKS_DIR)


def task_manager(metadata: dict | None = None, **kwargs):
    """A `lm_eval.tasks.TaskManager` that knows the cpython_retrieval tasks.

    With the Python API, model_args are *not* merged into task metadata unless `simple_evaluate`
    builds the TaskManager itself, so pass what the tasks need (dataset, context_window) here.
    """
    from lm_eval.tasks import TaskManager

    kwargs.setdefault("include_defaults", False)
    return TaskManager(include_path=include_path(), metadata=metadata or {}, **kwargs)


__all__ = ["FULL_GROUP", "FULL_TASK_NAMES", "GROUP", "TASKS_DIR", "TASK_NAMES", "TIERS", "include_path", "task_manager"]
