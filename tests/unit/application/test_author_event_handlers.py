"""Author's handlers of Book's events, against in-memory ports: applied once per event, and
the same final state whatever order the events arrive in."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from modules.author.application.event_handlers.when_author_added_to_book_add_book_to_author import (
    WhenAuthorAddedToBookAddBookToAuthor,
)
from modules.author.application.event_handlers.when_author_removed_from_book_remove_book_from_author import (  # noqa: E501
    WhenAuthorRemovedFromBookRemoveBookFromAuthor,
)
from modules.author.application.event_handlers.when_book_deleted_remove_it_from_its_authors import (
    WhenBookDeletedRemoveItFromItsAuthors,
)
from modules.author.domain.author import Author
from modules.author.domain.value_objects import Age, FirstName, LastName
from modules.book.domain.events import AuthorAddedToBook, AuthorRemovedFromBook, BookDeleted
from modules.kernel.events import DomainEvent
from tests.unit.fakes import AuthorData, FakeAuthorUnitOfWork

BOOK = 500


@pytest.fixture
def uow() -> FakeAuthorUnitOfWork:
    return FakeAuthorUnitOfWork(AuthorData())


def stored_author(uow: FakeAuthorUnitOfWork) -> int:
    author = Author.create(
        first_name=FirstName("Frank"), last_name=LastName("Herbert"), age=Age(65)
    )
    uow.data.authors[author.id] = author
    return author.id


def deliver_with(uow: FakeAuthorUnitOfWork) -> Callable[[DomainEvent], Awaitable[None]]:
    """What the bus does: the handler of the event's type, on Author's unit of work."""
    handlers: dict[type[DomainEvent], Any] = {
        AuthorAddedToBook: WhenAuthorAddedToBookAddBookToAuthor(uow),
        AuthorRemovedFromBook: WhenAuthorRemovedFromBookRemoveBookFromAuthor(uow),
        BookDeleted: WhenBookDeletedRemoveItFromItsAuthors(uow),
    }

    async def deliver(event: DomainEvent) -> None:
        await handlers[type(event)](event)

    return deliver


def state(uow: FakeAuthorUnitOfWork, author_id: int) -> tuple[list[int], int]:
    author = uow.data.authors[author_id]
    return author.book_ids, author.version


async def test_an_added_author_lists_the_book(uow: FakeAuthorUnitOfWork) -> None:
    author_id = stored_author(uow)
    event = AuthorAddedToBook(book_id=BOOK, author_id=author_id, book_version=1)
    await WhenAuthorAddedToBookAddBookToAuthor(uow)(event)
    assert state(uow, author_id) == ([BOOK], 2)
    assert uow.data.inbox == {(event.event_id, "author.add_book_to_author")}
    assert uow.publisher.events == []  # Author records no event for it


async def test_a_removed_author_no_longer_lists_the_book(uow: FakeAuthorUnitOfWork) -> None:
    author_id = stored_author(uow)
    deliver = deliver_with(uow)
    await deliver(AuthorAddedToBook(book_id=BOOK, author_id=author_id, book_version=1))
    await deliver(AuthorRemovedFromBook(book_id=BOOK, author_id=author_id, book_version=2))
    assert state(uow, author_id) == ([], 3)


async def test_a_deleted_book_leaves_each_of_its_authors(uow: FakeAuthorUnitOfWork) -> None:
    first, second = stored_author(uow), stored_author(uow)
    deliver = deliver_with(uow)
    for author_id in (first, second):
        await deliver(AuthorAddedToBook(book_id=BOOK, author_id=author_id, book_version=1))
    await deliver(BookDeleted(book_id=BOOK, author_ids=(first, second), book_version=2))
    assert state(uow, first) == ([], 3) and state(uow, second) == ([], 3)


EVENTS: dict[str, Callable[[int], DomainEvent]] = {
    "added": lambda a: AuthorAddedToBook(book_id=BOOK, author_id=a, book_version=1),
    "removed": lambda a: AuthorRemovedFromBook(book_id=BOOK, author_id=a, book_version=1),
    "book deleted": lambda a: BookDeleted(book_id=BOOK, author_ids=(a,), book_version=1),
}


@pytest.mark.parametrize("kind", EVENTS)
async def test_each_event_is_applied_once_however_often_it_is_delivered(
    uow: FakeAuthorUnitOfWork, kind: str
) -> None:
    author_id = stored_author(uow)
    if kind != "added":  # the author lists the book, as of an earlier version
        uow.data.authors[author_id].add_book(BOOK, as_of_book_version=0)
    before = state(uow, author_id)
    event = EVENTS[kind](author_id)
    deliver = deliver_with(uow)
    await deliver(event)
    once = state(uow, author_id)
    assert once != before and once[1] == before[1] + 1
    attempts = uow.commit_attempts
    await deliver(event)
    await deliver(event)
    assert state(uow, author_id) == once
    assert uow.commit_attempts == attempts  # a repeat finds the inbox record: no write


async def test_an_event_about_an_author_who_is_gone_is_recorded_and_dropped(
    uow: FakeAuthorUnitOfWork,
) -> None:
    event = AuthorAddedToBook(book_id=BOOK, author_id=404, book_version=1)
    await WhenAuthorAddedToBookAddBookToAuthor(uow)(event)
    assert uow.data.authors == {}
    assert uow.data.inbox == {(event.event_id, "author.add_book_to_author")}


async def test_a_book_deletion_that_failed_half_way_is_finished_by_its_redelivery(
    uow: FakeAuthorUnitOfWork,
) -> None:
    first, second = stored_author(uow), stored_author(uow)
    deliver = deliver_with(uow)
    for author_id in (first, second):
        await deliver(AuthorAddedToBook(book_id=BOOK, author_id=author_id, book_version=1))
    deleted = BookDeleted(book_id=BOOK, author_ids=(first, second), book_version=2)
    commits = uow.commits
    calls = 0

    def fail_on_the_second_author() -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ConnectionError("the database went away")
        uow.before_commit = fail_on_the_second_author

    uow.before_commit = fail_on_the_second_author
    with pytest.raises(ConnectionError):
        await deliver(deleted)
    assert state(uow, first) == ([], 3) and state(uow, second) == ([BOOK], 2)

    await deliver(deleted)  # the redelivery: the first author is skipped, the second done
    assert state(uow, first) == ([], 3) and state(uow, second) == ([], 3)
    assert uow.commits == commits + 2


# Every order of one book's history for one author ends in the state of the last event.
HISTORY: list[tuple[type[DomainEvent], int]] = [
    (AuthorAddedToBook, 1),
    (AuthorRemovedFromBook, 2),
    (AuthorAddedToBook, 3),
    (BookDeleted, 4),
]


@pytest.mark.parametrize("length", [2, 3, 4])
async def test_any_order_of_delivery_ends_in_the_same_state(length: int) -> None:
    def events(author_id: int) -> list[DomainEvent]:
        made: list[DomainEvent] = []
        for event_type, version in HISTORY[:length]:
            if event_type is BookDeleted:
                made.append(
                    BookDeleted(book_id=BOOK, author_ids=(author_id,), book_version=version)
                )
            else:
                made.append(event_type(book_id=BOOK, author_id=author_id, book_version=version))  # type: ignore[call-arg]
        return made

    outcomes = set()
    for order in itertools.permutations(range(length)):
        uow = FakeAuthorUnitOfWork(AuthorData())
        author_id = stored_author(uow)
        history = events(author_id)
        deliver = deliver_with(uow)
        for index in order:
            await deliver(history[index])
        outcomes.add(tuple(uow.data.authors[author_id].book_ids))
    last_type = HISTORY[length - 1][0]
    assert outcomes == {(BOOK,) if last_type is AuthorAddedToBook else ()}
