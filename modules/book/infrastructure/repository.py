from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from modules.book.domain.book import Book
from modules.book.domain.value_objects import Isbn
from modules.book.infrastructure.tables import book_authors, books


class SqlAlchemyBookRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.seen: list[Book] = []

    async def get(self, book_id: int, *, for_update: bool = False) -> Book | None:
        statement = select(Book).where(books.c.id == book_id)
        if for_update:
            statement = statement.with_for_update(of=books)
        book = (await self._session.execute(statement)).scalar_one_or_none()
        if book is not None:
            self.seen.append(book)
        return book

    def add(self, book: Book) -> None:
        self._session.add(book)
        self.seen.append(book)

    async def remove(self, book: Book) -> None:
        await self._session.delete(book)

    async def ids_naming(self, author_id: int) -> list[int]:
        statement = select(book_authors.c.book_id).where(book_authors.c.author_id == author_id)
        return list((await self._session.scalars(statement.order_by(book_authors.c.book_id))).all())

    async def holder_of(self, isbn: Isbn, *, except_book_id: int | None = None) -> int | None:
        condition = books.c.isbn == isbn.value
        if except_book_id is not None:
            condition = condition & (books.c.id != except_book_id)
        return await self._session.scalar(select(books.c.id).where(condition))
