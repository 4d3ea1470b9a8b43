"""Several server processes on one PostgreSQL: every process makes ids with a worker id
of its own (leased after it started), no id collides, every event is handled once, and
the lease of a process that dies expires."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from httpx2 import AsyncClient, Limits
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from modules.author.infrastructure.tables import author_inbox
from modules.book.infrastructure.tables import book_outbox
from modules.kernel.identity import worker_id_of
from modules.platform.db.database import create_engine
from modules.platform.db.worker_ids import WorkerIdLease, snowflake_workers
from tests.conftest import _empty_tables
from tests.e2e.helpers import isbn13
from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.slow  # two real server processes and 20,000 ids

BOOKS_PER_PROCESS = 1250
AUTHORS_PER_BOOK = 7  # each book makes 1 + 7 ids (the book and its events): 20,000 in all
# Spread over enough authors that none lists more than about 50 books: an event about one
# book loads its author's every link (ADR 0014), and this test is about ids and
# delivery, not about prolific authors.
AUTHORS = 350
# Short, to see a dead process's lease expire; long enough that a heartbeat delayed by a
# loaded machine (renewals every third of it) does not let a live one lapse.
LEASE_SECONDS = "6"


async def count(url: str, table) -> int:  # type: ignore[no-untyped-def]
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(table)) or 0)
    finally:
        await engine.dispose()


async def create_books(client: AsyncClient, numbers: range, author_ids: list[str]) -> list[str]:
    ids: list[str] = []
    semaphore = asyncio.Semaphore(16)

    async def one(n: int) -> None:
        authors = [author_ids[(n + k) % len(author_ids)] for k in range(AUTHORS_PER_BOOK)]
        body = {
            "title": f"Book {n}",
            "isbn": isbn13(500_000_000 + n),
            "pages": 100,
            "price": 1000,
            "publication_year": 2000,
            "author_ids": authors,
        }
        async with semaphore:
            response = await client.post("/books", json=body)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])

    await asyncio.gather(*(one(n) for n in numbers))
    return ids


async def test_two_processes_make_20k_ids_without_collision_and_handle_every_event_once(
    database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several server processes on one database: PostgreSQL")
    await _empty_tables(database_url)
    settings = {"worker_id_lease_seconds": LEASE_SECONDS, "outbox_poll_interval_seconds": "0.2"}
    first = ServerProcess(database_url, tmp_path / "a.log", **settings)
    second = ServerProcess(database_url, tmp_path / "b.log", **settings)
    try:
        limits = Limits(max_connections=16)
        async with (
            AsyncClient(base_url=first.base_url, limits=limits, timeout=60) as a,
            AsyncClient(base_url=second.base_url, limits=limits, timeout=60) as b,
        ):
            author_ids = [
                (
                    await a.post(
                        "/authors", json={"first_name": f"A{i}", "last_name": "B", "age": 40}
                    )
                ).json()["id"]
                for i in range(AUTHORS)
            ]
            from_a, from_b = await asyncio.gather(
                create_books(a, range(0, BOOKS_PER_PROCESS), author_ids),
                create_books(b, range(BOOKS_PER_PROCESS, 2 * BOOKS_PER_PROCESS), author_ids),
            )
            assert len(set(from_a) | set(from_b)) == 2 * BOOKS_PER_PROCESS
            workers_a = {worker_id_of(int(i)) for i in from_a}
            workers_b = {worker_id_of(int(i)) for i in from_b}
            assert len(workers_a) == len(workers_b) == 1
            assert workers_a.isdisjoint(workers_b)

            for _ in range(300):  # every event delivered (inline or by either relay)
                if await count(database_url, book_outbox) == 0:
                    break
                await asyncio.sleep(0.2)
            assert await count(database_url, book_outbox) == 0
            events = 2 * BOOKS_PER_PROCESS * AUTHORS_PER_BOOK
            assert await count(database_url, author_inbox) == events  # each applied once
            for index in range(5):
                expected = sum(
                    1
                    for n in range(2 * BOOKS_PER_PROCESS)
                    for k in range(AUTHORS_PER_BOOK)
                    if (n + k) % len(author_ids) == index
                )
                listed = (await b.get(f"/authors/{author_ids[index]}")).json()["books_total"]
                assert listed == expected

        # A process killed with kill -9 keeps its lease until it expires...
        first_worker = next(iter(workers_a))
        first.kill_9()
        engine = create_engine(database_url)
        try:
            probe = WorkerIdLease(engine, ttl_seconds=30)
            assert await probe.acquire() not in (first_worker, next(iter(workers_b)))
            await asyncio.sleep(float(LEASE_SECONDS) + 0.5)
            # ...and then its id is free for the next process.
            again = WorkerIdLease(engine, ttl_seconds=30)
            assert await again.acquire() == first_worker
            async with engine.connect() as connection:
                holders = (
                    (
                        await connection.execute(
                            select(snowflake_workers.c.owner).where(
                                snowflake_workers.c.owner.is_not(None)
                            )
                        )
                    )
                    .scalars()
                    .all()
                )
            assert len(holders) == len(set(holders))
        finally:
            await engine.dispose()
    finally:
        first.stop()
        second.stop()
