"""The trials solver: one cold call (scored) and `trials - 1` warm calls of the same prompt, each measured.

The prompt is built here, not stored in the sample: `Sample.input` holds only the question, and the
solver inserts the tier's context from a per-process table keyed by `context_id`. The context goes
to the model but not into `state.messages`. Inspect records every call's input in its model event
(one copy per sample: a T1000 log would be 115 MB of the same two contexts); unless `log_context`
is set, each call's event has the context block replaced by a note naming its `context_id`, after
the call, so the model got the whole prompt and the dataset (by its fingerprint, in the task
metadata) holds the text. The log keeps every answer, score and per-call record.

Message layout (one user message, three text blocks): the instructions, the context block
(`<files>...</files>`, marked `cache_breakpoint` so Anthropic's `cache_control` lands at its end),
then the question. Every row of a tier therefore shares one prefix for automatic prefix caching
(vLLM, SGLang, OpenAI), and only the question differs.

Per call (see `adapters.ttft.timed_generate`) the store key `cpython_retrieval_calls` holds a list of
dicts: trial, cold, latency_s, ttft_s, ttft_source, api_time_s, input_tokens, uncached_input_tokens,
output_tokens, cached_read_tokens, cached_write_tokens, cost_usd, retries, http_requests, answer,
stop_reason. A reply without a finish reason raises `IncompleteResponseError` out of the solver: the
sample fails (and `--retry-on-error` / `inspect eval-retry` run it again) rather than being scored.
"""

from __future__ import annotations

import threading

from inspect_ai.model import ChatMessage, ChatMessageUser, ContentText, get_model
from inspect_ai.solver import Generate, TaskState, solver

from ..adapters.ttft import timed_generate
from ..dataset.store import load_contexts
from ..prompt import PromptParts, prompt_parts
from .context_gate import ContextGate

CALLS_KEY = "cpython_retrieval_calls"

#: dataset folder -> context_id -> text. Filled by the task (or lazily here), never logged: the solver's
#: logged parameters are only the folder path, so the eval header holds no context either.
_CONTEXTS: dict[str, dict[str, str]] = {}
_LOCK = threading.Lock()


def remember_contexts(dataset_path: str, contexts: dict[str, str]) -> None:
    with _LOCK:
        _CONTEXTS.setdefault(str(dataset_path), {}).update(contexts)


def context_text(dataset_path: str, context_id: str) -> str:
    """A context's text from the per-process table, loading it from the dataset folder on a miss."""
    key = str(dataset_path)
    with _LOCK:
        known = _CONTEXTS.get(key, {})
        if context_id in known:
            return known[context_id]
    loaded = load_contexts(key, {context_id})
    if context_id not in loaded:
        raise KeyError(f"context {context_id} is not in the dataset at {key}")
    remember_contexts(key, loaded)
    return loaded[context_id]


def build_messages(parts: PromptParts) -> list[ChatMessage]:
    """Instructions, the context in its own (cache-marked) block, the question last."""
    content = [ContentText(text=parts.instructions)]
    if parts.context_block is not None:
        content.append(ContentText(text=parts.context_block, cache_breakpoint=True))
    content.append(ContentText(text=parts.question_block))
    return [ChatMessageUser(content=content)]


def omit_context_from_log(context_block: str, note: str) -> None:
    """Replace the context block in the input of the sample's last model event (the call just made) by `note`."""
    from inspect_ai.event import ModelEvent
    from inspect_ai.log import transcript

    for event in reversed(transcript().events):
        if isinstance(event, ModelEvent):
            for message in event.input:
                if isinstance(message.content, list):
                    message.content = [ContentText(text=note) if isinstance(part, ContentText) and part.text == context_block
                                       else part for part in message.content]
            return


@solver
def cold_warm_trials(dataset_path: str, trials: int = 3, no_context: bool = False, log_context: bool = False):
    """Call the model `trials` times on the sample's full prompt; the first (cold) call's answer is scored.

    Args:
        dataset_path: The dataset folder the samples' contexts come from (looked up by `context_id`).
        trials: Calls per sample: one cold, `trials - 1` warm (at least 1).
        no_context: Closed-book control: the prompt holds no files.
        log_context: Keep each call's whole input in the log (default: the context is replaced by a note).
    """
    if trials < 1:
        raise ValueError(f"trials must be at least 1 (got {trials})")
    gate = ContextGate()  # one context in flight at a time (see context_gate.py)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        md = state.metadata
        context = None if no_context else context_text(dataset_path, md["context_id"])
        parts = prompt_parts(md["question"], context, cpython_version=md.get("cpython_version", ""), no_context=no_context)
        messages = build_messages(parts)
        model = get_model()
        calls = []
        cold = None
        async with gate.hold(None if no_context else md["context_id"]):
            for trial in range(trials):
                output, record = await timed_generate(model, messages, trial=trial)
                if parts.context_block is not None and not log_context:
                    omit_context_from_log(parts.context_block, f"[context {md['context_id']} ({len(parts.context_block):,} "
                                                               "characters) sent to the model; omitted from the log]")
                calls.append(record)
                state.store.set(CALLS_KEY, [dict(c) for c in calls])
                if trial == 0:
                    cold = output
        assert cold is not None
        state.output = cold
        state.messages.append(cold.message)
        return state

    return solve
