"""Database faults: a connection killed mid-request is a 503 with Retry-After, never a hang
or a 500, and the service heals by itself (pre-ping replaces dead pooled connections)."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI
from httpx2 import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from modules.shared.infrastructure.database import APPLICATION_NAME
from tests.e2e.helpers import assert_problem, create_author, get_json

TERMINATE = text(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE application_name = :name AND datname = current_database() AND pid <> pg_backend_pid()"
)


async def test_a_backend_terminated_during_a_request_is_503_then_it_heals(
    app: FastAPI, client: AsyncClient, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    author = await create_author(client)
    # Warm the pool: several idle connections that will all be killed too.
    await asyncio.gather(*(client.get(f"/authors/{author['id']}") for _ in range(5)))

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as blocker:
            await blocker.execute(
                text("SELECT id FROM authors WHERE id = :id FOR UPDATE"), {"id": int(author["id"])}
            )
            # This request waits for the lock inside its transaction...
            patch = asyncio.create_task(client.patch(f"/authors/{author['id']}", json={"age": 77}))
            await asyncio.sleep(0.5)
            assert not patch.done()
            # ...when every connection of the service is killed.
            killed = (await blocker.execute(TERMINATE, {"name": APPLICATION_NAME})).all()
            assert killed
            response = await asyncio.wait_for(patch, timeout=10)
            await blocker.rollback()
    finally:
        await engine.dispose()

    assert_problem(response, 503)
    assert int(response.headers["Retry-After"]) > 0
    # The next requests find fresh connections: reads and writes work again.
    assert (await client.get(f"/authors/{author['id']}")).status_code == 200
    healed = await client.patch(f"/authors/{author['id']}", json={"age": 78})
    assert healed.status_code == 200, healed.text
    assert (await get_json(client, f"/authors/{author['id']}"))["age"] == 78


async def test_an_unreachable_database_is_503_not_a_hang(settings) -> None:  # type: ignore[no-untyped-def]
    from asgi_lifespan import LifespanManager
    from httpx2 import ASGITransport

    from app import create_app

    unreachable = settings.model_copy(
        update={
            "database_url": "postgresql+asyncpg://nobody@127.0.0.1:1/none",
            "outbox_relay_enabled": False,
        }
    )
    app = create_app(unreachable)
    transport = ASGITransport(app=app)
    async with LifespanManager(app), AsyncClient(transport=transport, base_url="http://test") as c:
        response = await asyncio.wait_for(c.get("/authors"), timeout=15)
        assert_problem(response, 503)
        ready = await c.get("/health/ready")
        assert_problem(ready, 503)
        assert (await c.get("/health/live")).status_code == 200
