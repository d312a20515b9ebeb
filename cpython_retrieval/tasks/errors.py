"""Expected problems in a task's arguments end `inspect eval` with one line and exit code 2
(`adapters/inspect_errors.py` explains how)."""

from __future__ import annotations

from ..adapters.inspect_errors import InspectInputError, input_error
from ..errors import RetrievalError

#: The error a task function raises for bad arguments (a PrerequisiteError: Inspect prints its message alone).
TaskInputError = InspectInputError


def task_error(exc: RetrievalError) -> TaskInputError:
    """The error to raise from a task function instead of `exc`."""
    return input_error(str(exc))
