"""Each order of GET /books reads its page from its own index (migration 0013), on
PostgreSQL, in the generic plan a prepared statement ends with: the first page and a deep
one read about as many books as they show, however many there are."""

from __future__ import annotations

import pytest
from sqlalchemy import text

import modules.book.infrastructure.queries as book_read_side
from modules.book.application.queries import BookFilter, BookOrder
from modules.container import Container
from modules.kernel.text import folded
from tests.integration.test_read_models import _ROWS, _explain_each_read

INDEX_OF = {
    "id": "pk_books",
    "title": "ix_books_title_folded_id",
    "publication_year": "ix_books_publication_year_id",
    "price": "ix_books_price_id",
}
BOOKS = 2000


async def _a_catalogue(container: Container) -> None:
    """BOOKS books with titles, years and prices in no particular order, written straight
    into the table (the read side needs nothing else), then analysed."""
    async with container.engine().begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO books"
                " (id, title, title_folded, isbn, pages, price, publication_year, version)"
                " SELECT n, md5(CAST(n AS TEXT)), md5(CAST(n AS TEXT)),"
                " CAST(8000000000000 + n AS TEXT), 1,"
                " (n * 7919) % 100000, 1900 + (n * 31) % 120, 1"
                " FROM generate_series(1, :books) AS n"
            ),
            {"books": BOOKS},
        )
    async with container.engine().connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE books"))


async def _expected_order(container: Container, order: BookOrder) -> list[int]:
    """Every book's id in `order`, as the documented rule says: the key (a title folded),
    then the id, both reversed for a `-` order. md5 titles are their own folded form."""
    async with container.engine().connect() as connection:
        rows = (
            await connection.execute(text("SELECT id, title, price, publication_year FROM books"))
        ).all()
    field = order.field
    keyed = [
        (folded(row.title) if field == "title" else getattr(row, field), row.id) for row in rows
    ]
    return [book_id for _, book_id in sorted(keyed, reverse=order.descending)]


@pytest.mark.parametrize("order", [o for o in BookOrder if o is not BookOrder.ID])
async def test_each_order_reads_a_page_from_its_index(
    container: Container, monkeypatch: pytest.MonkeyPatch, order: BookOrder
) -> None:
    if not container.settings().database_url.startswith("postgresql"):
        pytest.skip("the plan is PostgreSQL's")
    await _a_catalogue(container)
    expected = await _expected_order(container, order)
    queries = container.book_queries()
    hundred = await queries.list(BookFilter(), after_id=None, limit=100, order=order)
    last = hundred.items[-1]
    plans = _explain_each_read(monkeypatch)

    first = await queries.list(BookFilter(), after_id=None, limit=20, order=order)
    deep = await queries.list(
        BookFilter(), after_id=last.id, after_key=order.key_of(last), limit=20, order=order
    )
    years = await queries.list(
        BookFilter(publication_year_min=1950),
        after_id=last.id,
        after_key=order.key_of(last),
        limit=20,
        order=order,
    )

    assert [b.id for b in first.items] == expected[:20]
    assert [b.id for b in deep.items] == expected[100:120]
    assert len(years.items) == 20 and all(b.publication_year >= 1950 for b in years.items)
    index = INDEX_OF[order.field]
    scan = "Index Scan Backward" if order.descending else "Index Scan"
    assert len(plans) == 3
    for plan in plans:
        assert f"{scan} using {index} on books" in plan, plan
        read = [
            int(rows) * int(loops)
            for line in plan.splitlines()
            if f"using {index} on books" in line
            for rows, loops in _ROWS.findall(line)
        ]
        # A page asks for one more than it shows; a year filter passes over some books.
        assert read and max(read) <= 60, plan


@pytest.mark.parametrize("order", list(BookOrder))
async def test_a_rare_title_in_any_order_is_found_through_the_title_index(
    container: Container, monkeypatch: pytest.MonkeyPatch, order: BookOrder
) -> None:
    """The title search walks a few books along the order's index, then asks the title
    index: a text in one title of the catalogue never reads the whole order's index."""
    if not container.settings().database_url.startswith("postgresql"):
        pytest.skip("the plan is PostgreSQL's")
    monkeypatch.setattr(book_read_side, "TITLE_WALK_BOOKS", 50)
    await _a_catalogue(container)
    async with container.engine().connect() as connection:
        rare, wanted = (
            await connection.execute(text("SELECT substr(title, 3, 10), id FROM books LIMIT 1"))
        ).one()
    plans = _explain_each_read(monkeypatch)

    page = await container.book_queries().list(
        BookFilter(title=rare.upper()), after_id=None, limit=20, order=order
    )

    assert [book.id for book in page.items] == [wanted]
    (plan,) = plans
    assert "Bitmap Index Scan on ix_books_title_pieces" in plan, plan
    index = INDEX_OF[order.field]
    read = [
        int(rows) * int(loops)
        for line in plan.splitlines()
        if f"using {index} on books" in line
        for rows, loops in _ROWS.findall(line)
    ]
    assert read and max(read) <= 50, plan  # the walk, not the catalogue
