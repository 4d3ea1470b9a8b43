"""The transactional outbox: events are stored with the change that raised them, then
delivered at least once - right after the commit, and by a relay for whatever is left.

    unit of work ──(same transaction)──► <context>_outbox row, leased to this process
        │ commit
        ▼
    OutboxRelay.publish: deliver now, wait at most `inline_wait` for it
        │ success → row deleted          failure → attempts+1, back-off, lease released
        ▼
    OutboxRelay.run (background): claim due rows (lease; SKIP LOCKED on PostgreSQL),
        deliver, delete; after `max_attempts` failures the row is parked as dead

Handlers are idempotent through their context's inbox, so a repeat is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from modules.shared.application.event_bus import InProcessEventBus
from modules.shared.domain.events import DomainEvent
from modules.shared.infrastructure.database import WRITE_INTENT

logger = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class EventSerializer:
    """Domain events <-> (type name, JSON), for the event types the service knows.

    The name is the event's declared `type_name`, never its class name: it is stored in
    the outbox and put on the broker's subject, so it must outlive refactorings."""

    def __init__(self, event_types: Iterable[type[DomainEvent]]) -> None:
        self._types: dict[str, type[DomainEvent]] = {}
        for event_type in event_types:
            taken = self._types.setdefault(event_type.type_name, event_type)
            if taken is not event_type:
                raise ValueError(
                    f"{event_type.__name__} and {taken.__name__} "
                    f"share the type name {event_type.type_name}"
                )
        self._adapters = {name: TypeAdapter(t) for name, t in self._types.items()}

    def name_of(self, event: DomainEvent) -> str:
        name = event.type_name
        if self._types.get(name) is not type(event):
            raise LookupError(f"event type {name} is not registered with the serializer")
        return name

    def dump(self, event: DomainEvent) -> str:
        return self._adapters[self.name_of(event)].dump_json(event).decode()

    def load(self, name: str, payload: str) -> DomainEvent:
        if name not in self._adapters:
            raise LookupError(f"unknown event type {name}")
        return self._adapters[name].validate_json(payload)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class OutboxPolicy:
    lease_seconds: float = 30.0
    max_attempts: int = 10
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 300.0
    batch_size: int = 100

    def backoff(self, attempts: int) -> float:
        """Exponential back-off with full jitter (the AWS architecture blog's recipe)."""
        ceiling = min(self.backoff_max_seconds, self.backoff_base_seconds * 2 ** (attempts - 1))
        return random.uniform(ceiling / 2, ceiling)


@dataclass(frozen=True)
class OutboxEntry:
    table: Table
    event_id: int
    event_type: str
    payload: str
    attempts: int


@dataclass(frozen=True)
class OutboxStats:
    pending: int
    dead: int
    oldest_pending_age_seconds: float | None


@dataclass(frozen=True)
class DeadEvent:
    table: str
    event_id: int
    event_type: str
    aggregate_id: int
    attempts: int
    occurred_at: datetime
    dead_at: datetime
    last_error: str | None


