"""With WORKERS=2, /metrics reports the whole instance, whichever worker answers the
scrape: the requests served by both workers are counted once each, in one sum."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from httpx2 import AsyncClient, Limits

from modules.kernel.identity import worker_id_of
from tests.conftest import _empty_tables
from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.slow  # a real server with two worker processes

CREATED = 'http_requests_total{handler="/authors",method="POST",status="201"}'
TIMED = 'http_request_duration_seconds_count{handler="/authors",method="POST"}'


def value(text: str, series: str) -> float | None:
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    return None if match is None else float(match.group(1))


async def test_any_worker_reports_the_requests_of_both(database_url: str, tmp_path: Path) -> None:
    await _empty_tables(database_url)
    server = ServerProcess(database_url, tmp_path / "server.log", workers="2", db_pool_size="3")
    try:
        # A new connection per request, so that the kernel hands them to either worker.
        fresh = Limits(max_keepalive_connections=0)
        async with AsyncClient(base_url=server.base_url, limits=fresh, timeout=30) as client:
            semaphore = asyncio.Semaphore(4)
            made: list[str] = []

            async def create(n: int) -> None:
                body = {"first_name": f"M{n}", "last_name": "W", "age": 40}
                async with semaphore:
                    response = await client.post("/authors", json=body)
                assert response.status_code == 201, response.text
                made.append(response.json()["id"])

            sent = 0
            while len({worker_id_of(int(i)) for i in made}) < 2 and sent < 2000:
                await asyncio.gather(*(create(sent + k) for k in range(100)))
                sent += 100
            assert len({worker_id_of(int(i)) for i in made}) == 2  # both workers served

            # Every scrape - answered by one worker or the other - has the instance's sum.
            scrapes = [(await client.get("/metrics")).text for _ in range(20)]
            for text in scrapes:
                assert value(text, CREATED) == sent
                assert value(text, TIMED) == sent
            # Gauges: each worker's pool adds to the instance's (DB_POOL_SIZE 3 each),
            # once both have sampled theirs (every second).
            for _ in range(50):
                text = (await client.get("/metrics")).text
                if value(text, "catalogue_db_pool_size") == 6:
                    break
                await asyncio.sleep(0.1)
            assert value(text, "catalogue_db_pool_size") == 6
    finally:
        server.stop()
