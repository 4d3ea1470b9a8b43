"""GET /books?sort= and the year filters, over HTTP: every order, its reverse, its
cursors, and walks through the whole ordered catalogue while another client writes."""

from __future__ import annotations

import random
import unicodedata
from typing import Any

import pytest
from fastapi import FastAPI
from httpx2 import ASGITransport, AsyncClient

import modules.book.infrastructure.queries as book_read_side
from tests.e2e.helpers import assert_problem, create_author, create_book, get_json, walk

# Case differs, ties abound, and non-ASCII letters sort after "z" (code points).
TITLES = ["banana", "Apple", "apple", "Éclair", "zorro", "Zebra", "1984", "_x", "Cherry", "b"]
ORDERS = [
    "id",
    "-id",
    "title",
    "-title",
    "publication_year",
    "-publication_year",
    "price",
    "-price",
]


def expected(books: list[dict[str, Any]], sort: str) -> list[str]:
    """The documented order: the key (a title fully case folded, compared by code points),
    then the id, both reversed by a leading `-`."""
    field = sort.removeprefix("-")

    def folded(title: str) -> str:  # Unicode's canonical caseless form, in NFC
        return unicodedata.normalize("NFC", unicodedata.normalize("NFD", title).casefold())

    def key(book: dict[str, Any]) -> tuple[Any, int]:
        value = book[field] if field != "id" else 0
        return (folded(value) if field == "title" else value), int(book["id"])

    return [b["id"] for b in sorted(books, key=key, reverse=sort.startswith("-"))]


def ids(pages: list[dict[str, Any]]) -> list[str]:
    return [book["id"] for page in pages for book in page["items"]]


async def _catalogue(client: AsyncClient) -> list[dict[str, Any]]:
    return [
        await create_book(
            client, title=title, publication_year=1960 + i % 4, price=(i * 7) % 5 * 1000
        )
        for i, title in enumerate(TITLES)
    ]


@pytest.mark.parametrize("limit", [1, 3, 100])
async def test_every_order_walks_the_catalogue_in_its_documented_order(
    client: AsyncClient, limit: int, subtests: pytest.Subtests
) -> None:
    books = await _catalogue(client)
    for sort in ORDERS:
        with subtests.test(sort=sort):
            assert ids(await walk(client, "/books", {"sort": sort, "limit": limit})) == (
                expected(books, sort)
            )


async def test_titles_sort_ignoring_case_and_by_code_point(client: AsyncClient) -> None:
    books = await _catalogue(client)
    page = await get_json(client, "/books?sort=title&limit=100")
    titles = [b["title"] for b in page["items"]]
    assert titles[:2] == ["1984", "_x"] and titles[-1] == "Éclair", titles
    apples = [b["id"] for b in books if b["title"].lower() == "apple"]
    assert [b["id"] for b in page["items"][2:4]] == apples  # a tie goes by id


def _matches(book: dict[str, Any], params: dict[str, Any]) -> bool:
    """What the filters of `params` promise, in Python."""
    year = book["publication_year"]
    authors = [a["id"] for a in book["authors"]]
    return (
        params.get("publication_year_min", 1) <= year <= params.get("publication_year_max", 9999)
        and params.get("title", "").lower() in book["title"].lower()
        and ("author_id" not in params or params["author_id"] in authors)
        and params.get("isbn", book["isbn"]) == book["isbn"]
    )


