"""Task-plugin discovery as lm-evaluation-harness pull request #4015 ("Feat/plugin task registration", open) does it,
so the tests can show the `lm_eval.tasks` entry point works before any lm-eval release reads the group.

Each entry point of the group names a package; the package's folder (`importlib.util.find_spec(...)
.submodule_search_locations`) is indexed like the built-in task folder, every `*.yaml` under it, and comes after the
built-ins and before `--include_path`. Kept free of imports from `cpython_retrieval` so it runs in any environment.
"""

from __future__ import annotations

import importlib.util
from importlib.metadata import entry_points
from pathlib import Path

GROUP = "lm_eval.tasks"


def plugin_task_folders(name: str | None = None) -> list[Path]:
    """The folders the installed `lm_eval.tasks` entry points name (only entry point `name` if given)."""
    folders = []
    for entry in entry_points(group=GROUP):
        if name is not None and entry.name != name:
            continue
        spec = importlib.util.find_spec(entry.value)
        if spec is None or not spec.submodule_search_locations:
            raise ValueError(f"entry point {entry.name} = {entry.value} does not name a package")
        folders.extend(Path(location) for location in spec.submodule_search_locations)
    return folders
