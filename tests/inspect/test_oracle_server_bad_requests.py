"""The local oracle server answers a malformed request with HTTP 400 (never a dropped connection or a traceback)."""

from __future__ import annotations

import contextlib
import io
import json
import socket

import pytest

from cpython_retrieval.adapters.oracle_server import start_oracle_server


@pytest.fixture()
def server():
    srv, url = start_oracle_server(first_token_delay=0.0)
    yield srv
    srv.stop()


def raw_request(srv, head: bytes, body: bytes = b"") -> tuple[int, dict]:
    host, port = srv.server_address[:2]
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(head + body)
        conn.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    payload = rest.split(b"\r\n\r\n", 1)[1]
    return int(status_line.split()[1]), json.loads(payload)


def post(srv, body: bytes, length: str | None = None) -> tuple[int, dict]:
    length = str(len(body)) if length is None else length
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()
    return raw_request(srv, head, body)


BAD_BODIES = {
    "invalid JSON": (b"{not json", None),
    "non-UTF-8": (b'{"model": "oracle", "messages": [{"role": "user", "content": "\xff\xfe"}]}', None),
    "negative length": (b"{}", "-5"),
    "non-numeric length": (b"{}", "ten"),
    "a JSON list": (b"[1, 2]", None),
    "messages not a list": (b'{"messages": 7}', None),
    "a body shorter than its length": (b"{}", "50"),
    "an empty body": (b"", None),
    "content that is an object": (b'{"messages": [{"role": "user", "content": {"x": 1}}]}', None),
    "no messages": (b'{"model": "oracle"}', None),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_requests_get_400(server, case, capsys):
    body, length = BAD_BODIES[case]
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        status, payload = post(server, body, length)
    assert status == 400, (case, payload)
    assert payload["error"]["type"] == "invalid_request_error" and payload["error"]["message"]
    assert "Traceback" not in stderr.getvalue() + capsys.readouterr().err


def test_an_oversized_length_gets_413(server):
    status, payload = post(server, b"{}", str(10**12))
    assert status == 413 and "over" in payload["error"]["message"]


def test_the_server_still_answers_after_bad_requests(server):
    for body, length in BAD_BODIES.values():
        post(server, body, length)
    status, payload = post(server, json.dumps({"model": "oracle", "messages": [
        {"role": "user", "content": "Question: In Lib/x.py, how many parameters does f take?"}]}).encode())
    assert status == 200 and payload["choices"][0]["finish_reason"] == "stop"
