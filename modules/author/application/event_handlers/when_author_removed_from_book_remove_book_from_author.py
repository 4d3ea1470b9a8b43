from __future__ import annotations

from modules.author.application.unit_of_work import AuthorUnitOfWork
from modules.book.domain.events import AuthorRemovedFromBook
from modules.kernel.following import apply_once


class WhenAuthorRemovedFromBookRemoveBookFromAuthor:
    name = "author.remove_book_from_author"

    def __init__(self, uow: AuthorUnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, event: AuthorRemovedFromBook) -> None:
        await apply_once(
            self._uow,
            event_id=event.event_id,
            handler=self.name,
            load=lambda: self._uow.authors.get(event.author_id, for_update=True),
            change=lambda author: author.remove_book(
                event.book_id, as_of_book_version=event.book_version
            ),
        )
