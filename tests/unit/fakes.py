"""In-memory adapters of the application layer's ports, for testing use cases and event
handlers without a database.

They keep the promises the ports make and the SQL adapters keep: a unit of work sees
committed state, changes nothing until `commit`, and forgets what it did not commit; the
aggregates it hands out are copies, so a change without a commit is lost as it would be;
events are handed to the publisher only after the commit; the inbox and the books' ISBNs
are unique, as the database's keys make them. A commit ends the transaction: what the
block does after it starts afresh. Locks are not modelled: these tests run one unit of
work at a time, and the races the locks settle are tested on the real databases.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from types import TracebackType
from typing import Self, TypeVar

from modules.author.domain.author import Author
from modules.book.domain.book import Book
from modules.book.domain.value_objects import Isbn
from modules.kernel.aggregate import AggregateRoot
from modules.kernel.events import DomainEvent
from modules.kernel.unit_of_work import UniqueConstraintViolated

A = TypeVar("A", bound=AggregateRoot)


def snapshot(aggregate: A) -> A:
    """A copy that shares nothing mutable: lists of child entities are copied item by item."""
    lists = {
        f.name: [replace(item) for item in getattr(aggregate, f.name)]
        for f in fields(aggregate)
        if isinstance(getattr(aggregate, f.name), list)
    }
    return replace(aggregate, **lists)


class RecordingPublisher:
    """The EventPublisher port: remembers every event handed on after a commit."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        self.events.extend(events)

    def of_type(self, event_type: type[DomainEvent]) -> list[DomainEvent]:
        return [e for e in self.events if isinstance(e, event_type)]


class FakeAuthorDirectory:
    """Book's AuthorDirectory port: the authors that exist, as Author's read side says."""

    def __init__(self, existing: Sequence[int] = ()) -> None:
        self.ids = set(existing)

    async def existing(self, author_ids: Sequence[int]) -> set[int]:
        return self.ids & set(author_ids)


class FakeUnitOfWork:
    """What both contexts' fake units of work share: open/close, commit, events, hooks.

    `before_commit`, when set, runs once inside the next commit, before the commit checks
    its constraints: the place where a test lets "another transaction" commit first, or
    the database fail."""

    def __init__(self, publisher: RecordingPublisher | None = None) -> None:
        self.publisher = publisher or RecordingPublisher()
        self.commits = 0
        self.commit_attempts = 0  # failed ones included
        self.before_commit: Callable[[], None] | None = None
        self._open = False

    async def __aenter__(self) -> Self:
        if self._open:
            raise RuntimeError("this unit of work is already open")
        self._open = True
        self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._open = False
        self._begin()  # whatever was not committed is forgotten

    async def commit(self) -> None:
        if not self._open:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        self.commit_attempts += 1
        events = sorted(
            (event for aggregate in self._seen() for event in aggregate.pull_events()),
            key=lambda event: event.event_id,
        )
        hook, self.before_commit = self.before_commit, None
        if hook is not None:
            hook()
        self._write()  # raises UniqueConstraintViolated, and then nothing is written
        self.commits += 1
        self._begin()
        if events:
            await self.publisher.publish(events)

    def _begin(self) -> None:
        raise NotImplementedError

    def _seen(self) -> list[AggregateRoot]:
        raise NotImplementedError

    def _write(self) -> None:
        raise NotImplementedError


# --- Book -----------------------------------------------------------------------------
@dataclass
class BookData:
    """Book's committed state: its tables."""

    books: dict[int, Book] = field(default_factory=dict)
    deleted_authors: set[int] = field(default_factory=set)