async def test_the_year_filters_are_inclusive_and_combine(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    author = await create_author(client)
    books = [
        await create_book(
            client,
            title=f"Saga {year}" if year != 1970 else "Other",
            publication_year=year,
            author_ids=[author["id"]] if year % 2 else [],
        )
        for year in (1959, 1960, 1969, 1969, 1970, 1979, 1980)
    ]
    cases: list[dict[str, Any]] = [
        {"publication_year_min": 1960},
        {"publication_year_max": 1969},
        {"publication_year_min": 1969, "publication_year_max": 1969},
        {"publication_year_min": 1960, "publication_year_max": 1970},
        {"publication_year_min": 1965, "title": "saga"},
        {"publication_year_max": 1970, "author_id": author["id"]},
        {"publication_year_min": 1960, "isbn": books[1]["isbn"]},
        {"publication_year_min": 1961, "isbn": books[1]["isbn"]},
        {"publication_year_min": 1981},
    ]
    for params in cases:
        wanted = [b for b in books if _matches(b, params)]
        for sort in ("id", "-publication_year", "title"):
            with subtests.test(params=params, sort=sort):
                pages = await walk(client, "/books", {**params, "sort": sort, "limit": 2})
                assert ids(pages) == expected(wanted, sort)


async def test_a_minimum_after_the_maximum_is_a_422_that_says_why(client: AsyncClient) -> None:
    response = await client.get("/books?publication_year_min=1980&publication_year_max=1970")
    body = assert_problem(response, 422, field="publication_year_min")
    assert "publication_year_max" in body["errors"][0]["msg"]
    assert "1980 > 1970" in body["errors"][0]["msg"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "name"}, "sort"),
        ({"sort": "Title"}, "sort"),
        ({"sort": "--price"}, "sort"),
        ({"sort": ""}, "sort"),
        ({"publication_year_min": "0"}, "publication_year_min"),
        ({"publication_year_max": "10000"}, "publication_year_max"),
        ({"publication_year_min": "+1969"}, "publication_year_min"),
        ({"publication_year_max": "1969.0"}, "publication_year_max"),
        ({"publication_year_min": "nineteen"}, "publication_year_min"),
    ],
)
async def test_a_bad_order_or_year_is_a_422_naming_it(
    client: AsyncClient, params: dict[str, str], field: str
) -> None:
    assert_problem(await client.get("/books", params=params), 422, field=field)


