"""One measured model call: wall latency, time to first token, tokens, cache reads/writes, cost.

Inspect records no time to first token, but since 0.3.28x `Model.generate(on_stream=...)` streams
for every provider that supports it (OpenAI and OpenAI-compatible servers: `openai/`,
`openai-api/<service>/`, `vllm/`, `sglang/`, plus `anthropic/`, Google, Mistral, Groq, ...): passing
a callback is itself the request to stream, and the OpenAI-compatible providers then send
`stream_options={"include_usage": true}` so usage (with cached tokens) still arrives. So the
measurement needs no second client: `timed_generate` calls the Inspect model with an `on_stream`
callback and takes

- `ttft_s`: from just before `generate()` to the first streamed content delta (text, reasoning or
  tool-call); `ttft_source: "stream"`. A provider that does not stream (or a cache hit, or
  `-M stream=false`) never calls back: `ttft_s: null`, `ttft_source: "unavailable"`, never a guess.
  When Inspect retried the call (`ModelEvent.retries`), the failed attempt would be inside the
  figure, so it is dropped too (`ttft_source: "retried"`).
- `latency_s`: wall time of the whole `generate()`; `api_time_s`: Inspect's own `ModelOutput.time`.
- tokens from `ModelOutput.usage`: `input_tokens` is the whole prompt (Inspect's uncached
  `input_tokens` plus cache reads and writes), `cached_read_tokens` / `cached_write_tokens` as the
  provider reported them (None when it reported nothing), `cost_usd` when Inspect knows the price.

The clock starts before Inspect's connection slot is taken; Inspect runs at most `max_connections`
samples at a time by default (`max_samples` defaults to it) and our solver calls sequentially, so
the wait is nil unless `--max-samples` is set above `--max-connections`.
"""

from __future__ import annotations

import time
from typing import Any

from inspect_ai.model import (ChatMessage, GenerateConfig, Model, ModelOutput, StreamEvent,
                              StreamReasoningEvent, StreamRetryEvent, StreamTextEvent, StreamToolCallEvent)

CALL_FIELDS = ("trial", "cold", "latency_s", "ttft_s", "ttft_source", "api_time_s", "input_tokens",
               "uncached_input_tokens", "output_tokens", "cached_read_tokens", "cached_write_tokens", "cost_usd",
               "retries", "answer", "stop_reason")


def _last_model_event_retries() -> int | None:
    try:
        from inspect_ai.event import ModelEvent
        from inspect_ai.log import transcript

        for event in reversed(transcript().events):
            if isinstance(event, ModelEvent):
                return event.retries
    except Exception:  # noqa: BLE001 - transcript internals differ across versions; not essential
        return None
    return None


def usage_figures(output: ModelOutput) -> dict[str, Any]:
    usage = output.usage
    if usage is None:
        return {"input_tokens": None, "uncached_input_tokens": None, "output_tokens": None,
                "cached_read_tokens": None, "cached_write_tokens": None, "cost_usd": None}
    read, write = usage.input_tokens_cache_read, usage.input_tokens_cache_write
    return {
        "input_tokens": usage.input_tokens + (read or 0) + (write or 0),
        "uncached_input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cached_read_tokens": read,
        "cached_write_tokens": write,
        "cost_usd": usage.total_cost,
    }


async def timed_generate(model: Model, messages: list[ChatMessage], *, trial: int,
                         config: GenerateConfig | None = None) -> tuple[ModelOutput, dict[str, Any]]:
    """Call `model` once (no Inspect response cache), streaming where the provider can; returns (output, figures)."""
    first: float | None = None
    restarted = False

    async def on_stream(event: StreamEvent) -> None:
        nonlocal first, restarted
        if isinstance(event, StreamRetryEvent):
            first, restarted = None, True
        elif first is None and isinstance(event, (StreamTextEvent, StreamReasoningEvent, StreamToolCallEvent)):
            first = time.perf_counter()

    start = time.perf_counter()
    output = await model.generate(messages, config=config or GenerateConfig(), cache=False, on_stream=on_stream)
    end = time.perf_counter()
    retries = _last_model_event_retries()
    if first is None:
        ttft, source = None, "unavailable"
    elif restarted or (retries or 0) > 0:
        ttft, source = None, "retried"
    else:
        ttft, source = first - start, "stream"
    record: dict[str, Any] = {
        "trial": trial,
        "cold": trial == 0,
        "latency_s": end - start,
        "ttft_s": ttft,
        "ttft_source": source,
        "api_time_s": output.time,
        **usage_figures(output),
        "retries": retries,
        "answer": output.completion,
        "stop_reason": output.stop_reason,
    }
    return output, record
