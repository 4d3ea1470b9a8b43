"""Book's record of deleted authors, and the lock that orders it against new links.

A link to an author and the record of that author's deletion are written by different
transactions that each read what the other writes: without a common lock, both could
read before either commits. On PostgreSQL the lock is a transaction-level advisory lock
keyed by the author's id (no row to lock exists before the link or the record does);
SQLite needs none, since a unit of work there holds the database's write lock from
BEGIN IMMEDIATE on.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ARRAY, BigInteger, TextClause, bindparam, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from modules.book.infrastructure.tables import book_deleted_authors


def _locking(function: str) -> TextClause:
    # Keyed by the bare author id: nothing else in this database takes advisory locks.
    statement = text(f"SELECT count({function}(id)) FROM unnest(:ids) AS locked(id)")
    return statement.bindparams(bindparam("ids", type_=ARRAY(BigInteger)))


_SHARED_LOCK = _locking("pg_advisory_xact_lock_shared")
_EXCLUSIVE_LOCK = _locking("pg_advisory_xact_lock")
_AMONG = select(book_deleted_authors.c.author_id).where(
    book_deleted_authors.c.author_id.in_(bindparam("ids", expanding=True))
)


class SqlDeletedAuthors:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def among(self, author_ids: Sequence[int]) -> set[int]:
        ids = sorted(set(author_ids))
        if not ids:
            return set()
        await self._lock(ids, shared=True)
        return await self._recorded(ids)

    async def record(self, author_id: int) -> None:
        await self._lock([author_id], shared=False)
        if not await self._recorded([author_id]):
            await self._session.execute(insert(book_deleted_authors), {"author_id": author_id})

    async def _lock(self, ids: list[int], *, shared: bool) -> None:
        if self._session.get_bind().dialect.name == "postgresql":
            await self._session.execute(_SHARED_LOCK if shared else _EXCLUSIVE_LOCK, {"ids": ids})

    async def _recorded(self, ids: list[int]) -> set[int]:
        # A statement of its own, after the lock: a statement that waited for the lock
        # would read the table as it was before the transaction it waited for committed.
        return set((await self._session.scalars(_AMONG, {"ids": ids})).all())
