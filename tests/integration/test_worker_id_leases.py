"""Snowflake worker ids leased in the database: never shared, renewed, expiring, guarded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from modules.container import Container
from modules.kernel.identity import SnowflakeGenerator, worker_id_of
from modules.platform.db.database import create_engine
from modules.platform.db.worker_ids import WorkerIdLease, WorkerIdLeaseLost


@pytest.fixture
async def engines(container: Container) -> AsyncIterator[list[AsyncEngine]]:
    """Separate pools, as separate processes would have (the container emptied the tables)."""
    url = container.settings().database_url
    made = [create_engine(url, pool_size=2) for _ in range(8)]
    yield made
    for engine in made:
        await engine.dispose()


async def test_processes_taking_leases_at_once_never_share_an_id(
    engines: list[AsyncEngine],
) -> None:
    leases = [WorkerIdLease(engine, ttl_seconds=30) for engine in engines]
    ids = await asyncio.gather(*(lease.acquire() for lease in leases))
    assert len(set(ids)) == len(ids) == 8
    assert sorted(ids) == list(range(8))  # the lowest free ids


async def test_a_released_id_is_free_again_and_a_live_one_is_not(
    engines: list[AsyncEngine],
) -> None:
    first, second, third = (WorkerIdLease(e, ttl_seconds=30) for e in engines[:3])
    assert await first.acquire() == 0
    assert await second.acquire() == 1
    await first.release()
    assert await third.acquire() == 0
    assert await second.renew()


async def test_an_expired_lease_is_taken_over_and_its_holder_knows(
    engines: list[AsyncEngine],
) -> None:
    """A process that died (or stalled) past its lease loses its id to the next one."""
    stalled = WorkerIdLease(engines[0], ttl_seconds=2)
    assert await stalled.acquire() == 0
    await asyncio.sleep(2.2)  # no renewal: the lease runs out in the database
    newcomer = WorkerIdLease(engines[1], ttl_seconds=30)
    assert await newcomer.acquire() == 0
    assert not await stalled.renew()  # it finds out at its next heartbeat...
    with pytest.raises(WorkerIdLeaseLost):
        stalled.check()  # ...and makes no more ids with it


async def test_ids_stop_before_the_lease_can_have_lapsed(engines: list[AsyncEngine]) -> None:
    now = [1000.0]
    lease = WorkerIdLease(engines[0], ttl_seconds=10, monotonic=lambda: now[0])
    worker_id = await lease.acquire()
    generator = SnowflakeGenerator(worker_id, guard=lease.check)
    assert worker_id_of(generator.next_id()) == worker_id
    now[0] += 8.9  # within 90 % of the ttl since the acquiring statement was sent
    generator.next_id()
    now[0] += 0.2  # past it: the database may soon hand the id to someone else
    with pytest.raises(WorkerIdLeaseLost):
        generator.next_id()
    assert await lease.renew()  # a successful renewal resumes id making
    generator.next_id()
