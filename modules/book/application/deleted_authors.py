"""The port to what Book knows of deleted authors, learned from Author's AuthorDeleted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class DeletedAuthors(Protocol):
    """Lives in Book's unit of work. Both methods lock the authors they name first, so
    that a book naming an author and the news of that author's deletion are ordered:
    whichever commits second sees the other (ADR 0011)."""

    async def among(self, author_ids: Sequence[int]) -> set[int]:
        """Which of these authors were deleted; a shared lock on each until commit."""
        ...

    async def record(self, author_id: int) -> None:
        """Remember a deleted author, under an exclusive lock on them until commit."""
        ...
