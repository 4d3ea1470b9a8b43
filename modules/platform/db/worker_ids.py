"""Snowflake worker ids leased in the database, so that no two live processes share one.

Every process (each uvicorn worker, each instance) takes the lowest free worker id
(0-1023) with a lease, after it forks, and renews the lease in the background. Taking a
lease is one atomic UPDATE (SKIP LOCKED on PostgreSQL), so two processes never get the
same id. A process stops making ids *before* its lease can have run out in the
database: its local deadline starts when it sent the renewal, the database's when it
ran it. If a renewal finds the lease taken over, the process leases a new id. On a clean
shutdown the lease is given back; a killed process's lease simply expires.

On PostgreSQL the database's clock decides expiry, so the processes' clocks need not
agree; SQLite (one machine) uses the local clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    String,
    Table,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from modules.kernel.identity import (
    MAX_WORKER_ID,
    IdGenerationUnavailable,
    SnowflakeGenerator,
    use_generator,
)
from modules.platform.clock import utcnow
from modules.platform.db.database import WRITE_INTENT, metadata

logger = logging.getLogger(__name__)

snowflake_workers = Table(
    "snowflake_workers",
    metadata,
    Column("worker_id", Integer, primary_key=True, autoincrement=False),
    Column("owner", String(100), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
)


class NoWorkerIdFree(IdGenerationUnavailable):
    pass


class WorkerIdLeaseLost(IdGenerationUnavailable):
    pass


class WorkerIdLease:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        ttl_seconds: float = 30.0,
        owner: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine.execution_options(**{WRITE_INTENT: True})
        self._postgres = engine.dialect.name == "postgresql"
        self.ttl = ttl_seconds
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._monotonic = monotonic
        self.worker_id: int | None = None
        self._valid_until = 0.0

    # --- the guard the id generator calls before every id ---------------------------------
    def check(self) -> None:
        if self._monotonic() >= self._valid_until:
            raise WorkerIdLeaseLost(
                "this process's worker-id lease could not be renewed in time; "
                "it makes no ids until it holds one again"
            )

    @property
    def valid(self) -> bool:
        return self._monotonic() < self._valid_until

    # --- leasing ----------------------------------------------------------------------------
    def _clock(self) -> tuple[Any, Any]:
        """(now, now + ttl) as SQL: the database's clock on PostgreSQL."""
        if self._postgres:
            return func.now(), func.now() + bindparam("ttl", timedelta(seconds=self.ttl))
        now = utcnow()
        return bindparam("now", now), bindparam("until", now + timedelta(seconds=self.ttl))

    async def acquire(self) -> int:
        table = snowflake_workers
        now, until = self._clock()
        free = (
            select(table.c.worker_id)
            .where(or_(table.c.lease_until.is_(None), table.c.lease_until < now))
            .order_by(table.c.worker_id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        statement = (
            update(table)
            .where(table.c.worker_id == free)
            .values(owner=self.owner, lease_until=until)
            .returning(table.c.worker_id)
        )
        sent_at = self._monotonic()
        async with self._engine.begin() as connection:
            worker_id = (await connection.execute(statement)).scalar_one_or_none()
        if worker_id is None:
            raise NoWorkerIdFree(f"all {MAX_WORKER_ID + 1} worker ids are leased")
        self.worker_id = worker_id
        self._extend_from(sent_at)
        return int(worker_id)

    async def renew(self) -> bool:
        """Extend the lease; False if it is no longer ours (it expired and was taken)."""
        if self.worker_id is None:
            return False
        table = snowflake_workers
        _, until = self._clock()
        sent_at = self._monotonic()
        async with self._engine.begin() as connection:
            result = await connection.execute(
                update(table)
                .where(table.c.worker_id == self.worker_id, table.c.owner == self.owner)
                .values(lease_until=until)
            )
        if result.rowcount != 1:
            self._valid_until = 0.0
            return False
        self._extend_from(sent_at)
        return True

    async def release(self) -> None:
        if self.worker_id is None:
            return
        self._valid_until = 0.0
        table = snowflake_workers
        async with self._engine.begin() as connection:
            await connection.execute(
                update(table)
                .where(table.c.worker_id == self.worker_id, table.c.owner == self.owner)
                .values(owner=None, lease_until=None)
            )
        self.worker_id = None

    def _extend_from(self, sent_at: float) -> None:
        # The database's lease ends ttl after it ran our statement, which was after sent_at;
        # we stop a tenth of the ttl earlier still, for clock-rate differences.
        self._valid_until = sent_at + self.ttl * 0.9


class LeasedIdGenerator:
    """Installs a generator on a leased worker id and keeps the lease alive."""

    def __init__(self, lease: WorkerIdLease) -> None:
        self.lease = lease
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> int:
        worker_id = await self._lease_and_install()
        self._task = asyncio.create_task(self._heartbeat(), name="worker-id-heartbeat")
        return worker_id

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self.lease.release()

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.lease.ttl / 3)
            try:
                if not await self.lease.renew():
                    logger.error(
                        "worker id %s was taken over after its lease expired; leasing another",
                        self.lease.worker_id,
                    )
                    await self._lease_and_install()
            except Exception:
                # The database may be down; ids stop when the lease's local deadline passes.
                logger.warning("could not renew the worker-id lease", exc_info=True)

    async def _lease_and_install(self) -> int:
        worker_id = await self.lease.acquire()
        use_generator(SnowflakeGenerator(worker_id, guard=self.lease.check))
        logger.info("leased snowflake worker id %s as %s", worker_id, self.lease.owner)
        return worker_id
