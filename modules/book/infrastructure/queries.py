"""Book's read side in SQLAlchemy Core: a fixed number of queries per request, no ORM."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from modules.book.application.ports import AuthorName, AuthorNames
from modules.book.application.queries import BookFilter, BookView
from modules.book.infrastructure.tables import book_authors, books
from modules.shared.application.paging import Page, encode_cursor
from modules.shared.infrastructure.sql import contains_ignoring_case

_BOOK_COLUMNS = (
    books.c.id,
    books.c.title,
    books.c.isbn,
    books.c.pages,
    books.c.price,
    books.c.publication_year,
    books.c.version,
)

# Built once: the statements of the hot paths take their values as bound parameters.
_BOOK_BY_ID = select(*_BOOK_COLUMNS).where(books.c.id == bindparam("id"))
_AUTHOR_LINKS = (
    select(book_authors.c.book_id, book_authors.c.author_id)
    .where(book_authors.c.book_id.in_(bindparam("ids", expanding=True)))
    .order_by(book_authors.c.book_id, book_authors.c.position)
)
_TITLES = select(books.c.id, books.c.title).where(books.c.id.in_(bindparam("ids", expanding=True)))


class SqlBookQueries:
    def __init__(self, engine: AsyncEngine, author_names: AuthorNames) -> None:
        self._engine = engine
        self._author_names = author_names

    async def get(self, book_id: int) -> BookView | None:
        views = await self._fetch(_BOOK_BY_ID, {"id": book_id})
        return views[0] if views else None

    async def list(
        self, book_filter: BookFilter, *, after_id: int | None, limit: int
    ) -> Page[BookView]:
        statement = select(*_BOOK_COLUMNS).order_by(books.c.id).limit(limit + 1)
        if after_id is not None:
            statement = statement.where(books.c.id > after_id)
        if book_filter.title:
            statement = statement.where(contains_ignoring_case(books.c.title, book_filter.title))
        if book_filter.author_id is not None:
            statement = statement.where(
                books.c.id.in_(
                    select(book_authors.c.book_id).where(
                        book_authors.c.author_id == book_filter.author_id
                    )
                )
            )
        views = await self._fetch(statement)
        has_more = len(views) > limit
        views = views[:limit]
        cursor = encode_cursor(views[-1].id) if has_more else None
        return Page(items=views, next_cursor=cursor)

    async def _fetch(
        self,
        statement: Select,  # type: ignore[type-arg]
        parameters: dict[str, object] | None = None,
    ) -> list[BookView]:
        async with self._engine.connect() as connection:
            rows = (await connection.execute(statement, parameters or {})).all()
            authors_of = await self._author_ids_of(connection, [row.id for row in rows])
        # The names belong to the Author context: asked through its port, in one query.
        names = await self._author_names.names_for(
            list({a for ids in authors_of.values() for a in ids})
        )
        return [
            BookView(
                id=row.id,
                title=row.title,
                isbn=row.isbn,
                pages=row.pages,
                price=row.price,
                publication_year=row.publication_year,
                version=row.version,
                authors=[
                    AuthorName(id=a, first_name=names[a][0], last_name=names[a][1])
                    for a in authors_of.get(row.id, ())
                    if a in names
                ],
            )
            for row in rows
        ]

    @staticmethod
    async def _author_ids_of(
        connection: AsyncConnection, book_ids: Sequence[int]
    ) -> dict[int, list[int]]:
        if not book_ids:
            return {}
        rows = await connection.execute(_AUTHOR_LINKS, {"ids": list(book_ids)})
        result: dict[int, list[int]] = defaultdict(list)
        for book_id, author_id in rows:
            result[book_id].append(author_id)
        return result


class SqlBookTitles:
    """Implements Author's `BookTitles` port: the current titles of some books."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def titles_for(self, book_ids: Sequence[int]) -> dict[int, str]:
        if not book_ids:
            return {}
        async with self._engine.connect() as connection:
            rows = await connection.execute(_TITLES, {"ids": list(book_ids)})
            return {row.id: row.title for row in rows}
