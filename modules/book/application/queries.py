"""Book's read side: what a response needs, as DTOs - no aggregates are loaded here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from modules.book.domain.value_objects import Isbn
from modules.kernel.paging import Page


@dataclass(frozen=True, slots=True)
class AuthorName:
    """An author as a book shows it: the Author context's published names."""

    id: int
    first_name: str
    last_name: str


@dataclass(frozen=True, slots=True)
class BookView:
    id: int
    title: str
    isbn: str
    pages: int
    price: int
    publication_year: int
    authors: list[AuthorName]
    version: int


@dataclass(frozen=True, slots=True)
class BookFilter:
    title: str | None = None
    author_id: int | None = None
    isbn: Isbn | None = None  # the one book with it, in whatever form it was written


class BookQueries(Protocol):
    async def get(self, book_id: int) -> BookView | None: ...

    async def list(
        self, book_filter: BookFilter, *, after_id: int | None, limit: int
    ) -> Page[BookView]: ...
