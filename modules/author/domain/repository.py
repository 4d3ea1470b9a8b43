from __future__ import annotations

from typing import Protocol

from modules.author.domain.author import Author


class AuthorRepository(Protocol):
    async def get(self, author_id: int, *, for_update: bool = False) -> Author | None: ...

    async def get_with_link_to(self, author_id: int, book_id: int) -> Author | None:
        """The author, locked for update, with only its link to this one book (if it has
        one) in `books`. Enough for `add_book` and `remove_book`, which look at and change
        that link alone - so news about one book does not load the thousands of links a
        prolific author has. Anything that needs the whole list (`delete`, `book_ids`)
        must use `get`."""
        ...

    def add(self, author: Author) -> None: ...

    async def remove(self, author: Author) -> None: ...
