"""Expected problems (a wrong argument, a missing source, a mistyped model) end `inspect eval` with one line and
exit code 2.

Inspect prints a `PrerequisiteError` as its message alone, without the traceback it prints for anything else;
ours is one, and it also ends the `inspect` command with exit code 2 like the package's own CLI (through the
process's exception hook, which Inspect itself uses for its errors). A model API is created inside Inspect's task
group, so its error reaches the hook wrapped in an exception group: the hook unwraps it rather than print the
group's traceback. Called from Python (`inspect_ai.eval`), it is an ordinary exception.
"""

from __future__ import annotations

import sys

from inspect_ai._util.error import PrerequisiteError

from ..errors import RetrievalError


class InspectInputError(PrerequisiteError, RetrievalError):
    """A task or reference model cannot be created from the arguments given; the message says what to change."""

    def __init__(self, message: str) -> None:
        PrerequisiteError.__init__(self, message)
        RetrievalError.__init__(self, message)

    def __str__(self) -> str:
        return str(self.message)


def input_error(message: str) -> InspectInputError:
    """The error to raise (message without the `error: ` prefix, which this adds) for a bad argument."""
    _exit_code_two_on_uncaught()
    return InspectInputError(f"error: {message}")


def _input_error_in(value: BaseException) -> InspectInputError | None:
    """`value` itself, or the first InspectInputError inside an exception group."""
    if isinstance(value, InspectInputError):
        return value
    for inner in getattr(value, "exceptions", ()) if isinstance(value, BaseExceptionGroup) else ():
        found = _input_error_in(inner)
        if found is not None:
            return found
    return None


_installed = False


def _exit_code_two_on_uncaught() -> None:
    global _installed
    if _installed:
        return
    previous = sys.excepthook

    def hook(kind, value, traceback):
        found = _input_error_in(value)
        if found is not None:
            print(found.message, file=sys.stderr)
            sys.exit(2)
        previous(kind, value, traceback)

    sys.excepthook = hook
    _installed = True
