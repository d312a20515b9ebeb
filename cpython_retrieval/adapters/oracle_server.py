"""A small OpenAI-compatible HTTP server that answers with the oracle: a stand-in for vLLM/SGLang in tests.

It serves, on 127.0.0.1 only:

- `POST /v1/chat/completions`, streamed (server-sent events, a final usage chunk when
  `stream_options.include_usage` is set) or not;
- `POST /v1/completions` (streamed or not);
- `GET /v1/models`.

Answers come from `cpython_retrieval.reference.oracle.oracle_answer` applied to the prompt (chat messages'
text joined by blank lines); a request whose `model` is `grep` is answered by the search-floor model instead
(`cpython_retrieval.reference.grep.grep_answer`, see `ANSWERERS`). `usage` reports `prompt_tokens` (o200k_base
count of that text), `completion_tokens` and `prompt_tokens_details.cached_tokens`, simulating an automatic prefix cache
as vLLM reports it: the tokens of the longest prefix this prompt shares with any earlier prompt,
rounded down to whole blocks (16 tokens) and never the whole prompt (the last token is always
computed). The first token waits `first_token_delay` seconds plus `prefill_per_token` seconds per
uncached prompt token, so time to first token is measurable and warm calls are faster than cold.
With `max_context_tokens`, longer prompts get HTTP 400 with vLLM's context-length error.

Standard library only (`http.server`); not a production server.

    python -m cpython_retrieval.adapters.oracle_server --port 8765
    export LOCAL_BASE_URL=http://127.0.0.1:8765/v1 LOCAL_API_KEY=unused
    inspect eval cpython_retrieval/T25 --model openai-api/local/oracle
    inspect eval cpython_retrieval/T25 --model openai-api/local/grep     # the search floor
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
import uuid
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..reference.grep import grep_answer
from ..reference.oracle import oracle_answer, prompt_question, split_prompt
from ..reference.prompt_cache import (
    HeadedPrompt,
    OnceCache,
    common_prefix_len,
    headed,
    prefix_tokens,
    prompt_tokens,
    text_sha256,
)
from ..tokens import get_counter

__all__ = ["OracleServer", "start_oracle_server", "stop_oracle_server", "prompt_text", "answerer", "ANSWERERS",
           "main"]

BLOCK_TOKENS = 16
#: Reference models a request selects by its `model` name; any other name gets the oracle.
ANSWERERS = {"oracle": oracle_answer, "grep": grep_answer}


def answerer(model: str):
    """The reference model that answers a request for `model` (`grep`: the search floor; anything else: the oracle)."""
    return ANSWERERS.get(model, oracle_answer)

_MAX_REMEMBERED = 64


class _PrefixCache:
    """The last 64 distinct prompts; a new prompt's cached part is its longest common prefix with any of them.

    Prompts are kept as (head key, question tail), each head once (`prompt_cache.headed`): two
    prompts with the same head share it whole, so their common prefix is the head plus the common
    prefix of their tails; the common prefix of two different heads is computed once per pair.
    The figures are those of comparing the whole texts.
    """

    def __init__(self, block: int = BLOCK_TOKENS, remember: int = _MAX_REMEMBERED) -> None:
        self.block = block
        self.remember = remember
        self.prompts: OrderedDict[tuple[str, str], None] = OrderedDict()  # (head key, tail), oldest first
        self.heads: dict[str, str] = {}
        self.pairs: dict[tuple[str, str], int] = {}  # common prefix length of two different heads
        self.lock = threading.Lock()

    def lookup_and_add(self, prompt: HeadedPrompt, prompt_tokens: int, counter) -> int:
        with self.lock:
            self.heads.setdefault(prompt.key, prompt.head)
            tail = prompt.tail
            best = 0
            for key, seen_tail in self.prompts:
                if key == prompt.key:
                    shared = prompt.head_len + common_prefix_len(seen_tail, tail)
                else:
                    shared = self._shared(key, seen_tail, prompt)
                best = max(best, shared)
            entry = (prompt.key, tail)
            self.prompts.pop(entry, None)
            self.prompts[entry] = None
            while len(self.prompts) > self.remember:
                self.prompts.popitem(last=False)
            self._forget_unused_heads()
        if best == 0:
            return 0
        tokens = min(prefix_tokens(prompt, best, counter), prompt_tokens - 1)
        return max(0, tokens // self.block * self.block)

    def _shared(self, key: str, tail: str, prompt: HeadedPrompt) -> int:
        """Common prefix length of (head `key` + `tail`) and `prompt.text`, two prompts with different heads."""
        pair = (key, prompt.key) if key < prompt.key else (prompt.key, key)
        head, new_head = self.heads[key], self.heads[prompt.key]
        if pair not in self.pairs:
            self.pairs[pair] = common_prefix_len(head, new_head)
        shared = self.pairs[pair]
        if shared < min(len(head), len(new_head)):
            return shared
        # one head is a prefix of the other: compare on into the shorter one's tail
        if len(head) < len(new_head):
            rest = prompt.text[len(head):len(head) + len(tail)]
            return len(head) + common_prefix_len(tail, rest)
        rest = head[len(new_head):len(new_head) + len(prompt.tail)]
        rest = (rest + tail)[:len(prompt.tail)]
        return len(new_head) + common_prefix_len(rest, prompt.tail)

    def _forget_unused_heads(self) -> None:
        used = {key for key, _ in self.prompts}
        for key in [k for k in self.heads if k not in used]:
            del self.heads[key]
        for pair in [p for p in self.pairs if p[0] not in used or p[1] not in used]:
            del self.pairs[pair]


def prompt_text(body: dict[str, Any]) -> str:
    """The prompt as one string: chat messages' text joined by blank lines, or a completion prompt."""
    if "messages" in body:
        parts = []
        for message in body.get("messages") or []:
            content = message.get("content")
            if isinstance(content, str):
                parts.append(content)
            elif isinstance(content, list):
                parts.extend(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") in (None, "text"))
        return "\n\n".join(p for p in parts if p)
    prompt = body.get("prompt", "")
    if isinstance(prompt, list):
        prompt = "".join(p for p in prompt if isinstance(p, str))
    return str(prompt)


def request_problem(body: dict[str, Any], *, chat: bool) -> str | None:
    """What makes a request body unanswerable (HTTP 400), or None: chat needs `messages`, a non-empty list of
    objects whose `content` is text or a list of parts; completions need `prompt`, text or a list of texts."""
    if chat:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return "`messages` must be a non-empty list"
        for message in messages:
            if not isinstance(message, dict) or not isinstance(message.get("content"), (str, list)):
                return "each message must be an object whose `content` is a string or a list of parts"
            if isinstance(message["content"], list) and not all(isinstance(p, dict) for p in message["content"]):
                return "each content part must be an object"
        return None
    prompt = body.get("prompt")
    if isinstance(prompt, str) or isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt):
        return None
    return "`prompt` must be a string or a non-empty list of strings"


