"""Send the cpython_retrieval prompts in dataset order, so a server's prefix cache holds one context at a time.

lm-eval 0.4.13 builds a task's requests in the order of its docs, but every backend that batches
(`local-completions`, `local-chat-completions`, `openai-*`, `hf`, `vllm`, `sglang`) passes them
through `lm_eval.models.utils.Collator`, which sorts them longest first (`-len(prompt)` for the API
backends). The rows of one tier have two contexts of almost the same length (the ordinary one and
the perturbed one), and question lengths vary more than that difference, so the sort interleaves
the two contexts row by row: a server's prefix cache then alternates between two multi-megabyte
prefixes instead of reusing one. (`--model dummy` does not sort: it answers in doc order.)

The dataset stores each tier's rows in the order they should be sent (one context's rows
together). `dataset_send_order()` makes the Collator keep that order for our prompts: their sort
key becomes their position in the request list (lm-eval builds it task by task, in doc order),
ahead of any other task's requests, which keep lm-eval's own order among themselves.
`cpython-retrieval lm-eval` runs inside it; from Python: `with dataset_send_order(): simple_evaluate(...)`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ..prompt import CLOSED_BOOK_INSTRUCTIONS, INSTRUCTIONS

#: How far into a prompt (after a chat template's own preamble) the instructions are looked for.
_LOOK = 4096
_MARKERS = (INSTRUCTIONS[:120], CLOSED_BOOK_INSTRUCTIONS.split("{", 1)[0])


def _prompt_of(request: Any) -> str | None:
    """The prompt string of a Collator item: (prompt, ...), ((prompt, tokens), ...), or a JsonChatStr."""
    first = request[0] if isinstance(request, (tuple, list)) and request else request
    if isinstance(first, tuple) and first:
        first = first[0]
    text = getattr(first, "prompt", first)
    return text if isinstance(text, str) else None


def is_retrieval_prompt(request: Any) -> bool:
    text = _prompt_of(request)
    if text is None:
        return False
    start = text[:_LOOK]
    return any(marker in start for marker in _MARKERS)


@contextlib.contextmanager
def dataset_send_order() -> Iterator[None]:
    """While active, lm-eval's Collator keeps cpython_retrieval requests in the order lm-eval built them."""
    from lm_eval.models.utils import Collator

    original_init = Collator.__init__

    def __init__(self, arr, sort_fn=lambda x: x, *args, **kwargs) -> None:
        original_init(self, arr, sort_fn, *args, **kwargs)
        lm_eval_key = self._sort_fn  # sorts (index, request) pairs

        def key(item):
            index, request = item
            return (0, index) if is_retrieval_prompt(request) else (1, lm_eval_key(item))

        self._sort_fn = key

    Collator.__init__ = __init__
    try:
        yield
    finally:
        Collator.__init__ = original_init


__all__ = ["dataset_send_order", "is_retrieval_prompt"]
