"""The trials solver: one cold call (scored) and `trials - 1` warm calls of the same prompt, each measured.

The prompt is built here, not stored in the sample: `Sample.input` holds only the question, and the
solver inserts the tier's context from a per-process table keyed by `context_id`. The context goes
to the model but not into `state.messages`. Inspect records every call's input in its model event, twice
(the messages and the provider's raw request, `call.request`; one copy per sample: a T1000 log would be
120 MB of the same two contexts); unless `log_context` is set, after each call both have the context
block replaced by a note naming its `context_id` and sha256, so the model got the whole prompt and the
dataset (by its fingerprint, in the task metadata) holds the text. The log keeps every answer, score and per-call record.

Message layout (one user message, three text blocks): the instructions, the context block
(`<files>...</files>`, marked `cache_breakpoint` so Anthropic's `cache_control` lands at its end),
then the question. Every row of a tier therefore shares one prefix for automatic prefix caching
(vLLM, SGLang, OpenAI), and only the question differs.

Per call (see `adapters.ttft.timed_generate`) the store key `cpython_retrieval_calls` holds a list of
dicts: the fields of `adapters.ttft.CALL_FIELDS` (latency, TTFT and the client's loop lag beside it,
tokens with reasoning apart, cache reads and writes, cost, retries, answer, stop reason). A reply without a
finish reason raises `IncompleteResponseError` out of the solver: the sample fails (and `--retry-on-error` /
`inspect eval-retry` run it again) rather than being scored.
"""

from __future__ import annotations

import hashlib
import threading
from contextlib import asynccontextmanager
from typing import Any

from inspect_ai.model import ChatMessage, ChatMessageUser, ContentText, get_model
from inspect_ai.solver import Generate, TaskState, solver

from ..adapters.ttft import timed_generate
from ..dataset.store import load_contexts
from ..prompt import PromptParts, prompt_parts
from .context_gate import DEFAULT_GATE, gate_capacity, shared_gate

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


def context_note(context_id: str, context: str, context_block: str) -> str:
    """What the log holds in place of a context block: the context's id and the sha256 of its text (the figure
    the dataset's contexts and the oracle server's request log use), so the log names what was sent."""
    digest = hashlib.sha256(context.encode("utf-8", "surrogatepass")).hexdigest()
    return (f"[context {context_id} sha256:{digest} ({len(context_block):,} characters) sent to the model; "
            "omitted from the log]")


def _scrub(value: Any, context_block: str, note: str) -> Any:
    """`value` (a provider's raw request: dicts, lists, strings) with every copy of the context block replaced."""
    if isinstance(value, str):
        return value.replace(context_block, note) if context_block in value else value
    if isinstance(value, list):
        return [_scrub(v, context_block, note) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, context_block, note) for k, v in value.items()}
    return value


def omit_context_from_log(context_block: str, note: str) -> int:
    """Replace the context block by `note` wherever the sample's transcript keeps it: model events' logged input
    and raw request (`call.request`, which every provider fills with the body it posted; every attempt's, failed
    ones included), inline or in the transcript's attachments (Inspect moves long strings there, and the log
    writes them once per sample). Returns how many places were changed."""
    from inspect_ai.event import ModelEvent
    from inspect_ai.log import transcript

    changed = 0
    attachments = transcript().attachments
    for key, content in list(attachments.items()):
        if context_block in content:
            attachments[key] = content.replace(context_block, note)
            changed += 1
    for event in transcript().events:
        if not isinstance(event, ModelEvent):
            continue
        for message in event.input:
            if isinstance(message.content, list) and any(
                    isinstance(part, ContentText) and part.text == context_block for part in message.content):
                message.content = [ContentText(text=note) if isinstance(part, ContentText) and part.text == context_block
                                   else part for part in message.content]
                changed += 1
        if event.call is not None:
            request = _scrub(event.call.request, context_block, note)
            if request != event.call.request:
                event.call.request = request
                changed += 1
    return changed


def model_endpoint(model) -> str:
    """What identifies the server a model's calls go to: one context gate per endpoint in a process."""
    return f"{getattr(model.api, 'base_url', None) or ''}|{model}"


@asynccontextmanager
async def _ungated():
    yield lambda: None


@solver
def cold_warm_trials(dataset_path: str, trials: int = 3, no_context: bool = False, log_context: bool = False,
                     gate: str = DEFAULT_GATE, context_counts: dict[str, int] | None = None):
    """Call the model `trials` times on the sample's full prompt; the first (cold) call's answer is scored.

    Args:
        dataset_path: The dataset folder the samples' contexts come from (looked up by `context_id`).
        trials: Calls per sample: one cold, `trials - 1` warm (at least 1).
        no_context: Closed-book control: the prompt holds no files.
        log_context: Keep each call's whole input in the log (default: the context is replaced by a note).
        gate: Contexts in flight per model endpoint: `one` (default), a number, or `off` (see context_gate.py).
        context_counts: Samples per context this task runs (per epoch), announced to the gate.
    """
    if trials < 1:
        raise ValueError(f"trials must be at least 1 (got {trials})")
    capacity = gate_capacity(gate)
    counts = dict(context_counts or {})
    token = object()  # this task's announcement to the shared gate, made once

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        md = state.metadata
        context = None if no_context else context_text(dataset_path, md["context_id"])
        parts = prompt_parts(md["question"], context, cpython_version=md.get("cpython_version", ""), no_context=no_context)
        messages = build_messages(parts)
        model = get_model()
        calls = []
        cold = None
        note = None if context is None or log_context else context_note(md["context_id"], context, parts.context_block)
        key = None if no_context or capacity is None else md["context_id"]
        shared = None if key is None else shared_gate(model_endpoint(model), capacity)
        if shared is not None:
            shared.expect(token, counts)
        async with (shared.hold(key) if shared is not None else _ungated()) as final_request_sent:
            for trial in range(trials):
                try:
                    output, record = await timed_generate(
                        model, messages, trial=trial, on_sent=final_request_sent if trial == trials - 1 else None)
                finally:  # a failed call's events (which the log keeps) are scrubbed too
                    if note is not None:
                        omit_context_from_log(parts.context_block, note)
                calls.append(record)
                state.store.set(CALLS_KEY, [dict(c) for c in calls])
                if trial == 0:
                    cold = output
        assert cold is not None
        state.output = cold
        state.messages.append(cold.message)
        return state

    return solve