class OutboxStore:
    """All SQL on the outbox tables."""

    def __init__(
        self,
        engine: AsyncEngine,
        outbox_of: Mapping[type[DomainEvent], Table],
        policy: OutboxPolicy,
        owner: str | None = None,
        *,
        lease_staged_rows: bool = True,
    ) -> None:
        """`outbox_of` names, for every event type, the outbox table of the context that
        raises it (Book's events go to book_outbox, Author's to author_outbox).

        `lease_staged_rows`: new rows are leased to this process for its inline delivery;
        without inline delivery they are due for any relay at once."""
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE_INTENT: True})
        self._outbox_of = dict(outbox_of)
        self.tables = list(dict.fromkeys(outbox_of.values()))
        self.serializer = EventSerializer(outbox_of)
        self.policy = policy
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._lease_staged_rows = lease_staged_rows

    def table_of(self, event: DomainEvent) -> Table:
        return self._outbox_of[type(event)]

    async def stage(self, session: AsyncSession, events: Sequence[tuple[int, DomainEvent]]) -> None:
        """Add (aggregate id, event) rows to the session's transaction, leased to this process
        so that its own inline delivery goes first; the relay takes over when the lease ends."""
        now = utcnow()
        lease_until = (
            now + timedelta(seconds=self.policy.lease_seconds) if self._lease_staged_rows else None
        )
        by_table: dict[Table, list[tuple[int, DomainEvent]]] = {}
        for aggregate_id, event in events:
            by_table.setdefault(self.table_of(event), []).append((aggregate_id, event))
        for table, table_events in by_table.items():
            await self._insert(session, table, table_events, now, lease_until)

    async def _insert(
        self,
        session: AsyncSession,
        table: Table,
        events: Sequence[tuple[int, DomainEvent]],
        now: datetime,
        lease_until: datetime | None,
    ) -> None:
        await session.execute(
            insert(table),
            [
                {
                    "id": event.event_id,
                    "event_type": self.serializer.name_of(event),
                    "aggregate_id": aggregate_id,
                    "payload": self.serializer.dump(event),
                    "occurred_at": event.occurred_at,
                    "attempts": 0,
                    "available_at": now,
                    "lease_until": lease_until,
                    "lease_owner": self.owner if lease_until else None,
                }
                for aggregate_id, event in events
            ],
        )

    async def claim(self, table: Table, limit: int) -> list[OutboxEntry]:
        """Lease up to `limit` due rows to this process. On PostgreSQL, SKIP LOCKED lets
        several relays claim side by side without waiting for or taking each other's rows;
        SQLite serialises writers anyway (BEGIN IMMEDIATE)."""
        now = utcnow()
        due = (
            select(table.c.id)
            .where(
                table.c.dead_at.is_(None),
                table.c.available_at <= now,
                (table.c.lease_until.is_(None)) | (table.c.lease_until < now),
            )
            .order_by(table.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(table)
            .where(table.c.id.in_(due.scalar_subquery()))
            .values(
                lease_until=now + timedelta(seconds=self.policy.lease_seconds),
                lease_owner=self.owner,
            )
            .returning(table.c.id, table.c.event_type, table.c.payload, table.c.attempts)
        )
        async with self._writer.begin() as connection:
            rows = (await connection.execute(statement)).all()
        rows.sort(key=lambda r: r.id)  # oldest first: the order in which things happened
        return [OutboxEntry(table, r.id, r.event_type, r.payload, r.attempts) for r in rows]

    async def complete(self, entries: Sequence[OutboxEntry]) -> None:
        """Delivered: the rows go (the inbox remembers what each handler applied)."""
        by_table: dict[Table, list[int]] = {}
        for entry in entries:
            by_table.setdefault(entry.table, []).append(entry.event_id)
        async with self._writer.begin() as connection:
            for table, ids in by_table.items():
                await connection.execute(delete(table).where(table.c.id.in_(ids)))

    async def fail(self, entry: OutboxEntry, error: str) -> bool:
        """Count a failed attempt; park the row as dead after too many. True if now dead."""
        attempts = entry.attempts + 1
        now = utcnow()
        dead = attempts >= self.policy.max_attempts
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_error": error[:4000],
            "lease_until": None,
            "lease_owner": None,
            "available_at": now + timedelta(seconds=self.policy.backoff(attempts)),
        }
        if dead:
            values["dead_at"] = now
        async with self._writer.begin() as connection:
            await connection.execute(
                update(entry.table).where(entry.table.c.id == entry.event_id).values(**values)
            )
        return dead

    async def stats(self) -> OutboxStats:
        pending = dead = 0
        oldest: datetime | None = None
        async with self._engine.connect() as connection:
            for table in self.tables:
                row = (
                    await connection.execute(
                        select(
                            func.count().filter(table.c.dead_at.is_(None)),
                            func.count().filter(table.c.dead_at.is_not(None)),
                            func.min(table.c.occurred_at).filter(table.c.dead_at.is_(None)),
                        )
                    )
                ).one()
                pending += row[0]
                dead += row[1]
                if row[2] is not None:
                    moment = _aware(row[2])
                    oldest = moment if oldest is None else min(oldest, moment)
        age = (utcnow() - oldest).total_seconds() if oldest else None
        return OutboxStats(pending=pending, dead=dead, oldest_pending_age_seconds=age)

    async def dead_events(self, limit: int = 100) -> list[DeadEvent]:
        found: list[DeadEvent] = []
        async with self._engine.connect() as connection:
            for table in self.tables:
                rows = await connection.execute(
                    select(table)
                    .where(table.c.dead_at.is_not(None))
                    .order_by(table.c.id)
                    .limit(limit)
                )
                found.extend(
                    DeadEvent(
                        table=table.name,
                        event_id=r.id,
                        event_type=r.event_type,
                        aggregate_id=r.aggregate_id,
                        attempts=r.attempts,
                        occurred_at=_aware(r.occurred_at),
                        dead_at=_aware(r.dead_at),
                        last_error=r.last_error,
                    )
                    for r in rows
                )
        return sorted(found, key=lambda d: d.event_id)[:limit]

    async def retry_dead(self, event_id: int | None = None) -> int:
        """Send dead events (one, or all) back for another round of attempts."""
        revived = 0
        async with self._writer.begin() as connection:
            for table in self.tables:
                statement = (
                    update(table)
                    .where(table.c.dead_at.is_not(None))
                    .values(
                        dead_at=None,
                        attempts=0,
                        available_at=utcnow(),
                        lease_until=None,
                        lease_owner=None,
                    )
                )
                if event_id is not None:
                    statement = statement.where(table.c.id == event_id)
                revived += (await connection.execute(statement)).rowcount
        return revived


