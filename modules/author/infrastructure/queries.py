"""Author's read side: one SELECT per request, SQLAlchemy Core run by the ReadDatabase.

An author is shown with their newest books (RECENT_BOOKS at most) and how many they list.
The titles are the Book context's: it publishes them as the view `book_titles`
(migration 0006), joined in the same SELECT.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    MetaData,
    Select,
    String,
    Table,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from modules.author.application.queries import (
    RECENT_BOOKS,
    AuthorBookView,
    AuthorFilter,
    AuthorView,
)
from modules.author.infrastructure.tables import author_books, authors
from modules.kernel.paging import Page, encode_position
from modules.kernel.text import folded
from modules.platform.db.read_database import ReadDatabase, Rows
from modules.platform.db.sql import containing, holds

# Book's published view. Not one of Author's tables: it hangs on a MetaData of its own,
# so nothing of Author's creates, migrates or writes it.
book_titles = Table(
    "book_titles",
    MetaData(),
    Column("id", BigInteger),
    Column("title", String),
)


def _with_books(page: Select[Any]) -> Select[Any]:
    """The authors `page` selects, one row per book shown (by book id), or one row with no
    book. A listed book that no longer exists joins to nothing."""
    chosen = page.subquery("a")
    # The id of the author's RECENT_BOOKS-th newest book (none if they have fewer): the
    # books from it on are shown. A correlated subquery rather than LATERAL, which SQLite
    # lacks; on both databases it and the join read the partial index ix_author_books_listed
    # backwards from the newest and stop there, however many books the author has.
    newest = author_books.alias("newest")
    oldest_shown = (
        select(newest.c.book_id)
        .where(newest.c.author_id == chosen.c.id, newest.c.listed == true())
        .order_by(newest.c.book_id.desc())
        .limit(literal_column("1"))
        .offset(literal_column(str(RECENT_BOOKS - 1)))
        .scalar_subquery()
    )
    return (
        select(
            chosen.c.id,
            chosen.c.first_name,
            chosen.c.last_name,
            chosen.c.age,
            chosen.c.biography,
            chosen.c.book_count,
            chosen.c.version,
            # Labelled: the rows are read by name, and the author has an `id` too.
            book_titles.c.id.label("book_id"),
            book_titles.c.title.label("book_title"),
        )
        .select_from(
            chosen.outerjoin(
                author_books,
                and_(
                    author_books.c.author_id == chosen.c.id,
                    author_books.c.listed == true(),
                    author_books.c.book_id >= func.coalesce(oldest_shown, literal_column("0")),
                ),
            ).outerjoin(book_titles, book_titles.c.id == author_books.c.book_id)
        )
        .order_by(chosen.c.id, author_books.c.book_id)
    )


_AUTHOR_BY_ID = _with_books(select(authors).where(authors.c.id == bindparam("id")))
_EXISTING = select(authors.c.id).where(authors.c.id.in_(bindparam("ids", expanding=True)))


def _in_either_name(pattern: str) -> ColumnElement[bool]:
    # On PostgreSQL the folded names' trigram indexes answer it.
    return or_(
        holds(authors.c.first_name_folded, pattern),
        holds(authors.c.last_name_folded, pattern),
    )


def _full_name(first: ColumnElement[str], second: ColumnElement[str]) -> ColumnElement[str]:
    return first + literal_column("' '", String) + second


@cache
def _page_statement(*, after: bool, words: int, first_name: bool, last_name: bool) -> Select[Any]:
    """One statement per combination of filters, built once: values are bound parameters.
    `words`: how many words the name filter has (0, 1, or 2 for several)."""
    page = select(authors).order_by(authors.c.id).limit(bindparam("limit"))
    if after:
        page = page.where(authors.c.id > bindparam("after_id"))
    if words == 1:
        page = page.where(_in_either_name("name_pattern"))
    elif words > 1:
        # A part of the full name, in either order. Its first and its last word are then
        # each a part of one of the names: asked first, the trigram indexes can answer.
        page = page.where(
            _in_either_name("first_word_pattern"),
            _in_either_name("last_word_pattern"),
            or_(
                holds(
                    _full_name(authors.c.first_name_folded, authors.c.last_name_folded),
                    "name_pattern",
                ),
                holds(
                    _full_name(authors.c.last_name_folded, authors.c.first_name_folded),
                    "name_pattern",
                ),
            ),
        )
    # On PostgreSQL the trigram indexes of the folded names answer equality too (pg_trgm 1.6).
    if first_name:
        page = page.where(authors.c.first_name_folded == bindparam("first_name"))
    if last_name:
        page = page.where(authors.c.last_name_folded == bindparam("last_name"))
    return _with_books(page)


def _views(rows: Rows) -> list[AuthorView]:
    """Rows ordered by author come back as one view per author. Built with positional
    arguments: keyword calls of these frozen dataclasses cost more (docs/performance.md)."""
    views: list[AuthorView] = []
    books: list[AuthorBookView] = []
    for row in rows:
        author_id = row["id"]
        if not views or views[-1].id != author_id:
            books = []
            views.append(
                AuthorView(
                    author_id,
                    row["first_name"],
                    row["last_name"],
                    row["age"],
                    row["biography"],
                    books,
                    row["book_count"],
                    row["version"],
                )
            )
        book_id = row["book_id"]
        if book_id is not None:
            books.append(AuthorBookView(book_id, row["book_title"]))
    return views


def _folded_or_none(name: str | None) -> str | None:
    return None if name is None else folded(name)


class SqlAuthorQueries:
    def __init__(self, database: ReadDatabase) -> None:
        self._database = database

    async def get(self, author_id: int) -> AuthorView | None:
        views = _views(await self._database.rows(_AUTHOR_BY_ID, {"id": author_id}))
        return views[0] if views else None

    async def list(
        self, author_filter: AuthorFilter, *, after_id: int | None, limit: int
    ) -> Page[AuthorView]:
        words = folded(author_filter.name or "").split()
        statement = _page_statement(
            after=after_id is not None,
            words=min(len(words), 2),
            first_name=author_filter.first_name is not None,
            last_name=author_filter.last_name is not None,
        )
        parameters = {
            "limit": limit + 1,  # one more than asked: is there a next page?
            "after_id": after_id,
            "name_pattern": containing(" ".join(words)) if words else None,
            "first_word_pattern": containing(words[0]) if words else None,
            "last_word_pattern": containing(words[-1]) if words else None,
            "first_name": _folded_or_none(author_filter.first_name),
            "last_name": _folded_or_none(author_filter.last_name),
        }
        views = _views(await self._database.rows(statement, parameters))
        has_more = len(views) > limit
        views = views[:limit]
        if not has_more:
            return Page(items=views, next_cursor=None)
        cursor = encode_position(
            order="id", scope=author_filter.scope(), key=None, after_id=views[-1].id
        )
        return Page(items=views, next_cursor=cursor)


class SqlAuthorDirectory:
    """Implements Book's `AuthorDirectory` port. It serves the write side (a book may only
    name authors that exist), so it asks the engine, where `IN (...)` lists expand."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def existing(self, author_ids: Sequence[int]) -> set[int]:
        if not author_ids:
            return set()
        async with self._engine.connect() as connection:
            rows = await connection.execute(_EXISTING, {"ids": list(set(author_ids))})
            return {row.id for row in rows}
