"""Alembic: the migrations build exactly the mapped schema, and walk down and up again."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from modules.shared.infrastructure.database import include_in_autogenerate, metadata
from modules.shared.infrastructure.settings import Settings
from tests.conftest import BACKENDS, PROJECT_DIR, TEST_DATABASE_URL, _admin


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'stairway.db'}"
        return
    assert TEST_DATABASE_URL
    server = make_url(Settings(database_url=TEST_DATABASE_URL).database_url)
    name = f"catalogue_stairway_{uuid.uuid4().hex[:10]}"
    admin_url = server.render_as_string(hide_password=False)
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(admin_url, f'DROP DATABASE "{name}" WITH (FORCE)'))


def _config(url: str) -> Config:
    config = Config(str(PROJECT_DIR / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    return config


async def _differences_and_tables(url: str) -> tuple[list[object], set[str]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:

            def inspect_schema(sync_connection):  # type: ignore[no-untyped-def]
                context = MigrationContext.configure(
                    sync_connection,
                    opts={"compare_type": True, "include_object": include_in_autogenerate},
                )
                differences = compare_metadata(context, metadata)
                tables = set(inspect(sync_connection).get_table_names()) - {"alembic_version"}
                return differences, tables

            return await connection.run_sync(inspect_schema)
    finally:
        await engine.dispose()


async def _trigram_indexes(url: str) -> dict[str, list[str] | None]:
    """Each trigram index's name and storage options."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT indexname, reloptions FROM pg_indexes"
                    " JOIN pg_class ON pg_class.relname = indexname"
                    " WHERE indexdef LIKE '%gin_trgm_ops%'"
                )
            )
            return {row.indexname: row.reloptions for row in rows}
    finally:
        await engine.dispose()


_A_BOOK = "INSERT INTO books VALUES (1, 'It', '9780306406157', 10, 100, 2000, 1)"


async def _rows(url: str, query: str) -> set[tuple[object, ...]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return {tuple(row) for row in await connection.execute(text(query))}
    finally:
        await engine.dispose()


def test_migrations_match_the_mapping_and_walk_down_and_up(empty_database: str) -> None:
    config = _config(empty_database)
    command.upgrade(config, "0009")  # the steps below walk around it, whatever comes later
    _, tables_at_0009 = asyncio.run(_differences_and_tables(empty_database))
    command.upgrade(config, "head")
    differences, tables = asyncio.run(_differences_and_tables(empty_database))
    assert differences == []
    on_postgresql = empty_database.startswith("postgresql")
    # The titles' suffixes are PostgreSQL's search index, kept by a trigger (0009).
    assert tables == set(metadata.tables) | ({"book_title_suffixes"} if on_postgresql else set())

    if on_postgresql:
        # Updated in place (migration 0008): no pending list for every search to read.
        # The title's trigram index gave way to the suffixes (0009).
        assert asyncio.run(_trigram_indexes(empty_database)) == {
            "ix_authors_first_name_trgm": ["fastupdate=off"],
            "ix_authors_last_name_trgm": ["fastupdate=off"],
        }
        command.downgrade(config, "0008")
        assert asyncio.run(_trigram_indexes(empty_database)) == {
            "ix_books_title_without_spaces_trgm": ["fastupdate=off"],
            "ix_authors_first_name_trgm": ["fastupdate=off"],
            "ix_authors_last_name_trgm": ["fastupdate=off"],
        }
        _, tables = asyncio.run(_differences_and_tables(empty_database))
        assert tables == tables_at_0009 - {"book_title_suffixes"}
        # 0009 copies the titles already there into the suffix table.
        asyncio.run(_admin(empty_database, _A_BOOK))
        command.upgrade(config, "0009")
        assert asyncio.run(
            _rows(empty_database, "SELECT suffix, book_id FROM book_title_suffixes")
        ) == {("it", 1), ("t", 1)}
        asyncio.run(_admin(empty_database, "DELETE FROM books"))
        command.downgrade(config, "0008")
        command.downgrade(config, "0006")  # before 0007 and 0008: the index they replaced
        assert asyncio.run(_trigram_indexes(empty_database)) == {
            "ix_books_title_trgm": None,
            "ix_authors_first_name_trgm": None,
            "ix_authors_last_name_trgm": None,
        }

    command.downgrade(config, "base")
    _, tables = asyncio.run(_differences_and_tables(empty_database))
    assert tables == set()

    command.upgrade(config, "head")
    differences, _ = asyncio.run(_differences_and_tables(empty_database))
    assert differences == []
