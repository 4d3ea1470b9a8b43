"""Alembic: the migrations build exactly the mapped schema, and walk down and up again."""

from __future__ import annotations

import asyncio
import os
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from modules.container import PUBLISHED_EVENTS, include_in_autogenerate
from modules.platform.db.database import metadata
from modules.platform.events.serializer import EventSerializer
from modules.platform.settings import Settings
from tests.conftest import BACKENDS, PROJECT_DIR, TEST_DATABASE_URL, _admin
from tests.unit.test_event_type_names import STORED_PAYLOADS


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


def _title_index(url: str) -> str | None:
    """The definition of the title search's index (migration 0014), if there is one."""
    rows = asyncio.run(
        _rows(url, "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_books_title_pieces'")
    )
    return next(iter(rows))[0] if rows else None  # type: ignore[return-value]


def test_migrations_match_the_mapping_and_walk_down_and_up(empty_database: str) -> None:
    config = _config(empty_database)
    command.upgrade(config, "0009")  # the steps below walk around it, whatever comes later
    _, tables_at_0009 = asyncio.run(_differences_and_tables(empty_database))
    command.upgrade(config, "head")
    differences, tables = asyncio.run(_differences_and_tables(empty_database))
    assert differences == []
    on_postgresql = empty_database.startswith("postgresql")
    # No table of the migrations' own: the title search's index is an index (0014).
    assert tables == set(metadata.tables)

    if on_postgresql:
        # Updated in place (migration 0008): no pending list for every search to read.
        # The title's trigram index gave way to the suffixes (0009), they to its pieces (0014).
        # The names' and the title's search indexes are on their folded copies (0015).
        assert asyncio.run(_trigram_indexes(empty_database)) == {
            "ix_authors_first_name_folded_trgm": ["fastupdate=off"],
            "ix_authors_last_name_folded_trgm": ["fastupdate=off"],
        }
        assert "book_title_pieces(title_folded)" in (_title_index(empty_database) or "")
        command.downgrade(config, "0014")
        assert asyncio.run(_trigram_indexes(empty_database)) == {
            "ix_authors_first_name_trgm": ["fastupdate=off"],
            "ix_authors_last_name_trgm": ["fastupdate=off"],
        }
        assert "book_title_pieces(lower((title)::text))" in (_title_index(empty_database) or "")
        # 0014's downgrade builds the suffix table of 0009 again, from the titles there are.
        asyncio.run(_admin(empty_database, _A_BOOK))
        command.downgrade(config, "0013")
        assert _title_index(empty_database) is None
        assert asyncio.run(
            _rows(empty_database, "SELECT suffix, book_id FROM book_title_suffixes")
        ) == {("it", 1), ("t", 1)}
        command.upgrade(config, "head")
        assert _title_index(empty_database) is not None
        assert asyncio.run(_differences_and_tables(empty_database))[1] == set(metadata.tables)
        asyncio.run(_admin(empty_database, "DELETE FROM books"))

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


# What an outbox held before events had type names of their own, and what 0011 makes of it.
_RENAMED = {
    ("book_outbox", "AuthorAddedToBook"): "book.author_added.v1",
    ("book_outbox", "AuthorRemovedFromBook"): "book.author_removed.v1",
    ("book_outbox", "BookDeleted"): "book.deleted.v1",
    ("author_outbox", "AuthorDeleted"): "author.deleted.v1",
}