async def test_a_cursor_pages_only_the_order_and_filters_it_was_made_for(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    await _catalogue(client)

    async def cursor(**params: Any) -> str:
        page = await get_json(client, "/books?" + "&".join(f"{k}={v}" for k, v in params.items()))
        assert page["next_cursor"], page
        return str(page["next_cursor"])

    by_title = await cursor(sort="title", limit=1)
    by_id = await cursor(limit=1)
    apples = await cursor(sort="title", limit=1, title="app")
    apples_by_id = await cursor(limit=1, title="app")
    cases = [
        ({"sort": "price", "cursor": by_title}, "sort=title, not sort=price"),
        ({"sort": "-title", "cursor": by_title}, "sort=title, not sort=-title"),
        ({"cursor": by_title}, "sort=title, not sort=id"),
        ({"sort": "title", "cursor": by_id}, "sort=id, not sort=title"),
        ({"sort": "title", "title": "a", "cursor": by_title}, "other filters"),
        ({"sort": "title", "publication_year_min": 1, "cursor": by_title}, "other filters"),
        ({"sort": "title", "cursor": apples}, "other filters"),
        ({"sort": "title", "title": "APPS", "cursor": apples}, "other filters"),
        # The default order's cursors too.
        ({"title": "b", "cursor": apples_by_id}, "other filters"),
        ({"sort": "id", "cursor": apples_by_id}, "other filters"),
        ({"title": "app", "author_id": "1", "cursor": apples_by_id}, "other filters"),
        ({"cursor": by_id, "title": "app"}, "other filters"),
        ({"sort": "title", "title": "app", "cursor": apples_by_id}, "sort=id, not sort=title"),
        ({"sort": "-id", "title": "app", "cursor": apples_by_id}, "sort=id, not sort=-id"),
    ]
    for params, says in cases:
        with subtests.test(params=params):
            body = assert_problem(await client.get("/books", params=params), 422, field="cursor")
            assert says in body["errors"][0]["msg"], body
    # The same order and filters take it, as often as asked.
    for _ in range(2):
        assert (await client.get("/books", params={"sort": "title", "cursor": by_title})).is_success
    # Filters count as searches compare them: "APP " selects what "app" selects.
    for title in ("app", "APP "):
        same = {"sort": "title", "title": title, "cursor": apples}
        assert (await client.get("/books", params=same)).is_success, title
    for same in ({"title": "app"}, {"sort": "id", "title": "app"}):
        assert (await client.get("/books", params={**same, "cursor": apples_by_id})).is_success


MADE_UP_CURSORS = [
    "eyJhZnRlciI6IDV9",  # {"after": 5}
    "WyJ0aXRsZSIsIiIsbnVsbCwxXQ",  # ["title","",null,1]: not a digest
    "A" * 17,
    "_" * 2049,
]


async def test_a_made_up_cursor_is_a_422_in_every_order(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    await _catalogue(client)
    real = (await get_json(client, "/books?sort=title&limit=1"))["next_cursor"]
    tampered = real[:-4] + ("AAAA" if real[-4:] != "AAAA" else "BBBB")
    for sort in ORDERS:
        for cursor in [*MADE_UP_CURSORS, tampered]:
            with subtests.test(sort=sort, cursor=cursor[:20]):
                response = await client.get("/books", params={"sort": sort, "cursor": cursor})
                assert_problem(response, 422, field="cursor")


async def test_a_cursor_holds_its_place_when_its_book_is_renamed_or_deleted(
    client: AsyncClient,
) -> None:
    """The cursor keeps the last book's title as it was: the next page starts there, even
    once that book is called something else or is gone."""
    books = await _catalogue(client)
    first = await get_json(client, "/books?sort=title&limit=3")
    last = first["items"][-1]
    renamed = await client.patch(f"/books/{last['id']}", json={"title": "zz renamed"})
    assert renamed.status_code == 200, renamed.text
    deleted = first["items"][0]["id"]  # behind the cursor
    after_it = expected(books, "title")[3]
    assert (await client.delete(f"/books/{deleted}")).status_code == 204
    assert (await client.delete(f"/books/{after_it}")).status_code == 204

    rest = await walk(
        client, "/books", {"sort": "title", "limit": 3, "cursor": first["next_cursor"]}
    )

    now = [b | {"title": "zz renamed"} if b["id"] == last["id"] else b for b in books]
    remaining = expected([b for b in now if b["id"] not in (deleted, after_it)], "title")
    # Everything after the cursor, the renamed book now among them.
    assert ids(rest) == [i for i in remaining if i not in [b["id"] for b in first["items"][:2]]]


@pytest.mark.parametrize("title", [None, "X"])
@pytest.mark.parametrize("sort", ORDERS)
async def test_a_walk_while_another_client_inserts_and_renames_skips_and_repeats_nothing(
    client: AsyncClient,
    app: FastAPI,
    monkeypatch: pytest.MonkeyPatch,
    sort: str,
    title: str | None,
) -> None:
    """Between any two pages, another client creates a book and changes the title, year
    and price of another, so that books move both ways across the walker's position.
    Every book that no write touched is seen exactly once, in its place. With a title
    text, the walk of the title search is cut short, so pages come from the title index
    (PostgreSQL) or the whole table (SQLite) as well as from the walk."""
    monkeypatch.setattr(book_read_side, "TITLE_WALK_BOOKS", 6)
    rng = random.Random(sort)
    other = AsyncClient(transport=ASGITransport(app=app), base_url="http://test")
    originals = [
        await create_book(
            other,
            title=f"{rng.choice('abcdefgh')}{n:02}x",
            publication_year=rng.randint(1950, 1960),
            price=rng.randint(0, 5) * 1000,
        )
        for n in range(30)
    ]
    changed: set[str] = set()
    seen: list[str] = []
    query: dict[str, Any] = {"sort": sort, "limit": 4} | ({"title": title} if title else {})
    while True:
        page = await get_json(client, "/books?" + "&".join(f"{k}={v}" for k, v in query.items()))
        seen.extend(b["id"] for b in page["items"])
        if page["next_cursor"] is None:
            break
        query["cursor"] = page["next_cursor"]
        # The other client's turn: a new book, and another one changed.
        await create_book(
            other,
            title=f"{rng.choice('abcdefgh')}-new x",
            publication_year=rng.randint(1950, 1960),
            price=rng.randint(0, 5) * 1000,
        )
        victim = rng.choice(originals)["id"]
        change = {
            "title": f"{rng.choice('abcdefgh')}-renamed",
            "publication_year": rng.randint(1950, 1960),
            "price": rng.randint(0, 5) * 1000,
        }
        assert (await other.patch(f"/books/{victim}", json=change)).status_code == 200
        changed.add(victim)
        assert len(seen) < 200, "the walk never ends"
    await other.aclose()

    untouched = [b for b in originals if b["id"] not in changed]
    assert len(untouched) >= 8, "too few untouched books to prove anything"
    assert all(seen.count(b["id"]) == 1 for b in untouched), (
        "an untouched book was skipped or repeated"
    )
    place = {book_id: n for n, book_id in enumerate(seen)}
    assert [place[i] for i in expected(untouched, sort)] == sorted(
        place[b["id"]] for b in untouched
    ), "untouched books out of order"
