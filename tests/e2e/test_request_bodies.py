"""Bodies: JSON only (415), at most MAX_BODY_BYTES (413), and the answers are problems."""

from __future__ import annotations

from httpx2 import AsyncClient

from tests.e2e.helpers import assert_problem, get_json


async def test_a_2_mib_body_is_413(client: AsyncClient) -> None:
    body = b'{"first_name":"' + b"a" * (2 * 1024 * 1024) + b'"}'
    response = await client.post(
        "/authors", content=body, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413)
    assert (await get_json(client, "/authors"))["items"] == []


async def test_a_streamed_oversize_body_is_413(client: AsyncClient) -> None:
    async def chunks():  # no Content-Length: chunked transfer
        for _ in range(40):
            yield b"x" * 65536

    response = await client.post(
        "/authors", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413)


async def test_a_body_that_is_not_json_is_415(client: AsyncClient) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        response = await client.post(
            "/authors", content=b"first_name=a", headers={"Content-Type": content_type}
        )
        assert_problem(response, 415)
    missing = await client.post(
        "/authors", content=b'{"first_name": "a"}', headers={"Content-Type": ""}
    )
    assert_problem(missing, 415)


async def test_json_with_a_charset_or_a_json_suffix_is_accepted(client: AsyncClient) -> None:
    body = b'{"first_name":"A","last_name":"B","age":3}'
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = await client.post(
            "/authors", content=body, headers={"Content-Type": content_type}
        )
        assert response.status_code == 201, response.text


async def test_an_empty_post_without_content_type_is_fine(client: AsyncClient) -> None:
    book = await client.post(
        "/books",
        json={
            "title": "T",
            "isbn": "9780306406157",
            "pages": 1,
            "price": 0,
            "publication_year": 2000,
        },
    )
    author = await client.post("/authors", json={"first_name": "A", "last_name": "B", "age": 3})
    added = await client.post(f"/books/{book.json()['id']}/authors/{author.json()['id']}")
    assert added.status_code == 200
