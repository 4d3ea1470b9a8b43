"""The read side: DTOs straight from SQL, a fixed number of statements per request."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

import modules.book.infrastructure.queries as book_read_side
from modules.author.application.queries import AuthorFilter
from modules.author.application.use_cases.update_author import UpdateAuthorCommand
from modules.book.application.queries import BookFilter
from modules.container import Container
from modules.shared.infrastructure.read_database import AsyncpgReadDatabase
from tests.integration.helpers import create_author, create_book, statements_run


async def test_a_book_view_carries_its_authors_current_names(container: Container) -> None:
    author_id = await create_author(container, "Ursula", "Le Guin")
    book_id = await create_book(container, "The Lathe of Heaven", [author_id])
    await container.update_author()(
        UpdateAuthorCommand(
            author_id=author_id, first_name="U. K.", fields_set=frozenset({"first_name"})
        )
    )
    view = await container.book_queries().get(book_id)
    assert view is not None
    assert view.title == "The Lathe of Heaven"
    assert [(a.id, a.first_name, a.last_name) for a in view.authors] == [
        (author_id, "U. K.", "Le Guin")
    ]


async def test_an_author_view_carries_its_books_titles(container: Container) -> None:
    author_id = await create_author(container)
    first = await create_book(container, "One", [author_id])
    second = await create_book(container, "Two", [author_id])
    view = await container.author_queries().get(author_id)
    assert view is not None
    assert [(b.id, b.title) for b in view.books] == [(first, "One"), (second, "Two")]


async def test_title_filter_is_a_case_insensitive_substring_with_literal_wildcards(
    container: Container,
) -> None:
    await create_book(container, "100% Pure")
    await create_book(container, "1000 Pure")
    await create_book(container, "snake_case")
    await create_book(container, "snakeXcase")
    queries = container.book_queries()
    percent = await queries.list(BookFilter(title="0% p"), after_id=None, limit=10)
    assert [b.title for b in percent.items] == ["100% Pure"]
    underscore = await queries.list(BookFilter(title="E_C"), after_id=None, limit=10)
    assert [b.title for b in underscore.items] == ["snake_case"]


async def test_author_filter_and_name_filter(container: Container) -> None:
    ursula = await create_author(container, "Ursula", "Le Guin")
    await create_author(container, "Frank", "Herbert")
    mine = await create_book(container, "Mine", [ursula])
    await create_book(container, "Other")
    books = await container.book_queries().list(
        BookFilter(author_id=ursula), after_id=None, limit=10
    )
    assert [b.id for b in books.items] == [mine]
    authors = await container.author_queries().list(
        AuthorFilter(name="GUI"), after_id=None, limit=10
    )
    assert [a.id for a in authors.items] == [ursula]


async def test_keyset_pages_walk_every_row_once(container: Container) -> None:
    ids = [await create_book(container, f"Book {i}") for i in range(7)]
    queries = container.book_queries()
    seen: list[int] = []
    after: int | None = None
    pages = 0
    while True:
        page = await queries.list(BookFilter(), after_id=after, limit=3)
        seen.extend(b.id for b in page.items)
        pages += 1
        if page.next_cursor is None:
            break
        after = page.items[-1].id
    assert seen == ids
    assert pages == 3


async def test_statements_per_read_do_not_grow_with_the_page(container: Container) -> None:
    authors = [await create_author(container) for _ in range(3)]
    for i in range(15):
        await create_book(container, f"Book {i}", authors)
    queries = container.book_queries()
    with statements_run(container) as one:
        await queries.list(BookFilter(), after_id=None, limit=1)
    with statements_run(container) as fifteen:
        await queries.list(BookFilter(), after_id=None, limit=15)
    assert len(one) == len(fifteen) == 1  # books joined to their authors' names

    author_queries = container.author_queries()
    with statements_run(container) as author_one:
        await author_queries.list(AuthorFilter(), after_id=None, limit=1)
    with statements_run(container) as author_all:
        await author_queries.list(AuthorFilter(), after_id=None, limit=3)
    assert len(author_one) == len(author_all) == 1  # authors joined to their books' titles


@pytest.mark.parametrize("walk", [1, 4, 1000])
async def test_title_search_pages_are_the_same_whether_the_walk_or_the_index_finds_them(
    container: Container, monkeypatch: pytest.MonkeyPatch, walk: int
) -> None:
    """A title search walks TITLE_WALK_BOOKS books in id order and turns to the index when
    they hold less than a page. Whichever finds a page, paging through a text's matches
    gives each matching book once, in id order: with a walk of 4 a word in every title is
    found by the walk and the rarer ones by the index; with 1000 the walk finds them too."""
    monkeypatch.setattr(book_read_side, "TITLE_WALK_BOOKS", walk)
    titles = [
        " ".join(["Common", "Mid" if i % 3 == 0 else "", "Rare" if i % 7 == 0 else ""])
        for i in range(24)
    ]
    ids = [await create_book(container, title) for title in titles]
    queries = container.book_queries()
    # Phrases too: the index, keyed on titles without their spaces, also finds "commonmid"
    # in "Common Mid"; only the exact condition tells them apart.
    for word in ("common", "mid", "RARE", "none", "common mid", "commonmid", "n m", "mid  rare"):
        expected = [
            i for i, title in zip(ids, titles, strict=True) if word.lower() in title.lower()
        ]
        seen: list[int] = []
        after: int | None = None
        for _ in range(len(ids)):  # bounded: a cursor that never moves on fails, not hangs
            page = await queries.list(BookFilter(title=word), after_id=after, limit=3)
            assert len(page.items) <= 3
            seen.extend(b.id for b in page.items)
            if page.next_cursor is None:
                break
            after = page.items[-1].id
        assert seen == expected, word


async def test_the_title_index_answers_the_title_searchs_coarse_condition(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The coarse condition is only worth having if PostgreSQL answers it from the index of
    migration 0007, and for that the SQL the read side sends must name the index's
    expression to the letter. The search runs as the service runs it; its plan is taken on
    the same connection, with the same arguments, seq scans turned off so that a tiny test
    table still shows whether the index can be used at all."""
    if not container.settings().database_url.startswith("postgresql"):
        pytest.skip("the trigram index is PostgreSQL's; SQLite scans")
    await create_book(container, "The Sea of the Fox")
    plans: list[str] = []

    async def fetch_and_explain(pool: asyncpg.Pool, sql: str, arguments: list[Any]) -> Any:
        async with pool.acquire() as connection, connection.transaction():
            await connection.execute("SET LOCAL enable_seqscan = off")
            plan = await connection.fetch(f"EXPLAIN {sql}", *arguments)
            plans.append("\n".join(row[0] for row in plan))
            return await connection.fetch(sql, *arguments)

    monkeypatch.setattr(AsyncpgReadDatabase, "_fetch", staticmethod(fetch_and_explain))
    page = await container.book_queries().list(
        BookFilter(title="sea of the fox"), after_id=None, limit=20
    )
    assert [book.title for book in page.items] == ["The Sea of the Fox"]
    assert len(plans) == 1
    assert "ix_books_title_without_spaces_trgm" in plans[0], plans[0]
