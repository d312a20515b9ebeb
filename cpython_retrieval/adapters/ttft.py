"""One measured model call: wall latency, time to first token, retries, tokens, cache reads/writes, cost.

Inspect records no time to first token, but `Model.generate(on_stream=...)` streams for every
provider that supports it (OpenAI and OpenAI-compatible servers: `openai/`, `openai-api/<service>/`,
`vllm/`, `sglang/`, plus `anthropic/`, Google, Mistral, ...): passing a callback is itself the
request to stream, and the OpenAI-compatible providers then send
`stream_options={"include_usage": true}` so usage (with cached tokens) still arrives. So the
measurement needs no second client: `timed_generate` calls the Inspect model with an `on_stream`
callback, with the HTTP hooks of `adapters.transport` on the provider's client, and records

- `ttft_s`: from the moment the request of the attempt that produced the answer was *sent* (httpx
  request hook; client setup and vLLM's `/v1/models` probe are outside it) to that attempt's first
  streamed content delta (text, reasoning or tool call); `ttft_source: "stream"`. After a retry
  (an SDK retry, an Inspect retry, an `--attempt-timeout`), it is the successful attempt's own
  figure, never the time across attempts. `null` with a reason otherwise: `"unavailable"` (no
  streamed content: the provider did not stream, or `-M stream=false` / `-M streaming=false`) or
  `"no_request_clock"` (it streamed, but the provider's HTTP client could not be hooked, so when
  the request went out is unknown). Never a guess.
- `retries`: as Inspect reports them: every attempt of a call leaves a `ModelEvent` in the sample's
  transcript (failed ones carry `error`), and Inspect's HTTP hooks count the SDK's own re-sends of
  an attempt in that event's `retries`; so retries = failed attempts + SDK re-sends.
  `http_requests`: the model-call requests the request hook saw (null when it could not be
  installed); normally `retries + 1`.
- `loop_lag_s`: beside `ttft_s`, the longest the client's own event loop was blocked between the
  request and the first token seen (`adapters.loop_lag`): a sign that part of `ttft_s` is the
  client's, not the server's. `null` when `ttft_s` is, or outside asyncio.
- `latency_s`: wall time of the whole `generate()` (retries and their backoff included), after the
  provider's lazy client setup and its one-time probes (`prepare_client`); `api_time_s`: Inspect's
  `ModelOutput.time` (the successful request).
- tokens from `ModelOutput.usage`: `input_tokens` is the whole prompt (Inspect's uncached
  `input_tokens` plus cache reads and writes), `cached_read_tokens` / `cached_write_tokens` as the
  provider reported them (None when it reported nothing), `cost_usd` when Inspect knows the price.
  `output_tokens` is every generated token; `reasoning_tokens` the thinking part of it as the provider
  reported it (None when it reported nothing) and `answer_tokens` the rest.

A reply without a finish reason (`stop_reason` "unknown": a stream that stopped early, a server
that sent none) is an error, not an answer: a cut stream is already retried by Inspect through
the transport hook, and anything that still arrives without a finish reason raises
`IncompleteResponseError`, which fails the sample (so `--retry-on-error` and `inspect eval-retry`
apply) instead of being scored.

The clock starts before Inspect's connection slot is taken; Inspect runs at most `max_connections`
samples at a time by default (`max_samples` defaults to it) and our solver calls sequentially, so
the wait is nil unless `--max-samples` is set above `--max-connections`. TTFT starts at the request
itself, so it never includes that wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from inspect_ai.model import (
    ChatMessage,
    GenerateConfig,
    Model,
    ModelOutput,
    StreamEvent,
    StreamReasoningEvent,
    StreamRetryEvent,
    StreamTextEvent,
    StreamToolCallEvent,
)

from .loop_lag import loop_lag_monitor
from .transport import RequestClock, install_transport_hooks, measuring

CALL_FIELDS = ("trial", "cold", "latency_s", "ttft_s", "ttft_source", "loop_lag_s", "api_time_s", "input_tokens",
               "uncached_input_tokens", "output_tokens", "reasoning_tokens", "answer_tokens", "cached_read_tokens",
               "cached_write_tokens", "cost_usd", "retries", "http_requests", "answer", "stop_reason")

#: Inspect's stop reason for a reply that carried no (known) finish reason.
NO_FINISH_REASON = "unknown"


class IncompleteResponseError(RuntimeError):
    """The model's reply came back without a finish reason: a transport failure, never a scored answer."""