class OracleServer(ThreadingHTTPServer):
    """One thread per connection; connections are kept alive between requests, as HTTP/1.1 clients expect.

    The listen backlog is far above Inspect's default concurrency (adaptive, 20 connections at the
    start and up to 100): the standard library's default of 5 drops connections as soon as more
    clients connect at once than the accept loop serves, which clients see as connection errors
    and retry (losing the call's TTFT).
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, address, *, first_token_delay: float = 0.05, prefill_per_token: float = 0.0,
                 max_context_tokens: int | None = None, models=("oracle",), chunk_chars: int = 4,
                 request_log: str | None = None) -> None:
        super().__init__(address, _Handler)
        self.first_token_delay = first_token_delay
        self.prefill_per_token = prefill_per_token
        self.max_context_tokens = max_context_tokens
        self.models = list(models)
        self.chunk_chars = chunk_chars
        self.cache = _PrefixCache()
        self.counter = get_counter("o200k_base")
        #: One dict per answered request (path, model, stream, prompt_tokens, cached_tokens, answer, status).
        self.requests: list[dict[str, Any]] = []
        #: One JSON line per request, in arrival order (benchmarks/prefix_reuse.py replays it), or None.
        self.request_log = request_log
        self._log_lock = threading.Lock()
        self._context_hashes: OnceCache[str, str | None] = OnceCache(16)
        self._thread: threading.Thread | None = None

    def context_sha256(self, prompt: HeadedPrompt) -> str | None:
        """sha256 of the prompt's `<files>` block content (a dataset context's text), once per distinct head."""
        def digest() -> str | None:
            context, _ = split_prompt(prompt.text[: prompt.head_len])
            return None if context is None else text_sha256(context)

        return self._context_hashes.get(prompt.key, digest)

    def log_request(self, record: dict[str, Any]) -> None:
        self.requests.append(record)
        if self.request_log is not None:
            line = json.dumps({k: record.get(k) for k in ("path", "model", "status", "prompt_tokens", "cached_tokens",
                                                          "context_sha256", "question")})
            with self._log_lock, open(self.request_log, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")

    def handle_error(self, request, client_address) -> None:
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return  # a client that hung up: nothing to report
        super().handle_error(request, client_address)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"

    def stop(self) -> None:
        stop_oracle_server(self)


def start_oracle_server(port: int = 0, *, first_token_delay: float = 0.05, prefill_per_token: float = 0.0,
                        max_context_tokens: int | None = None, host: str = "127.0.0.1",
                        models=("oracle",)) -> tuple[OracleServer, str]:
    """Start the server in a daemon thread; returns (server, base_url ending in /v1). Port 0 picks a free one."""
    server = OracleServer((host, port), first_token_delay=first_token_delay, prefill_per_token=prefill_per_token,
                          max_context_tokens=max_context_tokens, models=models)
    thread = threading.Thread(target=server.serve_forever, name="oracle-server", daemon=True)
    thread.start()
    server._thread = thread
    return server, server.base_url


def stop_oracle_server(server: OracleServer) -> None:
    server.shutdown()
    server.server_close()
    if server._thread is not None:
        server._thread.join(timeout=5)


#: Larger request bodies get HTTP 413 (a T1000 prompt is about 4 MB).
MAX_BODY_BYTES = 64 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one connection serves many requests
    #: Seconds an idle kept-alive connection stays open: longer than clients keep idle connections
    #: (httpx: 5 s), so the client always closes first and never reuses a connection closing under it.
    timeout = 600
    server: OracleServer

    def log_message(self, format, *args):  # noqa: A002 - quiet by default
        if os.environ.get("ORACLE_SERVER_VERBOSE"):
            super().log_message(format, *args)

    # -- plumbing --
    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _event(self, payload: dict[str, Any] | str) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        self._chunk(f"data: {text}\n\n".encode())

    def do_GET(self) -> None:  # noqa: N802
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._json(200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "cpython-retrieval"} for m in self.server.models]})
        elif self.path.rstrip("/") in ("/health", "/v1/health"):
            self._json(200, {"status": "ok"})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def _bad_request(self, message: str, status: int = 400) -> None:
        """An error reply, then the connection closed: the body may not have been read, so it cannot be reused."""
        self.close_connection = True
        self._json(status, {"error": {"message": message, "type": "invalid_request_error", "code": status}})

    def _read_body(self) -> dict[str, Any] | None:
        """The request's JSON object, or None after answering 400/413 (never a dropped connection or a traceback)."""
        raw_length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding"):
            self._bad_request("chunked request bodies are not supported; send Content-Length")
            return None
        try:
            length = int(raw_length) if raw_length is not None else 0
        except ValueError:
            self._bad_request(f"Content-Length {raw_length!r} is not a number")
            return None
        if length < 0:
            self._bad_request(f"Content-Length {length} is negative")
            return None
        if length > MAX_BODY_BYTES:
            self._bad_request(f"request body of {length:,} bytes is over {MAX_BODY_BYTES:,}", status=413)
            return None
        raw = self.rfile.read(length) if length else b""
        if len(raw) < length:
            self._bad_request(f"request body ended after {len(raw):,} of {length:,} bytes")
            return None
        try:
            body = json.loads(raw.decode("utf-8")) if raw else {}
        except UnicodeDecodeError as exc:
            self._bad_request(f"request body is not UTF-8 ({exc.reason} at byte {exc.start})")
            return None
        except ValueError:
            self._bad_request("invalid JSON body")
            return None
        if not isinstance(body, dict):
            self._bad_request(f"request body must be a JSON object, not {type(body).__name__}")
            return None
        return body

    def do_POST(self) -> None:  # noqa: N802
        body = self._read_body()
        if body is None:
            return
        route = self.path.rstrip("/")
        if route not in ("/v1/chat/completions", "/chat/completions", "/v1/completions", "/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        chat = route.endswith("chat/completions")
        problem = request_problem(body, chat=chat)
        if problem:
            self._bad_request(problem)
            return
        try:
            self._complete(body, chat=chat)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a malformed request, not a server fault
            self._bad_request(f"malformed request: {type(exc).__name__}: {exc}"[:500])

    # -- the answer --
    def _complete(self, body: dict[str, Any], *, chat: bool) -> None:
        server = self.server
        model = body.get("model") or server.models[0]
        prompt = headed(prompt_text(body))
        text = prompt.text
        n_tokens = prompt_tokens(prompt, server.counter)
        record: dict[str, Any] = {"path": self.path, "model": model, "stream": bool(body.get("stream")),
                                  "prompt_chars": len(text), "prompt_tokens": n_tokens, "head_key": prompt.key,
                                  "question": prompt_question(prompt), "context_sha256": server.context_sha256(prompt),
                                  "max_tokens": body.get("max_tokens", body.get("max_completion_tokens"))}
        if server.max_context_tokens is not None and n_tokens > server.max_context_tokens:
            record["status"] = 400
            server.log_request(record)
            self._json(400, {"error": {
                "message": (f"This model's maximum context length is {server.max_context_tokens} tokens. However, you "
                            f"requested {n_tokens} tokens in the messages. Please reduce the length of the messages."),
                "type": "BadRequestError", "param": None, "code": 400}})
            return
        cached = server.cache.lookup_and_add(prompt, n_tokens, server.counter)
        answer = answerer(str(model))(prompt)
        completion_tokens = max(1, server.counter.count(answer))
        usage = {"prompt_tokens": n_tokens, "completion_tokens": completion_tokens,
                 "total_tokens": n_tokens + completion_tokens,
                 "prompt_tokens_details": {"cached_tokens": cached}}
        record.update(status=200, cached_tokens=cached, answer=answer)
        server.log_request(record)
        delay = server.first_token_delay + server.prefill_per_token * (n_tokens - cached)
        created = int(time.time())
        rid = ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex[:24]
        if not body.get("stream"):
            time.sleep(delay)
            if chat:
                choice = {"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop",
                          "logprobs": None}
            else:
                choice = {"index": 0, "text": answer, "finish_reason": "stop", "logprobs": None}
            self._json(200, {"id": rid, "object": "chat.completion" if chat else "text_completion", "created": created,
                             "model": model, "choices": [choice], "usage": usage})
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        base = {"id": rid, "object": "chat.completion.chunk" if chat else "text_completion", "created": created, "model": model}

        def piece(content: str | None, finish: str | None, role: bool = False) -> dict[str, Any]:
            if chat:
                delta: dict[str, Any] = {"role": "assistant"} if role else {}
                if content is not None:
                    delta["content"] = content
                return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
            return {**base, "choices": [{"index": 0, "text": content or "", "finish_reason": finish, "logprobs": None}]}

        try:
            if chat:
                self._event(piece("", None, role=True))  # the role chunk comes at once, as vLLM sends it
            time.sleep(delay)
            step = max(1, server.chunk_chars)
            for i in range(0, len(answer), step):
                self._event(piece(answer[i:i + step], None))
            self._event(piece(None if chat else "", "stop"))
            if include_usage:
                self._event({**base, "choices": [], "usage": usage})
            self._event("[DONE]")
            self._chunk(b"")
        except (BrokenPipeError, ConnectionResetError):
            pass


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cpython_retrieval.adapters.oracle_server",
                                     description="OpenAI-compatible server answering with the cpython-retrieval oracle "
                                                 "(or, for requests naming the model `grep`, the search floor)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--first-token-delay", type=float, default=0.05, help="seconds before the first token")
    parser.add_argument("--prefill-per-token", type=float, default=0.0, help="extra seconds per uncached prompt token")
    parser.add_argument("--max-context-tokens", type=int, default=None, help="HTTP 400 for longer prompts")
    parser.add_argument("--model", action="append", dest="models",
                        help="model id(s) listed by /v1/models (default: oracle); a request for `grep` gets grep")
    parser.add_argument("--request-log", help="append one JSON line per request (context sha256, question, tokens) to "
                                              "this file, for benchmarks/prefix_reuse.py --server-log")
    args = parser.parse_args(argv)
    server = OracleServer((args.host, args.port), first_token_delay=args.first_token_delay,
                          prefill_per_token=args.prefill_per_token, max_context_tokens=args.max_context_tokens,
                          models=args.models or ["oracle"], request_log=args.request_log)
    print(f"oracle server listening on {server.base_url}", flush=True)

    def _terminate(signum, frame):  # SIGTERM ends the server like Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
