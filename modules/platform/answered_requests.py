"""Observers of answered requests: the base that notes each answer's status and time, and
the access log written on it (RequestMetrics, in observability.py, is the other)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import orjson
import structlog
from asgi_correlation_id import correlation_id
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.typing import EventDict

from modules.platform.settings import Settings


class AnsweredRequests:
    """A pure ASGI middleware that sees each HTTP request once the app has answered it:
    `answered` gets the scope (with the route the router matched), the status (500 if an
    exception escaped the app) and the seconds it took."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless the app answers: an exception escaping it becomes a 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            self.answered(scope, status, time.perf_counter() - started)

    def answered(self, scope: Scope, status: int, seconds: float) -> None:
        raise NotImplementedError


def access_line_renderer(settings: Settings) -> Callable[[EventDict], bytes]:
    """An access line as bytes: orjson, or a line laid out as ConsoleRenderer lays out the
    others (without colours), which costs a twentieth of ConsoleRenderer's time."""
    if settings.log_renderer == "console":
        return _console_access_line
    return lambda entry: orjson.dumps(entry, option=orjson.OPT_APPEND_NEWLINE)


def _console_access_line(entry: EventDict) -> bytes:
    fields = " ".join(f"{key}={value}" for key, value in entry.items() if key not in _HEAD)
    head = f"{entry['timestamp']} [{entry['level']:<9}] {entry['event']:<30} [{entry['logger']}]"
    return f"{head} {fields}\n".encode()


_HEAD = frozenset({"timestamp", "level", "event", "logger"})


class AccessLog(AnsweredRequests):
    """One log line per request, once the app has answered (pure ASGI).

    Fields: request_id, method, path, query, route (the template the router matched, read
    from the scope as RequestMetrics does; null when none did), status, duration_ms,
    client and http_version, besides the event, level, logger and timestamp every line
    has. The line goes straight from a dict to the renderer and to stdout: no logger, no
    LogRecord, which cost more than the line itself (docs/performance.md)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        super().__init__(app)
        self.render = access_line_renderer(settings)
        self.stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
        # Under sys.stdout, where the other lines go too: each is written whole, and flushed.
        self.stdout = sys.stdout.buffer

    def answered(self, scope: Scope, status: int, seconds: float) -> None:
        client = scope.get("client")
        entry = {
            "event": "request",
            "request_id": correlation_id.get(),
            "method": scope["method"],
            "path": scope["path"],
            "query": scope["query_string"].decode("latin-1"),
            "route": getattr(scope.get("route"), "path", None),
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "client": f"{client[0]}:{client[1]}" if client else None,
            "http_version": scope["http_version"],
            "level": "info",
            "logger": "access",
        }
        self.stdout.write(self.render(self.stamp(None, "info", entry)))
        self.stdout.flush()
