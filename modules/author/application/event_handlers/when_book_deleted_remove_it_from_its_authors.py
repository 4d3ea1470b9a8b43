from __future__ import annotations

from modules.author.application.unit_of_work import AuthorUnitOfWork
from modules.book.domain.events import BookDeleted
from modules.kernel.following import apply_once


class WhenBookDeletedRemoveItFromItsAuthors:
    name = "author.remove_deleted_book"

    def __init__(self, uow: AuthorUnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, event: BookDeleted) -> None:
        # One aggregate per transaction: each author forgets the book in its own unit of
        # work, with an inbox record of its own, so a redelivery after a failure half-way
        # through skips the authors already done.
        for author_id in event.author_ids:
            await self._forget(event, author_id)

    async def _forget(self, event: BookDeleted, author_id: int) -> None:
        await apply_once(
            self._uow,
            event_id=event.event_id,
            handler=f"{self.name}:{author_id}",
            load=lambda: self._uow.authors.get(author_id, for_update=True),
            change=lambda author: author.remove_book(
                event.book_id, as_of_book_version=event.book_version
            ),
        )