class OutboxRelay:
    """Delivers outbox rows to the in-process handlers: inline after each commit (bounded
    wait), and in the background for the rest. Implements the `EventPublisher` port."""

    def __init__(
        self,
        store: OutboxStore,
        bus: InProcessEventBus,
        *,
        inline_delivery: bool = True,
        inline_wait_seconds: float = 1.0,
        poll_interval_seconds: float = 1.0,
        stats_interval_seconds: float = 10.0,
        concurrency: int = 8,
    ) -> None:
        self.store = store
        self._bus = bus
        self._inline_delivery = inline_delivery
        self._inline_wait = inline_wait_seconds
        self._poll_interval = poll_interval_seconds
        self._stats_interval = stats_interval_seconds
        self.last_stats: OutboxStats | None = None  # refreshed by the background loop
        self._last_logged = float("-inf")
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.delivered = 0

    # --- EventPublisher: right after a commit -------------------------------------------
    async def publish(self, events: Sequence[DomainEvent]) -> None:
        """Deliver a just-committed transaction's events; wait at most `inline_wait`.

        The request answers after that even if a handler is still busy; the delivery goes
        on in the background, and if this process dies first, the relay redelivers."""
        if not self._inline_delivery or not events:
            return
        pairs: list[tuple[OutboxEntry, DomainEvent | None]] = [
            (OutboxEntry(self.store.table_of(e), e.event_id, e.type_name, "", 0), e) for e in events
        ]
        task = asyncio.create_task(self._deliver_events(pairs))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        await asyncio.wait({task}, timeout=self._inline_wait)

    # --- background ------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self.run(), name="outbox-relay")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Let the current batch and inline deliveries finish (up to the grace period);
        whatever is cut off keeps its outbox row and is redelivered later."""
        self._stopping.set()
        pending = set(self._in_flight)
        if self._task is not None:
            pending.add(self._task)
        if pending:
            _, late = await asyncio.wait(pending, timeout=grace_seconds)
            for task in late:
                task.cancel()
            for task in late:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._task = None

    async def run(self) -> None:
        next_stats = 0.0
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            try:
                handled = await self.run_once()
                if loop.time() >= next_stats:
                    await self._refresh_stats(loop.time())
                    next_stats = loop.time() + self._stats_interval
            except Exception:
                logger.exception("outbox relay round failed; retrying after the poll interval")
                handled = 0
            if handled == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=self._poll_interval)

    async def run_once(self) -> int:
        """Claim and deliver one batch per outbox table; the number of rows handled."""
        handled = 0
        for table in self.store.tables:
            entries = await self.store.claim(table, self.store.policy.batch_size)
            pairs: list[tuple[OutboxEntry, DomainEvent | None]] = []
            for entry in entries:
                try:
                    pairs.append(
                        (entry, self.store.serializer.load(entry.event_type, entry.payload))
                    )
                except Exception as error:  # unknown type or unreadable payload: park it
                    await self.store.fail(entry, f"undecodable event: {error}")
            await self._deliver_events(pairs)
            handled += len(entries)
        return handled

    async def _deliver_events(
        self, pairs: Sequence[tuple[OutboxEntry, DomainEvent | None]]
    ) -> None:
        """Deliver side by side (handlers are idempotent and order-tolerant), then delete
        the delivered rows in one statement per table. One semaphore bounds all deliveries
        of this process, inline and background, so a burst queues here instead of
        exhausting the connection pool."""

        async def deliver(entry: OutboxEntry, event: DomainEvent) -> OutboxEntry | None:
            async with self._slots:
                try:
                    await self._bus.deliver(event)
                except Exception as error:
                    dead = await self.store.fail(entry, str(error))
                    log = logger.error if dead else logger.warning
                    log(
                        "event %s %s failed (attempt %d)%s: %s",
                        entry.event_type,
                        entry.event_id,
                        entry.attempts + 1,
                        " and is now dead" if dead else "; it will be retried",
                        error,
                    )
                    return None
                return entry

        results = await asyncio.gather(
            *(deliver(entry, event) for entry, event in pairs if event is not None)
        )
        delivered = [entry for entry in results if entry is not None]
        if delivered:
            await self.store.complete(delivered)
            self.delivered += len(delivered)

    async def _refresh_stats(self, now: float) -> None:
        """Keep the figures for /metrics fresh; log them once a minute while not all is well."""
        stats = self.last_stats = await self.store.stats()
        if (stats.pending or stats.dead) and now - self._last_logged >= 60:
            self._last_logged = now
            logger.info(
                "outbox: %d pending, %d dead, oldest pending %.1fs old",
                stats.pending,
                stats.dead,
                stats.oldest_pending_age_seconds or 0.0,
            )
