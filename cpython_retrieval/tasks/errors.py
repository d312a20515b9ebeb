"""Expected problems (a wrong argument, a missing source) end `inspect eval` with one line and exit code 2.

Inspect prints a `PrerequisiteError` as its message alone, without the traceback it prints for anything else;
ours is one, and it also ends the `inspect` command with exit code 2 like the package's own CLI (through the
process's exception hook, which Inspect itself uses for its errors). Called from Python (`inspect_ai.eval`),
it is an ordinary exception.
"""

from __future__ import annotations

import sys

from inspect_ai._util.error import PrerequisiteError

from ..errors import RetrievalError


class TaskInputError(PrerequisiteError, RetrievalError):
    """A cpython_retrieval task cannot be created from the arguments given; the message says what to change."""

    def __init__(self, message: str) -> None:
        PrerequisiteError.__init__(self, message)
        RetrievalError.__init__(self, message)

    def __str__(self) -> str:
        return str(self.message)


def task_error(exc: RetrievalError) -> TaskInputError:
    """The error to raise from a task function instead of `exc`."""
    _exit_code_two_on_uncaught()
    return TaskInputError(f"error: {exc}")


_installed = False


def _exit_code_two_on_uncaught() -> None:
    global _installed
    if _installed:
        return
    previous = sys.excepthook

    def hook(kind, value, traceback):
        if isinstance(value, TaskInputError):
            print(value.message, file=sys.stderr)
            sys.exit(2)
        previous(kind, value, traceback)

    sys.excepthook = hook
    _installed = True
