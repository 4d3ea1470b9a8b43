from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from modules.author.domain.author import Author, AuthorBook
from modules.author.infrastructure.tables import authors


class SqlAlchemyAuthorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.seen: list[Author] = []

    async def get(self, author_id: int, *, for_update: bool = False) -> Author | None:
        statement = select(Author).where(authors.c.id == author_id)
        if for_update:
            statement = statement.with_for_update(of=authors)
        author = (await self._session.execute(statement)).scalar_one_or_none()
        if author is not None:
            self.seen.append(author)
        return author

    async def get_with_link_to(self, author_id: int, book_id: int) -> Author | None:
        statement = (
            select(Author)
            .where(authors.c.id == author_id)
            .with_for_update(of=authors)
            # The link in a statement of its own, once the lock is ours: a statement that
            # waited for the lock reads the rows it joins as they were when it began, and
            # would miss a link the handler before it committed.
            .options(selectinload(Author.books.and_(AuthorBook.book_id == book_id)))  # type: ignore[attr-defined]
        )
        author = (await self._session.execute(statement)).unique().scalar_one_or_none()
        if author is not None:
            self.seen.append(author)
        return author

    def add(self, author: Author) -> None:
        self._session.add(author)
        self.seen.append(author)

    async def remove(self, author: Author) -> None:
        await self._session.delete(author)
