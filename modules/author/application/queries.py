"""Author's read side: DTOs shaped for the responses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from modules.kernel.paging import Page
from modules.kernel.text import folded

# An author shows at most this many of its books: the newest, by book id (Snowflake ids
# grow with time). `GET /books?author_id=` pages through all of them.
RECENT_BOOKS = 20


@dataclass(frozen=True, slots=True)
class AuthorBookView:
    id: int
    title: str


@dataclass(frozen=True, slots=True)
class AuthorView:
    id: int
    first_name: str
    last_name: str
    age: int
    biography: str | None
    books: list[AuthorBookView]  # the RECENT_BOOKS newest at most, in id order
    books_total: int  # every book the author lists
    version: int


@dataclass(frozen=True, slots=True)
class AuthorFilter:
    # A part of the first or last name; several words, a part of the full name in either
    # order ("Haruki Murakami", "Murakami Haruki"). Ignoring case.
    name: str | None = None
    # Exactly this name (the domain's names are trimmed), ignoring case.
    first_name: str | None = None
    last_name: str | None = None

    def scope(self) -> str:
        """The filters as searches compare them, for a cursor to say which list it pages:
        `Murakami` and ` murakami ` select the same authors, and share cursors."""
        name = " ".join(folded(self.name).split()) if self.name else None
        return repr((name, *(folded(n) if n else None for n in (self.first_name, self.last_name))))


class AuthorQueries(Protocol):
    async def get(self, author_id: int) -> AuthorView | None: ...

    async def list(
        self, author_filter: AuthorFilter, *, after_id: int | None, limit: int
    ) -> Page[AuthorView]: ...
