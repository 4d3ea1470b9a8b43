"""Book's read side: what a response needs, as DTOs - no aggregates are loaded here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from modules.book.domain.value_objects import Isbn
from modules.kernel.paging import Key, Page
from modules.kernel.text import folded


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


class BookOrder(StrEnum):
    """The orders of a list of books: a field, or `-` and the field for the reverse. The
    id breaks ties, in the same direction: `-publication_year` is the newest years first
    and, within a year, the books created last first."""

    ID = "id"  # creation order, the default
    ID_DESC = "-id"
    TITLE = "title"  # A to Z by folded title, in code point order (docs/api.md)
    TITLE_DESC = "-title"
    YEAR = "publication_year"
    YEAR_DESC = "-publication_year"
    PRICE = "price"
    PRICE_DESC = "-price"

    @property
    def field(self) -> str:
        return self.value.removeprefix("-")

    @property
    def descending(self) -> bool:
        return self.value.startswith("-")

    def key_of(self, book: BookView) -> Key:
        """What a cursor keeps of the last book of a page, besides its id."""
        return None if self.field == "id" else getattr(book, self.field)


@dataclass(frozen=True, slots=True)
class BookFilter:
    title: str | None = None
    author_id: int | None = None
    isbn: Isbn | None = None  # the one book with it, in whatever form it was written
    publication_year_min: int | None = None  # inclusive
    publication_year_max: int | None = None  # inclusive

    def scope(self) -> str:
        """The filters as searches compare them, for a cursor to say which list it pages:
        `title=app` and `title=APP` select the same books, and share cursors."""
        isbn = self.isbn.value if self.isbn else None
        title = folded(self.title) if self.title else None
        return repr(
            (title, self.author_id, isbn, self.publication_year_min, self.publication_year_max)
        )


class BookQueries(Protocol):
    async def get(self, book_id: int) -> BookView | None: ...

    async def list(
        self,
        book_filter: BookFilter,
        *,
        after_id: int | None,
        limit: int,
        order: BookOrder = BookOrder.ID,
        after_key: Key = None,
    ) -> Page[BookView]:
        """A page in `order`, after the book with `after_id` (and, in an order other than
        the id's, `after_key`, that book's sort key when the cursor was made)."""
        ...
