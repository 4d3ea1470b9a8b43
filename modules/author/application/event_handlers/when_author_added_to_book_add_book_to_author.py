from __future__ import annotations

from modules.author.application.unit_of_work import AuthorUnitOfWork
from modules.book.domain.events import AuthorAddedToBook
from modules.kernel.following import apply_once


class WhenAuthorAddedToBookAddBookToAuthor:
    """Book committed first; this runs afterwards in Author's own unit of work."""

    name = "author.add_book_to_author"

    def __init__(self, uow: AuthorUnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, event: AuthorAddedToBook) -> None:
        await apply_once(
            self._uow,
            event_id=event.event_id,
            handler=self.name,
            load=lambda: self._uow.authors.get(event.author_id, for_update=True),
            change=lambda author: author.add_book(
                event.book_id, as_of_book_version=event.book_version
            ),
        )
