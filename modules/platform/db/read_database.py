"""How the read side runs its queries: SELECTs written in SQLAlchemy Core, executed as
cheaply as the database allows.

The write side needs the ORM (identity map, unit of work, optimistic versions). The read
side needs none of it: one SELECT per request, rows straight into views. On PostgreSQL
the statements are compiled once and run on a pool of raw asyncpg connections, skipping
SQLAlchemy's own execution path (pool checkout with a ping, transaction bookkeeping,
result machinery, greenlet switches), which was most of a read's cost (ADR 0008); on
SQLite they run through the engine as usual. Both run the very same statements, so the
integration tests prove both paths on both databases.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import asyncpg
from sqlalchemy import Select
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from modules.platform.db.database import APPLICATION_NAME, is_database_unavailable

logger = logging.getLogger(__name__)

# A row is read by column name: an asyncpg Record, or SQLAlchemy's RowMapping.
Rows = Sequence[Mapping[str, Any]]
StatementListener = Callable[[str], None]


class DatabaseUnavailable(Exception):
    """The database cannot answer right now (down, restarting, pool exhausted, timed out)."""


class ReadDatabase:
    """Runs the read side's SELECTs; each row is read by its column's name (or label)."""

    dialect: str  # "postgresql", "sqlite": for a statement that only one of them can run

    def __init__(self) -> None:
        # Called with the SQL of each statement that bypasses the engine (whose own events
        # and echo see the rest): DB_ECHO logging, the statement-count tests.
        self.listeners: list[StatementListener] = []

    async def rows(self, statement: Select[Any], parameters: Mapping[str, Any]) -> Rows:
        raise NotImplementedError

    async def close(self) -> None:
        return None


class EngineReadDatabase(ReadDatabase):
    """Through the SQLAlchemy engine: SQLite, or any database without a faster path."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__()
        self._engine = engine
        self.dialect = engine.dialect.name

    async def rows(self, statement: Select[Any], parameters: Mapping[str, Any]) -> Rows:
        async with self._engine.connect() as connection:
            result = await connection.execute(statement, parameters)
            rows: Rows = result.mappings().all()
            return rows


class _Compiled:
    """A statement's SQL for asyncpg and the order of its parameters. Values go through
    their types' bind processors, if any; rows come back as asyncpg decodes them (the read
    side selects integers, text and booleans, which need no result processing)."""

    __slots__ = ("sql", "names", "processors")

    def __init__(self, statement: Select[Any], dialect: PGDialect_asyncpg) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            # "expanding" IN lists are rendered per call; write `= ANY(:ids)` instead.
            raise ValueError("read statements must not need per-call rendering")
        self.sql: str = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        self.processors: dict[str, Callable[[Any], Any]] = {}
        for name in self.names:
            type_ = compiled.binds[name].type.dialect_impl(dialect)
            processor = type_.bind_processor(dialect)
            if processor is not None:
                self.processors[name] = processor

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        values = []
        for name in self.names:
            value = parameters[name]
            processor = self.processors.get(name)
            values.append(processor(value) if processor else value)
        return values


# Errors of a pooled connection that died while it sat idle (the server restarted, or
# terminated it): its news may reach asyncpg only when the next query is sent.
_DEAD_CONNECTION = (
    ConnectionError,  # reset, broken pipe
    asyncpg.PostgresConnectionError,  # includes ConnectionDoesNotExistError
    asyncpg.InterfaceError,  # closed under us
    asyncpg.InternalClientError,  # a server's farewell message left the protocol confused
    asyncpg.AdminShutdownError,  # "terminating connection due to administrator command"
)
# asyncpg's errors that mean "no answer from the database", not "a bad query".
_UNAVAILABLE = (
    *_DEAD_CONNECTION,
    OSError,  # refused
    TimeoutError,  # connecting or waiting for a pooled connection
    asyncpg.QueryCanceledError,  # statement_timeout
    asyncpg.CannotConnectNowError,  # the server is starting or shutting down
)


