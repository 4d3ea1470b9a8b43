"""Test fixtures: every database-backed test runs on SQLite and, when TEST_DATABASE_URL
is set, on PostgreSQL too (in a database of its own, created and dropped here).

Migrations - not `create_all` - build the schema, so the tests also prove the migrations.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx2 import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app import create_app
from modules.container import Container, build_container, start_mappers, subscribe_event_handlers
from modules.kernel.identity import SnowflakeGenerator, use_generator
from modules.platform.db.database import metadata
from modules.platform.db.worker_ids import snowflake_workers
from modules.platform.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parents[1]
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
NO_POSTGRES = "PostgreSQL tests skipped: set TEST_DATABASE_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(not TEST_DATABASE_URL, reason=NO_POSTGRES),
    ),
]


def migrate(url: str) -> None:
    config = Config(str(PROJECT_DIR / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'catalogue.db'}"
    migrate(url)
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on the server of TEST_DATABASE_URL, dropped at the end."""
    assert TEST_DATABASE_URL
    server = make_url(Settings(database_url=TEST_DATABASE_URL).database_url)
    name = f"catalogue_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(server.render_as_string(hide_password=False), f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    migrate(url)
    yield url
    asyncio.run(
        _admin(server.render_as_string(hide_password=False), f'DROP DATABASE "{name}" WITH (FORCE)')
    )


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return request.getfixturevalue(fixture)  # type: ignore[no-any-return]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, app_env="test", db_pool_size=10, db_max_overflow=10)


async def _empty_tables(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            for table in reversed(metadata.sorted_tables):
                if table is snowflake_workers:  # the 1024 rows stay; their leases go
                    await connection.execute(table.update().values(owner=None, lease_until=None))
                else:
                    await connection.execute(table.delete())
    finally:
        await engine.dispose()


@pytest.fixture
async def container(settings: Settings) -> AsyncIterator[Container]:
    """The real composition root on a clean database, as the app's lifespan would build it."""
    await _empty_tables(settings.database_url)
    start_mappers()
    # An app's lifespan installs a generator on a leased worker id and gives the lease back
    # when it stops; tests without a lifespan make ids with a fixed worker id of their own.
    use_generator(SnowflakeGenerator(worker_id=1023))
    container = build_container(settings)
    subscribe_event_handlers(container)
    yield container
    await container.relay().stop(grace_seconds=1)  # deletes the rows it delivered
    await container.read_database().close()
    await container.engine().dispose()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """A fresh app (and container) per test, started through its lifespan."""
    await _empty_tables(settings.database_url)
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as c:
        yield c
