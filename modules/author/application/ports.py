"""What Author needs from outside its context (implemented by the Book module)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class BookTitles(Protocol):
    """The current titles of these books: {book_id: title}; unknown ids are left out."""

    async def titles_for(self, book_ids: Sequence[int]) -> dict[int, str]: ...
