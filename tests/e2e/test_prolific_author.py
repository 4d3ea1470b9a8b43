"""An author with more books than a representation shows: GET /authors/{id} and each item
of GET /authors embed the RECENT_BOOKS newest, with `books_total` and `books_url` for the
rest; the ETag still changes whenever the author's list of books does."""

from __future__ import annotations

from typing import Any

from httpx2 import AsyncClient

from modules.author.application.queries import RECENT_BOOKS
from tests.e2e.helpers import create_author, create_book, get_json, walk

BOOKS = RECENT_BOOKS + 3


async def _prolific(client: AsyncClient) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An author with BOOKS books (and another author with one, before and after it)."""
    await create_book(client, author_ids=[(await create_author(client))["id"]])
    author = await create_author(client, first_name="Prolific")
    books = [
        await create_book(client, title=f"Book {n}", author_ids=[author["id"]])
        for n in range(BOOKS)
    ]
    await create_book(client, author_ids=[(await create_author(client))["id"]])
    return author, books


def _shown(books: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"id": b["id"], "title": b["title"]} for b in books]


async def test_an_author_shows_their_newest_books_the_total_and_where_the_rest_are(
    client: AsyncClient,
) -> None:
    author, books = await _prolific(client)

    got = await get_json(client, f"/authors/{author['id']}")

    newest = sorted(books, key=lambda b: int(b["id"]))[-RECENT_BOOKS:]
    assert got["books"] == _shown(newest)  # the newest, oldest of them first
    assert got["books_total"] == BOOKS
    assert got["books_url"] == f"/books?author_id={author['id']}"
    assert got["version"] == 1 + BOOKS
    every = [
        b
        for page in await walk(client, "/books", {"author_id": author["id"]})
        for b in page["items"]
    ]
    assert [b["id"] for b in every] == [b["id"] for b in books]


async def test_a_page_of_authors_shows_each_as_a_get_does(client: AsyncClient) -> None:
    author, _ = await _prolific(client)
    got = await client.get(f"/authors/{author['id']}")

    page = await get_json(client, "/authors")

    items = {item["id"]: item for item in page["items"]}
    assert len(items) == 3
    assert items[author["id"]] == got.json() | {"etag": got.headers["ETag"]}
    assert all(len(item["books"]) == item["books_total"] == 1 for item in page["items"][::2])


async def test_the_etag_changes_with_the_list_of_books_even_beyond_those_shown(
    client: AsyncClient,
) -> None:
    author, books = await _prolific(client)
    path = f"/authors/{author['id']}"

    async def etag() -> str:
        return (await client.get(path)).headers["ETag"]

    tags = [await etag()]
    await create_book(client, title="Newest", author_ids=[author["id"]])
    tags.append(await etag())
    assert (await get_json(client, path))["books"][-1]["title"] == "Newest"

    # The oldest book is not shown: removing the author from it still changes the author.
    oldest = books[0]
    response = await client.delete(f"/books/{oldest['id']}/authors/{author['id']}")
    assert response.status_code == 200, response.text
    tags.append(await etag())
    assert (await get_json(client, path))["books_total"] == BOOKS

    # A book shown is retitled: the author is not changed, what it shows is.
    shown = (await get_json(client, path))["books"][-2]
    await client.patch(f"/books/{shown['id']}", json={"title": "Retitled"})
    tags.append(await etag())

    # A book shown is deleted: an older one comes into view.
    before = (await get_json(client, path))["books"]
    assert (await client.delete(f"/books/{before[-1]['id']}")).status_code == 204
    tags.append(await etag())
    after = (await get_json(client, path))["books"]
    assert after[1:] == before[:-1] and len(after) == RECENT_BOOKS
    assert int(after[0]["id"]) < int(before[0]["id"])

    assert len(set(tags)) == len(tags), tags
