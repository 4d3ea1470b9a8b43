"""The Book aggregate."""

from __future__ import annotations

from dataclasses import dataclass, field

from modules.book.domain.errors import AuthorAlreadyOnBook, AuthorNotOnBook, TooManyAuthors
from modules.book.domain.events import AuthorAddedToBook, AuthorRemovedFromBook, BookDeleted
from modules.book.domain.value_objects import Isbn, Pages, Price, PublicationYear, Title
from modules.kernel.aggregate import AggregateRoot
from modules.kernel.errors import InvalidValue
from modules.kernel.identity import new_id

# Every representation of a book embeds all its authors, so their number is bounded here.
MAX_AUTHORS_PER_BOOK = 50


@dataclass(eq=False)
class BookAuthor:
    """An author of a book, held by id only: Book never holds Author's aggregate."""

    author_id: int
    position: int


@dataclass(eq=False, kw_only=True)
class Book(AggregateRoot):
    title: Title
    isbn: Isbn
    pages: Pages
    price: Price
    publication_year: PublicationYear
    authors: list[BookAuthor] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        *,
        title: Title,
        isbn: Isbn,
        pages: Pages,
        price: Price,
        publication_year: PublicationYear,
        author_ids: list[int] | tuple[int, ...] = (),
    ) -> Book:
        book = cls(
            id=new_id(),
            title=title,
            isbn=isbn,
            pages=pages,
            price=price,
            publication_year=publication_year,
        )
        distinct = dict.fromkeys(author_ids)  # keeps order, drops repeats
        if len(distinct) > MAX_AUTHORS_PER_BOOK:
            raise InvalidValue("author_ids", f"a book has at most {MAX_AUTHORS_PER_BOOK} authors")
        for author_id in distinct:
            book._attach(author_id)
        return book

    @property
    def author_ids(self) -> list[int]:
        return [a.author_id for a in sorted(self.authors, key=lambda a: a.position)]

    def has_author(self, author_id: int) -> bool:
        return any(a.author_id == author_id for a in self.authors)

    def add_author(self, author_id: int) -> None:
        if self.has_author(author_id):
            raise AuthorAlreadyOnBook(self.id, author_id)
        if len(self.authors) >= MAX_AUTHORS_PER_BOOK:
            raise TooManyAuthors(self.id, MAX_AUTHORS_PER_BOOK)
        self._changed()
        self._attach(author_id)

    def remove_author(self, author_id: int) -> None:
        link = next((a for a in self.authors if a.author_id == author_id), None)
        if link is None:
            raise AuthorNotOnBook(self.id, author_id)
        self.authors.remove(link)
        self._changed()
        self._record(
            AuthorRemovedFromBook(book_id=self.id, author_id=author_id, book_version=self.version)
        )

    def revise(
        self,
        *,
        title: Title | None = None,
        isbn: Isbn | None = None,
        pages: Pages | None = None,
        price: Price | None = None,
        publication_year: PublicationYear | None = None,
    ) -> bool:
        """Apply the given changes; the version grows only if something really changed."""
        changes = {
            "title": title,
            "isbn": isbn,
            "pages": pages,
            "price": price,
            "publication_year": publication_year,
        }
        changed = False
        for name, value in changes.items():
            if value is not None and getattr(self, name) != value:
                setattr(self, name, value)
                changed = True
        if changed:
            self._changed()
        return changed

    def delete(self) -> None:
        """Mark the end of the book's life; its authors must forget it."""
        self._changed()
        self._record(
            BookDeleted(
                book_id=self.id, author_ids=tuple(self.author_ids), book_version=self.version
            )
        )

    def _attach(self, author_id: int) -> None:
        position = max((a.position for a in self.authors), default=0) + 1
        self.authors.append(BookAuthor(author_id=author_id, position=position))
        self._record(
            AuthorAddedToBook(book_id=self.id, author_id=author_id, book_version=self.version)
        )
