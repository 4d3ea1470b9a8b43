"""/books/{id}/authors/{author_id}: adding and removing an author, and how the author's
own list of books follows."""

from __future__ import annotations

import pytest
from httpx2 import AsyncClient

from modules.book.domain.book import MAX_AUTHORS_PER_BOOK
from tests.e2e.helpers import assert_problem, book_body, create_author, create_book, get_json


async def test_add_answers_the_book_with_the_author_and_the_author_lists_it(
    client: AsyncClient,
) -> None:
    author = await create_author(client, first_name="Ted", last_name="Chiang")
    book = await create_book(client, title="Exhalation")

    response = await client.post(f"/books/{book['id']}/authors/{author['id']}")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == book | {
        "authors": [{"id": author["id"], "first_name": "Ted", "last_name": "Chiang"}],
        "version": 2,
    }
    assert await get_json(client, f"/books/{book['id']}") == response.json()
    listed = await get_json(client, f"/authors/{author['id']}")
    assert listed["books"] == [{"id": book["id"], "title": "Exhalation"}]
    assert listed["version"] == 2


async def test_authors_are_listed_in_the_order_they_were_added(client: AsyncClient) -> None:
    first = await create_author(client, first_name="First")
    second = await create_author(client, first_name="Second")
    third = await create_author(client, first_name="Third")
    book = await create_book(client, author_ids=[second["id"]])

    for author in (third, first):
        response = await client.post(f"/books/{book['id']}/authors/{author['id']}")
        assert response.status_code == 200, response.text

    got = await get_json(client, f"/books/{book['id']}")
    assert [a["first_name"] for a in got["authors"]] == ["Second", "Third", "First"]
    assert got["version"] == 3


async def test_add_to_an_unknown_book_is_404(client: AsyncClient) -> None:
    author = await create_author(client)
    body = assert_problem(await client.post(f"/books/424242/authors/{author['id']}"), 404)
    assert "424242" in body["detail"]
    assert (await get_json(client, f"/authors/{author['id']}"))["books"] == []


async def test_add_an_unknown_author_is_404(client: AsyncClient) -> None:
    book = await create_book(client)
    body = assert_problem(await client.post(f"/books/{book['id']}/authors/424242"), 404)
    assert "424242" in body["detail"]
    assert await get_json(client, f"/books/{book['id']}") == book


async def test_add_an_author_twice_is_409(client: AsyncClient) -> None:
    author = await create_author(client)
    given = await create_book(client, author_ids=[author["id"]])  # an author from the start
    added = await create_book(client)
    first = await client.post(f"/books/{added['id']}/authors/{author['id']}")
    assert first.status_code == 200, first.text

    for book in (given, await get_json(client, f"/books/{added['id']}")):
        response = await client.post(f"/books/{book['id']}/authors/{author['id']}")
        assert_problem(response, 409)
        assert await get_json(client, f"/books/{book['id']}") == book

    listed = await get_json(client, f"/authors/{author['id']}")
    assert sorted(b["id"] for b in listed["books"]) == sorted([given["id"], added["id"]])


async def test_a_book_with_the_most_authors_refuses_one_more_with_409(
    client: AsyncClient,
) -> None:
    """A book embeds all its authors, so their number is bounded (MAX_AUTHORS_PER_BOOK)."""
    authors = [(await create_author(client))["id"] for _ in range(MAX_AUTHORS_PER_BOOK + 1)]
    too_many = await client.post("/books", json=book_body(author_ids=authors))
    assert_problem(too_many, 422, field="author_ids")
    book = await create_book(client, author_ids=authors[:-1])
    assert len(book["authors"]) == MAX_AUTHORS_PER_BOOK

    body = assert_problem(await client.post(f"/books/{book['id']}/authors/{authors[-1]}"), 409)

    assert body["type"].endswith(":too-many-authors"), body
    assert str(MAX_AUTHORS_PER_BOOK) in body["detail"]
    assert await get_json(client, f"/books/{book['id']}") == book
    assert (await get_json(client, f"/authors/{authors[-1]}"))["books"] == []


async def test_remove_answers_the_book_without_the_author_and_the_author_forgets_it(
    client: AsyncClient,
) -> None:
    leaving = await create_author(client, first_name="Leaving")
    staying = await create_author(client, first_name="Staying")
    book = await create_book(client, author_ids=[leaving["id"], staying["id"]])
    other = await create_book(client, title="Other", author_ids=[leaving["id"]])

    response = await client.delete(f"/books/{book['id']}/authors/{leaving['id']}")

    assert response.status_code == 200, response.text
    assert response.json() == book | {"authors": book["authors"][1:], "version": 2}
    assert await get_json(client, f"/books/{book['id']}") == response.json()
    assert (await get_json(client, f"/authors/{leaving['id']}"))["books"] == [
        {"id": other["id"], "title": "Other"}
    ]
    assert [b["id"] for b in (await get_json(client, f"/authors/{staying['id']}"))["books"]] == [
        book["id"]
    ]
    by_author = await get_json(client, f"/books?author_id={leaving['id']}")
    assert [b["id"] for b in by_author["items"]] == [other["id"]]


async def test_remove_then_add_again(client: AsyncClient) -> None:
    author = await create_author(client)
    book = await create_book(client, author_ids=[author["id"]])

    removed = await client.delete(f"/books/{book['id']}/authors/{author['id']}")
    added = await client.post(f"/books/{book['id']}/authors/{author['id']}")

    assert removed.status_code == 200 and added.status_code == 200, added.text
    assert [a["id"] for a in added.json()["authors"]] == [author["id"]]
    assert added.json()["version"] == 3
    got = await get_json(client, f"/authors/{author['id']}")
    assert got["books"] == [{"id": book["id"], "title": book["title"]}]
    assert got["version"] == 4  # listed, forgotten, listed again


async def test_remove_an_author_who_is_not_an_author_of_the_book_is_404(
    client: AsyncClient,
) -> None:
    author = await create_author(client)
    book = await create_book(client)

    assert_problem(await client.delete(f"/books/{book['id']}/authors/{author['id']}"), 404)
    assert_problem(await client.delete(f"/books/{book['id']}/authors/424242"), 404)
    assert await get_json(client, f"/books/{book['id']}") == book


async def test_remove_from_an_unknown_book_is_404(client: AsyncClient) -> None:
    author = await create_author(client)
    assert_problem(await client.delete(f"/books/424242/authors/{author['id']}"), 404)


async def test_an_author_removed_from_all_books_can_be_deleted(client: AsyncClient) -> None:
    author = await create_author(client)
    books = [await create_book(client, author_ids=[author["id"]]) for _ in range(2)]
    for book in books:
        assert_problem(await client.delete(f"/authors/{author['id']}"), 409)
        response = await client.delete(f"/books/{book['id']}/authors/{author['id']}")
        assert response.status_code == 200, response.text
    assert (await client.delete(f"/authors/{author['id']}")).status_code == 204


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_bad_ids_in_either_place_are_422(
    client: AsyncClient, method: str, subtests: pytest.Subtests
) -> None:
    author = await create_author(client)
    book = await create_book(client)
    for bad in ("abc", "0", "-7", "99999999999999999999"):
        for path, field in (
            (f"/books/{bad}/authors/{author['id']}", "book_id"),
            (f"/books/{book['id']}/authors/{bad}", "author_id"),
        ):
            with subtests.test(path=path):
                assert_problem(await client.request(method, path), 422, field=field)
    assert await get_json(client, f"/books/{book['id']}") == book
