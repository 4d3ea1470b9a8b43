from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from modules.book.infrastructure.deleted_authors import SqlDeletedAuthors
from modules.book.infrastructure.repository import SqlAlchemyBookRepository
from modules.kernel.aggregate import AggregateRoot
from modules.platform.db.unit_of_work import SqlAlchemyUnitOfWork


class SqlAlchemyBookUnitOfWork(SqlAlchemyUnitOfWork):
    books: SqlAlchemyBookRepository
    deleted_authors: SqlDeletedAuthors

    def _open_repositories(self, session: AsyncSession) -> None:
        self.books = SqlAlchemyBookRepository(session)
        self.deleted_authors = SqlDeletedAuthors(session)

    def _seen_aggregates(self) -> Iterable[AggregateRoot]:
        return self.books.seen
