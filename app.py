"""The ASGI entry point: `app` is built by `create_app`, which tests call for a fresh app."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from modules.container import (
    Container,
    build_container,
    start_mappers,
    subscribe_event_handlers,
    take_worker_id,
)
from modules.contexts import CONTEXTS
from modules.platform.db.database import ensure_schema_is_current
from modules.platform.db.idempotency import purge_expired_keys_forever
from modules.platform.http.body_guard import RequestBodyGuard
from modules.platform.http.conditional import if_match_in_openapi
from modules.platform.http.dependencies import provided_names
from modules.platform.http.docs import install_docs
from modules.platform.http.edge import install_edge
from modules.platform.http.error_handlers import install_problem_handlers
from modules.platform.http.health import router as health_router
from modules.platform.http.openapi import use_problem_media_type_in_openapi, without_security
from modules.platform.http.ops import router as ops_router
from modules.platform.http.security import digest
from modules.platform.http.strict_query import (
    document_strict_query,
    refuse_unknown_query_parameters,
)
from modules.platform.observability import (
    configure_logging,
    install_observability,
    telemetry_config,
)
from modules.platform.settings import PROJECT_DIR, Settings, get_settings

DESCRIPTION = """
A catalogue of **books** and **authors**, built as a layered Domain-Driven Design modular
monolith.

* Ids are 64-bit Snowflakes written as **decimal strings**.
* Lists are pages `{items, next_cursor}`; pass `next_cursor` back as `cursor`, with the
  same `sort` and filters (since 0.3.0, in every order).
* Text is stored trimmed and in Unicode NFC; searches ignore case by full case folding
  (since 0.3.0).
* A list inside a resource is bounded: an author shows their 20 newest books, with
  `books_total` and `books_url` for all of them (since 0.2.0; before, every book); a book
  has at most 50 authors, all shown.
* Every error is RFC 9457 `application/problem+json`.
* Adding an author to a book makes the author list the book (a domain event between the
  two contexts).
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    container: Container = app.state.container
    settings: Settings = container.settings()
    await ensure_schema_is_current(
        container.engine(),
        str(PROJECT_DIR / "alembic.ini"),
        wait_seconds=settings.db_startup_wait_seconds,
    )
    give_back_worker_id = await take_worker_id(container)
    start_mappers()
    subscribe_event_handlers(container)
    relay = container.relay()
    if settings.outbox_relay_enabled:
        relay.start()
    housekeeping = asyncio.create_task(
        purge_expired_keys_forever(container.idempotency_store(), interval_seconds=3600),
        name="idempotency-key-purge",
    )
    # This process's gauges, where the other workers' /metrics can read them.
    metrics_sampling = asyncio.create_task(
        app.state.service_gauges.sample_forever(), name="metrics-sampling"
    )
    # What startup built (routes, schemas, mappers, compiled statements) lives as long as
    # the process: frozen out of the garbage collector's sight, a full collection no longer
    # walks it in the middle of a request. Collect first, so that garbage is not frozen
    # too (a test process starts many apps).
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        for task in (housekeeping, metrics_sampling):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # Finish the relay's batch and in-flight deliveries; what is cut off stays in the
        # outbox for the next start (or another process) to deliver.
        await relay.stop(grace_seconds=settings.shutdown_grace_seconds)
        await give_back_worker_id()
        if settings.event_broker_url:
            await container.nats().close()
        await container.read_database().close()
        await container.engine().dispose()


def operation_id(route: APIRoute) -> str:
    """Stable operation ids for generated clients: "books-create_book"."""
    return f"{route.tags[0] if route.tags else 'service'}-{route.name}"


def _check_provided_names(app: FastAPI, container: Container) -> None:
    """Fail at start-up, not on the first request, if a route asks for a missing provider."""
    for route in app.routes:
        if isinstance(route, APIRoute):
            missing = provided_names(route.dependant) - set(container.providers)
            if missing:
                raise LookupError(f"{route.path} asks for unknown providers {sorted(missing)}")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    container = build_container(settings)

    app = FastAPI(
        title="Book catalogue",
        version="0.3.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        telemetry=telemetry_config(settings),
        # Production may hide the docs: they describe every endpoint to anyone.
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        docs_url=None,  # install_docs serves /docs and /redoc without a CDN
        redoc_url=None,
        generate_unique_id_function=operation_id,
        dependencies=[Depends(refuse_unknown_query_parameters)],
    )
    app.state.container = container
    app.state.write_key_digests = tuple(digest(key) for key in settings.api_keys)
    app.add_middleware(
        RequestBodyGuard,
        max_bytes=settings.max_body_bytes,
        timeout_seconds=settings.body_timeout_seconds,
    )
    install_edge(app, settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=settings.cors_allow_credentials,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "If-None-Match",
                "Idempotency-Key",
            ],
            expose_headers=[
                "ETag",
                "Location",
                "Retry-After",
                "Idempotent-Replayed",
                "X-Request-ID",
            ],
        )
    app.state.service_gauges = install_observability(
        app, settings, container.relay(), container.engine()
    )
    install_problem_handlers(app)
    for context in CONTEXTS:
        app.include_router(context.router)
    app.include_router(health_router)
    app.include_router(ops_router)
    _check_provided_names(app, container)
    if settings.docs_enabled:
        install_docs(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schema = use_problem_media_type_in_openapi(document_strict_query(schema))
            schema = if_match_in_openapi(schema, required=settings.require_if_match)
            if not settings.api_keys:  # writes are open: the spec must not claim otherwise
                schema = without_security(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override
    return app


app = create_app()
