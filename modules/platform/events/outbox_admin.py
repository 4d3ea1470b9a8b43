"""What operators ask of the outbox tables: how far behind delivery is, which events are
dead, and sending them back for another round."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from modules.platform.clock import aware, utcnow
from modules.platform.db.database import WRITE_INTENT


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


class OutboxAdmin:
    """Operations queries over every context's outbox table."""

    def __init__(self, engine: AsyncEngine, tables: Sequence[Table]) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE_INTENT: True})
        self.tables = list(tables)

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
                    moment = aware(row[2])
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
                        occurred_at=aware(r.occurred_at),
                        dead_at=aware(r.dead_at),
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
