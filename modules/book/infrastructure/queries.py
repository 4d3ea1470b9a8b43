"""Book's read side: one SELECT per request, SQLAlchemy Core run by the ReadDatabase.

A book is shown with its authors' names. The names are the Author context's: it
publishes them as the view `author_names` (migration 0006), and the book's SELECT joins
to that view - one round trip, with no knowledge of how Author stores its authors.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    bindparam,
    select,
)

from modules.book.application.queries import AuthorName, BookFilter, BookOrder, BookView
from modules.book.infrastructure.orders import after_cursor, ordered
from modules.book.infrastructure.tables import book_authors, books
from modules.book.infrastructure.title_search import (  # noqa: F401  (tests read the length)
    TITLE_PIECE_LENGTH,
    TITLE_WALK_BOOKS,
    title_contains,
    title_page,
)
from modules.kernel.paging import Key, Page, encode_position
from modules.kernel.text import folded
from modules.platform.db.read_database import ReadDatabase, Rows
from modules.platform.db.sql import containing

# Author's published view. Not one of Book's tables: it hangs on a MetaData of its own,
# so nothing of Book's creates, migrates or writes it.
author_names = Table(
    "author_names",
    MetaData(),
    Column("id", BigInteger),
    Column("first_name", String),
    Column("last_name", String),
)


def _with_authors(page: Select[Any], order: BookOrder = BookOrder.ID) -> Select[Any]:
    """The books `page` selects, one row per author (in the book's order of authors), or
    one row with no author. A link to an author who no longer exists joins to nothing."""
    chosen = page.subquery("b")
    return (
        select(
            chosen.c.id,
            chosen.c.title,
            chosen.c.isbn,
            chosen.c.pages,
            chosen.c.price,
            chosen.c.publication_year,
            chosen.c.version,
            # Labelled: the rows are read by name, and the book has an `id` too.
            author_names.c.id.label("author_id"),
            author_names.c.first_name.label("author_first_name"),
            author_names.c.last_name.label("author_last_name"),
        )
        .select_from(
            chosen.outerjoin(book_authors, book_authors.c.book_id == chosen.c.id).outerjoin(
                author_names, author_names.c.id == book_authors.c.author_id
            )
        )
        .order_by(*ordered(chosen.c, order), book_authors.c.position)
    )


_BOOK_BY_ID = _with_authors(select(books).where(books.c.id == bindparam("id")))


@cache
def _page_statement(
    *,
    after: bool,
    title: bool,
    author: bool,
    isbn: bool = False,
    year_min: bool = False,
    year_max: bool = False,
    title_index: bool = False,
    order: BookOrder = BookOrder.ID,
) -> Select[Any]:
    """One statement per combination of filters and order, built once: values are bound
    parameters. A title alone is the title search; other filters read the order's index."""
    if title and not (author or isbn or year_min or year_max):
        page = title_page(order=order, after=after, title_index=title_index)
    else:
        page = _filtered_page(
            order,
            after=after,
            title=title,
            author=author,
            isbn=isbn,
            year_min=year_min,
            year_max=year_max,
        )
    return _with_authors(page, order)


def _filtered_page(
    order: BookOrder,
    *,
    after: bool,
    title: bool,
    author: bool,
    isbn: bool,
    year_min: bool,
    year_max: bool,
) -> Select[Any]:
    """A page in `order`, read along that order's index, each filter checked on the books
    it yields until the page is full: a filter that few books pass reads far (docs/api.md)."""
    page = select(books).order_by(*ordered(books.c, order)).limit(bindparam("limit"))
    if after:
        page = page.where(after_cursor(order))
    if isbn:
        page = page.where(books.c.isbn == bindparam("isbn"))  # its unique index answers
    if title:
        page = page.where(title_contains(books.c.title_folded))
    if author:
        links = select(book_authors.c.book_id).where(
            book_authors.c.author_id == bindparam("author_id")
        )
        if after and order.field == "id":
            # The author's links in book order (ix_book_authors_author_id_book_id), from the
            # cursor on: a page reads as many as it shows, however many books they have.
            after_id = bindparam("after_id", type_=BigInteger())
            linked = book_authors.c.book_id
            links = links.where(linked < after_id if order.descending else linked > after_id)
        page = page.where(books.c.id.in_(links))
    if year_min:
        page = page.where(books.c.publication_year >= bindparam("year_min", type_=Integer()))
    if year_max:
        page = page.where(books.c.publication_year <= bindparam("year_max", type_=Integer()))
    return page


def _views(rows: Rows) -> list[BookView]:
    """Rows ordered by book come back as one view per book. Built with positional
    arguments: keyword calls of these frozen dataclasses cost more (docs/performance.md)."""
    views: list[BookView] = []
    authors: list[AuthorName] = []
    for row in rows:
        book_id = row["id"]
        if not views or views[-1].id != book_id:
            authors = []
            views.append(
                BookView(
                    book_id,
                    row["title"],
                    row["isbn"],
                    row["pages"],
                    row["price"],
                    row["publication_year"],
                    authors,
                    row["version"],
                )
            )
        author_id = row["author_id"]
        if author_id is not None:
            authors.append(AuthorName(author_id, row["author_first_name"], row["author_last_name"]))
    return views


class SqlBookQueries:
    def __init__(self, database: ReadDatabase) -> None:
        self._database = database
        self._title_index = database.dialect == "postgresql"  # migration 0014

    async def get(self, book_id: int) -> BookView | None:
        views = _views(await self._database.rows(_BOOK_BY_ID, {"id": book_id}))
        return views[0] if views else None

    async def list(
        self,
        book_filter: BookFilter,
        *,
        after_id: int | None,
        limit: int,
        order: BookOrder = BookOrder.ID,
        after_key: Key = None,
    ) -> Page[BookView]:
        title = folded(book_filter.title) if book_filter.title else None
        if order.field == "title" and isinstance(after_key, str):
            after_key = folded(after_key)  # the cursor keeps the title as shown
        year_min, year_max = book_filter.publication_year_min, book_filter.publication_year_max
        statement = _page_statement(
            after=after_id is not None,
            title=bool(title),
            author=book_filter.author_id is not None,
            isbn=book_filter.isbn is not None,
            year_min=year_min is not None,
            year_max=year_max is not None,
            title_index=self._title_index and bool(title),
            order=order,
        )
        parameters = {
            "limit": limit + 1,  # one more than asked: is there a next page?
            "after_id": after_id,
            "after_key": after_key,
            "year_min": year_min,
            "year_max": year_max,
            "title": title,
            "title_pattern": containing(title) if title else None,
            "author_id": book_filter.author_id,
            "isbn": book_filter.isbn.value if book_filter.isbn else None,
            "walk": TITLE_WALK_BOOKS,
        }
        views = _views(await self._database.rows(statement, parameters))
        has_more = len(views) > limit
        views = views[:limit]
        if not has_more:
            return Page(items=views, next_cursor=None)
        last = views[-1]
        cursor = encode_position(
            order=order, scope=book_filter.scope(), key=order.key_of(last), after_id=last.id
        )
        return Page(items=views, next_cursor=cursor)
