"""What only a real server shows (`manage.py serve`, raw sockets): heads too large are
refused while they are still arriving, slow heads and idle connections are timed out,
what the HTTP parser refuses is answered in the problem format, and HEAD is framed right.

These touch no data, so one backend (SQLite) is enough."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx2
import pytest

from tests.e2e.helpers import PROBLEM_MEDIA_TYPE
from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.slow  # a real server over raw sockets

HEAD_LIMIT = 8192
TIMEOUT = 1.0


@pytest.fixture(scope="module")
def server(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(
        sqlite_url,
        tmp_path_factory.mktemp("server") / "server.log",
        max_header_bytes=str(HEAD_LIMIT),
        header_timeout_seconds=str(TIMEOUT),
        body_timeout_seconds=str(TIMEOUT),
    )
    yield process
    process.stop()


def exchange(server: ServerProcess, data: bytes, *, wait: float = 10.0) -> bytes:
    """Send raw bytes, then read until the server closes the connection (or `wait`)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=wait) as s:
        s.sendall(data)
        received = b""
        while chunk := s.recv(65536):
            received += chunk
        return received


def problem(raw: bytes, status: int) -> dict[str, object]:
    """The problem of a raw answer, which must close the connection."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith(f"HTTP/1.1 {status} "), raw[:300]
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    assert headers["content-type"] == PROBLEM_MEDIA_TYPE, headers
    assert headers["connection"] == "close", headers
    assert int(headers["content-length"]) == len(body), raw
    document: dict[str, object] = json.loads(body)
    assert document["status"] == status and document["type"] and document["detail"], document
    return document


def test_a_head_growing_past_the_limit_is_refused_before_it_ends(server: ServerProcess) -> None:
    started = time.monotonic()
    raw = exchange(server, b"GET /books HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 4 * HEAD_LIMIT)
    problem(raw, 431)
    assert time.monotonic() - started < TIMEOUT  # refused for its size, not timed out


def test_a_16_mib_header_or_50000_headers_never_reach_the_app(server: ServerProcess) -> None:
    heads = [
        b"GET /books HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 16 * 1024 * 1024 + b"\r\n\r\n",
        b"GET /books HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 50_000 + b"\r\n",
    ]
    for head in heads:
        try:
            raw = exchange(server, head)
        except (ConnectionResetError, BrokenPipeError):
            continue  # closed while we were still sending: refused all the same
        assert raw == b"" or raw.startswith(b"HTTP/1.1 431 "), raw[:200]
    assert httpx2.get(f"{server.base_url}/health/live").status_code == 200


def test_more_headers_than_allowed_in_a_small_head_are_431(server: ServerProcess) -> None:
    head = b"GET /books HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(101))
    problem(exchange(server, head + b"\r\n"), 431)


def test_a_head_that_trickles_in_is_408(server: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        started = time.monotonic()
        s.sendall(b"GET /books HTTP/1.1\r\nHost: x\r\n")
        raw = b""
        while chunk := s.recv(65536):
            raw += chunk
        waited = time.monotonic() - started
    problem(raw, 408)
    assert TIMEOUT * 0.8 < waited < TIMEOUT + 5


def test_a_connection_that_sends_nothing_is_closed(server: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        started = time.monotonic()
        assert s.recv(100) == b""
        assert time.monotonic() - started < TIMEOUT + 5


def test_a_body_that_trickles_in_is_408(server: ServerProcess) -> None:
    head = (
        b"POST /authors HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n"
    )
    raw = exchange(server, head + b'{"first_name": ')
    problem(raw, 408)


@pytest.mark.parametrize(
    "request_bytes",
    [
        pytest.param(b"GARBAGE\r\n\r\n", id="request-line"),
        pytest.param(b"GET /books HTTP/9.9\r\nHost: x\r\n\r\n", id="version"),
        pytest.param(b"GET /books HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n", id="control"),
        pytest.param(b"GET /books HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", id="header-name"),
        pytest.param(
            b"POST /authors HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
            id="two-lengths",
        ),
        pytest.param(
            b"POST /authors HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n",
            id="chunk-size",
        ),
        pytest.param(
            b"POST /authors HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
            id="length-and-chunked",
        ),
    ],
)
def test_what_the_parser_refuses_is_a_400_problem(
    server: ServerProcess, request_bytes: bytes
) -> None:
    problem(exchange(server, request_bytes), 400)


def test_head_is_framed_like_get_without_its_body(server: ServerProcess) -> None:
    with httpx2.Client(base_url=server.base_url) as client:
        got = client.get("/books")
        # On one connection: a body after HEAD's headers would be read as the next answer.
        for _ in range(3):
            head = client.head("/books")
            assert head.status_code == 200
            assert head.headers["content-length"] == str(len(got.content))
            assert client.get("/health/live").json() == {"status": "ok"}


def test_the_location_of_a_slash_redirect_is_relative(server: ServerProcess) -> None:
    raw = exchange(server, b"GET /authors/ HTTP/1.1\r\nHost: evil.com\r\nConnection: close\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 307 "), raw
    assert b"\r\nlocation: /authors\r\n" in raw.lower(), raw
