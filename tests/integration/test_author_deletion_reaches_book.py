"""Book hears of a deleted author (AuthorDeleted): it takes them off the books that name
them and refuses them from then on, in whichever order the two meet (ADR 0011)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from modules.author.domain.events import AuthorDeleted
from modules.book.domain.errors import AuthorNotFound, UnknownAuthors
from modules.container import Container
from tests.integration.helpers import create_author, create_book


class EveryAuthorExists:
    """An author directory that is always out of date: it knows of no deletion."""

    async def existing(self, author_ids: Sequence[int]) -> set[int]:
        return set(author_ids)


async def book_author_ids(container: Container, book_id: int) -> tuple[list[int], int]:
    async with container.book_uow() as uow:
        book = await uow.books.get(book_id)
    assert book is not None
    return book.author_ids, book.version


async def unnoticed_link(container: Container, book_id: int, author_id: int) -> None:
    """A link Author has not heard of yet: its handler does nothing, so the author's
    deletion goes through while the book names them - the race, without the timing."""

    async def not_yet(event: object) -> None:
        return None

    with container.when_author_added_to_book.override(not_yet):
        await container.add_author_to_book()(book_id, author_id)


async def test_a_deleted_author_is_taken_off_the_books_that_name_them(
    container: Container,
) -> None:
    leaving, staying = await create_author(container), await create_author(container)
    book_id = await create_book(container, author_ids=[staying])
    other_book = await create_book(container)
    await unnoticed_link(container, book_id, leaving)
    await unnoticed_link(container, other_book, leaving)

    await container.delete_author()(leaving)  # Author saw no book: the deletion succeeds

    assert await book_author_ids(container, book_id) == ([staying], 3)
    assert await book_author_ids(container, other_book) == ([], 3)
    await container.relay().complete_delivered()  # not waiting for the next batch
    stats = await container.outbox().stats()
    assert (stats.pending, stats.dead) == (0, 0)


async def test_a_book_refuses_an_author_it_heard_was_deleted(container: Container) -> None:
    author_id = await create_author(container)
    book_id = await create_book(container)
    await container.delete_author()(author_id)

    with container.author_directory.override(EveryAuthorExists()):
        with pytest.raises(AuthorNotFound):
            await container.add_author_to_book()(book_id, author_id)
        kept = await create_author(container)
        with pytest.raises(UnknownAuthors) as refused:
            await create_book(container, author_ids=[kept, author_id])
    assert refused.value.author_ids == [author_id]
    assert await book_author_ids(container, book_id) == ([], 1)


async def test_the_news_delivered_again_changes_nothing(container: Container) -> None:
    author_id = await create_author(container)
    book_id = await create_book(container)
    await unnoticed_link(container, book_id, author_id)
    event = AuthorDeleted(author_id=author_id)
    handler = container.when_author_deleted()

    await handler(event)
    await handler(event)

    assert await book_author_ids(container, book_id) == ([], 3)


async def test_news_arriving_while_a_book_names_the_author_waits_for_it(
    container: Container,
) -> None:
    """The book's transaction has checked the author and not yet committed; the news of
    the deletion waits for it, then takes the author off the book."""
    author_id = await create_author(container)
    book_id = await create_book(container)
    async with container.book_uow() as uow:
        assert await uow.deleted_authors.among([author_id]) == set()
        book = await uow.books.get(book_id, for_update=True)
        assert book is not None
        book.add_author(author_id)
        news = asyncio.create_task(
            container.when_author_deleted()(AuthorDeleted(author_id=author_id))
        )
        await asyncio.sleep(0.5)
        assert not news.done(), "the news did not wait for the book's transaction"
        await uow.commit()
    await asyncio.wait_for(news, timeout=10)

    assert await book_author_ids(container, book_id) == ([], 3)


async def test_a_book_naming_the_author_while_the_news_is_recorded_waits_and_is_refused(
    container: Container,
) -> None:
    author_id = await create_author(container)
    book_id = await create_book(container)
    with container.author_directory.override(EveryAuthorExists()):
        async with container.book_uow() as uow:
            await uow.deleted_authors.record(author_id)
            addition = asyncio.create_task(container.add_author_to_book()(book_id, author_id))
            await asyncio.sleep(0.5)
            assert not addition.done(), "the addition did not wait for the record"
            await uow.commit()
        with pytest.raises(AuthorNotFound):
            await asyncio.wait_for(addition, timeout=10)
    assert await book_author_ids(container, book_id) == ([], 1)
