"""Author's read side in SQLAlchemy Core, plus the ports Author offers to Book."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from modules.author.application.ports import BookTitles
from modules.author.application.queries import AuthorBookView, AuthorFilter, AuthorView
from modules.author.infrastructure.tables import author_books, authors
from modules.shared.application.paging import Page, encode_cursor
from modules.shared.infrastructure.sql import contains_ignoring_case

_AUTHOR_COLUMNS = (
    authors.c.id,
    authors.c.first_name,
    authors.c.last_name,
    authors.c.age,
    authors.c.biography,
    authors.c.version,
)

# Built once: the statements of the hot paths take their values as bound parameters.
_AUTHOR_BY_ID = select(*_AUTHOR_COLUMNS).where(authors.c.id == bindparam("id"))
_BOOK_LINKS = (
    select(author_books.c.author_id, author_books.c.book_id)
    .where(
        author_books.c.author_id.in_(bindparam("ids", expanding=True)),
        author_books.c.listed.is_(True),
    )
    .order_by(author_books.c.author_id, author_books.c.book_id)
)
_EXISTING = select(authors.c.id).where(authors.c.id.in_(bindparam("ids", expanding=True)))
_NAMES = select(authors.c.id, authors.c.first_name, authors.c.last_name).where(
    authors.c.id.in_(bindparam("ids", expanding=True))
)


class SqlAuthorQueries:
    def __init__(self, engine: AsyncEngine, book_titles: BookTitles) -> None:
        self._engine = engine
        self._book_titles = book_titles

    async def get(self, author_id: int) -> AuthorView | None:
        views = await self._fetch(_AUTHOR_BY_ID, {"id": author_id})
        return views[0] if views else None

    async def list(
        self, author_filter: AuthorFilter, *, after_id: int | None, limit: int
    ) -> Page[AuthorView]:
        statement = select(*_AUTHOR_COLUMNS).order_by(authors.c.id).limit(limit + 1)
        if after_id is not None:
            statement = statement.where(authors.c.id > after_id)
        if author_filter.name:
            statement = statement.where(
                or_(
                    contains_ignoring_case(authors.c.first_name, author_filter.name),
                    contains_ignoring_case(authors.c.last_name, author_filter.name),
                )
            )
        views = await self._fetch(statement)
        has_more = len(views) > limit
        views = views[:limit]
        return Page(items=views, next_cursor=encode_cursor(views[-1].id) if has_more else None)

    async def _fetch(
        self,
        statement: Select,  # type: ignore[type-arg]
        parameters: dict[str, object] | None = None,
    ) -> list[AuthorView]:
        async with self._engine.connect() as connection:
            rows = (await connection.execute(statement, parameters or {})).all()
            books_of: dict[int, list[int]] = defaultdict(list)
            if rows:
                links = await connection.execute(_BOOK_LINKS, {"ids": [row.id for row in rows]})
                for author_id, book_id in links:
                    books_of[author_id].append(book_id)
        # Titles belong to the Book context: asked through its port, in one query.
        titles = await self._book_titles.titles_for(
            list({b for ids in books_of.values() for b in ids})
        )
        return [
            AuthorView(
                id=row.id,
                first_name=row.first_name,
                last_name=row.last_name,
                age=row.age,
                biography=row.biography,
                version=row.version,
                books=[
                    AuthorBookView(id=b, title=titles[b])
                    for b in books_of.get(row.id, ())
                    if b in titles
                ],
            )
            for row in rows
        ]


class SqlAuthorDirectory:
    """Implements Book's `AuthorDirectory` and `AuthorNames` ports."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def existing(self, author_ids: Sequence[int]) -> set[int]:
        if not author_ids:
            return set()
        async with self._engine.connect() as connection:
            rows = await connection.execute(_EXISTING, {"ids": list(set(author_ids))})
            return {row.id for row in rows}

    async def names_for(self, author_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        if not author_ids:
            return {}
        async with self._engine.connect() as connection:
            rows = await connection.execute(_NAMES, {"ids": list(set(author_ids))})
            return {row.id: (row.first_name, row.last_name) for row in rows}
