"""Book's handler of Author's AuthorDeleted, against in-memory ports (ADR 0011)."""

from __future__ import annotations

import pytest

from modules.author.domain.events import AuthorDeleted
from modules.book.application.event_handlers.when_author_deleted_remove_them_from_their_books import (  # noqa: E501
    WhenAuthorDeletedRemoveThemFromTheirBooks,
)
from modules.book.domain.book import Book
from modules.book.domain.events import AuthorRemovedFromBook
from modules.book.domain.value_objects import Isbn, Pages, Price, PublicationYear, Title
from tests.unit.fakes import BookData, FakeBookUnitOfWork

GONE = 7


@pytest.fixture
def uow() -> FakeBookUnitOfWork:
    return FakeBookUnitOfWork(BookData())


def stored_book(uow: FakeBookUnitOfWork, isbn: str, author_ids: tuple[int, ...]) -> int:
    book = Book.create(
        title=Title("A book"),
        isbn=Isbn(isbn),
        pages=Pages(10),
        price=Price(100),
        publication_year=PublicationYear(2000),
        author_ids=author_ids,
    )
    book.pull_events()
    uow.data.books[book.id] = book
    return book.id


@pytest.fixture
def books(uow: FakeBookUnitOfWork) -> tuple[int, int, int]:
    return (
        stored_book(uow, "9780306406157", (1, GONE)),
        stored_book(uow, "9781861972712", (GONE,)),
        stored_book(uow, "9780131103627", (1,)),  # does not name them
    )


def authors_of(uow: FakeBookUnitOfWork, book_id: int) -> list[int]:
    return uow.data.books[book_id].author_ids


async def test_a_deleted_author_is_recorded_and_taken_off_every_book(
    uow: FakeBookUnitOfWork, books: tuple[int, int, int]
) -> None:
    first, second, third = books
    await WhenAuthorDeletedRemoveThemFromTheirBooks(uow)(AuthorDeleted(author_id=GONE))
    assert uow.data.deleted_authors == {GONE}
    assert [authors_of(uow, b) for b in books] == [[1], [], [1]]
    removals = uow.publisher.events
    assert all(isinstance(e, AuthorRemovedFromBook) for e in removals)
    assert sorted((e.book_id, e.author_id, e.book_version) for e in removals) == sorted(  # type: ignore[attr-defined]
        [(first, GONE, 2), (second, GONE, 2)]
    )
    assert uow.data.books[third].version == 1


async def test_a_repeated_deletion_changes_nothing_more(
    uow: FakeBookUnitOfWork, books: tuple[int, int, int]
) -> None:
    handler = WhenAuthorDeletedRemoveThemFromTheirBooks(uow)
    event = AuthorDeleted(author_id=GONE)
    await handler(event)
    published, versions = len(uow.publisher.events), [uow.data.books[b].version for b in books]
    await handler(event)
    assert len(uow.publisher.events) == published
    assert [uow.data.books[b].version for b in books] == versions
    assert uow.data.deleted_authors == {GONE}


async def test_a_deletion_interrupted_after_the_first_book_is_finished_by_its_redelivery(
    uow: FakeBookUnitOfWork, books: tuple[int, int, int]
) -> None:
    first, second, _ = books
    calls = 0

    def fail_on_the_second_book() -> None:  # commits: the record, the first book, ...
        nonlocal calls
        calls += 1
        if calls == 3:
            raise ConnectionError("the database went away")
        uow.before_commit = fail_on_the_second_book

    uow.before_commit = fail_on_the_second_book
    handler = WhenAuthorDeletedRemoveThemFromTheirBooks(uow)
    event = AuthorDeleted(author_id=GONE)
    with pytest.raises(ConnectionError):
        await handler(event)
    assert uow.data.deleted_authors == {GONE}
    assert (authors_of(uow, first), authors_of(uow, second)) == ([1], [GONE])

    await handler(event)
    assert (authors_of(uow, first), authors_of(uow, second)) == ([1], [])
    assert len(uow.publisher.of_type(AuthorRemovedFromBook)) == 2  # one per book, no repeat


async def test_the_deletion_of_an_author_no_book_names_is_only_recorded(
    uow: FakeBookUnitOfWork,
) -> None:
    await WhenAuthorDeletedRemoveThemFromTheirBooks(uow)(AuthorDeleted(author_id=GONE))
    assert uow.data.deleted_authors == {GONE}
    assert uow.publisher.events == []
