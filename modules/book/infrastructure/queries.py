"""Book's read side: one SELECT per request, SQLAlchemy Core run by the ReadDatabase.

A book is shown with its authors' names. The names are the Author context's: it
publishes them as the view `author_names` (migration 0006), and the book's SELECT joins
to that view - one round trip, with no knowledge of how Author stores its authors.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    MetaData,
    Select,
    String,
    Table,
    bindparam,
    func,
    select,
    union_all,
)

from modules.book.application.queries import AuthorName, BookFilter, BookView
from modules.book.infrastructure.tables import book_authors, books
from modules.shared.application.paging import Page, encode_cursor
from modules.shared.infrastructure.read_database import ReadDatabase
from modules.shared.infrastructure.sql import (
    containing,
    contains_ignoring_case,
    contains_ignoring_case_and_spaces,
    without_spaces,
)

# Author's published view. Not one of Book's tables: it hangs on a MetaData of its own,
# so nothing of Book's creates, migrates or writes it.
author_names = Table(
    "author_names",
    MetaData(),
    Column("id", BigInteger),
    Column("first_name", String),
    Column("last_name", String),
)


def _with_authors(page: Select[Any]) -> Select[Any]:
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
            author_names.c.id,
            author_names.c.first_name,
            author_names.c.last_name,
        )
        .select_from(
            chosen.outerjoin(book_authors, book_authors.c.book_id == chosen.c.id).outerjoin(
                author_names, author_names.c.id == book_authors.c.author_id
            )
        )
        .order_by(chosen.c.id, book_authors.c.position)
    )


_BOOK_BY_ID = _with_authors(select(books).where(books.c.id == bindparam("id")))


# How many books, in id order, a title search reads before it turns to the trigram index.
# A word in one title of a hundred fills a page of 20 within about 2,000 books, so the
# walk answers the common words; rarer ones have few matches, which the index finds fast.
TITLE_WALK_BOOKS = 5000


def _title_page(*, after: bool) -> Select[Any]:
    """A page of books whose title contains a text, in id order, at a cost that does not
    grow with the catalogue for common words.

    The two ways to find it fail in opposite cases. Walking the books in id order and
    keeping the matches stops after a page of matches: quick for a common word, a read of
    the whole table for a rare one. The trigram index finds every match, which must then
    be sorted: quick for a rare word, but a common word matches 1 % of a million books.
    PostgreSQL cannot tell which case it is in (it estimated 95 matches for a word with
    11,609) and often picks the wrong one. So the statement does both, in order: it walks
    TITLE_WALK_BOOKS books and, only if they hold less than a page, asks the index (the
    MATERIALIZED fence keeps the planner from turning that back into a walk of the whole
    table). The walk's matches are the first ones after the cursor, so either way the page
    is exactly what `ORDER BY id LIMIT n` over all matches would return.
    """
    walk = select(books.c.id, books.c.title).order_by(books.c.id).limit(bindparam("walk"))
    matches = select(books.c.id).where(
        # The index holds titles without their spaces, so its trigrams span words: "sea of
        # the fox" also asks for "aof" (729 titles in a million), not only for trigrams
        # most titles hold (" of", "the"). It finds a few more titles than match; the
        # exact condition drops them.
        contains_ignoring_case_and_spaces(books.c.title, "title_pattern_without_spaces"),
        contains_ignoring_case(books.c.title, "title_pattern"),
    )
    if after:
        walk = walk.where(books.c.id > bindparam("after_id"))
        matches = matches.where(books.c.id > bindparam("after_id"))
    walked_books = walk.subquery("walked_books")
    walked = (
        select(walked_books.c.id)
        .where(contains_ignoring_case(walked_books.c.title, "title_pattern"))
        .order_by(walked_books.c.id)
        .limit(bindparam("limit"))
        .cte("walked")
    )
    walk_found = select(func.count()).select_from(walked).scalar_subquery()
    indexed = (
        matches.where(walk_found < bindparam("limit"))  # the index is not read at all else
        .cte("indexed")
        .prefix_with("MATERIALIZED")
    )
    first_indexed = (
        select(indexed.c.id).order_by(indexed.c.id).limit(bindparam("limit")).cte("first_indexed")
    )
    chosen = union_all(
        select(walked.c.id).where(walk_found >= bindparam("limit")),
        select(first_indexed.c.id),
    ).subquery("chosen")
    return (
        select(books)
        .join(chosen, chosen.c.id == books.c.id)
        .order_by(books.c.id)
        .limit(bindparam("limit"))
    )


@cache
def _page_statement(*, after: bool, title: bool, author: bool) -> Select[Any]:
    """One statement per combination of filters, built once: values are bound parameters."""
    if title and not author:
        return _with_authors(_title_page(after=after))
    page = select(books).order_by(books.c.id).limit(bindparam("limit"))
    if after:
        page = page.where(books.c.id > bindparam("after_id"))
    if title:
        page = page.where(contains_ignoring_case(books.c.title, "title_pattern"))
    if author:
        page = page.where(
            books.c.id.in_(
                select(book_authors.c.book_id).where(
                    book_authors.c.author_id == bindparam("author_id")
                )
            )
        )
    return _with_authors(page)


def _views(rows: Sequence[Sequence[Any]]) -> list[BookView]:
    """Rows ordered by book come back as one view per book."""
    views: list[BookView] = []
    authors: list[AuthorName] = []
    for book_id, title, isbn, pages, price, year, version, author_id, first, last in rows:
        if not views or views[-1].id != book_id:
            authors = []
            views.append(BookView(book_id, title, isbn, pages, price, year, authors, version))
        if author_id is not None:
            authors.append(AuthorName(author_id, first, last))
    return views


class SqlBookQueries:
    def __init__(self, database: ReadDatabase) -> None:
        self._database = database

    async def get(self, book_id: int) -> BookView | None:
        views = _views(await self._database.rows(_BOOK_BY_ID, {"id": book_id}))
        return views[0] if views else None

    async def list(
        self, book_filter: BookFilter, *, after_id: int | None, limit: int
    ) -> Page[BookView]:
        statement = _page_statement(
            after=after_id is not None,
            title=bool(book_filter.title),
            author=book_filter.author_id is not None,
        )
        title_pattern = containing(book_filter.title) if book_filter.title else None
        parameters = {
            "limit": limit + 1,  # one more than asked: is there a next page?
            "after_id": after_id,
            "title_pattern": title_pattern,
            "title_pattern_without_spaces": title_pattern and without_spaces(title_pattern),
            "author_id": book_filter.author_id,
            "walk": TITLE_WALK_BOOKS,
        }
        views = _views(await self._database.rows(statement, parameters))
        has_more = len(views) > limit
        views = views[:limit]
        return Page(items=views, next_cursor=encode_cursor(views[-1].id) if has_more else None)
