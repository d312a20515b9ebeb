"""What the HTTP client of an Inspect provider saw during one model call: when each request went out,
and whether a streamed reply really ended.

Inspect's OpenAI-compatible (`openai/`, `openai-api/`, `vllm/`, `sglang/`) and Anthropic providers
talk through the SDKs' httpx clients, and mark every model-call request with Inspect's request-id
header (`x-irid`, one value per call, repeated on the SDK's own retries). Two httpx event hooks on
that client (`install_transport_hooks`) serve the call measured in `adapters.ttft`:

- the request hook notes when each model-call request is sent, so time to first token starts at
  the request, not at `generate()` (which also pays for client setup and, on vLLM, a `/v1/models`
  probe that carries no request id and is ignored here);
- the response hook wraps a streamed (`text/event-stream`) reply's body and raises
  `IncompleteStreamError` when it ends without its terminator (`data: [DONE]` for chat
  completions, `message_stop` for Anthropic messages) or breaks off mid-body. The error is an
  `inspect_ai` `NoStreamDataError`, which Inspect's model layer retries for every provider, so a
  cut stream becomes a retried call instead of half an answer.

Both hooks act only inside a call that `measuring()` opened (a context variable), so other
requests on a shared client (a judge, other tasks) pass untouched.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

try:  # retried by Inspect's model layer whatever the provider (Model.should_retry)
    from inspect_ai.model._stream import NoStreamDataError as _RetriedByInspect
except ImportError:  # pragma: no cover - a later Inspect moved it: the sample fails instead, still never scored
    _RetriedByInspect = RuntimeError  # type: ignore[misc,assignment]

#: Inspect's model-call request header (`inspect_ai.model._providers.util.hooks.HttpxHooks.REQUEST_ID_HEADER`).
REQUEST_ID_HEADER = "x-irid"

#: URL path ending -> bytes whose presence shows that a streamed reply ran to its end.
STREAM_TERMINATORS: dict[str, bytes] = {
    "/chat/completions": b"[DONE]",  # OpenAI and compatible servers: the last event is `data: [DONE]`
    "/messages": b"message_stop",  # Anthropic: the last event is `event: message_stop`
}


class IncompleteStreamError(_RetriedByInspect):
    """A streamed model reply ended (or broke off) without its terminator: an error to retry, not an answer."""


@dataclass
class RequestClock:
    """The HTTP side of one measured call: requests sent, and when the current attempt's request went out.

    `sent_at` moves with every request sent while the current attempt has produced no content yet
    (an SDK retry or a new Inspect attempt); once content has arrived (`first_content`), later
    requests of the same attempt (provider continuations) leave it alone. `restart()` is called
    when Inspect announces a retry, so the next request starts a fresh attempt.
    """

    requests: int = 0
    sent_at: float | None = None
    first_content: float | None = None
    on_first_send: Callable[[], None] | None = None  # told once, when the call's first request goes out

    def request_sent(self) -> None:
        self.requests += 1
        if self.requests == 1 and self.on_first_send is not None:
            self.on_first_send()
        if self.first_content is None:
            self.sent_at = time.perf_counter()

    def content_arrived(self) -> None:
        if self.first_content is None:
            self.first_content = time.perf_counter()

    def restart(self) -> None:
        self.first_content = None

    @property
    def ttft(self) -> float | None:
        if self.sent_at is None or self.first_content is None:
            return None
        return self.first_content - self.sent_at


_CLOCK: ContextVar[RequestClock | None] = ContextVar("cpython_retrieval_request_clock", default=None)


@contextlib.contextmanager
def measuring(clock: RequestClock) -> Iterator[RequestClock]:
    """Let the hooks see the requests and streams of the model call made inside the block."""
    token = _CLOCK.set(clock)
    try:
        yield clock
    finally:
        _CLOCK.reset(token)


def provider_http_client(api: Any) -> Any | None:
    """The httpx client an Inspect provider sends its model calls through (the SDK's `client._client`), if any."""
    client = getattr(getattr(api, "client", None), "_client", None)
    hooks = getattr(client, "event_hooks", None)
    return client if isinstance(hooks, dict) and "request" in hooks and "response" in hooks else None


def install_transport_hooks(api: Any) -> bool:
    """Add the request and response hooks to the provider's httpx client (once); False when it has none."""
    client = provider_http_client(api)
    if client is None:
        return False
    hooks = client.event_hooks
    if _on_request not in hooks["request"]:
        hooks["request"].append(_on_request)
    if _on_response not in hooks["response"]:
        hooks["response"].append(_on_response)
    return True


async def _on_request(request: Any) -> None:
    clock = _CLOCK.get()
    if clock is not None and request.headers.get(REQUEST_ID_HEADER):
        clock.request_sent()


def _terminator(path: str) -> bytes | None:
    for ending, marker in STREAM_TERMINATORS.items():
        if path.rstrip("/").endswith(ending):
            return marker
    return None


async def _on_response(response: Any) -> None:
    if _CLOCK.get() is None or not response.request.headers.get(REQUEST_ID_HEADER):
        return
    if not 200 <= response.status_code < 300:
        return
    if not response.headers.get("content-type", "").startswith("text/event-stream"):
        return
    if response.headers.get("content-encoding", "identity") != "identity":
        return  # the raw body is compressed: the terminator cannot be read from it (the reply's finish reason still is)
    marker = _terminator(response.request.url.path)
    stream = response.stream
    base = _async_byte_stream_base(stream)
    if marker is None or base is None:
        return
    response.stream = _checked_stream_class(base)(stream, marker, str(response.request.url))


def _async_byte_stream_base(stream: Any) -> type | None:
    """The `AsyncByteStream` class (httpx or httpx2) the body stream derives from: the wrapper must too."""
    return next((c for c in type(stream).__mro__ if c.__name__ == "AsyncByteStream"), None)


_CHECKED: dict[type, type] = {}


def _checked_stream_class(base: type) -> type:
    if base not in _CHECKED:
        _CHECKED[base] = type("TerminatorCheckedStream", (_TerminatorCheck, base), {})
    return _CHECKED[base]


class _TerminatorCheck:
    """Pass a streamed body through, and raise `IncompleteStreamError` if it ends or breaks before its terminator."""

    def __init__(self, inner: Any, marker: bytes, url: str) -> None:
        self._inner = inner
        self._marker = marker
        self._url = url
        # per body, not per iteration: the OpenAI SDK reads the rest of the body again after `[DONE]`
        self._seen = False
        self._tail = b""
        self._size = 0

    def __getattr__(self, name: str) -> Any:  # the SDKs read extra attributes off the stream (e.g. observers)
        if name == "_inner":
            raise AttributeError(name)
        return getattr(self._inner, name)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                self._size += len(chunk)
                if not self._seen:
                    window = self._tail + chunk
                    self._seen = self._marker in window
                    self._tail = window[-len(self._marker):]
                yield chunk
        except Exception as ex:
            if self._seen:
                raise  # the reply was complete: a later failure is the SDK's or the connection's business
            raise IncompleteStreamError(
                f"the streamed reply from {self._url} broke off after {self._size} bytes ({type(ex).__name__}: {ex}); "
                "the call is retried, its partial text is not an answer") from ex
        if not self._seen:
            raise IncompleteStreamError(
                f"the streamed reply from {self._url} ended after {self._size} bytes without "
                f"{self._marker.decode()!r} (the stream was cut); "
                "the call is retried, its partial text is not an answer")

    async def aclose(self) -> None:
        await self._inner.aclose()
