"""Keyset paging of GET /authors and GET /books: limit, cursor, and stability."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from httpx2 import AsyncClient

from tests.e2e.helpers import (
    assert_problem,
    create_author,
    create_book,
    get_json,
    list_paths,
    walk,
)

LISTS = list_paths()


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


MALFORMED_CURSORS = [
    "!!!",
    "abc",
    "",
    "not base64 at all",
    _cursor(b"not json"),
    _cursor(b"[1, 2]"),
    _cursor(b'"after"'),
    _cursor(b'{"before": 5}'),
    _cursor(b'{"after": -1}'),
    _cursor(b'{"after": "5"}'),
    _cursor(b'{"after": 5.5}'),
    _cursor(b'{"after": true}'),
    _cursor(b'{"after": null}'),
    _cursor(json.dumps({"after": 1 << 63}).encode()),
    _cursor(b"\xff\xfe\x00"),
    "7fffffffffffffff",  # a bare id in hex, as cursors were before they named their list
    "é" * 10,
    "a" * 201,
]


async def _authors(client: AsyncClient, count: int) -> list[str]:
    return [(await create_author(client, first_name=f"A{i:03}"))["id"] for i in range(count)]


async def _books(client: AsyncClient, count: int, **fields: object) -> list[str]:
    return [(await create_book(client, title=f"B{i:03}", **fields))["id"] for i in range(count)]


# How to fill each list with `count` items; a new list without an entry fails here.
FILL = {"/authors": _authors, "/books": _books}


def test_every_list_can_be_filled() -> None:
    assert set(LISTS) == set(FILL)


async def test_the_default_page_size_is_20(client: AsyncClient) -> None:
    ids = await _authors(client, 21)

    first = await get_json(client, "/authors")
    second = await get_json(client, f"/authors?cursor={first['next_cursor']}")

    assert [a["id"] for a in first["items"]] == ids[:20]
    assert isinstance(first["next_cursor"], str) and first["next_cursor"]
    assert [a["id"] for a in second["items"]] == ids[20:]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("path", LISTS)
async def test_limit_1_and_100_are_accepted(client: AsyncClient, path: str) -> None:
    await FILL[path](client, 3)
    one = await get_json(client, f"{path}?limit=1")
    assert len(one["items"]) == 1 and one["next_cursor"] is not None
    hundred = await get_json(client, f"{path}?limit=100")
    assert len(hundred["items"]) == 3 and hundred["next_cursor"] is None


async def test_limit_out_of_range_or_not_a_number_is_422(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    for path in LISTS:
        for limit in ("0", "101", "-1", "abc", "", "1e2", "99999999999999999999"):
            with subtests.test(path=path, limit=limit):
                response = await client.get(path, params={"limit": limit})
                assert_problem(response, 422, field="limit")


async def test_a_malformed_cursor_is_422(client: AsyncClient, subtests: pytest.Subtests) -> None:
    await _authors(client, 2)
    for path in LISTS:
        for cursor in MALFORMED_CURSORS:
            with subtests.test(path=path, cursor=cursor[:24]):
                response = await client.get(path, params={"cursor": cursor})
                assert_problem(response, 422, field="cursor")


# For each list, filters that all select the items FILL made: a cursor is bound to the
# filters (as searches compare them), not to what they select.
SAME_ITEMS_OTHER_FILTERS = {
    "/authors": [{"name": "A00"}, {"name": "A0"}, {"name": "A00", "last_name": "Le Guin"}],
    "/books": [{"title": "B00"}, {"title": "B0"}, {"title": "B00", "publication_year_min": 1}],
}


def test_every_list_has_filters_for_its_cursors() -> None:
    assert set(LISTS) == set(SAME_ITEMS_OTHER_FILTERS)


@pytest.mark.parametrize("path", LISTS)
async def test_a_cursor_made_for_other_filters_is_a_422_saying_so(
    client: AsyncClient, path: str, subtests: pytest.Subtests
) -> None:
    await FILL[path](client, 2)
    made_for, *others = SAME_ITEMS_OTHER_FILTERS[path]
    first = await client.get(path, params={**made_for, "limit": 1})
    assert first.status_code == 200, first.text
    cursor = first.json()["next_cursor"]
    assert cursor is not None
    for other in [*others, {}]:
        with subtests.test(filters=other):
            response = await client.get(path, params={**other, "cursor": cursor})
            body = assert_problem(response, 422, field="cursor")
            assert "made for other filters" in body["errors"][0]["msg"], body
    # The same filters, typed otherwise, are the same list.
    (key, text), *_ = made_for.items()
    for same in (made_for, {key: f" {text.lower()} "}):
        again = await client.get(path, params={**same, "cursor": cursor})
        assert again.status_code == 200, again.text
        assert len(again.json()["items"]) == 1


async def test_a_cursor_of_one_list_is_a_422_in_another(client: AsyncClient) -> None:
    for path in LISTS:
        await FILL[path](client, 2)
    cursors = {path: (await get_json(client, f"{path}?limit=1"))["next_cursor"] for path in LISTS}
    for path in LISTS:
        for other, cursor in cursors.items():
            if other != path:
                response = await client.get(path, params={"cursor": cursor})
                assert_problem(response, 422, field="cursor")


async def test_walking_all_pages_returns_every_author_once_in_order(client: AsyncClient) -> None:
    ids = await _authors(client, 23)

    pages = await walk(client, "/authors", {"limit": 5})

    assert [len(p["items"]) for p in pages] == [5, 5, 5, 5, 3]
    assert [a["id"] for p in pages for a in p["items"]] == ids


async def test_a_last_page_that_is_exactly_full_has_no_next_cursor(client: AsyncClient) -> None:
    ids = await _authors(client, 6)
    pages = await walk(client, "/authors", {"limit": 3})
    assert [len(p["items"]) for p in pages] == [3, 3]
    assert [a["id"] for p in pages for a in p["items"]] == ids


async def test_walking_filtered_pages_returns_every_match_once(client: AsyncClient) -> None:
    author = await create_author(client)
    theirs = await _books(client, 7, author_ids=[author["id"]])
    await _books(client, 5)  # by nobody
    titled = [(await create_book(client, title=f"Saga {i}"))["id"] for i in range(4)]

    by_author = await walk(client, "/books", {"limit": 3, "author_id": author["id"]})
    by_title = await walk(client, "/books", {"limit": 3, "title": "SAGA"})
    every = await walk(client, "/books", {"limit": 4})

    assert [b["id"] for p in by_author for b in p["items"]] == theirs
    assert [b["id"] for p in by_title for b in p["items"]] == titled
    assert len([b["id"] for p in every for b in p["items"]]) == 16
    assert [len(p["items"]) for p in by_author] == [3, 3, 1]
    assert [len(p["items"]) for p in by_title] == [3, 1]


async def test_walking_authors_filtered_by_name(client: AsyncClient) -> None:
    smiths = [(await create_author(client, last_name=f"Smith{i}"))["id"] for i in range(5)]
    await _authors(client, 5)
    pages = await walk(client, "/authors", {"limit": 2, "name": "smith"})
    assert [a["id"] for p in pages for a in p["items"]] == smiths


async def test_walking_authors_by_exact_name_and_by_full_name(client: AsyncClient) -> None:
    namesakes = [
        (await create_author(client, first_name="Jo", last_name="Ng"))["id"] for _ in range(5)
    ]
    await create_author(client, first_name="Jo", last_name="Ngata")
    await _authors(client, 3)
    exact = await walk(client, "/authors", {"limit": 2, "first_name": "jo", "last_name": "NG"})
    full = await walk(client, "/authors", {"limit": 2, "name": "ng jo"})
    assert [a["id"] for p in exact for a in p["items"]] == namesakes
    assert [a["id"] for p in full for a in p["items"]] == namesakes
    assert [len(p["items"]) for p in exact] == [2, 2, 1]


async def test_walking_books_by_isbn_with_a_cursor(client: AsyncClient) -> None:
    await _books(client, 3)
    wanted = await create_book(client, isbn="0-306-40615-2")
    pages = await walk(client, "/books", {"limit": 1, "isbn": "9780306406157"})
    assert [[b["id"] for b in p["items"]] for p in pages] == [[wanted["id"]]]


@pytest.mark.parametrize("path", LISTS)
async def test_the_cursor_is_stable_while_rows_are_inserted(client: AsyncClient, path: str) -> None:
    async def make(count: int) -> list[str]:
        return await FILL[path](client, count)

    original = await make(10)
    first = await get_json(client, f"{path}?limit=4")
    assert [r["id"] for r in first["items"]] == original[:4]

    inserted = await make(5)
    rest = await walk(client, path, {"limit": 4, "cursor": first["next_cursor"]})

    seen = [r["id"] for r in first["items"]] + [r["id"] for p in rest for r in p["items"]]
    assert len(seen) == len(set(seen)), "a row was repeated"
    assert [i for i in seen if i in original] == original, "an original row was skipped"
    assert seen == original + inserted  # new rows come after, in creation order


async def test_the_cursor_survives_the_deletion_of_the_row_it_points_after(
    client: AsyncClient,
) -> None:
    ids = await _authors(client, 6)
    first = await get_json(client, "/authors?limit=3")
    assert (await client.delete(f"/authors/{ids[2]}")).status_code == 204
    assert (await client.delete(f"/authors/{ids[3]}")).status_code == 204

    second = await get_json(client, f"/authors?limit=3&cursor={first['next_cursor']}")

    assert [a["id"] for a in second["items"]] == ids[4:]
    assert second["next_cursor"] is None


async def test_concurrent_inserts_while_walking_never_repeat_or_skip(client: AsyncClient) -> None:
    original = await _authors(client, 12)
    seen: list[str] = []

    async def walker() -> None:
        query: dict[str, str] = {"limit": "3"}
        while True:
            response = await client.get("/authors", params=query)
            assert response.status_code == 200, response.text
            page = response.json()
            seen.extend(a["id"] for a in page["items"])
            if page["next_cursor"] is None:
                return
            query["cursor"] = page["next_cursor"]
            await asyncio.sleep(0)

    async def inserter() -> None:
        for i in range(6):
            await create_author(client, first_name=f"Late{i}")

    await asyncio.gather(walker(), inserter())

    assert len(seen) == len(set(seen))
    assert [i for i in seen if i in original] == original
