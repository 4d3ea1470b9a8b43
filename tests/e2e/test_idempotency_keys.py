"""Idempotency-Key on POST /authors and POST /books (IETF httpapi draft)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from httpx2 import AsyncClient
from sqlalchemy import select, update

from modules.platform.db.idempotency import idempotency_keys
from tests.e2e.helpers import assert_problem, author_body, book_body, get_json


async def test_a_replayed_post_creates_nothing_and_answers_the_same(client: AsyncClient) -> None:
    headers = {"Idempotency-Key": "create-ursula-1"}
    body = author_body()
    first = await client.post("/authors", json=body, headers=headers)
    again = await client.post("/authors", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len((await get_json(client, "/authors"))["items"]) == 1


async def test_the_same_key_with_another_body_is_422(client: AsyncClient) -> None:
    headers = {"Idempotency-Key": '"quoted-key-7"'}  # a structured-field string
    assert (await client.post("/books", json=book_body(), headers=headers)).status_code == 201
    other = await client.post("/books", json=book_body(title="Other"), headers=headers)
    assert_problem(other, 422)
    assert len((await get_json(client, "/books"))["items"]) == 1


async def test_a_retry_while_the_first_still_runs_is_409(app: FastAPI, client: AsyncClient) -> None:
    container = app.state.container
    real = container.create_author()
    release = asyncio.Event()

    class Slow:
        async def __call__(self, command):  # type: ignore[no-untyped-def]
            await release.wait()
            return await real(command)

    headers = {"Idempotency-Key": "slow-one"}
    with container.create_author.override(Slow()):
        first = asyncio.create_task(client.post("/authors", json=author_body(), headers=headers))
        await asyncio.sleep(0.2)
        retry = await client.post("/authors", json=author_body(), headers=headers)
        assert_problem(retry, 409)
        assert retry.headers["Retry-After"]
        release.set()
        assert (await first).status_code == 201
    replay = await client.post("/authors", json=author_body(), headers=headers)
    assert replay.status_code == 201 and replay.json() == (await first).json()


async def test_a_4xx_outcome_is_kept_and_replayed(client: AsyncClient) -> None:
    body = book_body(author_ids=["123"])
    first = await client.post("/books", json=body, headers={"Idempotency-Key": "unknown-author"})
    again = await client.post("/books", json=body, headers={"Idempotency-Key": "unknown-author"})
    assert_problem(first, 422)
    assert_problem(again, 422)
    assert again.json() == first.json()


async def test_an_invalid_body_does_not_burn_the_key(client: AsyncClient) -> None:
    headers = {"Idempotency-Key": "fix-and-retry"}
    assert_problem(await client.post("/authors", json={"age": 1}, headers=headers), 422)
    assert (await client.post("/authors", json=author_body(), headers=headers)).status_code == 201


@pytest.mark.parametrize(
    "key", ["", "a" * 256, "spaces are not allowed", "ünïcode".encode("latin-1"), '"unclosed']
)
async def test_a_malformed_key_is_400(client: AsyncClient, key: str | bytes) -> None:
    response = await client.post("/authors", json=author_body(), headers={"Idempotency-Key": key})
    assert response.status_code in (400, 422), response.text
    assert (await get_json(client, "/authors"))["items"] == []


async def test_a_key_expires(app: FastAPI, client: AsyncClient) -> None:
    headers = {"Idempotency-Key": "short-lived"}
    assert (await client.post("/authors", json=author_body(), headers=headers)).status_code == 201
    engine = app.state.container.engine()
    async with engine.begin() as connection:  # as if 24 hours had passed
        await connection.execute(
            update(idempotency_keys).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert (await client.post("/authors", json=author_body(), headers=headers)).status_code == 201
    assert len((await get_json(client, "/authors"))["items"]) == 2


async def test_expired_keys_are_purged(app: FastAPI, client: AsyncClient) -> None:
    for key in ("one", "two"):
        headers = {"Idempotency-Key": key}
        assert (
            await client.post("/authors", json=author_body(), headers=headers)
        ).status_code == 201
    engine = app.state.container.engine()
    async with engine.begin() as connection:
        await connection.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.key == "one")
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert await app.state.container.idempotency_store().purge_expired() == 1
    async with engine.connect() as connection:
        left = (await connection.execute(select(idempotency_keys.c.key))).scalars().all()
    assert left == ["two"]
