"""The per-row log `cpython-retrieval lm-eval` writes: lm-eval's sample lines without the prompt.

lm-eval's `--log_samples` writes each question's whole prompt into its line, so a samples file is
rows x context: 4 MB per T1000 line, half a gigabyte per T1000 run, 98% of it the prompt. The
prompt is not needed to read the results back: it is `prompt.render_prompt(doc.question, <the
context of doc.context_id>)`, and `prompt_hash` still identifies it. So the wrapper writes the same
files (`samples_<task>_<time>.jsonl`, the same keys: `doc`, `target`, `resps`, `filtered_resps`,
`metrics`, the metric values, the hashes) with `arguments.gen_args_0.arg_0` replaced by a short
note saying what was left out, and doc fields longer than `LARGE_FIELD_CHARS` left out (none of the
dataset's fields is; the wrapper's summary and `cpython-retrieval report` read these files as
they read raw ones). Lines of tasks that are not cpython_retrieval tasks are written unchanged.
`--raw_samples` keeps lm-eval's own lines. Rows answered by the project's cached hosted models
(`cached_api`) also carry `usage`: the prompt's tokens, cached read and write tokens among them, output tokens.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

from . import GROUP

#: Doc fields whose JSON is longer than this are left out of a small row (and named in `doc_left_out`).
LARGE_FIELD_CHARS = 2000


def is_retrieval_task(task_name: str) -> bool:
    return task_name == GROUP or task_name.startswith(GROUP + "_")


def _prompt_text(value: Any) -> str | None:
    """The prompt of a request's first argument: a string, or the chat messages' JSON in a 1-tuple
    (lm-eval's `JsonChatStr`, which reaches the logged sample as a plain tuple)."""
    text = getattr(value, "prompt", value)
    if isinstance(text, (tuple, list)) and len(text) == 1:
        text = text[0]
    return text if isinstance(text, str) else None


def omitted_prompt_note(prompt: str, doc: dict[str, Any]) -> str:
    """What replaces the prompt in a small row."""
    where = f"context {doc['context_id']}" if doc.get("context_id") and not doc.get("no_context") else "no context"
    return (f"[prompt left out: {len(prompt):,} chars, {where}; prompt_hash identifies it; "
            "cpython-retrieval lm-eval --raw_samples keeps it]")


def small_sample(sample: dict[str, Any]) -> dict[str, Any]:
    """lm-eval's in-memory sample (before it writes it) without the prompt and without large doc fields."""
    out = dict(sample)
    doc = dict(sample.get("doc") or {})
    large = sorted(k for k, v in doc.items() if len(json.dumps(v, default=str, ensure_ascii=False)) > LARGE_FIELD_CHARS)
    for key in large:
        del doc[key]
    if large:
        doc["doc_left_out"] = large
    out["doc"] = doc
    arguments = []
    usage = None
    for args in sample.get("arguments") or []:
        args = tuple(args)
        prompt = _prompt_text(args[0]) if args else None
        if prompt is not None:
            usage = usage or _usage(prompt)
            args = (omitted_prompt_note(prompt, doc), *args[1:])
        arguments.append(args)
    out["arguments"] = arguments
    if usage is not None:
        out["usage"] = usage
    return out


def _usage(prompt: str) -> dict[str, Any] | None:
    """What the provider reported for this prompt (`cached_api` models only): tokens, cached tokens among them."""
    from .cached_api import usage_for

    with contextlib.suppress(ValueError, TypeError):
        messages = json.loads(prompt)
        if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
            prompt = messages[-1].get("content", prompt)
    return usage_for(prompt) if isinstance(prompt, str) else None


@contextlib.contextmanager
def small_rows(*, raw: bool, keep_other_tasks: bool) -> Iterator[None]:
    """While active, lm-eval's `EvaluationTracker.save_results_samples` writes small rows for our tasks.

    `raw`: write lm-eval's own lines (prompts included). `keep_other_tasks`: write other tasks'
    samples too (the user asked for `--log_samples`); otherwise only ours are written.
    """
    from lm_eval.loggers.evaluation_tracker import EvaluationTracker

    original = EvaluationTracker.save_results_samples

    def save_results_samples(self, task_name: str, samples: list) -> None:
        if is_retrieval_task(task_name):
            return original(self, task_name, samples if raw else [small_sample(s) for s in samples])
        if keep_other_tasks:
            return original(self, task_name, samples)
        return None

    EvaluationTracker.save_results_samples = save_results_samples
    try:
        yield
    finally:
        EvaluationTracker.save_results_samples = original


__all__ = ["LARGE_FIELD_CHARS", "is_retrieval_task", "small_rows", "small_sample"]
