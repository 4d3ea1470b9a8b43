"""An Idempotency-Key survives a kill -9 of its first request's server, after the claim and
before the answer: the retry creates the resource exactly once and answers 201.

* killed before the commit: the key stays claimed with nothing created; once the claim is
  IDEMPOTENCY_LOCK_SECONDS old, a retry takes it over and creates;
* killed after the commit: the creation and the key's outcome were one transaction, so a
  retry replays 201 and the Location at once, and creates nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from httpx2 import AsyncClient
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import create_async_engine

from modules.author.infrastructure.tables import authors
from modules.book.infrastructure.tables import books
from modules.platform.db.idempotency import idempotency_keys
from tests.conftest import _empty_tables
from tests.e2e.helpers import assert_problem, author_body, book_body
from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.slow  # real server processes, killed with kill -9

LOCK_SECONDS = 2
RESOURCES = {"authors": (authors, author_body), "books": (books, book_body)}


@pytest.fixture
def servers() -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.stop()


async def stored(database_url: str, table: Table) -> tuple[int, Any]:
    """How many rows `table` has, and the key's row."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(select(func.count()).select_from(table))
            key = (await connection.execute(select(idempotency_keys))).one()
            return int(count or 0), key
    finally:
        await engine.dispose()


async def post_and_kill(
    database_url: str,
    tmp_path: Path,
    servers: list[ServerProcess],
    hang_at: str,
    request: tuple[str, dict[str, Any], dict[str, str]],
) -> None:
    """Send the keyed POST to a server that hangs at `hang_at`, and kill -9 it there."""
    marker = tmp_path / "reached"  # the server touches it on getting there
    server = ServerProcess(
        database_url,
        tmp_path / "server.log",
        app="tests.e2e.dying_app:app",
        hang_at=hang_at,
        hang_marker=str(marker),
    )
    servers.append(server)
    path, body, headers = request
    async with AsyncClient(base_url=server.base_url, timeout=30) as client:
        post = asyncio.create_task(client.post(path, json=body, headers=headers))
        for _ in range(200):
            if marker.exists() or post.done():
                break
            await asyncio.sleep(0.05)
        assert marker.exists(), "the server never reached the point where it hangs"
        server.kill_9()
        with pytest.raises(httpx2.TransportError):  # the answer never came
            await post


@pytest.mark.parametrize("path", list(RESOURCES))
async def test_killed_before_the_commit_a_retry_after_the_lock_time_creates_once(
    database_url: str, servers: list[ServerProcess], tmp_path: Path, path: str
) -> None:
    await _empty_tables(database_url)
    table, make_body = RESOURCES[path]
    body, headers = make_body(), {"Idempotency-Key": f"crash-before-{path}"}
    await post_and_kill(
        database_url, tmp_path, servers, "before-commit", (f"/{path}", body, headers)
    )
    count, key = await stored(database_url, table)
    assert count == 0 and key.status_code is None  # claimed, nothing created
    claimed_at = key.created_at.replace(tzinfo=UTC)  # SQLite gives it back without a zone

    second = ServerProcess(
        database_url, tmp_path / "server.log", idempotency_lock_seconds=str(LOCK_SECONDS)
    )
    servers.append(second)
    async with AsyncClient(base_url=second.base_url) as client:
        for _ in range(100):
            sent_at = datetime.now(UTC)
            answer = await client.post(f"/{path}", json=body, headers=headers)
            answered_at = datetime.now(UTC)
            if answer.status_code != 409:
                break
            assert_problem(answer, 409)  # only while the claim is younger than the lock time
            assert sent_at - claimed_at < timedelta(seconds=LOCK_SECONDS)
            await asyncio.sleep(0.2)
        assert answer.status_code == 201, answer.text
        assert answered_at - claimed_at >= timedelta(seconds=LOCK_SECONDS)
        assert answer.headers["Location"] == f"/{path}/{answer.json()['id']}"
        assert "Idempotent-Replayed" not in answer.headers

        again = await client.post(f"/{path}", json=body, headers=headers)
        assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == answer.json()
        assert again.headers["ETag"] == answer.headers["ETag"]
    count, key = await stored(database_url, table)
    assert count == 1 and key.status_code == 201


@pytest.mark.parametrize("path", list(RESOURCES))
async def test_killed_after_the_commit_a_retry_replays_the_creation(
    database_url: str, servers: list[ServerProcess], tmp_path: Path, path: str
) -> None:
    await _empty_tables(database_url)
    table, make_body = RESOURCES[path]
    body, headers = make_body(), {"Idempotency-Key": f"crash-after-{path}"}
    await post_and_kill(
        database_url, tmp_path, servers, "after-commit", (f"/{path}", body, headers)
    )
    count, key = await stored(database_url, table)
    # Created, and the key completed by the same transaction; only the answer was lost.
    assert count == 1 and key.status_code == 201 and key.response_body is None
    location = key.location

    # The default lock time (60 s): a completed key needs no waiting.
    second = ServerProcess(database_url, tmp_path / "server.log")
    servers.append(second)
    async with AsyncClient(base_url=second.base_url) as client:
        answer = await client.post(f"/{path}", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        assert answer.headers["Idempotent-Replayed"] == "true"
        assert answer.headers["Location"] == location == f"/{path}/{answer.json()['id']}"
        for field in ("title", "first_name"):
            if field in body:
                assert answer.json()[field] == body[field]
        again = await client.post(f"/{path}", json=body, headers=headers)
        assert again.status_code == 201 and again.json() == answer.json()
    count, _ = await stored(database_url, table)
    assert count == 1
