"""The edge of the API: checks and answers that hold for every path, before any route.

* `HeaderLimits`: a request head over MAX_HEADER_BYTES or with more than MAX_HEADER_COUNT
  fields is a 431. The server (server_limits.py) already stops reading a head that grows
  past the limit; this check holds whatever server runs the app, and is exact.
* `AllowedHosts`: with ALLOWED_HOSTS set, any other Host is a 400 (Starlette's
  TrustedHostMiddleware answers the same in plain text).
* `RelativeSlashRedirect`: `/books/` is redirected to `/books` with a relative Location.
  Starlette's own redirect writes the Host header into it, so a client could make the
  service send browsers anywhere.
* `HeadAsGet`: HEAD is answered wherever GET is, with GET's status and headers and no body
  (RFC 9110 §9.3.2); FastAPI's routes answer only the methods they declare.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modules.platform.http.problems import (
    send_problem,
)
from modules.platform.settings import Settings


def head_size(scope: Scope) -> int:
    """About the bytes of the request line and header fields, as they came on the wire."""
    line = len(scope["method"]) + len(scope.get("raw_path") or scope["path"])
    return line + len(scope["query_string"]) + sum(len(n) + len(v) + 4 for n, v in scope["headers"])


class HeaderLimits:
    def __init__(self, app: ASGIApp, max_bytes: int, max_count: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_count = max_count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            len(scope["headers"]) > self.max_count or head_size(scope) > self.max_bytes
        ):
            detail = (
                f"the request line and headers must stay within {self.max_bytes} bytes "
                f"and {self.max_count} header fields"
            )
            await send_problem(scope, send, 431, detail, [(b"connection", b"close")])
            return
        await self.app(scope, receive, send)


def host_name(host: str) -> str:
    """The name in a Host header, without the port: "api.example.com", "[::1]"."""
    if host.startswith("["):
        return host.partition("]")[0].lower() + "]"
    return host.partition(":")[0].lower()


class AllowedHosts:
    def __init__(self, app: ASGIApp, hosts: list[str]) -> None:
        self.app = app
        self.names = frozenset(h for h in hosts if not h.startswith("*."))
        self.suffixes = tuple(h[1:] for h in hosts if h.startswith("*."))  # ".example.com"

    def allows(self, scope: Scope) -> bool:
        hosts = [value for name, value in scope["headers"] if name == b"host"]
        if len(hosts) != 1:  # none, or two that two parties could read differently
            return False
        name = host_name(hosts[0].decode("latin-1"))
        return name in self.names or (bool(self.suffixes) and name.endswith(self.suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.allows(scope):
            detail = "this service does not answer to that Host"
            await send_problem(scope, send, 400, detail, [])
            return
        await self.app(scope, receive, send)


class RelativeSlashRedirect:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            target = "/" + path.strip("/")
            if _routed(scope, target):  # so only ever to one of our own paths
                location = quote(target)
                if scope["query_string"]:
                    location += "?" + quote(scope["query_string"], safe="&=+%;:@,/?!$'()*~")
                await send(
                    {
                        "type": "http.response.start",
                        "status": 307,
                        "headers": [(b"location", location.encode()), (b"content-length", b"0")],
                    }
                )
                await send({"type": "http.response.body", "body": b""})
                return
        await self.app(scope, receive, send)


def _routed(scope: Scope, path: str) -> bool:
    target = {**scope, "path": path}
    return any(route.matches(target)[0] is not Match.NONE for route in scope["app"].router.routes)


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        # A copy: the server's scope must still say HEAD, or it would expect the body.
        as_get = {**scope, "method": "GET"}
        try:
            await self.app(as_get, receive, without_body)
        finally:
            if "route" in as_get:  # for the metrics, which label requests by route
                scope["route"] = as_get["route"]


def install_edge(app: FastAPI, settings: Settings) -> None:
    """The checks above, outermost last: a refused head goes no further."""
    app.router.redirect_slashes = False  # RelativeSlashRedirect does it
    app.add_middleware(HeadAsGet)
    app.add_middleware(RelativeSlashRedirect)
    if settings.allowed_hosts and "*" not in settings.allowed_hosts:
        app.add_middleware(AllowedHosts, hosts=settings.allowed_hosts)
    app.add_middleware(
        HeaderLimits, max_bytes=settings.max_header_bytes, max_count=settings.max_header_count
    )
