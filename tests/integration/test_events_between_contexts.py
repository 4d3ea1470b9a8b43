"""Book's events reach Author through the bus, each handler in its own unit of work."""

from __future__ import annotations

from modules.book.domain.events import AuthorAddedToBook
from modules.container import Container
from tests.integration.helpers import create_author, create_book


async def author_book_ids(container: Container, author_id: int) -> list[int]:
    async with container.author_uow() as uow:
        author = await uow.authors.get(author_id)
    assert author is not None
    return author.book_ids


async def test_a_book_created_with_authors_is_listed_by_each_author(container: Container) -> None:
    first, second = await create_author(container), await create_author(container)
    book_id = await create_book(container, author_ids=[first, second])
    assert await author_book_ids(container, first) == [book_id]
    assert await author_book_ids(container, second) == [book_id]


async def test_adding_and_removing_an_author_updates_the_author(container: Container) -> None:
    author_id = await create_author(container)
    book_id = await create_book(container)
    await container.add_author_to_book()(book_id, author_id)
    assert await author_book_ids(container, author_id) == [book_id]
    await container.remove_author_from_book()(book_id, author_id)
    assert await author_book_ids(container, author_id) == []


async def test_a_deleted_book_is_forgotten_by_all_its_authors(container: Container) -> None:
    authors = [await create_author(container) for _ in range(3)]
    kept = await create_book(container, author_ids=authors)
    deleted = await create_book(container, author_ids=authors)
    await container.delete_book()(deleted)
    for author_id in authors:
        assert await author_book_ids(container, author_id) == [kept]


async def test_a_failing_handler_leaves_the_book_change_and_the_event_for_later(
    container: Container,
) -> None:
    """The outbox's first question (ADR 0004): Book committed, Author failed. Book's change
    stays, the request does not fail, and the event waits in the outbox until the relay
    delivers it."""
    author_id = await create_author(container)

    class Failing:
        async def __call__(self, event: AuthorAddedToBook) -> None:
            raise RuntimeError("author side is down")

    with container.when_author_added_to_book.override(Failing()):
        book_id = await create_book(container, author_ids=[author_id])

    async with container.book_uow() as uow:
        book = await uow.books.get(book_id)
    assert book is not None and book.author_ids == [author_id]
    assert await author_book_ids(container, author_id) == []
    stats = await container.outbox().stats()
    assert (stats.pending, stats.dead) == (1, 0)


async def test_a_repeated_event_changes_the_author_once(container: Container) -> None:
    author_id = await create_author(container)
    event = AuthorAddedToBook(book_id=777, author_id=author_id, book_version=1)
    handler = container.when_author_added_to_book()
    await handler(event)
    await handler(event)
    async with container.author_uow() as uow:
        author = await uow.authors.get(author_id)
    assert author is not None and author.book_ids == [777] and author.version == 2


async def test_news_of_one_book_changes_only_that_link(container: Container) -> None:
    author_id = await create_author(container)
    books = [await create_book(container, author_ids=[author_id]) for _ in range(12)]

    added = await create_book(container)
    await container.add_author_to_book()(added, author_id)
    await container.remove_author_from_book()(books[3], author_id)
    await container.delete_book()(books[7])

    expected = [b for b in books if b not in (books[3], books[7])] + [added]
    assert await author_book_ids(container, author_id) == sorted(expected)
