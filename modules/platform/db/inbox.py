"""The inbox on SQLAlchemy: a row per (event, handler) applied, in the handler's transaction."""

from __future__ import annotations

from sqlalchemy import Table, exists, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from modules.platform.clock import utcnow


class SqlAlchemyInbox:
    def __init__(self, session: AsyncSession, table: Table) -> None:
        self._session = session
        self._table = table
        self._pending: list[dict[str, object]] = []

    async def already_processed(self, event_id: int, handler: str) -> bool:
        condition = (self._table.c.event_id == event_id) & (self._table.c.handler == handler)
        return bool(await self._session.scalar(select(exists().where(condition))))

    def record(self, event_id: int, handler: str) -> None:
        self._pending.append({"event_id": event_id, "handler": handler, "processed_at": utcnow()})

    async def flush(self) -> None:
        """Called by the unit of work before commit. Two deliveries of one event racing
        each other both get here at most once: the primary key refuses the second."""
        if self._pending:
            rows, self._pending = self._pending, []
            await self._session.execute(insert(self._table), rows)
