from __future__ import annotations

from modules.book.application.unit_of_work import BookUnitOfWork
from modules.book.domain.errors import BookNotFound


class RemoveAuthorFromBook:
    def __init__(self, uow: BookUnitOfWork) -> None:
        self._uow = uow

    async def __call__(
        self, book_id: int, author_id: int, *, expected_version: int | None = None
    ) -> None:
        async with self._uow as uow:
            book = await uow.books.get(book_id, for_update=True)
            if book is None:
                raise BookNotFound(book_id)
            book.expect_version(expected_version)
            book.remove_author(author_id)
            await uow.commit()
