"""Repositories and units of work against the real databases."""

from __future__ import annotations

import asyncio

import pytest

from modules.book.domain.book import Book
from modules.book.domain.value_objects import Isbn, Pages, Price, PublicationYear, Title
from modules.container import Container
from modules.kernel.errors import ConcurrentModification
from modules.kernel.events import DomainEvent
from modules.kernel.unit_of_work import UniqueConstraintViolated
from tests.integration.helpers import next_isbn


def new_book(isbn: str | None = None, author_ids: tuple[int, ...] = ()) -> Book:
    return Book.create(
        title=Title("Earthsea"),
        isbn=Isbn(isbn or next_isbn()),
        pages=Pages(200),
        price=Price(9000),
        publication_year=PublicationYear(1968),
        author_ids=author_ids,
    )


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[DomainEvent] = []

    async def publish(self, events: list[DomainEvent]) -> None:
        self.published.extend(events)


async def test_a_book_round_trips_with_its_value_objects_and_author_order(
    container: Container,
) -> None:
    book = new_book(author_ids=(30, 10, 20))
    async with container.book_uow() as uow:
        uow.books.add(book)
        await uow.commit()

    async with container.book_uow() as uow:
        loaded = await uow.books.get(book.id)
    assert loaded is not None and loaded is not book
    assert loaded.title == Title("Earthsea")
    assert loaded.isbn == book.isbn
    assert loaded.price == Price(9000)
    assert loaded.author_ids == [30, 10, 20]
    assert loaded.version == 1


async def test_get_of_an_unknown_book_is_none(container: Container) -> None:
    async with container.book_uow() as uow:
        assert await uow.books.get(123) is None


async def test_leaving_without_commit_rolls_back(container: Container) -> None:
    book = new_book()
    async with container.book_uow() as uow:
        uow.books.add(book)
    async with container.book_uow() as uow:
        assert await uow.books.get(book.id) is None


async def test_holder_of_an_isbn_sees_other_books_only(container: Container) -> None:
    book = new_book()
    async with container.book_uow() as uow:
        uow.books.add(book)
        await uow.commit()
    async with container.book_uow() as uow:
        assert await uow.books.holder_of(book.isbn) == book.id
        assert await uow.books.holder_of(book.isbn, except_book_id=book.id) is None
        assert await uow.books.holder_of(Isbn(next_isbn())) is None


async def test_a_unique_violation_at_commit_is_typed_and_publishes_nothing(
    container: Container,
) -> None:
    isbn = next_isbn()
    async with container.book_uow() as uow:
        uow.books.add(new_book(isbn))
        await uow.commit()

    publisher = RecordingPublisher()
    with container.relay.override(publisher):
        uow = container.book_uow()
    async with uow:
        uow.books.add(new_book(isbn, author_ids=(1,)))
        with pytest.raises(UniqueConstraintViolated):
            await uow.commit()
    assert publisher.published == []


async def test_events_are_published_after_the_commit_is_visible(container: Container) -> None:
    """A handler that reads the database through another connection sees the change."""
    seen_by_handler: list[bool] = []
    book = new_book(author_ids=(42,))

    class CheckingPublisher:
        async def publish(self, events: list[DomainEvent]) -> None:
            async with container.book_uow() as other:
                seen_by_handler.append(await other.books.get(book.id) is not None)

    with container.relay.override(CheckingPublisher()):
        uow = container.book_uow()
    async with uow:
        uow.books.add(book)
        await uow.commit()
    assert seen_by_handler == [True]


async def test_the_version_grows_by_one_per_change_and_is_stored(container: Container) -> None:
    book = new_book()
    async with container.book_uow() as uow:
        uow.books.add(book)
        await uow.commit()
    async with container.book_uow() as uow:
        loaded = await uow.books.get(book.id, for_update=True)
        assert loaded is not None
        loaded.add_author(7)
        await uow.commit()
    async with container.book_uow() as uow:
        again = await uow.books.get(book.id)
    assert again is not None and again.version == 2 and again.author_ids == [7]


@pytest.mark.postgres
async def test_a_stale_version_is_refused_as_a_concurrent_modification(
    container: Container,
) -> None:
    if not container.settings().database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE), so two cannot interleave")
    book = new_book()
    async with container.book_uow() as uow:
        uow.books.add(book)
        await uow.commit()

    first, second = container.book_uow(), container.book_uow()
    async with first, second:
        mine = await first.books.get(book.id)  # no row lock: both read version 1
        theirs = await second.books.get(book.id)
        assert mine is not None and theirs is not None
        mine.revise(pages=Pages(201))
        theirs.revise(pages=Pages(202))
        await first.commit()
        with pytest.raises(ConcurrentModification):
            await second.commit()
    async with container.book_uow() as uow:
        stored = await uow.books.get(book.id)
    assert stored is not None and stored.pages == Pages(201) and stored.version == 2


async def test_locked_writers_of_one_book_queue_instead_of_failing(container: Container) -> None:
    book = new_book()
    async with container.book_uow() as uow:
        uow.books.add(book)
        await uow.commit()

    async def add(author_id: int) -> None:
        async with container.book_uow() as uow:
            loaded = await uow.books.get(book.id, for_update=True)
            assert loaded is not None
            loaded.add_author(author_id)
            await uow.commit()

    await asyncio.gather(*(add(a) for a in range(1, 21)))
    async with container.book_uow() as uow:
        stored = await uow.books.get(book.id)
    assert stored is not None
    assert sorted(stored.author_ids) == list(range(1, 21))
    assert stored.version == 21


async def test_an_author_round_trips_with_an_optional_biography(container: Container) -> None:
    from modules.author.domain.author import Author
    from modules.author.domain.value_objects import Age, Biography, FirstName, LastName

    author = Author.create(first_name=FirstName("Ada"), last_name=LastName("L"), age=Age(36))
    async with container.author_uow() as uow:
        uow.authors.add(author)
        await uow.commit()
    async with container.author_uow() as uow:
        loaded = await uow.authors.get(author.id, for_update=True)
        assert loaded is not None and loaded.biography is None
        loaded.revise(biography=Biography("Analyst"))
        loaded.add_book(99, as_of_book_version=1)
        await uow.commit()
    async with container.author_uow() as uow:
        loaded = await uow.authors.get(author.id)
    assert loaded is not None
    assert loaded.biography == Biography("Analyst")
    assert loaded.book_ids == [99]
    assert loaded.version == 3
