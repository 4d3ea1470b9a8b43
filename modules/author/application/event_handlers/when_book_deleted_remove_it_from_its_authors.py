from __future__ import annotations

from modules.author.application.unit_of_work import AuthorUnitOfWork
from modules.book.domain.events import BookDeleted


class WhenBookDeletedRemoveItFromItsAuthors:
    def __init__(self, uow: AuthorUnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, event: BookDeleted) -> None:
        # One aggregate per transaction: each author forgets the book in its own unit of work.
        for author_id in event.author_ids:
            async with self._uow as uow:
                author = await uow.authors.get(author_id, for_update=True)
                if author is not None and author.remove_book(event.book_id):
                    await uow.commit()