class AsyncpgReadDatabase(ReadDatabase):
    """Statements compiled once for PostgreSQL, run on a raw asyncpg pool of their own.

    The pool opens on first use, in the event loop that uses it; asyncpg prepares each
    statement once per connection and keeps it. Connections run in autocommit: a read sees
    what was committed when its statement began, as READ COMMITTED would.
    """

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        pool_timeout: float = 10.0,
        statement_timeout: float = 15.0,
        echo: bool = False,
    ) -> None:
        super().__init__()
        if echo:
            self.listeners.append(lambda sql: logger.info("read query: %s", sql))
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._pool_size = pool_size
        self._pool_timeout = pool_timeout
        self._statement_timeout = statement_timeout
        self.dialect = "postgresql"
        self._dialect = PGDialect_asyncpg()  # type: ignore[no-untyped-call]  # no hints
        self._compiled: dict[int, tuple[Select[Any], _Compiled]] = {}
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        # Requests queue here, first come first served, never inside the pool: asyncpg's
        # pool queue lets a newcomer take a connection before a waiter that was woken for
        # it, which under load starves some reads.
        self._turns = asyncio.Semaphore(pool_size)

    def _compiled_for(self, statement: Select[Any]) -> _Compiled:
        # Keyed by identity; the statement is kept alongside so its id cannot be reused.
        entry = self._compiled.get(id(statement))
        if entry is None:
            entry = (statement, _Compiled(statement, self._dialect))
            self._compiled[id(statement)] = entry
        return entry[1]

    async def rows(self, statement: Select[Any], parameters: Mapping[str, Any]) -> Rows:
        query = self._compiled_for(statement)
        for listener in self.listeners:
            listener(query.sql)
        arguments = query.arguments(parameters)
        try:
            await self._wait_for_turn()
            try:
                pool = self._pool or await self._open()
                try:
                    return await self._fetch(pool, query.sql, arguments)
                except _DEAD_CONNECTION:
                    # A read changes nothing, so it is safe to run again: once, on another
                    # connection (a fresh one if the server restarted).
                    return await self._fetch(pool, query.sql, arguments)
            finally:
                self._turns.release()
        except _UNAVAILABLE as error:
            raise DatabaseUnavailable(type(error).__name__) from error
        except asyncpg.PostgresError as error:
            if is_database_unavailable(error):  # too many connections, read-only, ...
                raise DatabaseUnavailable(type(error).__name__) from error
            raise

    @staticmethod
    async def _fetch(pool: asyncpg.Pool, sql: str, arguments: list[Any]) -> Rows:
        async with pool.acquire() as connection:  # one is free: turns <= pool size
            try:
                records: Rows = await connection.fetch(sql, *arguments)
                return records
            except _DEAD_CONNECTION:
                # If the server closed this one, it closed its idle neighbours too: every
                # connection opened before now is replaced on its next acquire.
                connection.terminate()
                await pool.expire_connections()
                raise

    async def _wait_for_turn(self) -> None:
        if not self._turns.locked():
            await self._turns.acquire()  # at once; no timer to arm
            return
        async with asyncio.timeout(self._pool_timeout):
            await self._turns.acquire()

    async def _open(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn,
                    min_size=0,  # connect on demand; no background refills
                    max_size=self._pool_size,
                    timeout=5,  # connecting
                    command_timeout=self._statement_timeout + 5,  # should the server hang
                    max_inactive_connection_lifetime=300,
                    reset=_keep_as_is,
                    server_settings={
                        "application_name": APPLICATION_NAME,
                        "statement_timeout": str(int(self._statement_timeout * 1000)),
                    },
                )
            return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()


async def _keep_as_is(connection: asyncpg.Connection) -> None:
    """asyncpg's default reset runs a statement on every release (RESET ALL, UNLISTEN *,
    ...): a round trip per read. The read side never changes session state, so there is
    nothing to reset."""


def create_read_database(
    engine: AsyncEngine,
    *,
    pool_size: int = 10,
    pool_timeout: float = 10.0,
    statement_timeout: float = 15.0,
    echo: bool = False,
) -> ReadDatabase:
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg":
        return AsyncpgReadDatabase(
            engine.url.render_as_string(hide_password=False),
            pool_size=pool_size,
            pool_timeout=pool_timeout,
            statement_timeout=statement_timeout,
            echo=echo,
        )
    return EngineReadDatabase(engine)
