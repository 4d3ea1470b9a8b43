"""Stored outcomes of requests made with an Idempotency-Key (IETF httpapi draft).

A key belongs to one client; it is claimed before the work starts (so a concurrent retry
sees "in progress"), then completed with the response to replay, or released when the
work failed in a way worth retrying (a 5xx). Keys expire after a configurable time.

A creation completes its key in its own transaction (`record_creation`, called by the unit
of work): the new resource and the key's outcome are stored together, or neither. A claim
that has no outcome after IDEMPOTENCY_LOCK_SECONDS belongs to a request that died, and a
retry takes it over; the claim's time tells the two requests apart, so the one that lost
its claim can no longer complete it.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Column,
    ColumnElement,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from modules.kernel.aggregate import AggregateRoot
from modules.platform.clock import utcnow
from modules.platform.db.database import WRITE_INTENT, metadata

logger = logging.getLogger(__name__)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("client", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=True),  # null while in progress
    # Null while in progress, and if the process died between a creation and its answer.
    Column("response_body", Text, nullable=True),
    Column("location", String(255), nullable=True),
    Column("etag", String(64), nullable=True),
    # When the key was claimed - again, if a retry took it over.
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)


class Claim(enum.Enum):
    NEW = "new"  # go ahead: this request owns the key now
    IN_PROGRESS = "in-progress"  # the first request with this key is still running
    MISMATCH = "mismatch"  # the key was used with a different request
    DONE = "done"  # replay the stored response


@dataclass(frozen=True)
class Hold:
    """A request's claim on a key, as of `since`; a takeover makes a newer one."""

    client: str
    key: str
    since: datetime


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: str | None  # None: the resource at `location` was created, its answer was lost
    location: str | None = None
    etag: str | None = None


@dataclass(frozen=True)
class Claimed:
    state: Claim
    hold: Hold | None = None  # NEW: this request's hold
    stored: StoredResponse | None = None  # DONE: what to replay


class KeyTakenOver(Exception):
    """This request held its key so long that a retry took it over; it must change nothing."""


def _held(hold: Hold) -> ColumnElement[bool]:
    """The key, still claimed by this hold and without an outcome."""
    table = idempotency_keys
    return (
        (table.c.client == hold.client)
        & (table.c.key == hold.key)
        & (table.c.created_at == hold.since)
        & table.c.status_code.is_(None)
    )


class IdempotencyStore:
    def __init__(self, engine: AsyncEngine, ttl_seconds: int, lock_seconds: int) -> None:
        self._writer = engine.execution_options(**{WRITE_INTENT: True})
        self._ttl = timedelta(seconds=ttl_seconds)
        self._lock = timedelta(seconds=lock_seconds)

    async def claim(self, client: str, key: str, fingerprint: str) -> Claimed:
        now = utcnow()
        table = idempotency_keys
        mine = (table.c.client == client) & (table.c.key == key)
        async with self._writer.begin() as connection:
            # An expired key is as good as unused.
            await connection.execute(delete(table).where(mine, table.c.expires_at <= now))
            try:
                async with connection.begin_nested():
                    await connection.execute(
                        insert(table).values(
                            client=client,
                            key=key,
                            fingerprint=fingerprint,
                            created_at=now,
                            expires_at=now + self._ttl,
                        )
                    )
                return Claimed(Claim.NEW, hold=Hold(client, key, now))
            except IntegrityError:
                pass
            # A claim with no outcome after the lock time: its request died. Of two
            # retries, the second finds the claim fresh again.
            taken = await connection.execute(
                update(table)
                .where(
                    mine,
                    table.c.fingerprint == fingerprint,
                    table.c.status_code.is_(None),
                    table.c.created_at <= now - self._lock,
                )
                .values(created_at=now, expires_at=now + self._ttl)
            )
            if taken.rowcount == 1:
                logger.warning("took over idempotency key %r of a request that died", key)
                return Claimed(Claim.NEW, hold=Hold(client, key, now))
            row = (await connection.execute(select(table).where(mine))).one()
        if row.fingerprint != fingerprint:
            return Claimed(Claim.MISMATCH)
        if row.status_code is None:
            return Claimed(Claim.IN_PROGRESS)
        return Claimed(
            Claim.DONE,
            stored=StoredResponse(row.status_code, row.response_body, row.location, row.etag),
        )

    async def complete(self, hold: Hold, response: StoredResponse) -> None:
        """Keep the answer, unless a retry took the key over. After a creation, the key's
        status and Location are already stored (`record_creation`): this adds the body."""
        table = idempotency_keys
        held = (
            (table.c.client == hold.client)
            & (table.c.key == hold.key)
            & (table.c.created_at == hold.since)
            & table.c.response_body.is_(None)
        )
        async with self._writer.begin() as connection:
            await connection.execute(
                update(table)
                .where(held)
                .values(
                    status_code=response.status_code,
                    response_body=response.body,
                    location=response.location,
                    etag=response.etag,
                )
            )

    async def release(self, hold: Hold) -> None:
        """Free the key for a retry - unless it has an outcome, or is another request's."""
        async with self._writer.begin() as connection:
            await connection.execute(delete(idempotency_keys).where(_held(hold)))

    async def purge_expired(self) -> int:
        async with self._writer.begin() as connection:
            result = await connection.execute(
                delete(idempotency_keys).where(idempotency_keys.c.expires_at <= utcnow())
            )
            return result.rowcount


@dataclass
class _Creation:
    hold: Hold
    location_of: Callable[[int], str]
    recorded: bool = False


# The keyed creation this request is running, for the unit of work that stores it.
_creation: ContextVar[_Creation | None] = ContextVar("idempotent_creation", default=None)


@contextmanager
def completed_by_the_creation(hold: Hold, location_of: Callable[[int], str]) -> Iterator[None]:
    """Within the block, the first commit that creates an aggregate completes the key: 201
    with the aggregate's Location, in that commit's transaction (`record_creation`)."""
    token = _creation.set(_Creation(hold, location_of))
    try:
        yield
    finally:
        _creation.reset(token)


async def record_creation(session: AsyncSession, created: Sequence[AggregateRoot]) -> None:
    """Called by a unit of work inside its transaction, with the aggregates it adds."""
    creation = _creation.get()
    if creation is None or creation.recorded or len(created) != 1:
        return
    result = await session.execute(
        update(idempotency_keys)
        .where(_held(creation.hold))
        .values(status_code=201, location=creation.location_of(created[0].id))
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's CursorResult
        raise KeyTakenOver(creation.hold.key)
    # Later commits of this request (event handlers run in it) are not the creation.
    creation.recorded = True


async def purge_expired_keys_forever(store: IdempotencyStore, interval_seconds: float) -> None:
    """Housekeeping for the app's lifespan: expired keys are otherwise only removed when the
    same key comes back, so never-reused keys would pile up."""
    while True:
        try:
            purged = await store.purge_expired()
            if purged:
                logger.info("purged %d expired idempotency keys", purged)
        except Exception:
            logger.warning("could not purge expired idempotency keys", exc_info=True)
        await asyncio.sleep(interval_seconds)
