"""Integration events through the machine's NATS JetStream (TEST_NATS_URL, e.g.
nats://127.0.0.1:4222; skipped without it)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import nats
import pytest

from modules.book.domain.events import AuthorAddedToBook
from modules.container import Container, build_container, subscribe_event_handlers
from modules.platform.settings import Settings
from tests.integration.helpers import create_author, create_book

NATS_URL = os.environ.get("TEST_NATS_URL")
pytestmark = [
    pytest.mark.slow,  # a broker, and consumers that poll it
    pytest.mark.skipif(
        not NATS_URL, reason="NATS tests skipped: set TEST_NATS_URL (e.g. nats://127.0.0.1:4222)"
    ),
]


@pytest.fixture
async def broker_settings(container: Container, settings: Settings) -> AsyncIterator[Settings]:
    """A stream and subject prefix of this test's own, deleted afterwards."""
    tag = uuid.uuid4().hex[:10]
    configured = settings.model_copy(
        update={
            "event_broker_url": NATS_URL,
            "event_broker_stream": f"TEST_{tag}",
            "event_broker_subject_prefix": f"test.{tag}",
            "event_handlers": "broker",
        }
    )
    yield configured
    client = await nats.connect(NATS_URL)
    try:
        await client.jetstream().delete_stream(configured.event_broker_stream)
    except Exception:
        pass
    finally:
        await client.close()


async def stream_messages(settings: Settings) -> int:
    client = await nats.connect(NATS_URL)
    try:
        info = await client.jetstream().stream_info(settings.event_broker_stream)
        return int(info.state.messages)
    finally:
        await client.close()


async def stream_subjects(settings: Settings) -> list[str]:
    client = await nats.connect(NATS_URL)
    try:
        js = client.jetstream()
        info = await js.stream_info(settings.event_broker_stream)
        return [
            (await js.get_msg(settings.event_broker_stream, seq)).subject or ""
            for seq in range(info.state.first_seq, info.state.last_seq + 1)
        ]
    finally:
        await client.close()


async def run_consumer(container: Container, *, until=None, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Run `consume-events` until `until()` holds (or for `seconds`, without `until`)."""
    stop = asyncio.Event()
    task = asyncio.create_task(container.nats_consumer().run(stop))
    try:
        for _ in range(int(seconds / 0.05)):
            if until is not None and await until():
                return
            await asyncio.sleep(0.05)
        assert until is None, "the consumer did not get there in time"
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)


async def test_the_relay_publishes_and_the_consumer_applies_each_event_once(
    broker_settings: Settings,
) -> None:
    server = build_container(broker_settings)  # publishes; runs no handlers itself
    subscribe_event_handlers(server)
    consumer = build_container(broker_settings)  # what `manage.py consume-events` runs
    subscribe_event_handlers(consumer, consumer=True)
    try:
        author_id = await create_author(server)
        book_id = await create_book(server, "Published", [author_id])
        await server.relay().complete_delivered()  # not waiting for the next batch
        assert (await server.outbox().stats()).pending == 0  # JetStream has it
        prefix = broker_settings.event_broker_subject_prefix
        assert await stream_subjects(broker_settings) == [f"{prefix}.book.author_added.v1"]
        view = await server.author_queries().get(author_id)
        assert view is not None and view.books == []  # nobody handled it in the server

        handled: list[AuthorAddedToBook] = []
        real = consumer.when_author_added_to_book()

        class Recording:
            async def __call__(self, event: AuthorAddedToBook) -> None:
                handled.append(event)
                await real(event)

        async def listed() -> bool:
            view = await consumer.author_queries().get(author_id)
            return view is not None and [b.id for b in view.books] == [book_id]

        with consumer.when_author_added_to_book.override(Recording()):
            await run_consumer(consumer, until=listed)
            assert len(handled) == 1
            # The same event published once more, as by a relay whose ack got lost:
            await server.nats_publisher()(handled[0])
            assert await stream_messages(broker_settings) == 1  # JetStream dropped it
            await run_consumer(consumer, seconds=1.5)
            assert len(handled) == 1  # delivered to the consumer once
        view = await consumer.author_queries().get(author_id)
        assert view is not None and view.version == 2  # and applied once
    finally:
        for c in (server, consumer):
            await c.relay().stop(grace_seconds=1)
            await c.nats().close()
            await c.engine().dispose()


async def test_a_redelivered_message_is_harmless(broker_settings: Settings) -> None:
    """JetStream redelivers when an ack is lost; the inbox turns the repeat into nothing."""
    consumer = build_container(broker_settings)
    subscribe_event_handlers(consumer, consumer=True)
    try:
        author_id = await create_author(consumer)
        event = AuthorAddedToBook(book_id=4242, author_id=author_id, book_version=1)
        bus = consumer.event_bus()
        await bus.deliver(event)
        await bus.deliver(event)  # what a redelivery does
        view = await consumer.author_queries().get(author_id)
        assert view is not None and view.version == 2
    finally:
        await consumer.relay().stop(grace_seconds=1)
        await consumer.nats().close()
        await consumer.engine().dispose()


async def test_a_message_published_under_the_old_class_name_subject_is_still_applied(
    broker_settings: Settings,
) -> None:
    """Before events had type names, the subject ended in the class name; a stream may
    still hold such messages when the consumer is upgraded."""
    consumer = build_container(broker_settings)
    subscribe_event_handlers(consumer, consumer=True)
    try:
        author_id = await create_author(consumer)
        js = await consumer.nats().open()
        payload = (
            f'{{"event_id":388385506926264320,"occurred_at":"2026-12-07T17:45:20Z",'
            f'"book_id":4242,"author_id":{author_id},"book_version":1}}'
        )
        prefix = broker_settings.event_broker_subject_prefix
        await js.publish(f"{prefix}.AuthorAddedToBook", payload.encode())

        async def applied() -> bool:  # the author took the book (which Book never had)
            view = await consumer.author_queries().get(author_id)
            return view is not None and view.version == 2

        await run_consumer(consumer, until=applied)
    finally:
        await consumer.relay().stop(grace_seconds=1)
        await consumer.nats().close()
        await consumer.engine().dispose()
