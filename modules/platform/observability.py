"""Logs, metrics and traces: what operators see.

* Logs: structlog, one JSON object per line in production and test, readable lines in
  development (LOG_FORMAT overrides either), with the request id of the request being
  served. Uvicorn's, SQLAlchemy's and the app's own stdlib loggers all go through the
  same formatter.
* Access log: one line per request, written by `AccessLog` (answered_requests.py), in
  the same shape (ACCESS_LOG=false leaves it out). Uvicorn's access log stays off: it had
  no route and no duration, and cost a fifth of a read (docs/adr/0022).
* Request ids: `X-Request-ID` is accepted (a UUID) or made, and returned on the response.
* Metrics: Prometheus at /metrics - request counts and latency per route template, plus
  outbox lag, pending and dead events, and connection-pool use. With WORKERS>1 the
  workers keep their figures in files of one directory (prometheus_client's multiprocess
  mode, set up by server.py) and any worker's /metrics adds them all up, so a scrape
  sees the instance, not whichever worker answered. Requests are counted by a
  small middleware of our own (`RequestMetrics`), which reads the route the router
  already matched instead of matching the path again (docs/performance.md).
* Traces: FastAPI's native OpenTelemetry, switched on with OTEL_ENABLED=true and configured
  with the standard OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME, ...).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any

import structlog
from asgi_correlation_id import CorrelationIdMiddleware, correlation_id
from fastapi import FastAPI, Response
from fastapi.telemetry import TelemetryConfig
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Scope

from modules.platform.answered_requests import AccessLog, AnsweredRequests
from modules.platform.events.outbox_admin import OutboxStats
from modules.platform.events.relay import OutboxRelay
from modules.platform.settings import Settings


def _add_request_id(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    request_id = correlation_id.get()
    if request_id:
        event.setdefault("request_id", request_id)
    return event


def _renderer(settings: Settings) -> Any:
    if settings.log_renderer == "console":
        # Colours only on a terminal: escape codes would litter a log file.
        return structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())
    return structlog.processors.JSONRenderer()


def configure_logging(settings: Settings) -> None:
    """Route every logger through structlog's formatter (idempotent)."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        _add_request_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = _renderer(settings)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    # AccessLog writes the access lines; with no handler to reach, uvicorn skips its own.
    logging.getLogger("uvicorn.access").handlers = []
    logging.getLogger("uvicorn.access").propagate = False


class ServiceGauges:
    """The relay's last outbox figures and the pool's use, as gauges. Each process copies
    its own figures into them every second and before a scrape it answers; with WORKERS>1
    a gauge's multiprocess_mode says how the workers' values make the instance's."""

    def __init__(self, registry: CollectorRegistry, relay: OutboxRelay, engine: AsyncEngine):
        self._relay = relay
        self._engine = engine
        self._stats_shown: OutboxStats | None = None

        def gauge(name: str, description: str, mode: Any) -> Gauge:
            return Gauge(name, description, registry=registry, multiprocess_mode=mode)

        # The database's figures, which every worker reads: the freshest reading.
        self.pending = gauge(
            "catalogue_outbox_pending_events", "Events not yet delivered", "livemostrecent"
        )
        self.dead = gauge(
            "catalogue_outbox_dead_events",
            "Events parked after too many failures",
            "livemostrecent",
        )
        self.lag = gauge(
            "catalogue_outbox_lag_seconds", "Age of the oldest pending event", "livemostrecent"
        )
        # Each worker's own figures: summed over the live workers.
        self.delivered = gauge(
            "catalogue_events_delivered_total_process",
            "Events delivered by the running processes since they started",
            "livesum",
        )
        self.pool_in_use = gauge(
            "catalogue_db_pool_connections_in_use", "Pooled connections checked out", "livesum"
        )
        self.pool_size = gauge("catalogue_db_pool_size", "Connections the pools keep", "livesum")

    def sample(self) -> None:
        stats = self._relay.last_stats
        if stats is not None and stats is not self._stats_shown:  # once per reading
            self._stats_shown = stats
            self.pending.set(stats.pending)
            self.dead.set(stats.dead)
            self.lag.set(stats.oldest_pending_age_seconds or 0.0)
        self.delivered.set(self._relay.delivered)
        pool = self._engine.pool
        checked_out = getattr(pool, "checkedout", None)
        if callable(checked_out):
            self.pool_in_use.set(checked_out())
            self.pool_size.set(pool.size())  # type: ignore[attr-defined]  # a QueuePool

    async def sample_forever(self, interval_seconds: float = 1.0) -> None:
        while True:
            self.sample()
            await asyncio.sleep(interval_seconds)


LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10)
NOT_MONITORED = frozenset({"/metrics", "/health/live", "/health/ready"})


class RequestMetrics(AnsweredRequests):
    """Counts and times requests per route template, method and status (pure ASGI).

    The route is the one the router matched, read from the scope once the app has
    answered (`scope["route"]`); a path no route matched counts as handler "none", so a
    scan of random URLs cannot grow the label set."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        super().__init__(app)
        self.requests = Counter(
            "http_requests_total",
            "Requests answered, by route template, method and status",
            ("handler", "method", "status"),
            registry=registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer, by route template and method",
            ("handler", "method"),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def answered(self, scope: Scope, status: int, seconds: float) -> None:
        handler = getattr(scope.get("route"), "path", None) or "none"
        if handler not in NOT_MONITORED:
            method = scope["method"]
            self.requests.labels(handler, method, str(status)).inc()
            self.latency.labels(handler, method).observe(seconds)


def install_observability(
    app: FastAPI, settings: Settings, relay: OutboxRelay, engine: AsyncEngine
) -> ServiceGauges:
    """Request ids, the access log, request metrics and /metrics; the gauges, for the
    lifespan to sample."""
    if settings.access_log and settings.log_level in ("DEBUG", "INFO"):
        # Added before CorrelationIdMiddleware, so it runs inside it: the id is known.
        app.add_middleware(AccessLog, settings=settings)
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    registry = CollectorRegistry()  # one per app: tests build many apps in one process
    app.add_middleware(RequestMetrics, registry=registry)
    gauges = ServiceGauges(registry, relay, engine)
    shown = registry
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:  # the figures of every worker
        shown = CollectorRegistry()
        multiprocess.MultiProcessCollector(shown)  # type: ignore[no-untyped-call]  # no hints

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        gauges.sample()
        return Response(generate_latest(shown), media_type=CONTENT_TYPE_LATEST)

    return gauges


def telemetry_config(settings: Settings) -> TelemetryConfig:
    """FastAPI's native OpenTelemetry: off unless asked for (it costs time per request)."""
    if settings.otel_enabled:
        return {"auto_configure": True}
    return {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}
