from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from modules.author.domain.author import Author
from modules.author.infrastructure.tables import authors


class SqlAlchemyAuthorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.seen: list[Author] = []

    async def get(self, author_id: int, *, for_update: bool = False) -> Author | None:
        statement = select(Author).where(authors.c.id == author_id)
        if for_update:
            # Its books come in a second statement (selectin), once the lock is ours: a
            # statement that waited for the lock would read joined rows as they were when
            # it began, and miss a link the transaction before it committed.
            statement = statement.with_for_update(of=authors)
        author = (await self._session.execute(statement)).scalar_one_or_none()
        if author is not None:
            self.seen.append(author)
        return author

    def add(self, author: Author) -> None:
        self._session.add(author)
        self.seen.append(author)

    async def remove(self, author: Author) -> None:
        await self._session.delete(author)
