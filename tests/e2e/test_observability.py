"""What operators see: request ids, JSON logs, Prometheus metrics, health."""

from __future__ import annotations

import json
import logging
import uuid

from asgi_correlation_id import correlation_id
from fastapi import FastAPI
from httpx2 import AsyncClient

from tests.e2e.helpers import assert_problem, create_author


async def test_a_request_id_is_returned_and_made_when_missing(client: AsyncClient) -> None:
    given = str(uuid.uuid4())
    echoed = await client.get("/health/live", headers={"X-Request-ID": given})
    assert echoed.headers["X-Request-ID"] == given
    made = (await client.get("/health/live")).headers["X-Request-ID"]
    assert made and made != given
    # Not a UUID (say, an attempt to inject text into the logs): replaced by a fresh one.
    forged = await client.get("/health/live", headers={"X-Request-ID": "x\nlevel=error"})
    assert forged.headers["X-Request-ID"] != "x\nlevel=error"


def test_logs_are_json_lines_carrying_the_request_id(app: FastAPI) -> None:
    formatter = logging.getLogger().handlers[0].formatter
    assert formatter is not None
    record = logging.LogRecord(
        "modules.test", logging.WARNING, __file__, 1, "outbox is %s", ("slow",), None
    )
    token = correlation_id.set("7f2c6d1e-2b7a-4c55-9f0e-1d2c3b4a5f60")
    try:
        line = formatter.format(record)
    finally:
        correlation_id.reset(token)
    entry = json.loads(line)
    assert entry["event"] == "outbox is slow"
    assert entry["level"] == "warning"
    assert entry["logger"] == "modules.test"
    assert entry["request_id"] == "7f2c6d1e-2b7a-4c55-9f0e-1d2c3b4a5f60"
    assert entry["timestamp"].endswith("Z")


async def test_metrics_count_requests_per_route_and_show_the_outbox_and_pool(
    app: FastAPI, client: AsyncClient
) -> None:
    author = await create_author(client)
    await client.get(f"/authors/{author['id']}")
    await app.state.container.relay()._refresh_stats(0.0)  # the relay does this every 10 s
    text = (await client.get("/metrics")).text
    assert (
        'http_requests_total{handler="/authors/{author_id}",method="GET",status="200"} 1.0' in text
    )
    assert 'http_requests_total{handler="/authors",method="POST",status="201"} 1.0' in text
    assert "http_request_duration_seconds_bucket" in text
    for gauge in (
        "catalogue_outbox_pending_events 0.0",
        "catalogue_outbox_dead_events 0.0",
        "catalogue_outbox_lag_seconds 0.0",
        "catalogue_db_pool_connections_in_use",
        "catalogue_db_pool_size 10.0",
    ):
        assert gauge in text


async def test_metrics_count_unmatched_paths_under_one_label(client: AsyncClient) -> None:
    for path in ("/no/such/thing", "/books/1/nothing/here"):
        assert (await client.get(path)).status_code == 404
    await client.get("/health/live")
    text = (await client.get("/metrics")).text
    assert 'http_requests_total{handler="none",method="GET",status="404"} 2.0' in text
    assert "/no/such/thing" not in text  # a scan of random URLs cannot grow the label set
    assert 'handler="/health/live"' not in text and 'handler="/metrics"' not in text


async def test_readiness_needs_the_relay(app: FastAPI, client: AsyncClient) -> None:
    assert (await client.get("/health/ready")).status_code == 200
    relay = app.state.container.relay()
    await relay.stop()
    ready = await client.get("/health/ready")
    assert_problem(ready, 503)
    assert "relay" in ready.json()["detail"]
    assert (await client.get("/health/live")).status_code == 200
    relay.start()
    assert (await client.get("/health/ready")).status_code == 200


def test_access_log_can_be_switched_off(settings) -> None:  # type: ignore[no-untyped-def]
    from app import create_app

    create_app(settings.model_copy(update={"access_log": False}))
    assert logging.getLogger("uvicorn.access").disabled
    create_app(settings.model_copy(update={"access_log": True}))
    assert not logging.getLogger("uvicorn.access").disabled
