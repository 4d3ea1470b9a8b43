"""Promise 2: the server is killed (kill -9) between the commit and the handler; after a
restart the author lists the book, exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpx2 import AsyncClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from modules.author.infrastructure.tables import author_inbox
from modules.book.infrastructure.tables import book_outbox
from tests.conftest import _empty_tables
from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.slow  # real server processes, killed with kill -9

AUTHOR = {"first_name": "Octavia", "last_name": "Butler", "age": 58}
BOOK = {
    "title": "Kindred",
    "isbn": "978-0-8070-8369-7",
    "pages": 264,
    "price": 14000,
    "publication_year": 1979,
}


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.stop()


async def counts(database_url: str) -> tuple[int, int]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            outbox = await connection.scalar(select(func.count()).select_from(book_outbox))
            inbox = await connection.scalar(select(func.count()).select_from(author_inbox))
            return int(outbox or 0), int(inbox or 0)
    finally:
        await engine.dispose()


async def counts_once_delivered(database_url: str, timeout: float = 5.0) -> tuple[int, int]:
    """The handler commits its change before the relay deletes the outbox row, in a
    statement of its own: the author can list the book a moment before the row is gone."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        outbox, inbox = await counts(database_url)
        if outbox == 0 or loop.time() > deadline:
            return outbox, inbox
        await asyncio.sleep(0.05)


async def wait_for_books(client: AsyncClient, author_id: str, timeout: float = 15.0) -> list[dict]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        books = (await client.get(f"/authors/{author_id}")).json()["books"]
        if books or loop.time() > deadline:
            return books  # type: ignore[no-any-return]
        await asyncio.sleep(0.1)


async def test_2_killed_after_the_commit_before_the_handler(
    database_url: str, servers: list[ServerProcess], tmp_path: Path
) -> None:
    await _empty_tables(database_url)
    log = tmp_path / "server.log"
    # No delivery at all in the first process: every event it commits is exactly in the
    # state of a process that died right after the commit.
    first = ServerProcess(
        database_url, log, event_inline_delivery="false", outbox_relay_enabled="false"
    )
    servers.append(first)
    async with AsyncClient(base_url=first.base_url) as client:
        author = (await client.post("/authors", json=AUTHOR)).json()
        book = (await client.post("/books", json=BOOK)).json()
        added = await client.post(f"/books/{book['id']}/authors/{author['id']}")
        assert added.status_code == 200
        assert (await client.get(f"/authors/{author['id']}")).json()["books"] == []
    first.kill_9()
    assert await counts(database_url) == (1, 0)  # committed, not yet handled

    second = ServerProcess(database_url, log, outbox_poll_interval_seconds="0.1")
    servers.append(second)
    async with AsyncClient(base_url=second.base_url) as client:
        books = await wait_for_books(client, author["id"])
        assert books == [{"id": book["id"], "title": "Kindred"}]
        assert await counts_once_delivered(database_url) == (0, 1)  # delivered, applied once
        status = (await client.get("/ops/outbox")).json()
        assert status["pending"] == 0 and status["dead"] == 0 and status["relay_running"]


async def test_2b_killed_while_the_handler_is_blocked(
    database_url: str, servers: list[ServerProcess], tmp_path: Path
) -> None:
    """PostgreSQL: the handler really is in flight (it waits on a row lock the test holds)
    when the process dies; its lease runs out and the next process delivers the event."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs row locks held from outside the server: PostgreSQL only")
    await _empty_tables(database_url)
    log = tmp_path / "server.log"
    first = ServerProcess(
        database_url, log, event_inline_wait_seconds="0.2", outbox_lease_seconds="2"
    )
    servers.append(first)
    async with AsyncClient(base_url=first.base_url) as client:
        author = (await client.post("/authors", json=AUTHOR)).json()
        book = (await client.post("/books", json=BOOK)).json()

        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as blocker:
                await blocker.execute(
                    text("SELECT id FROM authors WHERE id = :id FOR UPDATE"),
                    {"id": int(author["id"])},
                )
                added = await client.post(f"/books/{book['id']}/authors/{author['id']}")
                assert added.status_code == 200  # answered within the inline wait bound
                first.kill_9()  # the handler is still waiting for the lock
                await blocker.rollback()
        finally:
            await engine.dispose()
    assert await counts(database_url) == (1, 0)

    second = ServerProcess(
        database_url, log, outbox_poll_interval_seconds="0.1", outbox_lease_seconds="2"
    )
    servers.append(second)
    async with AsyncClient(base_url=second.base_url) as client:
        books = await wait_for_books(client, author["id"])
        assert books == [{"id": book["id"], "title": "Kindred"}]
        assert await counts_once_delivered(database_url) == (0, 1)
