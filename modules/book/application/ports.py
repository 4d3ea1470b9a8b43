"""What Book needs from outside its context, stated as narrow ports.

The Author module implements these (structurally: it never imports this file); the
composition root plugs the implementation in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class AuthorDirectory(Protocol):
    """Which of these authors exist?"""

    async def existing(self, author_ids: Sequence[int]) -> set[int]: ...


@dataclass(frozen=True, slots=True)
class AuthorName:
    id: int
    first_name: str
    last_name: str


class AuthorNames(Protocol):
    """The current names of these authors: {author_id: (first_name, last_name)}.

    Unknown ids are left out. Plain values cross the boundary, so neither context
    needs the other's types.
    """

    async def names_for(self, author_ids: Sequence[int]) -> dict[int, tuple[str, str]]: ...
