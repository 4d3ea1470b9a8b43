from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from modules.author.infrastructure.repository import SqlAlchemyAuthorRepository
from modules.author.infrastructure.tables import author_inbox
from modules.kernel.aggregate import AggregateRoot
from modules.platform.db.inbox import SqlAlchemyInbox
from modules.platform.db.unit_of_work import SqlAlchemyUnitOfWork


class SqlAlchemyAuthorUnitOfWork(SqlAlchemyUnitOfWork):
    authors: SqlAlchemyAuthorRepository
    inbox: SqlAlchemyInbox

    def _open_repositories(self, session: AsyncSession) -> None:
        self.authors = SqlAlchemyAuthorRepository(session)
        self.inbox = SqlAlchemyInbox(session, author_inbox)

    def _seen_aggregates(self) -> Iterable[AggregateRoot]:
        return self.authors.seen
