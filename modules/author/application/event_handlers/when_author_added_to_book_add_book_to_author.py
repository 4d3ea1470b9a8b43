from __future__ import annotations

import logging

from modules.author.application.unit_of_work import AuthorUnitOfWork
from modules.book.domain.events import AuthorAddedToBook

logger = logging.getLogger(__name__)


class WhenAuthorAddedToBookAddBookToAuthor:
    """Book committed first; this runs afterwards in Author's own unit of work."""

    def __init__(self, uow: AuthorUnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, event: AuthorAddedToBook) -> None:
        async with self._uow as uow:
            author = await uow.authors.get(event.author_id, for_update=True)
            if author is None:
                logger.warning(
                    "author %s was deleted before book %s could be added to it",
                    event.author_id,
                    event.book_id,
                )
                return
            if author.add_book(event.book_id):  # a repeated delivery changes nothing
                await uow.commit()
