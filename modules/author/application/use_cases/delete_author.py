from __future__ import annotations

from modules.author.application.unit_of_work import AuthorUnitOfWork
from modules.author.domain.errors import AuthorNotFound


class DeleteAuthor:
    def __init__(self, uow: AuthorUnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, author_id: int, *, expected_version: int | None = None) -> None:
        async with self._uow as uow:
            author = await uow.authors.get(author_id, for_update=True)
            if author is None:
                raise AuthorNotFound(author_id)
            author.expect_version(expected_version)
            author.delete()  # refuses while the author still has books
            await uow.authors.remove(author)
            await uow.commit()
