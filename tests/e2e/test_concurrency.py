"""Requests at the same moment (asyncio.gather over one client): no lost updates, no 5xx,
and uniqueness holds under races."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from httpx2 import AsyncClient, Response

from tests.e2e.helpers import (
    assert_problem,
    author_body,
    book_body,
    create_author,
    create_book,
    eventually,
    get_json,
    isbn10,
    isbn13,
)

LISTS = ("/authors", "/books")


def _statuses(responses: list[Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def _no_server_errors(responses: list[Response]) -> None:
    errors = [
        (r.request.method, r.request.url.path, r.text) for r in responses if r.status_code >= 500
    ]
    assert not errors, errors[:3]


async def test_32_authors_added_to_one_book_at_once(client: AsyncClient) -> None:
    authors = [(await create_author(client, first_name=f"A{i}"))["id"] for i in range(32)]
    book = await create_book(client, title="Anthology")

    responses = await asyncio.gather(
        *(client.post(f"/books/{book['id']}/authors/{a}") for a in authors)
    )

    _no_server_errors(responses)
    assert _statuses(responses) == {200: 32}, [r.text for r in responses if r.status_code != 200]
    final = await get_json(client, f"/books/{book['id']}")
    assert sorted(a["id"] for a in final["authors"]) == sorted(authors)
    assert final["version"] == 33

    async def every_author_lists_it() -> None:
        for a in authors:
            listed = await get_json(client, f"/authors/{a}")
            assert listed["books"] == [{"id": book["id"], "title": "Anthology"}], a

    await eventually(every_author_lists_it)


async def test_64_mixed_requests_at_once_all_succeed(client: AsyncClient) -> None:
    patched = [(await create_author(client, first_name=f"P{i}"))["id"] for i in range(4)]
    joining = [(await create_author(client, first_name=f"J{i}"))["id"] for i in range(4)]
    books = [(await create_book(client, title=f"Book {i}"))["id"] for i in range(4)]

    creates = [client.post("/authors", json=author_body(first_name=f"N{i}")) for i in range(8)]
    creates += [client.post("/books", json=book_body(title=f"New {i}")) for i in range(8)]
    reads = [client.get(f"/authors/{a}") for a in patched + joining]
    reads += [client.get(f"/books/{b}") for b in books]
    reads += [client.get(path, params={"limit": n}) for path in LISTS for n in (1, 50)]
    patches = [
        client.patch(f"/authors/{a}", json={"age": 10 + 4 * i + j})
        for i, a in enumerate(patched)
        for j in range(4)
    ]
    adds = [client.post(f"/books/{b}/authors/{a}") for a in joining for b in books]
    requests = creates + reads + patches + adds
    assert len(requests) == 64

    responses = await asyncio.gather(*requests)

    _no_server_errors(responses)
    assert _statuses(responses[:16]) == {201: 16}
    assert _statuses(responses[16:]) == {200: 48}, [
        r.text for r in responses[16:] if r.status_code != 200
    ]
    for i, a in enumerate(patched):
        author = await get_json(client, f"/authors/{a}")
        assert author["version"] == 5  # four changes, none lost
        assert author["age"] in range(10 + 4 * i, 14 + 4 * i)
    for b in books:
        book = await get_json(client, f"/books/{b}")
        assert sorted(x["id"] for x in book["authors"]) == sorted(joining)
        assert book["version"] == 5
    assert len((await get_json(client, "/authors?limit=100"))["items"]) == 16
    assert len((await get_json(client, "/books?limit=100"))["items"]) == 12

    async def joiners_list_every_book() -> None:
        for a in joining:
            listed = await get_json(client, f"/authors/{a}")
            assert sorted(x["id"] for x in listed["books"]) == sorted(books), a

    await eventually(joiners_list_every_book)


async def test_concurrent_creates_of_one_isbn_make_one_book(client: AsyncClient) -> None:
    body9 = 441478120
    forms = [isbn13(body9), isbn10(body9), f"978-{isbn10(body9)[:9]}-{isbn13(body9)[-1]}"]
    bodies = [book_body(title=f"Race {i}", isbn=forms[i % 3]) for i in range(16)]

    responses = await asyncio.gather(*(client.post("/books", json=b) for b in bodies))

    _no_server_errors(responses)
    assert _statuses(responses) == {201: 1, 409: 15}, [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409)
    winner = next(r.json() for r in responses if r.status_code == 201)
    listed = (await get_json(client, "/books"))["items"]
    assert [{k: v for k, v in b.items() if k != "etag"} for b in listed] == [winner]
    assert winner["isbn"] == isbn13(body9)


async def test_concurrent_patches_to_one_isbn_leave_it_unique(client: AsyncClient) -> None:
    books = [await create_book(client, title=f"Contender {i}") for i in range(8)]
    target = isbn13(306406157)

    responses = await asyncio.gather(
        *(client.patch(f"/books/{b['id']}", json={"isbn": target}) for b in books)
    )

    _no_server_errors(responses)
    assert _statuses(responses) == {200: 1, 409: 7}, [r.text for r in responses]
    listed = (await get_json(client, "/books"))["items"]
    assert [b["isbn"] for b in listed].count(target) == 1


async def test_concurrent_changes_to_one_author_are_all_kept(client: AsyncClient) -> None:
    author = await create_author(client, age=1)

    responses = await asyncio.gather(
        *(client.patch(f"/authors/{author['id']}", json={"age": 100 + i}) for i in range(32))
    )

    _no_server_errors(responses)
    assert _statuses(responses) == {200: 32}, [r.text for r in responses if r.status_code != 200]
    # Each answer is read after its own write, so it may already show later writes.
    assert all(2 <= r.json()["version"] <= 33 for r in responses)
    final = await get_json(client, f"/authors/{author['id']}")
    assert final["version"] == 33  # 32 changes, none lost
    assert final["age"] in range(100, 132)


async def test_the_same_author_added_to_one_book_at_once_is_added_once(
    client: AsyncClient,
) -> None:
    author = await create_author(client)
    book = await create_book(client)

    responses = await asyncio.gather(
        *(client.post(f"/books/{book['id']}/authors/{author['id']}") for _ in range(8))
    )

    _no_server_errors(responses)
    assert _statuses(responses) == {200: 1, 409: 7}, [r.text for r in responses]
    final = await get_json(client, f"/books/{book['id']}")
    assert [a["id"] for a in final["authors"]] == [author["id"]]
    assert final["version"] == 2

    async def listed_once() -> None:
        got: dict[str, Any] = await get_json(client, f"/authors/{author['id']}")
        assert got["books"] == [{"id": book["id"], "title": book["title"]}]

    await eventually(listed_once)
