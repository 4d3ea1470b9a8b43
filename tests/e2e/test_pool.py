"""A burst on a one-connection pool: every request, and every event delivery it starts,
takes one connection at a time, so requests queue for the pool instead of deadlocking on
it (a request holding one connection while waiting for a second would time out: 503)."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI
from httpx2 import AsyncClient

from modules.platform.settings import Settings
from tests.e2e.helpers import author_body, book_body, create_author, create_book, get_json


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Overrides tests/conftest.py's `settings` for this module: a pool of one connection,
    and a pool timeout short enough that a deadlock fails the test quickly."""
    return Settings(
        database_url=database_url,
        app_env="test",
        db_pool_size=1,
        db_max_overflow=0,
        db_pool_timeout_seconds=5,
    )


async def test_64_mixed_requests_on_a_one_connection_pool(
    client: AsyncClient, app: FastAPI
) -> None:
    pool = app.state.container.engine().pool
    assert (pool.size(), pool._max_overflow) == (1, 0)
    authors = [(await create_author(client, first_name=f"A{i}"))["id"] for i in range(8)]
    books = [(await create_book(client, title=f"B{i}"))["id"] for i in range(4)]

    requests = [client.post("/authors", json=author_body(first_name=f"N{i}")) for i in range(8)]
    requests += [client.post("/books", json=book_body(author_ids=[authors[i]])) for i in range(8)]
    requests += [client.get(f"/authors/{a}") for a in authors]
    requests += [client.get(f"/books/{b}") for b in books]
    requests += [client.get("/books", params={"limit": n}) for n in range(1, 7)]
    requests += [client.get("/authors", params={"name": f"A{i}"}) for i in range(6)]
    requests += [client.patch(f"/authors/{a}", json={"age": 20 + i}) for i, a in enumerate(authors)]
    requests += [client.post(f"/books/{b}/authors/{a}") for a in authors[:4] for b in books]
    assert len(requests) == 64

    responses = await asyncio.gather(*requests)

    failures = [
        (r.request.method, r.request.url.path, r.text) for r in responses if r.status_code >= 400
    ]
    assert not failures, failures[:3]
    for b in books:
        assert len((await get_json(client, f"/books/{b}"))["authors"]) == 4
