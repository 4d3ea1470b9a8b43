"""Request bodies, checked before any byte reaches a route: JSON only, and not too big.

Both answers are in the project's error format. (FastAPI's own `max_body_size` answers a
declared oversize body in plain text, and a body that is not JSON would otherwise end up
as a puzzling 422.)

* a Content-Length over the limit is refused at once (413), and a streamed body is cut
  off as soon as it passes the limit;
* a non-empty body whose Content-Type is not JSON, or that is compressed (any
  Content-Encoding but identity), is refused (415);
* a body that has not arrived whole within `timeout_seconds` of the head is a 408 (the
  server times out slow heads; a slow body only the app sees).

A refusal first reads and discards what the client is still sending, up to a bound: a
connection closed with unread bytes is reset by the kernel, and the answer in flight
with it (a lingering close, done here because the ASGI server closes at once).
"""

from __future__ import annotations

import asyncio

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modules.platform.http.problems import (
    TOO_LARGE_DETAIL,
    send_problem,
)

# How much of a refused body is read and dropped so that the answer arrives; a client that
# sends more, or more slowly, is cut off and may see a reset instead.
DISCARD_MAX_BYTES = 64 * 1024 * 1024
DISCARD_MAX_SECONDS = 10.0
BODY_TIMEOUT_DETAIL = "the request body did not arrive in time"


async def _discard_rest(receive: Receive, headers: dict[bytes, bytes]) -> None:
    if headers.get(b"expect", b"").lower() == b"100-continue":
        return  # the client waits for our word before it sends the body: it never will
    discarded = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DISCARD_MAX_SECONDS
    while discarded <= DISCARD_MAX_BYTES:
        try:
            message = await asyncio.wait_for(receive(), timeout=deadline - loop.time())
        except TimeoutError:
            return
        if message["type"] != "http.request":
            return  # the client went away
        discarded += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _is_json(content_type: bytes) -> bool:
    media_type = content_type.split(b";")[0].strip().lower()
    return media_type == b"application/json" or media_type.endswith(b"+json")


class RequestBodyGuard:
    def __init__(self, app: ASGIApp, max_bytes: int, timeout_seconds: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            if declared.isdigit():
                await _discard_rest(receive, headers)
            await _refuse(scope, send, 413, TOO_LARGE_DETAIL)
            return
        has_body = (declared is not None and declared != b"0") or b"transfer-encoding" in headers
        if has_body and not _is_json(headers.get(b"content-type", b"")):
            await _discard_rest(receive, headers)
            await _refuse(
                scope,
                send,
                415,
                "request bodies must be JSON, sent with Content-Type: application/json",
            )
            return
        coding = headers.get(b"content-encoding", b"identity").strip().lower()
        if has_body and coding != b"identity":
            await _discard_rest(receive, headers)
            await _refuse(
                scope,
                send,
                415,
                "request bodies must not be compressed: send them without Content-Encoding",
                [(b"accept-encoding", b"identity")],  # RFC 9110 §15.5.16
            )
            return
        if not has_body:
            await self.app(scope, receive, send)
            return

        received = 0
        deadline = asyncio.get_running_loop().time() + self.timeout_seconds

        async def limited_receive() -> Message:
            nonlocal received
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                # Raised inside the route's body read: the problem handlers answer 408.
                raise HTTPException(408, BODY_TIMEOUT_DETAIL, {"Connection": "close"}) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    if message.get("more_body", False):
                        await _discard_rest(receive, headers)
                    # Raised inside the route's body read: the problem handlers answer 413.
                    raise HTTPException(413, TOO_LARGE_DETAIL)
            return message

        await self.app(scope, limited_receive, send)


async def _refuse(
    scope: Scope,
    send: Send,
    status: int,
    detail: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    await send_problem(scope, send, status, detail, [(b"connection", b"close"), *(headers or [])])
