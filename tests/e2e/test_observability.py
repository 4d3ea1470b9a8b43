"""What operators see: request ids, JSON logs, Prometheus metrics, health."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from unittest.mock import AsyncMock

import pytest
from asgi_correlation_id import correlation_id
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx2 import ASGITransport, AsyncClient

from app import create_app
from modules.platform.settings import Settings
from tests.conftest import _empty_tables
from tests.e2e.helpers import assert_problem, author_body, create_author


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


@asynccontextmanager
async def _served(settings: Settings) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    """A fresh app and its client, the app built here so that it writes to the stdout that
    capsys captures now."""
    await _empty_tables(settings.database_url)
    app = create_app(settings)
    async with LifespanManager(app):
        transport = ASGITransport(app=app, raise_app_exceptions=False)  # a 500 is an answer
        async with AsyncClient(transport=transport, base_url="http://test") as client:
            yield app, client


def _access_lines(output: str) -> list[dict[str, Any]]:
    entries = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [entry for entry in entries if entry["logger"] == "access"]


async def test_each_request_leaves_one_access_line_with_its_route_status_and_duration(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    given = str(uuid.uuid4())
    capsys.readouterr()
    async with _served(settings) as (_, client):
        author = await create_author(client)
        refused = await client.get(f"/authors/{author['id']}?x=1", headers={"X-Request-ID": given})
        assert refused.status_code == 422  # an unknown query parameter
        assert (await client.get(f"/authors/{author['id']}")).status_code == 200
        assert (await client.get("/no/such/thing")).status_code == 404
    lines = _access_lines(capsys.readouterr().out)

    assert [(e["method"], e["route"], e["status"]) for e in lines] == [
        ("POST", "/authors", 201),
        ("GET", "/authors/{author_id}", 422),
        ("GET", "/authors/{author_id}", 200),
        ("GET", None, 404),  # no route matched
    ]
    line = lines[1]
    assert line["request_id"] == given
    assert (line["path"], line["query"]) == (f"/authors/{author['id']}", "x=1")
    assert (line["event"], line["level"]) == ("request", "info")
    assert line["timestamp"].endswith("Z")
    assert line["http_version"] == "1.1"
    assert line["client"].startswith("127.0.0.1:")
    for entry in lines:
        assert isinstance(entry["duration_ms"], float) and 0 <= entry["duration_ms"] < 10_000
        uuid.UUID(entry["request_id"])  # made where the client sent none
    # uvicorn writes its own access line only where its logger has a handler to reach.
    assert not logging.getLogger("uvicorn.access").hasHandlers()


async def test_an_error_escaping_the_app_is_logged_as_a_500(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    async with _served(settings) as (app, client):
        crash = AsyncMock(side_effect=RuntimeError("a bug"))
        with app.state.container.create_author.override(crash):
            assert (await client.post("/authors", json=author_body())).status_code == 500
    [line] = _access_lines(capsys.readouterr().out)
    assert (line["route"], line["status"]) == ("/authors", 500)


@pytest.mark.parametrize("quiet", [{"access_log": False}, {"log_level": "WARNING"}])
async def test_access_log_false_or_a_level_above_info_writes_no_access_line(
    quiet: dict[str, Any], settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    async with _served(settings.model_copy(update=quiet)) as (_, client):
        await create_author(client)
        assert (await client.get("/health/live")).status_code == 200
    assert _access_lines(capsys.readouterr().out) == []
    assert not logging.getLogger("uvicorn.access").hasHandlers()


async def test_in_console_format_an_access_line_is_for_a_person_to_read(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    async with _served(settings.model_copy(update={"log_format": "console"})) as (_, client):
        await create_author(client)
    [line] = [line for line in capsys.readouterr().out.splitlines() if "[access]" in line]
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)
    for part in ("request", "method=POST", "route=/authors", "status=201", "duration_ms="):
        assert part in line
