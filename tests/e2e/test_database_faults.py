"""Database faults: a connection killed mid-request is a 503 with Retry-After, never a hang
or a 500, and the service heals by itself (dead pooled connections are replaced)."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI
from httpx2 import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from modules.platform.db.database import APPLICATION_NAME, create_engine
from modules.platform.db.read_database import AsyncpgReadDatabase
from tests.e2e.helpers import assert_problem, author_body, create_author, get_json

TERMINATE = text(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE application_name = :name AND datname = current_database() AND pid <> pg_backend_pid()"
)


async def kill_the_services_connections(database_url: str) -> None:
    """Every connection of the service, from a connection of another application."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            killed = (await connection.execute(TERMINATE, {"name": APPLICATION_NAME})).all()
            assert killed
    finally:
        await engine.dispose()


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


async def test_an_unreachable_database_stops_start_up_with_a_clear_error(settings) -> None:  # type: ignore[no-untyped-def]
    """At start-up the service waits DB_STARTUP_WAIT_SECONDS for the database, then gives
    up loudly instead of serving without one."""
    from asgi_lifespan import LifespanManager

    from app import create_app

    unreachable = settings.model_copy(
        update={
            "database_url": "postgresql+asyncpg://nobody@127.0.0.1:1/none",
            "db_startup_wait_seconds": 0.5,
        }
    )
    app = create_app(unreachable)
    with pytest.raises(OSError):
        async with LifespanManager(app, startup_timeout=30):
            pass


async def test_readiness_fails_while_the_database_is_gone(
    app: FastAPI, client: AsyncClient
) -> None:
    """A database that stops answering makes /health/ready 503 while /health/live stays 200
    (the container's engine is swapped for one whose server is gone)."""
    container = app.state.container
    gone = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none", pool_timeout=1)
    try:
        with container.engine.override(gone):
            assert_problem(await client.get("/health/ready"), 503)
            assert (await client.get("/health/live")).status_code == 200
    finally:
        await gone.dispose()
    assert (await client.get("/health/ready")).status_code == 200


async def test_a_read_the_database_cannot_answer_is_a_503(
    app: FastAPI, client: AsyncClient, database_url: str
) -> None:
    """The read side's own path (raw asyncpg on PostgreSQL) fails the same way as the
    engine's: a problem with Retry-After, not a 500."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the asyncpg read path is PostgreSQL's")
    container = app.state.container
    gone = AsyncpgReadDatabase("postgresql+asyncpg://nobody@127.0.0.1:1/none", pool_timeout=1)
    try:
        with container.read_database.override(gone):
            container.book_queries.reset()
            response = await client.get("/books/1")
    finally:
        container.book_queries.reset()
        await gone.close()
    assert_problem(response, 503)
    assert int(response.headers["Retry-After"]) > 0
    assert (await client.get("/books/1")).status_code == 404  # the real database answers


async def test_reads_on_connections_killed_while_idle_answer_200(
    app: FastAPI, client: AsyncClient, database_url: str
) -> None:
    """A pooled read connection the server closed while it sat idle is replaced, or the
    read is run again on another: the client never sees it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    author = await create_author(client)
    for _ in range(3):
        await asyncio.gather(*(client.get(f"/authors/{author['id']}") for _ in range(8)))
        await kill_the_services_connections(database_url)
        answers = await asyncio.gather(*(client.get(f"/authors/{author['id']}") for _ in range(8)))
        assert [a.status_code for a in answers] == [200] * 8


async def test_writes_on_connections_killed_while_idle_answer_201(
    app: FastAPI, client: AsyncClient, database_url: str
) -> None:
    """A pooled write connection the server closed while it sat idle is replaced at
    checkout, without a ping: no write ever reaches it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    for _ in range(3):
        await asyncio.gather(*(create_author(client) for _ in range(8)))  # warm the pool
        await kill_the_services_connections(database_url)
        await asyncio.sleep(0.1)  # the service's event loop reads the servers' goodbyes
        answers = await asyncio.gather(
            *(client.post("/authors", json=author_body()) for _ in range(8))
        )
        assert [a.status_code for a in answers] == [201] * 8
