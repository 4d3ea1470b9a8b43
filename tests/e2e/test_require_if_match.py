"""REQUIRE_IF_MATCH: a write to an existing resource that does not name the version it
changes is a 428, changes nothing, and the spec says the header is required."""

from __future__ import annotations

import pytest
from httpx2 import AsyncClient

from modules.platform.settings import Settings
from tests.e2e.helpers import assert_problem, create_author, create_book, get_json


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        app_env="test",
        db_pool_size=10,
        db_max_overflow=10,
        require_if_match=True,
    )


async def test_unconditional_writes_are_428_and_change_nothing(client: AsyncClient) -> None:
    author = await create_author(client)
    book = await create_book(client)
    writes = [
        ("PATCH", f"/books/{book['id']}", {"pages": 5}),
        ("DELETE", f"/books/{book['id']}", None),
        ("POST", f"/books/{book['id']}/authors/{author['id']}", None),
        ("DELETE", f"/books/{book['id']}/authors/{author['id']}", None),
        ("PATCH", f"/authors/{author['id']}", {"age": 50}),
        ("DELETE", f"/authors/{author['id']}", None),
    ]
    for method, path, body in writes:
        response = await client.request(method, path, json=body)
        problem = assert_problem(response, 428)
        assert problem["type"].endswith("precondition-required")
        assert "If-Match" in problem["detail"]
    assert (await get_json(client, f"/books/{book['id']}"))["version"] == 1
    assert (await get_json(client, f"/authors/{author['id']}"))["version"] == 1


async def test_conditional_writes_still_work(client: AsyncClient) -> None:
    author = await create_author(client)  # creating needs no If-Match: nothing to overwrite
    book = await create_book(client)
    etag = (await client.get(f"/books/{book['id']}")).headers["ETag"]
    added = await client.post(
        f"/books/{book['id']}/authors/{author['id']}", headers={"If-Match": etag}
    )
    assert added.status_code == 200, added.text
    [listed] = (await get_json(client, "/books"))["items"]
    patched = await client.patch(
        f"/books/{book['id']}", json={"pages": 5}, headers={"If-Match": listed["etag"]}
    )
    assert patched.status_code == 200, patched.text
    gone = await client.delete(f"/books/{book['id']}", headers={"If-Match": "*"})
    assert gone.status_code == 204, gone.text


async def test_the_spec_requires_if_match_and_documents_428(client: AsyncClient) -> None:
    spec = await get_json(client, "/openapi.json")
    writes = [
        ("patch", "/books/{book_id}"),
        ("delete", "/books/{book_id}"),
        ("post", "/books/{book_id}/authors/{author_id}"),
        ("delete", "/books/{book_id}/authors/{author_id}"),
        ("patch", "/authors/{author_id}"),
        ("delete", "/authors/{author_id}"),
    ]
    for method, path in writes:
        operation = spec["paths"][path][method]
        [if_match] = [p for p in operation["parameters"] if p["name"].lower() == "if-match"]
        assert if_match["required"] is True, (method, path)
        assert "428" in operation["responses"], (method, path)
