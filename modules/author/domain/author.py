"""The Author aggregate.

An author knows its books by id only. That list is not edited by clients: it follows
Book's events (an author was added to a book, removed from one, a book was deleted).
Events may arrive twice or out of order, so for every book it has heard of the author
keeps the book's version that it last applied - also for a book it no longer lists - and
ignores anything older. Whatever the order of delivery, the final state is the same.

It also keeps how many books it lists, `book_count`, so that a reader showing a prolific
author need not count their books (ADR 0021).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from modules.author.domain.errors import AuthorHasBooks
from modules.author.domain.events import AuthorDeleted
from modules.author.domain.value_objects import Age, Biography, FirstName, LastName
from modules.kernel.aggregate import AggregateRoot
from modules.kernel.identity import new_id

_UNSET = object()


@dataclass(eq=False)
class AuthorBook:
    """What the author last heard about one book: listed or not, as of which book version."""

    book_id: int
    book_version: int
    listed: bool = True


@dataclass(eq=False, kw_only=True)
class Author(AggregateRoot):
    first_name: FirstName
    last_name: LastName
    age: Age
    biography: Biography | None = None
    books: list[AuthorBook] = field(default_factory=list)
    book_count: int = 0  # the books listed: len(self.book_ids), kept with every change

    @classmethod
    def create(
        cls,
        *,
        first_name: FirstName,
        last_name: LastName,
        age: Age,
        biography: Biography | None = None,
    ) -> Author:
        return cls(
            id=new_id(), first_name=first_name, last_name=last_name, age=age, biography=biography
        )

    @property
    def book_ids(self) -> list[int]:
        return [b.book_id for b in self.books if b.listed]

    def revise(
        self,
        *,
        first_name: FirstName | None = None,
        last_name: LastName | None = None,
        age: Age | None = None,
        biography: Biography | None | object = _UNSET,
    ) -> bool:
        """Apply the given changes (biography=None clears it); bump the version on change."""
        changed = False
        for name, value in (("first_name", first_name), ("last_name", last_name), ("age", age)):
            if value is not None and getattr(self, name) != value:
                setattr(self, name, value)
                changed = True
        if biography is not _UNSET and self.biography != biography:
            self.biography = biography  # type: ignore[assignment]  # not _UNSET here
            changed = True
        if changed:
            self._changed()
        return changed

    def add_book(self, book_id: int, *, as_of_book_version: int) -> bool:
        """The author was added to this book. True if the author now lists it anew."""
        return self._hear(book_id, as_of_book_version, listed=True)

    def remove_book(self, book_id: int, *, as_of_book_version: int) -> bool:
        """The author was removed from this book, or the book was deleted."""
        return self._hear(book_id, as_of_book_version, listed=False)

    def delete(self) -> None:
        if self.book_ids:
            raise AuthorHasBooks(self.id, len(self.book_ids))
        self._record(AuthorDeleted(author_id=self.id))

    def _hear(self, book_id: int, book_version: int, *, listed: bool) -> bool:
        link = next((b for b in self.books if b.book_id == book_id), None)
        if link is None:
            self.books.append(AuthorBook(book_id=book_id, book_version=book_version, listed=listed))
            if listed:
                self.book_count += 1
                self._changed()
            return listed
        if book_version <= link.book_version:
            return False  # a repeat, or older news than what we applied already
        link.book_version = book_version
        if link.listed == listed:
            return False
        link.listed = listed
        self.book_count += 1 if listed else -1
        self._changed()
        return True
