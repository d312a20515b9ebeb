"""A test-only OpenAI chat/completions server on 127.0.0.1 that answers right (the oracle's answer) but misbehaves
on purpose, one fault per request by a plan over the request's number (0-based, in arrival order).

Reply faults (HTTP 200, a well-formed body unless said otherwise):
`ok`, `length` / `content_filter` / `tool_calls` / `weird` (that finish reason), `null_finish` (finish reason null),
`no_finish_key` (no finish_reason field), `other_model` (stamped `someone-else`), `bad_utf8` (the answer's last byte
replaced by 0xff, raw in the body), `empty_choices`, `null_content` (content null, finish `stop`), `no_index`.
Transport faults: `bad_json` (a body that is not JSON), `truncated` (Content-Length promises more than is sent,
then the connection closes), `500` (HTTP 500), `drop` (the connection closes with no reply), `html` (200 with an
HTML page).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cpython_retrieval.adapters.oracle_server import prompt_text
from cpython_retrieval.reference.oracle import oracle_answer
from cpython_retrieval.reference.prompt_cache import headed

REPLY_FAULTS = ("ok", "length", "content_filter", "tool_calls", "weird", "null_finish", "no_finish_key", "other_model",
                "bad_utf8", "empty_choices", "null_content", "no_index")
TRANSPORT_FAULTS = ("bad_json", "truncated", "500", "drop", "html")
MODEL = "oracle"


class FaultyChatServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, plan: Callable[[int], str]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.plan = plan
        self.count = 0
        self.lock = threading.Lock()
        self.faults_sent: list[str] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def next_fault(self) -> str:
        with self.lock:
            fault = self.plan(self.count)
            self.count += 1
            self.faults_sent.append(fault)
            return fault

    def handle_error(self, request, client_address) -> None:  # a client that hung up is not a test failure
        pass

    def __enter__(self) -> FaultyChatServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FaultyChatServer

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    def _send(self, status: int, data: bytes, content_type: str = "application/json",
              length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data) if length is None else length))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        chat = self.path.rstrip("/").endswith("chat/completions")
        fault = self.server.next_fault()
        answer = oracle_answer(headed(prompt_text(body)))
        if fault == "500":
            self._send(500, b'{"error": {"message": "injected 500", "type": "api_error"}}')
            return
        if fault == "bad_json":
            self._send(200, b'{"id": "x", "choices": [{"index": 0, "message": ')
            return
        if fault == "html":
            self._send(200, b"<html><body>Bad gateway</body></html>", content_type="text/html")
            return
        if fault == "drop":
            self.close_connection = True
            return
        choice: dict[str, Any] = {"index": 0, "finish_reason": "stop", "logprobs": None}
        choice.update({"message": {"role": "assistant", "content": answer}} if chat else {"text": answer})
        payload: dict[str, Any] = {"id": "cmpl-test", "object": "chat.completion" if chat else "text_completion",
                                   "created": 0, "model": body.get("model") or MODEL, "choices": [choice],
                                   "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        if fault in ("length", "content_filter", "tool_calls", "weird"):
            choice["finish_reason"] = fault
        elif fault == "null_finish":
            choice["finish_reason"] = None
        elif fault == "no_finish_key":
            del choice["finish_reason"]
        elif fault == "other_model":
            payload["model"] = "someone-else"
        elif fault == "empty_choices":
            payload["choices"] = []
        elif fault == "null_content":
            if chat:
                choice["message"]["content"] = None
            else:
                choice["text"] = None
        elif fault == "no_index":
            del choice["index"]
        data = json.dumps(payload, ensure_ascii=False).encode()
        if fault == "bad_utf8":
            raw = answer.encode()
            data = data.replace(json.dumps(answer, ensure_ascii=False).encode()[1:-1], raw[:-1] + b"\xff", 1)
        if fault == "truncated":
            self.close_connection = True
            self._send(200, data[: len(data) // 2], length=len(data))
            return
        self._send(200, data)
