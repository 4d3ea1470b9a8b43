"""A real PostgreSQL restart under traffic: while the database is away every request is a
503 problem with Retry-After (never a 500), and every creation answered 201 is kept."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpx2 import AsyncClient, Response

from tests.conftest import migrate
from tests.e2e.helpers import author_body
from tests.e2e.private_postgres import PrivatePostgres, why_not_available
from tests.e2e.server import ServerProcess

pytestmark = [
    pytest.mark.slow,  # a PostgreSQL server of its own, restarted under traffic
    pytest.mark.skipif(why_not_available() is not None, reason=str(why_not_available())),
]

WRITERS = 8


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.start()
    yield server
    server.remove()


class Traffic:
    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.running = True
        self.answers: list[Response] = []
        self.created: list[str] = []

    async def write(self) -> None:
        while self.running:
            response = await self.client.post("/authors", json=author_body())
            self.answers.append(response)
            if response.status_code == 201:
                self.created.append(response.json()["id"])

    async def read(self) -> None:
        while self.running:
            for path in ("/authors?limit=5", "/books?limit=5"):
                self.answers.append(await self.client.get(path))
            if self.created:
                self.answers.append(await self.client.get(f"/authors/{self.created[-1]}"))


async def ready_status(client: AsyncClient) -> int:
    return (await client.get("/health/ready")).status_code


async def test_a_postgresql_restart_under_traffic_answers_503_never_500(
    postgres: PrivatePostgres, tmp_path: Path
) -> None:
    await asyncio.to_thread(migrate, postgres.url)
    server = ServerProcess(postgres.url, tmp_path / "server.log", db_pool_timeout_seconds="2")
    try:
        async with AsyncClient(base_url=server.base_url, timeout=30) as client:
            assert await ready_status(client) == 200
            traffic = Traffic(client)
            tasks = [asyncio.create_task(traffic.write()) for _ in range(WRITERS)]
            tasks.append(asyncio.create_task(traffic.read()))
            await asyncio.sleep(1.5)

            await asyncio.to_thread(postgres.stop)
            away = [await ready_status(client)]
            await asyncio.sleep(1.5)
            away.append(await ready_status(client))
            await asyncio.to_thread(postgres.start)
            created_before = len(traffic.created)

            for _ in range(100):  # the service heals by itself
                if await ready_status(client) == 200:
                    break
                await asyncio.sleep(0.1)
            else:
                pytest.fail("/health/ready did not return to 200 after the restart")
            await asyncio.sleep(1.5)
            traffic.running = False
            await asyncio.gather(*tasks)

            statuses = Counter(r.status_code for r in traffic.answers)
            errors = [
                r.text for r in traffic.answers if r.status_code >= 500 and r.status_code != 503
            ]
            assert errors == [], (statuses, errors[:3])
            assert away == [503, 503]
            assert statuses[503] > 0, statuses  # the traffic met the database away
            unavailable = [r for r in traffic.answers if r.status_code == 503]
            assert all(r.headers.get("retry-after") for r in unavailable)
            assert all(
                r.headers["content-type"].startswith("application/problem+json")
                for r in unavailable
            )
            assert len(traffic.created) > created_before, "no creation after the restart"
            for author_id in traffic.created:  # every 201 was kept
                assert (await client.get(f"/authors/{author_id}")).status_code == 200
    finally:
        server.stop()
