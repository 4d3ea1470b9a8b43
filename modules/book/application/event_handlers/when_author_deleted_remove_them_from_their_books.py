from __future__ import annotations

from modules.author.domain.events import AuthorDeleted
from modules.book.application.unit_of_work import BookUnitOfWork


class WhenAuthorDeletedRemoveThemFromTheirBooks:
    """An author may be deleted while a book is being given them: Author's check that the
    author has no books cannot see a link Book has not yet told it of. Book closes the gap
    itself (ADR 0011): it records the author as deleted, so no book names them from then
    on, and takes them off the books that already do.

    Safe to repeat and to interrupt: the record is written once, and a book that no longer
    names the author is left alone, so a redelivery finishes what a failure left undone.
    """

    name = "book.remove_deleted_author"

    def __init__(self, uow: BookUnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, event: AuthorDeleted) -> None:
        async with self._uow as uow:
            # Under the author's exclusive lock: every book that named them committed
            # before it, and none can name them after the record commits.
            await uow.deleted_authors.record(event.author_id)
            book_ids = await uow.books.ids_naming(event.author_id)
            await uow.commit()
        for book_id in book_ids:  # one aggregate per transaction
            async with self._uow as uow:
                book = await uow.books.get(book_id, for_update=True)
                if book is None or not book.has_author(event.author_id):
                    continue
                book.remove_author(event.author_id)  # records AuthorRemovedFromBook
                await uow.commit()
