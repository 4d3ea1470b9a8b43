from __future__ import annotations

from modules.book.application.ports import AuthorDirectory
from modules.book.application.unit_of_work import BookUnitOfWork
from modules.book.domain.errors import AuthorNotFound, BookNotFound


class AddAuthorToBook:
    """Book records AuthorAddedToBook; Author's handler then adds the book to the author."""

    def __init__(self, uow: BookUnitOfWork, authors: AuthorDirectory) -> None:
        self._uow = uow
        self._authors = authors

    async def __call__(
        self, book_id: int, author_id: int, *, expected_version: int | None = None
    ) -> None:
        # Asked before the transaction opens: a request never holds two connections at
        # once, so concurrent requests queue for the pool instead of exhausting it.
        if not await self._authors.existing([author_id]):
            raise AuthorNotFound(author_id)
        async with self._uow as uow:
            # An author deleted since the check above may have reached Book already; the
            # lock this takes keeps that news from arriving before we commit (ADR 0011).
            if await uow.deleted_authors.among([author_id]):
                raise AuthorNotFound(author_id)
            # The row lock (FOR UPDATE; BEGIN IMMEDIATE on SQLite) queues concurrent
            # changes of one book instead of failing all but one of them.
            book = await uow.books.get(book_id, for_update=True)
            if book is None:
                raise BookNotFound(book_id)
            book.expect_version(expected_version)
            book.add_author(author_id)
            await uow.commit()
