"""A test-only model server on 127.0.0.1 that misbehaves on purpose: OpenAI chat-completions or Anthropic messages.

Each request is answered according to a fault plan, keyed by the question the prompt ends with and by
how many requests for that question came before (`attempt`, 0-based), so a test can say "the first
request of every sample is cut, the retry is healthy" however Inspect schedules the samples.

Faults (`FAULTS`):

- `ok`: a healthy stream (or JSON when the client does not stream). A role chunk goes out at once,
  the first content after `first_token_delay`, then the answer in four pieces, the finish reason,
  usage and `[DONE]` (Anthropic: `message_delta` with `stop_reason`, then `message_stop`).
- `cut`: half the answer, then the connection closes cleanly (no chunked encoding, so the body
  simply ends): no finish reason, no `[DONE]` / `message_stop`.
- `no_done`: the whole answer with its finish reason and usage, but no `[DONE]`, then a clean close.
- `no_finish`: the whole answer, usage and `[DONE]`, but no finish reason (Anthropic: `message_delta`
  without `stop_reason`); not streamed: a JSON reply whose finish reason is null.
- `drop`: half the answer over chunked encoding, then the socket is shut without the last chunk.
- `hang`: nothing at all is sent until the client gives up (or the server stops).
- `content_filter`: the whole answer, but the finish reason `content_filter` (OpenAI wire only).
- `429`, `500`: the HTTP error with an error body and `retry-after-ms` (`retry_after` seconds, which the
  SDKs honour before they send the request again).

A reply longer than the request's `max_tokens` (one token per whitespace-separated word here) is cut
to that many words and ends with finish reason `length` (Anthropic: `max_tokens`), as a real server does.

The server's own timing is in `exchanges`: `received` (request body read) and `first_content`
(first content chunk flushed), both `time.perf_counter()`, so `server_ttft` is the time to first
token as the server saw it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("ok", "cut", "no_done", "no_finish", "drop", "hang", "429", "500", "content_filter")

#: (question, attempt index: 0 for the first request of that question) -> fault name
FaultPlan = Callable[[str | None, int], str]


def first_attempt(fault: str) -> FaultPlan:
    """`fault` on the first request of each question, healthy afterwards."""
    return lambda question, attempt: fault if attempt == 0 else "ok"


def first_attempt_by_question(faults: dict[str, str]) -> FaultPlan:
    """Each question's own fault on its first request (`ok` for questions not listed), healthy afterwards."""
    return lambda question, attempt: faults.get(question or "", "ok") if attempt == 0 else "ok"


@dataclass
class Exchange:
    """One request the server saw."""

    path: str
    question: str | None
    attempt: int
    fault: str
    stream: bool
    max_tokens: int | None
    request_id: str | None  # Inspect's x-irid header: one value per model call, repeated on SDK retries
    body: dict[str, Any] = field(repr=False)
    received: float
    first_content: float | None = None
    answered: str | None = None
    finish_reason: str | None = None

    @property
    def server_ttft(self) -> float | None:
        return None if self.first_content is None else self.first_content - self.received


@dataclass
class _Plan:
    answers: dict[str, str]
    faults: FaultPlan
    first_token_delay: float
    models_delay: float
    seen: dict[str, int] = field(default_factory=dict)


class FaultyServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default listen backlog (5) drops connections when ten samples start at once

    def __init__(self, *, answers: dict[str, str], faults: FaultPlan = lambda question, attempt: "ok",
                 wire: str = "openai", first_token_delay: float = 0.2, models_delay: float = 0.0,
                 retry_after: float = 0.02, model: str | None = None, reasoning_tokens: int = 0,
                 report_cache: bool = False) -> None:
        if wire not in ("openai", "anthropic"):
            raise ValueError(f"wire must be openai or anthropic (got {wire!r})")
        super().__init__(("127.0.0.1", 0), _Handler)
        self.wire = wire
        self.retry_after = retry_after
        self.model = model
        self.reasoning_tokens = reasoning_tokens
        self.report_cache = report_cache
        self.cached_prefixes: set[str] = set()
        self.responses_probes = 0
        self.plan = _Plan(dict(answers), faults, first_token_delay, models_delay)
        self.exchanges: list[Exchange] = []
        self.model_probes = 0
        self.released = threading.Event()  # set on stop: hanging handlers return
        self.lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, name="faulty-server", daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}" + ("/v1" if self.wire == "openai" else "")

    def __exit__(self, *exc_info) -> None:  # socketserver's own only closes the socket, leaving the thread serving
        self.stop()

    def stop(self) -> None:
        self.released.set()
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)

    def handle_error(self, request, client_address) -> None:
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return  # the client gave up (attempt timeout): expected here
        super().handle_error(request, client_address)

    def answer_for(self, question: str | None) -> str | None:
        """The answer to a question, or to a whole prompt that ends with one (lm-eval sends the prompt as one text)."""
        answers = self.plan.answers
        if question in answers:
            return answers[question]
        return next((a for q, a in answers.items() if question and question.rstrip().endswith(q.rstrip())), None)

    def cache_use(self, body: dict[str, Any]) -> tuple[int, int]:
        """(cached read, cache write) tokens for a request, with `report_cache`: a prefix cache that keeps every
        prefix it saw. Anthropic: the text up to the block marked `cache_control` (written the first time, read
        after); OpenAI: the prompt up to the end of its `<files>` block (read when seen before)."""
        if not self.report_cache:
            return 0, 0
        texts: list[str] = []
        prefix = None
        for message in body.get("messages") or []:
            content = message.get("content")
            for part in content if isinstance(content, list) else [{"type": "text", "text": content or ""}]:
                texts.append(part.get("text", ""))
                if isinstance(part, dict) and part.get("cache_control"):
                    prefix = "".join(texts)
        if self.wire == "openai":
            whole = "".join(texts)
            end = whole.rfind("</files>")
            prefix = whole[:end + len("</files>")] if end >= 0 else None
        if prefix is None:
            return 0, 0
        tokens = len(prefix) // 4
        with self.lock:
            seen = prefix in self.cached_prefixes
            self.cached_prefixes.add(prefix)
        if seen:
            return tokens, 0
        return 0, (tokens if self.wire == "anthropic" else 0)

    def chat_exchanges(self) -> list[Exchange]:
        with self.lock:
            return list(self.exchanges)

    def _register(self, path: str, question: str | None, body: dict[str, Any], request_id: str | None) -> Exchange:
        with self.lock:
            attempt = self.plan.seen.get(question or "", 0)
            self.plan.seen[question or ""] = attempt + 1
            fault = self.plan.faults(question, attempt)
            if fault not in FAULTS:
                raise ValueError(f"unknown fault {fault!r}")
            max_tokens = body.get("max_tokens", body.get("max_completion_tokens"))
            exchange = Exchange(path, question, attempt, fault, bool(body.get("stream")), max_tokens, request_id,
                                body, received=time.perf_counter())
            self.exchanges.append(exchange)
            return exchange


def _question(body: dict[str, Any]) -> str | None:
    """The prompt's last text block (the solver puts `Question: ...` last)."""
    messages = body.get("messages") or body.get("input") or []  # chat completions and messages, or Responses
    if isinstance(messages, str) or not messages:
        return None
    content = messages[-1].get("content")
    if isinstance(content, str):
        return content
    texts = [p.get("text", "") for p in content or [] if isinstance(p, dict) and p.get("type") in ("text", "input_text")]
    return texts[-1] if texts else None


def context_digest(body: dict[str, Any]) -> str | None:
    """sha256 of the request's longest text block (the `<files>` context the solver sends), to tell contexts apart
    in arrival order; None when the request has no text."""
    import hashlib

    messages = body.get("messages") or body.get("input") or []
    texts = [] if isinstance(messages, str) else [
        part.get("text", "") if isinstance(part, dict) else "" for m in messages
        for part in (m.get("content") if isinstance(m.get("content"), list) else [{"text": m.get("content") or ""}])]
    longest = max(texts, key=len, default="")
    return hashlib.sha256(longest.encode("utf-8", "surrogatepass")).hexdigest() if longest else None


def _budgeted(answer: str, max_tokens: int | None) -> tuple[str, bool]:
    words = answer.split(" ")
    if max_tokens is None or len(words) <= max_tokens:
        return answer, False
    return " ".join(words[:max_tokens]), True


