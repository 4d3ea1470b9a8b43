from __future__ import annotations

from modules.author.application.event_handlers.apply_once import apply_to_author_once
from modules.author.application.unit_of_work import AuthorUnitOfWork
from modules.book.domain.events import AuthorAddedToBook


class WhenAuthorAddedToBookAddBookToAuthor:
    """Book committed first; this runs afterwards in Author's own unit of work."""

    name = "author.add_book_to_author"

    def __init__(self, uow: AuthorUnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, event: AuthorAddedToBook) -> None:
        await apply_to_author_once(
            self._uow,
            event_id=event.event_id,
            handler=self.name,
            author_id=event.author_id,
            book_id=event.book_id,
            change=lambda author: author.add_book(
                event.book_id, as_of_book_version=event.book_version
            ),
        )