class FakeBookRepository:
    def __init__(self, data: BookData) -> None:
        self._data = data
        self.seen: dict[int, Book] = {}
        self.removed: set[int] = set()

    async def get(self, book_id: int, *, for_update: bool = False) -> Book | None:
        if book_id in self.seen:
            return self.seen[book_id]
        stored = self._data.books.get(book_id)
        if stored is None:
            return None
        book = self.seen[book_id] = snapshot(stored)
        return book

    def add(self, book: Book) -> None:
        self.seen[book.id] = book

    async def remove(self, book: Book) -> None:
        self.removed.add(book.id)

    async def ids_naming(self, author_id: int) -> list[int]:
        return sorted(b.id for b in self._data.books.values() if b.has_author(author_id))

    async def holder_of(self, isbn: Isbn, *, except_book_id: int | None = None) -> int | None:
        holders = (b.id for b in self._data.books.values() if b.isbn == isbn)
        return next((i for i in holders if i != except_book_id), None)


class FakeDeletedAuthors:
    def __init__(self, data: BookData) -> None:
        self._data = data
        self.recorded: set[int] = set()

    async def among(self, author_ids: Sequence[int]) -> set[int]:
        return set(author_ids) & (self._data.deleted_authors | self.recorded)

    async def record(self, author_id: int) -> None:
        self.recorded.add(author_id)


class FakeBookUnitOfWork(FakeUnitOfWork):
    books: FakeBookRepository
    deleted_authors: FakeDeletedAuthors

    def __init__(self, data: BookData | None = None, publisher: RecordingPublisher | None = None):
        super().__init__(publisher)
        self.data = data or BookData()
        self._begin()

    def _begin(self) -> None:
        self.books = FakeBookRepository(self.data)
        self.deleted_authors = FakeDeletedAuthors(self.data)

    def _seen(self) -> list[AggregateRoot]:
        return list(self.books.seen.values())

    def _write(self) -> None:
        kept = {b.id: b for b in self.books.seen.values() if b.id not in self.books.removed}
        after = {**self.data.books, **{i: snapshot(b) for i, b in kept.items()}}
        for book_id in self.books.removed:
            after.pop(book_id, None)
        isbns = [b.isbn for b in after.values()]
        if len(isbns) != len(set(isbns)):
            raise UniqueConstraintViolated("books.isbn")
        self.data.books = after
        self.data.deleted_authors |= self.deleted_authors.recorded


# --- Author ---------------------------------------------------------------------------
@dataclass
class AuthorData:
    """Author's committed state: its tables, the inbox among them."""

    authors: dict[int, Author] = field(default_factory=dict)
    inbox: set[tuple[int, str]] = field(default_factory=set)


class FakeAuthorRepository:
    def __init__(self, data: AuthorData) -> None:
        self._data = data
        self.seen: dict[int, Author] = {}
        self.removed: set[int] = set()

    async def get(self, author_id: int, *, for_update: bool = False) -> Author | None:
        if author_id in self.seen:
            return self.seen[author_id]
        stored = self._data.authors.get(author_id)
        if stored is None:
            return None
        author = self.seen[author_id] = snapshot(stored)
        return author

    def add(self, author: Author) -> None:
        self.seen[author.id] = author

    async def remove(self, author: Author) -> None:
        self.removed.add(author.id)


class FakeInbox:
    def __init__(self, data: AuthorData) -> None:
        self._data = data
        self.recorded: set[tuple[int, str]] = set()

    async def record(self, event_id: int, handler: str) -> bool:
        key = (event_id, handler)
        if key in self._data.inbox or key in self.recorded:
            return False
        self.recorded.add(key)
        return True


class FakeAuthorUnitOfWork(FakeUnitOfWork):
    authors: FakeAuthorRepository
    inbox: FakeInbox

    def __init__(self, data: AuthorData | None = None, publisher: RecordingPublisher | None = None):
        super().__init__(publisher)
        self.data = data or AuthorData()
        self._begin()

    def _begin(self) -> None:
        self.authors = FakeAuthorRepository(self.data)
        self.inbox = FakeInbox(self.data)

    def _seen(self) -> list[AggregateRoot]:
        return list(self.authors.seen.values())

    def _write(self) -> None:
        for author_id, author in self.authors.seen.items():
            self.data.authors[author_id] = snapshot(author)
        for author_id in self.authors.removed:
            self.data.authors.pop(author_id, None)
        self.data.inbox |= self.inbox.recorded
