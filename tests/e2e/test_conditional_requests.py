"""ETags, If-Match (412 on a stale tag, nothing applied) and If-None-Match (304)."""

from __future__ import annotations

import asyncio

from httpx2 import AsyncClient

from tests.e2e.helpers import assert_problem, create_author, create_book, get_json


async def test_single_resources_carry_an_etag_that_changes_with_them(client: AsyncClient) -> None:
    book = await create_book(client)
    first = await client.get(f"/books/{book['id']}")
    assert first.headers["ETag"].startswith(f'"{book["version"]}-')
    assert (await client.get(f"/books/{book['id']}")).headers["ETag"] == first.headers["ETag"]
    patched = await client.patch(f"/books/{book['id']}", json={"pages": 2})
    assert patched.headers["ETag"] != first.headers["ETag"]
    assert patched.headers["ETag"].startswith('"2-')


async def test_the_etag_follows_embedded_data_of_the_other_context(client: AsyncClient) -> None:
    author = await create_author(client)
    book = await create_book(client, author_ids=[author["id"]])
    before = (await client.get(f"/books/{book['id']}")).headers["ETag"]
    await client.patch(f"/authors/{author['id']}", json={"first_name": "U. K."})
    after = await client.get(f"/books/{book['id']}")
    assert after.json()["version"] == book["version"]  # the book itself did not change
    assert after.headers["ETag"] != before  # but what it shows did


async def test_if_none_match_answers_304_while_current(client: AsyncClient) -> None:
    author = await create_author(client)
    etag = (await client.get(f"/authors/{author['id']}")).headers["ETag"]
    cached = await client.get(f"/authors/{author['id']}", headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""
    assert cached.headers["ETag"] == etag
    weak = await client.get(f"/authors/{author['id']}", headers={"If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304
    await client.patch(f"/authors/{author['id']}", json={"age": 60})
    fresh = await client.get(f"/authors/{author['id']}", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.json()["age"] == 60


async def test_two_patches_with_the_same_etag_one_wins_one_gets_412(client: AsyncClient) -> None:
    book = await create_book(client, pages=100)
    etag = (await client.get(f"/books/{book['id']}")).headers["ETag"]
    first, second = await asyncio.gather(
        client.patch(f"/books/{book['id']}", json={"pages": 111}, headers={"If-Match": etag}),
        client.patch(f"/books/{book['id']}", json={"pages": 222}, headers={"If-Match": etag}),
    )
    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [200, 412], (first.text, second.text)
    winner = first if first.status_code == 200 else second
    loser = second if winner is first else first
    assert_problem(loser, 412)
    stored = await get_json(client, f"/books/{book['id']}")
    assert stored["pages"] == winner.json()["pages"]
    assert stored["version"] == 2  # the losing change was not applied


async def test_a_stale_if_match_changes_nothing(client: AsyncClient) -> None:
    author = await create_author(client, age=40)
    stale = (await client.get(f"/authors/{author['id']}")).headers["ETag"]
    await client.patch(f"/authors/{author['id']}", json={"age": 41})
    refused = await client.patch(
        f"/authors/{author['id']}", json={"age": 99}, headers={"If-Match": stale}
    )
    assert_problem(refused, 412)
    deleted = await client.delete(f"/authors/{author['id']}", headers={"If-Match": stale})
    assert_problem(deleted, 412)
    assert (await get_json(client, f"/authors/{author['id']}"))["age"] == 41


async def test_a_current_if_match_applies_and_star_matches_any(client: AsyncClient) -> None:
    book = await create_book(client)
    etag = (await client.get(f"/books/{book['id']}")).headers["ETag"]
    ok = await client.patch(f"/books/{book['id']}", json={"price": 1}, headers={"If-Match": etag})
    assert ok.status_code == 200
    star = await client.patch(f"/books/{book['id']}", json={"price": 2}, headers={"If-Match": "*"})
    assert star.status_code == 200
    weak = await client.patch(
        f"/books/{book['id']}", json={"price": 3}, headers={"If-Match": f"W/{star.headers['ETag']}"}
    )
    assert_problem(weak, 412)  # If-Match uses the strong comparison
    gone = await client.delete(f"/books/{book['id']}", headers={"If-Match": star.headers["ETag"]})
    assert gone.status_code == 204


async def test_if_match_guards_adding_an_author(client: AsyncClient) -> None:
    book = await create_book(client)
    author = await create_author(client)
    stale = (await client.get(f"/books/{book['id']}")).headers["ETag"]
    await client.patch(f"/books/{book['id']}", json={"pages": 5})
    refused = await client.post(
        f"/books/{book['id']}/authors/{author['id']}", headers={"If-Match": stale}
    )
    assert_problem(refused, 412)
    assert (await get_json(client, f"/books/{book['id']}"))["authors"] == []
