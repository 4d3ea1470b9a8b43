"""The Author aggregate.

An author knows its books by id only. That list is not edited by clients: it follows
Book's events (an author was added to a book, removed from one, a book was deleted),
so each operation is written to be idempotent - a set, not a log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from modules.author.domain.errors import AuthorHasBooks
from modules.author.domain.events import AuthorDeleted
from modules.author.domain.value_objects import Age, Biography, FirstName, LastName
from modules.shared.domain.aggregate import AggregateRoot
from modules.shared.domain.identity import new_id

_UNSET = object()


@dataclass(eq=False)
class AuthorBook:
    book_id: int


@dataclass(eq=False, kw_only=True)
class Author(AggregateRoot):
    first_name: FirstName
    last_name: LastName
    age: Age
    biography: Biography | None = None
    books: list[AuthorBook] = field(default_factory=list)

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
        return [b.book_id for b in self.books]

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
            self.biography = biography  # type: ignore[assignment]
            changed = True
        if changed:
            self._changed()
        return changed

    def add_book(self, book_id: int) -> bool:
        """Remember a book; a repeat changes nothing (events may be delivered twice)."""
        if book_id in self.book_ids:
            return False
        self.books.append(AuthorBook(book_id=book_id))
        self._changed()
        return True

    def remove_book(self, book_id: int) -> bool:
        link = next((b for b in self.books if b.book_id == book_id), None)
        if link is None:
            return False
        self.books.remove(link)
        self._changed()
        return True

    def delete(self) -> None:
        if self.books:
            raise AuthorHasBooks(self.id, len(self.books))
        self._record(AuthorDeleted(author_id=self.id))
