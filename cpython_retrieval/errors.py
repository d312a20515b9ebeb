"""One exception type for bad input, so the CLI can print it as one clear line."""


class RetrievalError(Exception):
    """A user-facing problem: the message names what is wrong and how to fix it."""
