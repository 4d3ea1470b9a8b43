"""Integration events through NATS JetStream (optional: set EVENT_BROKER_URL).

* Publishing: the outbox relay hands every event to `NatsEventPublisher`, subscribed on
  the bus like any handler, so an event leaves the outbox only once JetStream has stored
  it. The subject is `<prefix>.<type name>` (`catalogue.events.book.deleted.v1`); the
  event id is the message id (`Nats-Msg-Id`), so JetStream itself drops a second publish
  of the same event within its duplicate window.
* Consuming: `python manage.py consume-events` feeds the in-process handlers from the
  stream through a durable pull consumer, and acknowledges a message only after its
  handlers committed. A redelivery is harmless: the handlers' inbox applies it once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import BadRequestError

from modules.kernel.events import DomainEvent
from modules.platform.events.bus import InProcessEventBus
from modules.platform.events.serializer import EventSerializer

logger = logging.getLogger(__name__)

PUBLISHER_NAME = "broker.publish"


class NatsConnection:
    """One connection per process, opened in the lifespan (or by the consumer)."""

    def __init__(self, url: str, stream: str, subject_prefix: str) -> None:
        self.url = url
        self.stream = stream
        self.subject_prefix = subject_prefix
        self._client: Client | None = None
        self._js: JetStreamContext | None = None

    async def open(self) -> JetStreamContext:
        if self._js is None:
            self._client = await nats.connect(
                self.url, name="book-catalogue", max_reconnect_attempts=-1
            )
            self._js = self._client.jetstream()
            config = StreamConfig(name=self.stream, subjects=[f"{self.subject_prefix}.>"])
            try:
                await self._js.add_stream(config)
            except BadRequestError:  # exists with another config: keep the operator's
                await self._js.stream_info(self.stream)
        return self._js

    async def close(self) -> None:
        if self._client is not None:
            # Publishes wait for their acks, so nothing is buffered; drain() would wait out
            # its timeout on an idle pull subscription.
            await self._client.close()
            self._client = None
            self._js = None

    def subject_for(self, event: DomainEvent) -> str:
        return f"{self.subject_prefix}.{event.type_name}"


class NatsEventPublisher:
    """A bus handler that publishes the event to JetStream and waits for its ack."""

    def __init__(self, connection: NatsConnection, serializer: EventSerializer) -> None:
        self._connection = connection
        self._serializer = serializer

    async def __call__(self, event: DomainEvent) -> None:
        js = await self._connection.open()
        ack = await js.publish(
            self._connection.subject_for(event),
            self._serializer.dump(event).encode(),
            headers={"Nats-Msg-Id": str(event.event_id)},
        )
        if ack.duplicate:
            logger.info("JetStream already had event %s", event.event_id)


class NatsEventConsumer:
    """Feeds the bus's handlers from the stream; acks after they committed."""

    def __init__(
        self,
        connection: NatsConnection,
        serializer: EventSerializer,
        bus: InProcessEventBus,
        *,
        durable: str = "catalogue-handlers",
        batch: int = 50,
        retry_delay_seconds: float = 2.0,
    ) -> None:
        self._connection = connection
        self._serializer = serializer
        self._bus = bus
        self._durable = durable
        self._batch = batch
        self._retry_delay = retry_delay_seconds
        self.handled = 0

    async def run(self, stop: asyncio.Event) -> None:
        js = await self._connection.open()
        subscription = await js.pull_subscribe(
            f"{self._connection.subject_prefix}.>",
            durable=self._durable,
            stream=self._connection.stream,
        )
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                # Raced against `stop`: nats-py's fetch sometimes outlives its timeout by
                # seconds. A message it was fetching is redelivered later, harmlessly.
                fetching = asyncio.ensure_future(subscription.fetch(self._batch, timeout=1))
                await asyncio.wait({fetching, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not fetching.done():
                    fetching.cancel()
                    break
                try:
                    messages = fetching.result()
                except nats.errors.TimeoutError:
                    continue
                for message in messages:
                    await self._handle(message)
        finally:
            stopping.cancel()

    async def _handle(self, message: Any) -> None:
        event_type = message.subject.removeprefix(f"{self._connection.subject_prefix}.")
        try:
            event = self._serializer.load(event_type, message.data.decode())
        except Exception:
            logger.exception("undecodable message on %s; terminating it", message.subject)
            await message.term()
            return
        try:
            await self._bus.deliver(event)
        except Exception as error:
            logger.warning(
                "handling %s %s failed, redelivery later: %s", event_type, event.event_id, error
            )
            await message.nak(delay=self._retry_delay)
            return
        await message.ack()
        self.handled += 1
