"""The HTTP server's own limits, which no ASGI app can set: uvicorn's httptools protocol,
bounded (`manage.py serve` runs it; see docs/adr/0019-bounded-request-heads-in-the-server.md).

uvicorn reads a request head whole before the app sees any of it, with httptools as
fast as it gets but with no limit on its size and no time limit. Here:

* a head still incomplete past MAX_HEADER_BYTES is refused with 431 and the connection
  closed, so a connection never holds more than that and one read buffer (the app's
  `HeaderLimits` makes the limit exact for heads that arrived whole);
* a head must arrive whole within HEADER_TIMEOUT_SECONDS of its first byte (else 408),
  and a new connection must begin its request within that time (else it is closed);
* what the parser refuses - a malformed request line, bad framing, control characters in
  a header - is a 400 in the problem format, where uvicorn answers in plain text.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from modules.platform.http.problems import PROBLEM_MEDIA_TYPE, problem_bytes, status_title
from modules.platform.settings import get_settings

NOT_HTTP = "the request is not valid HTTP/1.1 (request line, framing or header fields)"


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.max_head_bytes = settings.max_header_bytes
        self.head_timeout = settings.header_timeout_seconds
        self.head_pending = False  # a request head has begun and is not complete yet
        self.head_bytes = 0
        self.head_timer: asyncio.TimerHandle | None = None

    # uvicorn narrows asyncio's BaseTransport to Transport here, as its own protocol does.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.head_pending and not self.transport.is_closing():
            # The whole read counts, though a pipelined request's tail may have come in the
            # same read: a little strict, never lenient.
            self.head_bytes += len(data)
            if self.head_bytes > self.max_head_bytes:
                self.logger.info("request head over %d bytes refused", self.max_head_bytes)
                self.refuse(
                    431,
                    f"the request line and headers must stay within {self.max_head_bytes} bytes",
                )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_pending = True
        self.head_bytes = 0
        self._arm_head_timer()

    def on_headers_complete(self) -> None:
        self.head_pending = False
        self._cancel_head_timer()
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request the parser refuses."""
        self.refuse(400, NOT_HTTP)

    def refuse(self, status: int, detail: str) -> None:
        body = problem_bytes(status, detail)
        head = [f"HTTP/1.1 {status} {status_title(status)}".encode()]
        head += [name + b": " + value for name, value in self.server_state.default_headers]
        head += [
            b"content-type: " + PROBLEM_MEDIA_TYPE.encode(),
            b"content-length: " + str(len(body)).encode(),
            b"connection: close",
        ]
        self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        self.transport.close()

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self.head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if self.transport.is_closing():
            return
        if self.pipeline or (self.cycle is not None and not self.cycle.response_complete):
            # A pipelined head waits while an earlier request is answered: not the client's
            # fault, and an answer now would cut into that one.
            self._arm_head_timer()
        elif self.head_pending:
            self.logger.info("request head not complete after %ss", self.head_timeout)
            self.refuse(408, f"the request head did not arrive within {self.head_timeout:g}s")
        else:
            self.transport.close()  # connected, but sent nothing
