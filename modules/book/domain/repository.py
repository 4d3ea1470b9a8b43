"""The port through which the application loads and stores Book aggregates."""

from __future__ import annotations

from typing import Protocol

from modules.book.domain.book import Book
from modules.book.domain.value_objects import Isbn


class BookRepository(Protocol):
    async def get(self, book_id: int, *, for_update: bool = False) -> Book | None: ...

    def add(self, book: Book) -> None: ...

    async def remove(self, book: Book) -> None: ...

    async def ids_naming(self, author_id: int) -> list[int]:
        """The ids of the books that name this author."""
        ...

    async def holder_of(self, isbn: Isbn, *, except_book_id: int | None = None) -> int | None:
        """The id of the (other) book with this ISBN, if there is one."""
        ...