def _pieces(text: str, n: int = 4) -> list[str]:
    size = max(1, -(-len(text) // n))
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FaultyServer

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    # -- plumbing --
    def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _start_stream(self, chunked: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")  # body ends when the connection closes
            self.close_connection = True
        self.end_headers()
        self._chunked = chunked

    def _send(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n" if self._chunked else data)
        self.wfile.flush()

    def _sse(self, payload: dict[str, Any] | str, event: str | None = None) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        self._send((f"event: {event}\n" if event else "").encode() + f"data: {text}\n\n".encode())

    def _end_stream(self, fault: str) -> None:
        if fault == "drop":
            self.connection.shutdown(socket.SHUT_RDWR)  # no terminating chunk: the client sees a broken body
            self.close_connection = True
        elif self._chunked:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    # -- routes --
    def do_GET(self) -> None:  # noqa: N802
        if self.path.rstrip("/").endswith("/models"):
            self.server.model_probes += 1
            time.sleep(self.server.plan.models_delay)
            self._json(200, {"object": "list", "data": [{"id": self.server.model or "faulty", "object": "model", "created": 0,
                                                          "owned_by": "tests", "max_model_len": 65536}]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        # replies carry the model asked for, as a real server's do, unless the test stamps another name
        self.reply_model = self.server.model or str(body.get("model") or "faulty")
        route = self.path.rstrip("/")
        wire = self.server.wire
        if (wire, route) not in (("openai", "/v1/chat/completions"), ("openai", "/v1/responses"),
                                 ("anthropic", "/v1/messages")):
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        if route == "/v1/responses" and isinstance(body.get("input"), str):
            self._responses_probe(body)
            return
        question = _question(body)
        exchange = self.server._register(route, question, body, self.headers.get("x-irid"))
        answer = self.server.answer_for(question)
        if answer is None:
            self._json(400, {"error": {"message": "unknown question", "type": "invalid_request_error"}})
            return
        if exchange.fault == "hang":
            self.server.released.wait(120)
            self.close_connection = True
            return
        if exchange.fault in ("429", "500"):
            kind = "rate_limit_error" if exchange.fault == "429" else "api_error"
            error = {"type": "error", "error": {"type": kind, "message": f"injected {exchange.fault}"}} \
                if wire == "anthropic" else {"error": {"message": f"injected {exchange.fault}", "type": kind}}
            self._json(int(exchange.fault), error, {"retry-after-ms": str(int(self.server.retry_after * 1000))})
            return
        text, over = _budgeted(answer, exchange.max_tokens)
        cut = exchange.fault in ("cut", "drop", "no_finish")
        if route == "/v1/responses":
            exchange.finish_reason = "completed"
            (self._responses_stream if exchange.stream else self._responses_json)(body, exchange, text)
        elif wire == "openai":
            exchange.finish_reason = None if cut else "length" if over else "stop"
            if exchange.fault == "content_filter":
                exchange.finish_reason = "content_filter"
            (self._openai_stream if exchange.stream else self._openai_json)(body, exchange, text)
        else:
            exchange.finish_reason = None if cut else "max_tokens" if over else "end_turn"
            (self._anthropic_stream if exchange.stream else self._anthropic_json)(body, exchange, text)

    def _usage_tokens(self, body: dict[str, Any], text: str) -> tuple[int, int]:
        """(prompt, completion) tokens; the completion counts the reported reasoning tokens, as OpenAI's does."""
        prompt = json.dumps(body.get("messages", body.get("input")))
        return len(prompt) // 4, max(1, len(text.split(" "))) + self.server.reasoning_tokens

    def _openai_usage(self, body: dict[str, Any], text: str) -> dict[str, Any]:
        prompt, completion = self._usage_tokens(body, text)
        read, _ = self.server.cache_use(body)
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": read},
                "completion_tokens_details": {"reasoning_tokens": self.server.reasoning_tokens}}

    # -- OpenAI Responses (the `openai/` provider's API for reasoning models) --
    def _response(self, body, text: str, status: str = "completed") -> dict[str, Any]:
        prompt, completion = self._usage_tokens(body, text)
        return {"id": "resp_test", "object": "response", "created_at": 0, "model": self.reply_model,
                "status": status, "error": None, "incomplete_details": None, "instructions": None,
                "parallel_tool_calls": True, "tool_choice": "auto", "tools": [], "metadata": {},
                "output": [] if status != "completed" else [
                    {"type": "message", "id": "msg_test", "status": "completed", "role": "assistant",
                     "content": [{"type": "output_text", "text": text, "annotations": []}]}],
                "usage": {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": 0},
                          "output_tokens": completion,
                          "output_tokens_details": {"reasoning_tokens": self.server.reasoning_tokens},
                          "total_tokens": prompt + completion}}

    def _responses_probe(self, body) -> None:
        """Inspect's one-time reasoning-summary probe (`input` is a plain string): answered after the probe delay."""
        self.server.responses_probes += 1
        time.sleep(self.server.plan.models_delay)
        self._json(200, self._response(body, "hello, world"))

    def _responses_json(self, body, exchange: Exchange, text: str) -> None:
        time.sleep(self.server.plan.first_token_delay)
        exchange.first_content = time.perf_counter()
        exchange.answered = text
        self._json(200, self._response(body, text))

    def _responses_stream(self, body, exchange: Exchange, text: str) -> None:
        self._start_stream(chunked=True)
        self._sse({"type": "response.created", "sequence_number": 0,
                   "response": self._response(body, "", "in_progress")}, event="response.created")
        time.sleep(self.server.plan.first_token_delay)
        self._send_pieces(exchange, text, lambda piece: self._sse(
            {"type": "response.output_text.delta", "sequence_number": 1, "item_id": "msg_test", "output_index": 0,
             "content_index": 0, "delta": piece, "logprobs": []}, event="response.output_text.delta"))
        self._sse({"type": "response.completed", "sequence_number": 2, "response": self._response(body, text)},
                  event="response.completed")
        self._end_stream("ok")

    # -- OpenAI chat completions --
    def _openai_json(self, body, exchange: Exchange, text: str) -> None:
        time.sleep(self.server.plan.first_token_delay)
        exchange.first_content = time.perf_counter()
        exchange.answered = text
        self._json(200, {
            "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": self.reply_model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": exchange.finish_reason}],
            "usage": self._openai_usage(body, text)})

    def _openai_stream(self, body, exchange: Exchange, text: str) -> None:
        fault = exchange.fault
        self._start_stream(chunked=fault not in ("cut", "no_done"))

        def chunk(delta: dict[str, Any], finish: str | None = None, usage: dict | None = None) -> dict[str, Any]:
            return {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": self.reply_model,
                    "choices": [] if usage else [{"index": 0, "delta": delta, "finish_reason": finish}],
                    **({"usage": usage} if usage else {})}

        self._sse(chunk({"role": "assistant", "content": ""}))
        time.sleep(self.server.plan.first_token_delay)
        if not self._send_pieces(exchange, text, lambda piece: self._sse(chunk({"content": piece}))):
            return
        if fault != "no_finish":
            self._sse(chunk({}, finish=exchange.finish_reason))
        if (body.get("stream_options") or {}).get("include_usage"):
            self._sse(chunk({}, usage=self._openai_usage(body, text)))
        if fault != "no_done":
            self._sse("[DONE]")
        self._end_stream(fault)

    def _send_pieces(self, exchange: Exchange, text: str, send: Callable[[str], None]) -> bool:
        """Stream the reply in pieces (half of them under a cut or drop fault, which then ends the stream here).

        Returns whether the stream goes on to its finish reason; the first piece's time is the server-side TTFT.
        """
        pieces = _pieces(text)
        if exchange.fault in ("cut", "drop"):
            pieces = pieces[: max(1, len(pieces) // 2)]
        exchange.answered = "".join(pieces)
        for i, piece in enumerate(pieces):
            send(piece)
            if i == 0:
                exchange.first_content = time.perf_counter()
        if exchange.fault in ("cut", "drop"):
            self._end_stream(exchange.fault)
            return False
        return True

    # -- Anthropic messages --
    def _anthropic_message(self, body, text: str, stop_reason: str | None, output_tokens: int) -> dict[str, Any]:
        prompt, _ = self._usage_tokens(body, text)
        read, write = self.server.cache_use(body)
        return {"id": "msg_test", "type": "message", "role": "assistant", "model": self.reply_model,
                "content": [{"type": "text", "text": text}] if text else [], "stop_reason": stop_reason,
                "stop_sequence": None,
                "usage": {"input_tokens": max(0, prompt - read - write), "output_tokens": output_tokens,
                          "cache_read_input_tokens": read, "cache_creation_input_tokens": write}}

    def _anthropic_json(self, body, exchange: Exchange, text: str) -> None:
        time.sleep(self.server.plan.first_token_delay)
        exchange.first_content = time.perf_counter()
        exchange.answered = text
        self._json(200, self._anthropic_message(body, text, exchange.finish_reason, len(text.split(" "))))

    def _anthropic_stream(self, body, exchange: Exchange, text: str) -> None:
        fault = exchange.fault
        self._start_stream(chunked=fault not in ("cut", "no_done"))
        start = self._anthropic_message(body, "", None, 1)
        self._sse({"type": "message_start", "message": start}, event="message_start")
        self._sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                  event="content_block_start")
        time.sleep(self.server.plan.first_token_delay)
        if not self._send_pieces(exchange, text, lambda piece: self._sse(
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}},
                event="content_block_delta")):
            return
        self._sse({"type": "content_block_stop", "index": 0}, event="content_block_stop")
        self._sse({"type": "message_delta", "delta": {"stop_reason": exchange.finish_reason, "stop_sequence": None},
                   "usage": {"output_tokens": len(text.split(" "))}}, event="message_delta")
        if fault != "no_done":
            self._sse({"type": "message_stop"}, event="message_stop")
        self._end_stream(fault)
