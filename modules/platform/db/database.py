"""The database engine, the metadata every context's tables hang on, and the mapper registry."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import registry
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

# Deterministic constraint names, so Alembic migrations and error mapping can rely on them.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
mapper_registry = registry(metadata=metadata)

# Execution option that marks a connection used by a unit of work (writes).
WRITE_INTENT = "catalogue_write"


APPLICATION_NAME = "book-catalogue"


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    pool_timeout: float = 10.0,
    statement_timeout: float = 15.0,
    echo: bool = False,
) -> AsyncEngine:
    """An engine that fails fast and heals itself: a bounded wait for a pooled connection,
    a connection the server closed replaced at checkout instead of handed out, and on
    PostgreSQL a statement timeout so nothing waits on a lock forever."""
    kwargs: dict[str, Any] = {
        "echo": echo,
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_timeout": pool_timeout,
        "pool_recycle": 1800,
    }
    if url.startswith("sqlite"):
        # sqlite3 waits this long for a lock held by another connection before giving up.
        kwargs["connect_args"] = {"timeout": statement_timeout}
    else:
        kwargs["connect_args"] = {
            "timeout": 5,  # connecting
            "command_timeout": statement_timeout + 5,  # client side, should the server hang
            "server_settings": {
                "application_name": APPLICATION_NAME,
                "statement_timeout": str(int(statement_timeout * 1000)),
            },
        }
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        _configure_sqlite(engine)
    else:
        _replace_closed_connections(engine)
    return engine


def _replace_closed_connections(engine: AsyncEngine) -> None:
    """SQLAlchemy's pessimistic disconnect handling without its ping (`pool_pre_ping`
    costs three round trips per checkout on asyncpg: ADR 0020). asyncpg marks a
    connection closed as soon as the server drops it (a restart, a terminated backend);
    such a connection raises DisconnectionError here and the pool connects afresh."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed this pooled connection")


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the writer
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A unit of work takes SQLite's write lock up front (BEGIN IMMEDIATE). A deferred
        # transaction that reads and then writes cannot upgrade once another writer has
        # committed (SQLITE_BUSY at once, no waiting); IMMEDIATE makes writers queue instead.
        if connection.get_execution_options().get(WRITE_INTENT):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


# SQLSTATEs that mean "the database cannot serve now", not "this statement is wrong":
# connection exceptions (08), insufficient resources such as too many connections (53),
# operator intervention - shutting down, starting up, statement timeout (57) - and a
# server that became read-only (25006, a standby after a failover).
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")
_READ_ONLY_SQLSTATE = "25006"


def is_database_unavailable(error: BaseException) -> bool:
    """Whether the error, or one it was raised from, says the database is away."""
    seen: BaseException | None = error
    for _ in range(10):  # SQLAlchemy's error, the driver adapter's, the driver's own
        if seen is None:
            return False
        sqlstate = getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None)
        if isinstance(sqlstate, str) and (
            sqlstate.startswith(_UNAVAILABLE_SQLSTATE_CLASSES) or sqlstate == _READ_ONLY_SQLSTATE
        ):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


class SchemaOutOfDate(RuntimeError):
    pass


async def ensure_schema_is_current(
    engine: AsyncEngine, alembic_ini: str, *, wait_seconds: float = 30.0
) -> None:
    """Wait for the database (it may start after us, as in docker compose), then refuse to
    start on a schema the migrations have not brought up to date - with a message that
    says what to do, rather than failing later on a missing table."""
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(Config(alembic_ini)).get_current_head()
    current: str | None = None
    async for attempt in AsyncRetrying(
        stop=stop_after_delay(wait_seconds),
        wait=wait_exponential(multiplier=0.2, max=2),
        retry=retry_if_exception_type((OSError, DBAPIError)),
        reraise=True,
    ):
        with attempt:
            async with engine.connect() as connection:
                current = await connection.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_revision()
                )
    if current != head:
        raise SchemaOutOfDate(
            f"the database is at migration {current or '(none)'} but this code needs {head}: "
            "run `make migrate` (python manage.py migrate) first"
        )


# What only migrations know, on PostgreSQL: trigram indexes for substring search, and the
# tables that contexts declare as `migration_only_tables` (kept by SQL, not mapped).
# Autogenerate and the schema-vs-mapping test leave them alone.
MIGRATION_ONLY_INDEX_SUFFIXES = ("_trgm",)
IncludeObject = Callable[[Any, str | None, str, bool, Any], bool]


def autogenerate_filter(migration_only_tables: Collection[str]) -> IncludeObject:
    """Alembic's `include_object`: everything but what only migrations know."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table":
            return name not in migration_only_tables
        return not (
            type_ == "index" and name is not None and name.endswith(MIGRATION_ONLY_INDEX_SUFFIXES)
        )

    return include