async def _store_events_as_0010_did(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            for event_id, ((table, old_name), new_name) in enumerate(_RENAMED.items(), start=1):
                await connection.execute(
                    text(
                        f"INSERT INTO {table} (id, event_type, aggregate_id, payload,"
                        " occurred_at, attempts, available_at)"
                        " VALUES (:id, :type, 1, :payload, :at, 0, :at)"
                    ),
                    {
                        "id": event_id,
                        "type": old_name,
                        "payload": STORED_PAYLOADS[new_name],
                        "at": datetime(2026, 12, 7, tzinfo=UTC),
                    },
                )
    finally:
        await engine.dispose()


def test_0011_renames_the_events_waiting_in_the_outboxes_and_back(empty_database: str) -> None:
    config = _config(empty_database)
    command.upgrade(config, "0010")
    asyncio.run(_store_events_as_0010_did(empty_database))
    stored = (
        "SELECT 'book_outbox', event_type, payload FROM book_outbox UNION ALL"
        " SELECT 'author_outbox', event_type, payload FROM author_outbox"
    )

    command.upgrade(config, "0011")
    rows = asyncio.run(_rows(empty_database, stored))
    assert {(table, name) for table, name, _ in rows} == {
        (table, new_name) for (table, _), new_name in _RENAMED.items()
    }
    serializer = EventSerializer(PUBLISHED_EVENTS)  # and the relay can read every one
    assert {serializer.load(name, payload).type_name for _, name, payload in rows} == set(
        _RENAMED.values()
    )

    command.downgrade(config, "0010")
    rows = asyncio.run(_rows(empty_database, stored))
    assert {(table, name) for table, name, _ in rows} == set(_RENAMED)


def test_0012_counts_the_books_each_author_lists_and_keeps_their_links(
    empty_database: str,
) -> None:
    config = _config(empty_database)
    command.upgrade(config, "0011")
    statements = (
        "INSERT INTO authors (id, first_name, last_name, age, version)"
        " VALUES (1, 'Many', 'Books', 50, 4), (2, 'No', 'Books', 50, 1)",
        # Two books listed, one remembered as removed.
        "INSERT INTO author_books (author_id, book_id, book_version, listed)"
        " VALUES (1, 10, 1, true), (1, 11, 1, true), (1, 12, 2, false)",
    )
    for statement in statements:
        asyncio.run(_admin(empty_database, statement))
    links = "SELECT author_id, book_id, listed FROM author_books"
    before = asyncio.run(_rows(empty_database, links))

    command.upgrade(config, "0012")

    counts = "SELECT id, book_count FROM authors"
    assert asyncio.run(_rows(empty_database, counts)) == {(1, 2), (2, 0)}
    # SQLite rebuilds `authors` to drop the default: the cascade must not take the links.
    assert asyncio.run(_rows(empty_database, links)) == before
    command.downgrade(config, "0011")
    assert asyncio.run(_rows(empty_database, links)) == before
    assert asyncio.run(_rows(empty_database, "SELECT id, version FROM authors")) == {(1, 4), (2, 1)}


def test_0015_stores_the_texts_normalised_and_their_folded_copies(empty_database: str) -> None:
    config = _config(empty_database)
    command.upgrade(config, "0014")
    decomposed = unicodedata.normalize("NFD", "Émile 한강")
    statements = (
        "INSERT INTO books (id, title, isbn, pages, price, publication_year, version)"
        f" VALUES (1, ' {decomposed} ', '9780306406157', 10, 100, 2000, 1)",
        "INSERT INTO authors (id, first_name, last_name, age, biography, version, book_count)"
        f" VALUES (2, 'Straße ', '{decomposed}', 50, '{decomposed}', 3, 0)",
    )
    for statement in statements:
        asyncio.run(_admin(empty_database, statement))

    command.upgrade(config, "0015")

    composed = "Émile 한강"
    assert asyncio.run(_rows(empty_database, "SELECT title, title_folded, version FROM books")) == {
        (composed, "émile 한강", 1)
    }
    names = (
        "SELECT first_name, first_name_folded, last_name, last_name_folded, biography FROM authors"
    )
    assert asyncio.run(_rows(empty_database, names)) == {
        ("Straße", "strasse", composed, "émile 한강", composed)
    }
    command.downgrade(config, "0014")
    assert asyncio.run(_rows(empty_database, "SELECT title FROM books")) == {(composed,)}


NEXT_MIGRATION = '''"""a later migration that alters the tables the published views read

Revision ID: 9999
Revises: {head}
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import views_set_aside

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("books", "authors"):
        with views_set_aside(table), op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in ("books", "authors"):
        with views_set_aside(table), op.batch_alter_table(table) as batch:
            batch.drop_column("note")
'''


def test_the_next_migration_may_alter_the_tables_behind_the_views(
    empty_database: str, tmp_path: Path
) -> None:
    """SQLite's batch mode rebuilds a table and renames the copy into place, which a view
    on the table (migration 0006 made two) stops unless the migration sets the views aside
    as docs/extending.md says; and the views still answer afterwards."""
    config = _config(empty_database)
    head = ScriptDirectory.from_config(config).get_current_head()
    later = tmp_path / "versions"
    later.mkdir()
    (later / "9999_later.py").write_text(NEXT_MIGRATION.format(head=head))
    locations = (PROJECT_DIR / "migrations" / "versions", later)
    config.set_main_option("version_locations", os.pathsep.join(map(str, locations)))
    command.upgrade(config, "heads")
    command.downgrade(config, head)
    command.upgrade(config, "heads")
    assert asyncio.run(_rows(empty_database, "SELECT id, first_name FROM author_names")) == set()
    assert asyncio.run(_rows(empty_database, "SELECT id, title FROM book_titles")) == set()