def usage_figures(output: ModelOutput) -> dict[str, Any]:
    usage = output.usage
    if usage is None:
        return {"input_tokens": None, "uncached_input_tokens": None, "output_tokens": None, "reasoning_tokens": None,
                "answer_tokens": None, "cached_read_tokens": None, "cached_write_tokens": None, "cost_usd": None}
    read, write = usage.input_tokens_cache_read, usage.input_tokens_cache_write
    reasoning = usage.reasoning_tokens
    return {
        "input_tokens": usage.input_tokens + (read or 0) + (write or 0),
        "uncached_input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        # providers count thinking inside the output tokens (OpenAI's completion_tokens, Anthropic's output_tokens)
        "reasoning_tokens": reasoning,
        "answer_tokens": usage.output_tokens - (reasoning or 0),
        "cached_read_tokens": read,
        "cached_write_tokens": write,
        "cost_usd": usage.total_cost,
    }


def _event_count() -> int | None:
    try:
        from inspect_ai.log import transcript

        return transcript().history.event_count
    except Exception:  # noqa: BLE001 - outside a sample there is no transcript: retries stay unknown
        return None


def inspect_retries(start: int | None) -> int | None:
    """Retries of the call whose events begin at transcript index `start`, as Inspect recorded them."""
    if start is None:
        return None
    from inspect_ai.event import ModelEvent
    from inspect_ai.log import transcript

    try:
        events = [e for e in transcript().history.events_from(start) if isinstance(e, ModelEvent)]
    except Exception:  # noqa: BLE001 - history evicted and unavailable: unknown, not zero
        return None
    if not events:
        return None
    failed = sum(e.error is not None for e in events)
    return failed + sum(e.retries or 0 for e in events)


async def prepare_client(model: Model) -> bool:
    """Do a provider's one-time setup now, outside the measured call: build a lazily created client (vLLM makes
    its client, and probes `/v1/models`, on first use), so the hooks are on it before the first measured
    request; and run the `openai/` provider's connectivity probe for reasoning summaries (a Responses API call
    made once, inside the first `generate()` otherwise, where it would add its own round trip to that call's
    `latency_s`). True when the hooks are installed."""
    if not install_transport_hooks(model.api):
        ensure = getattr(model.api, "_ensure_server_started", None)
        if ensure is not None:
            await ensure()
    probe = getattr(model.api, "reasoning_summaries", None)
    if probe is not None:
        await probe()  # cached by the provider after its first answer: a no-op on later calls
    return install_transport_hooks(model.api)


async def timed_generate(model: Model, messages: list[ChatMessage], *, trial: int,
                         config: GenerateConfig | None = None,
                         on_sent: Callable[[], None] | None = None) -> tuple[ModelOutput, dict[str, Any]]:
    """Call `model` once (no Inspect response cache), streaming where the provider can; returns (output, figures).

    `on_sent` is called once the call's first request is on the wire (just before `generate()` for a provider
    whose HTTP client cannot be hooked). Raises `IncompleteResponseError` when the reply has no finish reason.
    """
    hooked = await prepare_client(model)
    lag = loop_lag_monitor()
    clock = RequestClock(on_first_send=on_sent if hooked else None)
    if on_sent is not None and not hooked:
        on_sent()

    async def on_stream(event: StreamEvent) -> None:
        if isinstance(event, StreamRetryEvent):
            clock.restart()  # what streamed so far belongs to a failed attempt
        elif isinstance(event, (StreamTextEvent, StreamReasoningEvent, StreamToolCallEvent)):
            clock.content_arrived()

    first_event = _event_count()
    start = time.perf_counter()
    with measuring(clock):
        output = await model.generate(messages, config=config or GenerateConfig(), cache=False, on_stream=on_stream)
    end = time.perf_counter()
    if output.stop_reason == NO_FINISH_REASON:
        raise IncompleteResponseError(
            f"{model} replied without a finish reason (stop_reason {NO_FINISH_REASON!r}, "
            f"{len(output.completion)} characters): an incomplete reply is an error, not an answer; "
            "rerun with --retry-on-error N or `inspect eval-retry` on the log")
    if clock.first_content is None:
        ttft, source = None, "unavailable"
    elif not hooked or clock.sent_at is None:
        ttft, source = None, "no_request_clock"
    else:
        ttft, source = clock.ttft, "stream"
    loop_lag = lag.longest_stall(clock.sent_at, clock.first_content) if lag and ttft is not None else None
    record: dict[str, Any] = {
        "trial": trial,
        "cold": trial == 0,
        "latency_s": end - start,
        "ttft_s": ttft,
        "ttft_source": source,
        "loop_lag_s": loop_lag,
        "api_time_s": output.time,
        **usage_figures(output),
        "retries": inspect_retries(first_event),
        "http_requests": clock.requests if hooked else None,
        "answer": output.completion,
        "stop_reason": output.stop_reason,
    }
    return output, record
