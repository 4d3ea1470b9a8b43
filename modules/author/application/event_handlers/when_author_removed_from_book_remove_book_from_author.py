from __future__ import annotations

from modules.author.application.unit_of_work import AuthorUnitOfWork
from modules.book.domain.events import AuthorRemovedFromBook


class WhenAuthorRemovedFromBookRemoveBookFromAuthor:
    def __init__(self, uow: AuthorUnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, event: AuthorRemovedFromBook) -> None:
        async with self._uow as uow:
            author = await uow.authors.get(event.author_id, for_update=True)
            if author is not None and author.remove_book(event.book_id):
                await uow.commit()
