from __future__ import annotations

from typing import Protocol

from modules.author.domain.author import Author


class AuthorRepository(Protocol):
    async def get(self, author_id: int, *, for_update: bool = False) -> Author | None:
        """The whole author, with every book it has heard of; `for_update` locks it."""
        ...

    def add(self, author: Author) -> None: ...

    async def remove(self, author: Author) -> None: ...
