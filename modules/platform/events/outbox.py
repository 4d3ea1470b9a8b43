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

import os
import random
import socket
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from modules.kernel.events import DomainEvent
from modules.platform.clock import utcnow
from modules.platform.events.outbox_admin import OutboxAdmin
from modules.platform.events.serializer import EventSerializer


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


class OutboxStore(OutboxAdmin):
    """The statements that store and deliver events; the operators' queries come from
    `OutboxAdmin`."""

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
        super().__init__(engine, list(dict.fromkeys(outbox_of.values())))
        self._outbox_of = dict(outbox_of)
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
            claimed = (await connection.execute(statement)).all()
        rows = sorted(claimed, key=lambda r: r.id)  # oldest first: the order things happened
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
