"""The shape every Author handler shares: change what one author knows of one book, at
most once per event."""

from __future__ import annotations

import logging
from collections.abc import Callable

from modules.author.application.unit_of_work import AuthorUnitOfWork
from modules.author.domain.author import Author
from modules.shared.application.unit_of_work import UniqueConstraintViolated

logger = logging.getLogger(__name__)


async def apply_to_author_once(
    uow: AuthorUnitOfWork,
    *,
    event_id: int,
    handler: str,
    author_id: int,
    book_id: int,
    change: Callable[[Author], object],
) -> None:
    async with uow:
        # Lock the author first: deliveries of events about one author then queue, and
        # the inbox check below sees what the one before us committed. Only the link to
        # this book is loaded: the change touches nothing else.
        author = await uow.authors.get_with_link_to(author_id, book_id)
        if await uow.inbox.already_processed(event_id, handler):
            return
        if author is None:
            # Deleted meanwhile: Book takes them off its books when it hears of it (ADR 0001).
            logger.info("event %s names author %s, who no longer exists", event_id, author_id)
        else:
            change(author)
        uow.inbox.record(event_id, handler)
        try:
            await uow.commit()
        except UniqueConstraintViolated:
            # The same event, delivered concurrently, was applied first: nothing to do.
            logger.info("event %s was already applied by %s", event_id, handler)
