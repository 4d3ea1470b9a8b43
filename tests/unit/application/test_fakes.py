"""The fakes stand in for the ports the application layer declares, and keep their promises."""

from __future__ import annotations

import inspect
from typing import Any, Protocol

import pytest

from modules.author.application.unit_of_work import AuthorUnitOfWork
from modules.author.domain.repository import AuthorRepository
from modules.book.application.deleted_authors import DeletedAuthors
from modules.book.application.ports import AuthorDirectory
from modules.book.application.unit_of_work import BookUnitOfWork
from modules.book.domain.book import Book
from modules.book.domain.errors import BookNotFound
from modules.book.domain.repository import BookRepository
from modules.book.domain.value_objects import Isbn, Pages, Price, PublicationYear, Title
from modules.kernel.inbox import Inbox
from modules.kernel.unit_of_work import UniqueConstraintViolated
from modules.platform.events.bus import EventPublisher
from tests.unit.fakes import (
    AuthorData,
    BookData,
    FakeAuthorDirectory,
    FakeAuthorRepository,
    FakeAuthorUnitOfWork,
    FakeBookRepository,
    FakeBookUnitOfWork,
    FakeDeletedAuthors,
    FakeInbox,
    RecordingPublisher,
)


def protocol_members(protocol: type) -> dict[str, Any]:
    """The methods and attributes a Protocol declares, its bases' included."""
    members: dict[str, Any] = {}
    for cls in reversed(protocol.__mro__):
        if cls in (object, Protocol) or not getattr(cls, "_is_protocol", False):
            continue
        for name, value in vars(cls).items():
            if callable(value) and (
                not name.startswith("__") or name in ("__aenter__", "__aexit__")
            ):
                members[name] = value
        for name in getattr(cls, "__annotations__", {}):
            members[name] = None  # an attribute
    return members


def parameters(function: Any) -> list[tuple[str, Any]]:
    return [(p.name, p.kind) for p in inspect.signature(function).parameters.values()]


PORTS = [
    (EventPublisher, lambda: RecordingPublisher()),
    (AuthorDirectory, lambda: FakeAuthorDirectory()),
    (BookRepository, lambda: FakeBookRepository(BookData())),
    (DeletedAuthors, lambda: FakeDeletedAuthors(BookData())),
    (BookUnitOfWork, lambda: FakeBookUnitOfWork()),
    (AuthorRepository, lambda: FakeAuthorRepository(AuthorData())),
    (Inbox, lambda: FakeInbox(AuthorData())),
    (AuthorUnitOfWork, lambda: FakeAuthorUnitOfWork()),
]


@pytest.mark.parametrize(("port", "make"), PORTS, ids=[p.__name__ for p, _ in PORTS])
def test_each_fake_has_every_member_of_its_port_with_the_same_parameters(
    port: type, make: Any
) -> None:
    fake = make()
    members = protocol_members(port)
    assert members, f"{port.__name__} declares nothing?"
    for name, declared in members.items():
        assert hasattr(fake, name), f"{type(fake).__name__} lacks {name}"
        if declared is None:
            continue
        implemented = getattr(fake, name)
        assert inspect.iscoroutinefunction(implemented) == inspect.iscoroutinefunction(declared)
        assert parameters(implemented) == parameters(declared)[1:], name  # without self


def a_book(isbn: str = "9780306406157") -> Book:
    book = Book.create(
        title=Title("Dune"),
        isbn=Isbn(isbn),
        pages=Pages(100),
        price=Price(1000),
        publication_year=PublicationYear(1965),
    )
    book.pull_events()
    return book


async def test_a_change_without_commit_is_forgotten() -> None:
    book = a_book()
    uow = FakeBookUnitOfWork(BookData(books={book.id: book}))
    async with uow:
        loaded = await uow.books.get(book.id)
        assert loaded is not None and loaded is not book  # a copy, as a session loads one
        loaded.revise(title=Title("Changed"))
    async with uow:
        again = await uow.books.get(book.id)
        assert again is not None and again.title == Title("Dune")
    assert uow.commits == 0


async def test_an_error_inside_the_block_rolls_back_and_publishes_nothing() -> None:
    book = a_book()
    uow = FakeBookUnitOfWork(BookData(books={book.id: book}))
    with pytest.raises(BookNotFound):
        async with uow:
            loaded = await uow.books.get(book.id)
            assert loaded is not None
            loaded.add_author(7)
            raise BookNotFound(book.id)
    assert uow.data.books[book.id].author_ids == []
    assert uow.publisher.events == []


async def test_a_commit_that_breaks_a_unique_key_writes_nothing() -> None:
    taken = a_book()
    uow = FakeBookUnitOfWork(BookData(books={taken.id: taken}))
    async with uow:
        uow.books.add(a_book(isbn=taken.isbn.value))
        with pytest.raises(UniqueConstraintViolated):
            await uow.commit()
    assert list(uow.data.books) == [taken.id]
