"""The transport hooks (`adapters.transport`) and the measured call (`adapters.ttft`) in process, without a server."""

from __future__ import annotations

import asyncio

import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from inspect_ai.model import ChatMessageUser, ModelOutput, ModelUsage, get_model

from cpython_retrieval.adapters.transport import (
    REQUEST_ID_HEADER,
    STREAM_TERMINATORS,
    IncompleteStreamError,
    RequestClock,
    _on_response,
    install_transport_hooks,
    measuring,
)
from cpython_retrieval.adapters.ttft import IncompleteResponseError, timed_generate
from cpython_retrieval.tasks.metrics import call_summary

CHAT = "http://127.0.0.1:1/v1/chat/completions"
SSE = {"content-type": "text/event-stream"}


class _Chunks(httpx2.AsyncByteStream):
    def __init__(self, chunks: list[bytes], fail: Exception | None = None) -> None:
        self.chunks, self.fail = chunks, fail

    async def __aiter__(self):
        for chunk in self.chunks:
            yield chunk
        if self.fail is not None:
            raise self.fail


def _read(chunks: list[bytes], *, url: str = CHAT, headers: dict[str, str] = SSE, status: int = 200,
          fail: Exception | None = None, measured: bool = True, request_id: str | None = "call-1") -> bytes:
    """Raw body of a response that went through the response hook."""
    request = httpx2.Request("POST", url, headers={REQUEST_ID_HEADER: request_id} if request_id else {})
    response = httpx2.Response(status, headers=headers, stream=_Chunks(chunks, fail), request=request)

    async def go() -> bytes:
        if measured:
            with measuring(RequestClock()):
                await _on_response(response)
        else:
            await _on_response(response)
        return b"".join([chunk async for chunk in response.aiter_raw()])

    return asyncio.run(go())


def _split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(body) + 1) for c in cuts})
    return [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]


OPENAI_BODY = b'data: {"choices":[{"delta":{"content":"Lib/ast.py"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
ANTHROPIC_BODY = (b'event: message_delta\ndata: {"type":"message_delta"}\n\n'
                  b'event: message_stop\ndata: {"type":"message_stop"}\n\n')


@given(cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_a_complete_stream_passes_however_it_is_chunked(cuts):
    assert _read(_split(OPENAI_BODY, cuts)) == OPENAI_BODY
    assert _read(_split(ANTHROPIC_BODY, cuts), url="http://127.0.0.1:1/v1/messages") == ANTHROPIC_BODY


@given(cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
       keep=st.integers(min_value=0, max_value=len(OPENAI_BODY)))
def test_a_stream_cut_before_its_terminator_raises_however_it_is_chunked(cuts, keep):
    body = OPENAI_BODY[:keep]
    if STREAM_TERMINATORS["/chat/completions"] in body:
        assert _read(_split(body, cuts)) == body
    else:
        with pytest.raises(IncompleteStreamError, match=r"without '\[DONE\]'"):
            _read(_split(body, cuts))


def test_a_body_that_breaks_off_is_incomplete_unless_it_had_finished():
    broken = httpx2.RemoteProtocolError("peer closed connection without sending complete message body")
    with pytest.raises(IncompleteStreamError, match="broke off.*RemoteProtocolError") as info:
        _read([OPENAI_BODY[:30]], fail=broken)
    assert info.value.__cause__ is broken
    with pytest.raises(httpx2.RemoteProtocolError):  # after [DONE] the failure is not a cut reply
        _read([OPENAI_BODY], fail=httpx2.RemoteProtocolError("late"))


@pytest.mark.parametrize("kwargs", [
    {"measured": False},  # outside a measured call (a judge on the same client)
    {"request_id": None},  # not a model-call request (vLLM's /v1/models probe carries no request id)
    {"headers": {"content-type": "application/json"}},  # not streamed
    {"headers": {**SSE, "content-encoding": "gzip"}},  # raw bytes unreadable: the finish reason still decides
    {"status": 500},
    {"url": "http://127.0.0.1:1/v1/responses"},  # a wire format without a known terminator
])
def test_the_check_leaves_other_responses_alone(kwargs):
    assert _read([b"data: {}\n\n"], **kwargs) == b"data: {}\n\n"


def test_request_id_header_is_inspects():
    from inspect_ai.model._providers.util.hooks import HttpxHooks

    assert REQUEST_ID_HEADER == HttpxHooks.REQUEST_ID_HEADER


def test_inspect_retries_an_incomplete_stream_for_any_provider():
    assert get_model("mockllm/model").should_retry(IncompleteStreamError("cut"))


def test_request_clock_follows_the_attempt_that_streams():
    clock = RequestClock()
    clock.request_sent()
    first_send = clock.sent_at
    clock.request_sent()  # an SDK re-send before any content: the clock moves to it
    assert clock.sent_at > first_send and clock.requests == 2
    clock.content_arrived()
    arrived = clock.first_content
    clock.request_sent()  # a continuation of the same reply: TTFT stays the first request's
    clock.content_arrived()
    assert clock.first_content == arrived and clock.ttft == arrived - clock.sent_at
    clock.restart()  # Inspect announced a retry: the next request starts over
    clock.request_sent()
    assert clock.ttft is None and clock.sent_at > arrived and clock.requests == 4


def test_hooks_need_a_provider_http_client():
    assert install_transport_hooks(get_model("mockllm/model").api) is False


def _reply(text: str, stop_reason: str = "stop") -> ModelOutput:
    output = ModelOutput.from_content("mockllm/model", text, stop_reason=stop_reason)
    output.usage = ModelUsage(input_tokens=5, output_tokens=2, total_tokens=7)  # mockllm would count with tiktoken
    return output


def _generate(output: ModelOutput):
    model = get_model("mockllm/model", custom_outputs=[output])
    return asyncio.run(timed_generate(model, [ChatMessageUser(content="Question: q?")], trial=0))


def test_a_call_without_streaming_has_no_ttft_and_no_request_count():
    _, record = _generate(_reply("Lib/ast.py"))
    assert record["ttft_s"] is None and record["ttft_source"] == "unavailable"
    assert record["http_requests"] is None and record["answer"] == "Lib/ast.py" and record["stop_reason"] == "stop"


def test_a_reply_without_finish_reason_is_an_error_not_an_answer():
    with pytest.raises(IncompleteResponseError, match="without a finish reason"):
        _generate(_reply("Lib/as", "unknown"))


def test_a_reply_cut_by_the_budget_is_returned_for_the_scorer_to_refuse():
    output, record = _generate(_reply("Lib/as", "max_tokens"))
    assert output.stop_reason == record["stop_reason"] == "max_tokens"


def test_call_summary_retried_share_counts_known_retries_only():
    calls = [{"trial": 0, "retries": 1}, {"trial": 1, "retries": 0}, {"trial": 0, "retries": None}]
    assert call_summary(calls)["retried_share"] == 0.5
    assert call_summary([{"trial": 0}])["retried_share"] is None
