"""The Idempotency-Key store against the real databases: a claim with no outcome is taken
over after the lock time, and the request that lost its claim can complete nothing."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from modules.author.application.use_cases.create_author import CreateAuthorCommand
from modules.author.infrastructure.tables import authors
from modules.container import Container
from modules.platform.db.idempotency import (
    Claim,
    IdempotencyStore,
    KeyTakenOver,
    StoredResponse,
    completed_by_the_creation,
    idempotency_keys,
)

LOCK_SECONDS = 1
OCTAVIA = CreateAuthorCommand(first_name="Octavia", last_name="Butler", age=58)


def store_of(container: Container) -> IdempotencyStore:
    return IdempotencyStore(container.engine(), ttl_seconds=3600, lock_seconds=LOCK_SECONDS)


async def count_authors(container: Container) -> int:
    async with container.engine().connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(authors)) or 0)


async def test_a_claim_is_taken_over_only_after_the_lock_time(container: Container) -> None:
    store = store_of(container)
    first = await store.claim("client", "key", "fingerprint")
    assert first.state is Claim.NEW
    assert (await store.claim("client", "key", "fingerprint")).state is Claim.IN_PROGRESS
    await asyncio.sleep(LOCK_SECONDS + 0.1)
    # Another request with the key is still refused, however old the claim.
    assert (await store.claim("client", "key", "other")).state is Claim.MISMATCH
    retry = await store.claim("client", "key", "fingerprint")
    assert retry.state is Claim.NEW
    assert retry.hold is not None and first.hold is not None
    assert retry.hold.since > first.hold.since
    # Of two retries, only one takes it over.
    assert (await store.claim("client", "key", "fingerprint")).state is Claim.IN_PROGRESS


async def test_the_request_that_lost_its_claim_creates_nothing(container: Container) -> None:
    store = store_of(container)
    first = await store.claim("client", "key", "fingerprint")
    await asyncio.sleep(LOCK_SECONDS + 0.1)  # the first request is slow, not dead
    retry = await store.claim("client", "key", "fingerprint")
    assert first.hold is not None and retry.hold is not None
    create = container.create_author()

    with (
        completed_by_the_creation(first.hold, lambda author_id: f"/authors/{author_id}"),
        pytest.raises(KeyTakenOver),
    ):
        await create(OCTAVIA)
    assert await count_authors(container) == 0  # its creation was rolled back
    # Nor can it release or complete the retry's key.
    await store.release(first.hold)
    await store.complete(first.hold, StoredResponse(422, "{}"))
    assert (await store.claim("client", "key", "fingerprint")).state is Claim.IN_PROGRESS

    with completed_by_the_creation(retry.hold, lambda author_id: f"/authors/{author_id}"):
        author_id = await create(OCTAVIA)
    assert await count_authors(container) == 1
    done = await store.claim("client", "key", "fingerprint")
    assert done.state is Claim.DONE and done.stored is not None
    # Completed by the creation's own commit, before any answer was kept.
    assert (done.stored.status_code, done.stored.location) == (201, f"/authors/{author_id}")
    assert done.stored.body is None


async def test_a_completed_key_is_not_released(container: Container) -> None:
    """A failure after the commit (reading the new author back) must not free the key, or
    a retry would create a second author."""
    store = store_of(container)
    claimed = await store.claim("client", "key", "fingerprint")
    assert claimed.hold is not None
    with completed_by_the_creation(claimed.hold, lambda author_id: f"/authors/{author_id}"):
        await container.create_author()(OCTAVIA)
    await store.release(claimed.hold)
    async with container.engine().connect() as connection:
        status = await connection.scalar(select(idempotency_keys.c.status_code))
    assert status == 201
