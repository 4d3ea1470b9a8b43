"""SIGTERM during traffic: the server stops accepting, finishes what it accepted, then
exits - no request that got an answer is lost, and none gets a 5xx."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx2
import pytest
from httpx2 import AsyncClient, Limits
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from modules.author.infrastructure.tables import authors
from tests.conftest import _empty_tables
from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.slow  # a real server process, stopped with SIGTERM


async def test_sigterm_during_traffic_loses_no_accepted_request(
    database_url: str, tmp_path: Path
) -> None:
    await _empty_tables(database_url)
    server = ServerProcess(database_url, tmp_path / "server.log", shutdown_grace_seconds="10")
    accepted: list[str] = []
    statuses: list[int] = []
    refused = 0

    async def writer(client: AsyncClient, n: int) -> None:
        nonlocal refused
        for i in range(100):
            try:
                response = await client.post(
                    "/authors", json={"first_name": f"W{n}", "last_name": f"{i}", "age": 30}
                )
            except httpx2.TransportError:  # not accepted: the server no longer listens
                refused += 1
                return
            statuses.append(response.status_code)
            if response.status_code == 201:
                accepted.append(response.json()["id"])

    try:
        async with AsyncClient(
            base_url=server.base_url, limits=Limits(max_connections=32), timeout=30
        ) as client:
            writers = [asyncio.create_task(writer(client, n)) for n in range(32)]
            while len(accepted) < 100:  # traffic is flowing
                await asyncio.sleep(0.01)
            server.process.send_signal(signal.SIGTERM)
            await asyncio.gather(*writers)
        exit_code = await asyncio.to_thread(server.process.wait, 20)
    finally:
        server.stop()

    # Uvicorn shuts down gracefully, then re-raises the signal so that the exit status says
    # "terminated by SIGTERM", as a supervisor expects; the log shows the clean shutdown.
    assert exit_code in (0, -signal.SIGTERM)
    log = (tmp_path / "server.log").read_text()
    assert "Waiting for application shutdown." in log
    assert "Application shutdown complete." in log
    assert all(status == 201 for status in statuses), sorted(set(statuses))
    assert refused > 0  # the shutdown really happened in the middle of the traffic
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            stored = set((await connection.execute(select(authors.c.id))).scalars())
    finally:
        await engine.dispose()
    # Every answered request is in the database, and nothing is there that was not
    # answered: no request was cut off half-way between its commit and its response.
    assert {int(i) for i in accepted} == stored
