"""Stored outcomes of requests made with an Idempotency-Key (IETF httpapi draft).

A key belongs to one client; it is claimed before the work starts (so a concurrent retry
sees "in progress"), then completed with the response to replay, or released when the
work failed in a way worth retrying (a 5xx). Keys expire after a configurable time.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import (
    Column,
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
from sqlalchemy.ext.asyncio import AsyncEngine

from modules.shared.infrastructure.clock import utcnow
from modules.shared.infrastructure.database import WRITE_INTENT, metadata

logger = logging.getLogger(__name__)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("client", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=True),  # null while in progress
    Column("response_body", Text, nullable=True),
    Column("location", String(255), nullable=True),
    Column("etag", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)


class Claim(enum.Enum):
    NEW = "new"  # go ahead: this request owns the key now
    IN_PROGRESS = "in-progress"  # the first request with this key is still running
    MISMATCH = "mismatch"  # the key was used with a different request
    DONE = "done"  # replay the stored response


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: str
    location: str | None = None
    etag: str | None = None


class IdempotencyStore:
    def __init__(self, engine: AsyncEngine, ttl_seconds: int) -> None:
        self._writer = engine.execution_options(**{WRITE_INTENT: True})
        self._ttl = timedelta(seconds=ttl_seconds)

    async def claim(
        self, client: str, key: str, fingerprint: str
    ) -> tuple[Claim, StoredResponse | None]:
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
                return Claim.NEW, None
            except IntegrityError:
                pass
            row = (await connection.execute(select(table).where(mine))).one()
        if row.fingerprint != fingerprint:
            return Claim.MISMATCH, None
        if row.status_code is None:
            return Claim.IN_PROGRESS, None
        return Claim.DONE, StoredResponse(
            row.status_code, row.response_body or "", row.location, row.etag
        )

    async def complete(self, client: str, key: str, response: StoredResponse) -> None:
        table = idempotency_keys
        async with self._writer.begin() as connection:
            await connection.execute(
                update(table)
                .where(table.c.client == client, table.c.key == key)
                .values(
                    status_code=response.status_code,
                    response_body=response.body,
                    location=response.location,
                    etag=response.etag,
                )
            )

    async def release(self, client: str, key: str) -> None:
        table = idempotency_keys
        async with self._writer.begin() as connection:
            await connection.execute(
                delete(table).where(table.c.client == client, table.c.key == key)
            )

    async def purge_expired(self) -> int:
        async with self._writer.begin() as connection:
            result = await connection.execute(
                delete(idempotency_keys).where(idempotency_keys.c.expires_at <= utcnow())
            )
            return result.rowcount


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
