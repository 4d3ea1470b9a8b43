"""The durable-events promises, one test each, on SQLite and PostgreSQL.

Numbers refer to the promises listed in docs/adr/0004-a-transactional-outbox-delivered-inline.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select, text

from modules.author.infrastructure.tables import author_inbox
from modules.book.domain.book import Book
from modules.book.domain.events import AuthorAddedToBook, AuthorRemovedFromBook
from modules.book.domain.value_objects import Isbn, Pages, Price, PublicationYear, Title
from modules.book.infrastructure.tables import book_outbox
from modules.container import Container, build_container, subscribe_event_handlers
from modules.kernel.events import DomainEvent
from modules.platform.events.outbox import OutboxStore
from modules.platform.settings import Settings
from tests.integration.helpers import create_author, create_book, next_isbn

MakeContainer = Callable[..., Awaitable[Container]]


@pytest.fixture
async def make_container(container: Container, settings: Settings) -> AsyncIterator[MakeContainer]:
    """More containers on the same (already emptied) database: another "process"."""
    made: list[Container] = []

    async def make(**overrides: Any) -> Container:
        other = build_container(settings.model_copy(update=overrides))
        subscribe_event_handlers(other)
        made.append(other)
        return other

    yield make
    for other in made:
        await other.relay().stop(grace_seconds=1)
        await other.engine().dispose()


async def count(container: Container, table: Any) -> int:
    async with container.engine().connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(table)) or 0)


async def listed_books(container: Container, author_id: int) -> list[int]:
    view = await container.author_queries().get(author_id)
    assert view is not None
    return [b.id for b in view.books]


async def author_version(container: Container, author_id: int) -> int:
    view = await container.author_queries().get(author_id)
    assert view is not None
    return view.version


async def drain(container: Container, rounds: int = 50) -> None:
    """Run the relay until the outbox has nothing due (back-off included)."""
    relay = container.relay()
    for _ in range(rounds):
        await relay.run_once()
        stats = await relay.store.stats()
        if stats.pending == 0:
            return
        await asyncio.sleep(0.02)


# 1 ---------------------------------------------------------------------------------------
async def test_1_a_transaction_that_fails_after_the_outbox_write_keeps_neither(
    make_container: MakeContainer,
) -> None:
    container = await make_container()

    class FailingAfterStaging(OutboxStore):
        async def stage(self, session: Any, events: Any) -> None:
            await super().stage(session, events)
            raise RuntimeError("the database went away right after the outbox insert")

    real = container.outbox()
    failing = FailingAfterStaging(
        container.engine(), {AuthorAddedToBook: book_outbox}, real.policy, owner=real.owner
    )
    book = Book.create(
        title=Title("Lost"),
        isbn=Isbn(next_isbn()),
        pages=Pages(1),
        price=Price(0),
        publication_year=PublicationYear(2000),
        author_ids=[1, 2],
    )
    with container.outbox.override(failing):
        uow = container.book_uow()
    async with uow:
        uow.books.add(book)
        with pytest.raises(RuntimeError):
            await uow.commit()

    async with container.book_uow() as uow:
        assert await uow.books.get(book.id) is None
    assert await count(container, book_outbox) == 0


# 2 is end to end, with a real server process: tests/e2e/test_crash_recovery.py


# 3 ---------------------------------------------------------------------------------------
async def test_3_one_event_delivered_five_times_concurrently_by_two_relays_applies_once(
    make_container: MakeContainer,
) -> None:
    first = await make_container(event_inline_delivery=False)
    second = await make_container(event_inline_delivery=False)  # another pool: another process
    author_id = await create_author(first)
    book_id = await create_book(first, "Once", [author_id])  # event waits in the outbox
    assert await listed_books(first, author_id) == []

    entries = await first.outbox().claim(book_outbox, limit=10)
    assert len(entries) == 1
    event = first.outbox().serializer.load(entries[0].event_type, entries[0].payload)

    buses = [first.event_bus(), second.event_bus()] * 3
    await asyncio.gather(*(bus.deliver(event) for bus in buses[:5]))

    assert await listed_books(first, author_id) == [book_id]
    assert await author_version(first, author_id) == 2  # one change, not five
    assert await count(first, author_inbox) == 1


async def test_3b_two_relays_never_claim_the_same_row(make_container: MakeContainer) -> None:
    first = await make_container(event_inline_delivery=False)
    second = await make_container(event_inline_delivery=False)
    author_id = await create_author(first)
    for i in range(30):
        await create_book(first, f"Book {i}", [author_id])

    claims = await asyncio.gather(
        first.outbox().claim(book_outbox, limit=20), second.outbox().claim(book_outbox, limit=20)
    )
    ids = [{e.event_id for e in claim} for claim in claims]
    assert ids[0].isdisjoint(ids[1])
    assert len(ids[0] | ids[1]) == 30


# 4 ---------------------------------------------------------------------------------------
async def test_4a_a_handler_that_fails_k_times_then_succeeds_applies_once(
    make_container: MakeContainer,
) -> None:
    container = await make_container(outbox_backoff_base_seconds=0.001, outbox_max_attempts=10)
    author_id = await create_author(container)
    real_handler = container.when_author_added_to_book()  # built before the override
    calls = {"failures_left": 3, "calls": 0}

    class Flaky:
        async def __call__(self, event: AuthorAddedToBook) -> None:
            calls["calls"] += 1
            if calls["failures_left"]:
                calls["failures_left"] -= 1
                raise ConnectionError("author database hiccup")
            await real_handler(event)

    with container.when_author_added_to_book.override(Flaky()):
        book_id = await create_book(container, "Flaky", [author_id])
        await drain(container)

    assert calls["calls"] == 4
    assert await listed_books(container, author_id) == [book_id]
    assert await author_version(container, author_id) == 2
    stats = await container.outbox().stats()
    assert (stats.pending, stats.dead) == (0, 0)


async def test_4b_a_handler_that_always_fails_is_dead_lettered_then_retried_after_a_fix(
    make_container: MakeContainer,
) -> None:
    container = await make_container(outbox_backoff_base_seconds=0.001, outbox_max_attempts=3)
    author_id = await create_author(container)

    class Broken:
        async def __call__(self, event: AuthorAddedToBook) -> None:
            raise ValueError("author handler bug #42")

    with container.when_author_added_to_book.override(Broken()):
        book_id = await create_book(container, "Dead letter", [author_id])
        await drain(container)

    store = container.outbox()
    stats = await store.stats()
    assert (stats.pending, stats.dead) == (0, 1)
    [dead] = await store.dead_events()
    assert dead.attempts == 3
    assert dead.event_type == "book.author_added.v1"
    assert "author handler bug #42" in (dead.last_error or "")
    book = await container.book_queries().get(book_id)  # the Book change stays
    assert book is not None and [a.id for a in book.authors] == [author_id]
    assert await listed_books(container, author_id) == []

    # The fault is mended (the override is gone); the operator sends it back.
    assert await store.retry_dead(dead.event_id) == 1
    await drain(container)
    assert await listed_books(container, author_id) == [book_id]
    stats = await store.stats()
    assert (stats.pending, stats.dead) == (0, 0)


# 5 is end to end (the API's answer does not wait): tests/e2e/test_slow_handler.py


# 6 ---------------------------------------------------------------------------------------
async def test_6_removed_delivered_before_added_leaves_the_right_state(
    make_container: MakeContainer,
) -> None:
    container = await make_container(event_inline_delivery=False)
    author_id = await create_author(container)
    book_id = await create_book(container, "Out of order")
    await container.add_author_to_book()(book_id, author_id)  # book v2: added
    await container.remove_author_from_book()(book_id, author_id)  # book v3: removed

    entries = await container.outbox().claim(book_outbox, limit=10)
    events: list[DomainEvent] = [
        container.outbox().serializer.load(e.event_type, e.payload) for e in entries
    ]
    added = next(e for e in events if isinstance(e, AuthorAddedToBook))
    removed = next(e for e in events if isinstance(e, AuthorRemovedFromBook))
    bus = container.event_bus()
    await bus.deliver(removed)
    await bus.deliver(added)  # late, older news

    assert await listed_books(container, author_id) == []
    # and the author can still be deleted: it is not an author of anything
    await container.delete_author()(author_id)


async def test_6b_in_order_delivery_gives_the_same_state(make_container: MakeContainer) -> None:
    container = await make_container(event_inline_delivery=False)
    author_id = await create_author(container)
    book_id = await create_book(container, "In order")
    await container.add_author_to_book()(book_id, author_id)
    await container.remove_author_from_book()(book_id, author_id)
    await container.add_author_to_book()(book_id, author_id)  # v4: added again
    await drain(container)
    assert await listed_books(container, author_id) == [book_id]


async def test_6c_a_handler_that_waited_for_the_authors_lock_sees_what_the_holder_did(
    make_container: MakeContainer,
) -> None:
    """Handlers of one author's events queue on the author's row lock. On PostgreSQL a
    statement that waits for a lock still reads the rows it joins as they were when it
    began, so the link to the book must be read after the lock is taken: else the removal
    queued behind the addition sees no link, its own insert of one collides with the
    addition's, and the removal is lost. Both wait behind a lock held here, then go in
    turn: the addition first, as it queued first."""
    container = await make_container(event_inline_delivery=False)
    if not container.settings().database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writer at a time (BEGIN IMMEDIATE): nothing interleaves")
    author_id = await create_author(container)
    book_id = await create_book(container, "Raced")
    await container.add_author_to_book()(book_id, author_id)  # book v2: added
    await container.remove_author_from_book()(book_id, author_id)  # book v3: removed
    entries = await container.outbox().claim(book_outbox, limit=10)
    events = [container.outbox().serializer.load(e.event_type, e.payload) for e in entries]
    added = next(e for e in events if isinstance(e, AuthorAddedToBook))
    removed = next(e for e in events if isinstance(e, AuthorRemovedFromBook))
    bus = container.event_bus()
    version_before = await author_version(container, author_id)

    async def waiting_for_a_lock() -> int:
        async with container.engine().connect() as connection:
            return int(
                await connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
                or 0
            )

    async def until_waiting(n: int) -> None:
        for _ in range(500):
            if await waiting_for_a_lock() >= n:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"{n} deliveries never waited for the author's lock")

    async with container.engine().connect() as holder:
        transaction = await holder.begin()
        await holder.execute(
            text("SELECT id FROM authors WHERE id = :id FOR UPDATE"), {"id": author_id}
        )
        adding = asyncio.create_task(bus.deliver(added))
        await until_waiting(1)
        removing = asyncio.create_task(bus.deliver(removed))
        await until_waiting(2)
        await transaction.commit()
    await asyncio.gather(adding, removing)

    assert await listed_books(container, author_id) == []
    # In that order, each applied: removed first, the older addition would be ignored.
    assert await author_version(container, author_id) == version_before + 2


async def test_the_background_relay_delivers_what_inline_delivery_did_not(
    make_container: MakeContainer,
) -> None:
    writer = await make_container(event_inline_delivery=False)
    author_id = await create_author(writer)
    book_id = await create_book(writer, "Later", [author_id])
    relay_process = await make_container(outbox_poll_interval_seconds=0.05)
    relay_process.relay().start()
    for _ in range(100):  # delivered, then its row deleted with the next batch
        status = await relay_process.outbox().stats()
        if await listed_books(writer, author_id) == [book_id] and status.pending == 0:
            break
        await asyncio.sleep(0.05)
    assert await listed_books(writer, author_id) == [book_id]
    assert status.pending == 0 and status.oldest_pending_age_seconds is None
