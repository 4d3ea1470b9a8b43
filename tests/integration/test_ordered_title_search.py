"""A title search in every order: the walk along the order's index and the title index
it falls back to give the same pages, which are the order's, on both databases."""

from __future__ import annotations

import pytest

import modules.book.infrastructure.queries as book_read_side
from modules.book.application.queries import BookFilter, BookOrder, BookView
from modules.book.application.use_cases.create_book import CreateBookCommand
from modules.container import Container
from modules.kernel.text import folded
from tests.integration.helpers import next_isbn

# (title, price, publication_year): prices and years tie, titles tie once folded.
BOOKS = [
    ("The Sea", 300, 1990),
    ("Seaside Stories", 100, 2001),
    ("the sea", 300, 1950),
    ("Mountains", 200, 1990),
    ("Overseas", 100, 1970),
    ("THE SEA", 500, 2001),
    ("Desert", 400, 1960),
    ("Sea of Glass", 200, 1990),
    ("Chelsea Days", 300, 1980),
]


def _expected(views: list[BookView], order: BookOrder) -> list[int]:
    def key(book: BookView) -> tuple[object, int]:
        value = folded(book.title) if order.field == "title" else getattr(book, order.field)
        return (value if order.field != "id" else 0), book.id

    return [book.id for book in sorted(views, key=key, reverse=order.descending)]


@pytest.mark.parametrize("walk", [1, 3, 1000])
async def test_each_order_pages_through_a_title_search_in_that_order(
    container: Container, monkeypatch: pytest.MonkeyPatch, walk: int
) -> None:
    monkeypatch.setattr(book_read_side, "TITLE_WALK_BOOKS", walk)
    for title, price, year in BOOKS:
        await container.create_book()(
            CreateBookCommand(
                title=title, isbn=next_isbn(), pages=1, price=price, publication_year=year
            )
        )
    queries = container.book_queries()
    everything = await queries.list(BookFilter(), after_id=None, limit=100)
    matching = [book for book in everything.items if "sea" in folded(book.title)]
    assert len(matching) == 7

    for order in BookOrder:
        seen: list[int] = []
        after_id, after_key = None, None
        while True:
            page = await queries.list(
                BookFilter(title="SEA"),
                after_id=after_id,
                limit=2,
                order=order,
                after_key=after_key,
            )
            seen += [book.id for book in page.items]
            if page.next_cursor is None:
                break
            last = page.items[-1]
            after_id, after_key = last.id, order.key_of(last)
        assert seen == _expected(matching, order), order
