"""The inbox on SQLAlchemy: a row per (event, handler) applied, in the handler's transaction."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from modules.platform.clock import utcnow


class SqlAlchemyInbox:
    def __init__(self, session: AsyncSession, table: Table) -> None:
        self._session = session
        self._table = table

    async def record(self, event_id: int, handler: str) -> bool:
        """One statement checks and records: the primary key refuses a repeat, and on
        PostgreSQL a racing insert of the same key waits for the other transaction's end."""
        dialect = postgresql if self._session.get_bind().dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(self._table)
            .values(event_id=event_id, handler=handler, processed_at=utcnow())
            .on_conflict_do_nothing()
            .returning(self._table.c.event_id)
        )
        return (await self._session.execute(statement)).first() is not None
