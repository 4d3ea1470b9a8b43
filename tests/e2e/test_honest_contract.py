"""The contract at the edge says what is wrong, all at once, with the status the spec names:
every field error in one 422, malformed syntax as the documented 400, messages that fit
the mistake, a taken ISBN that names its book, and list items that carry their ETag."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from httpx2 import AsyncClient

from tests.e2e.helpers import (
    assert_problem,
    author_body,
    book_body,
    create_author,
    create_book,
    get_json,
    isbn10,
    isbn13,
    new_isbn,
)

BAD_CHECKSUM_ISBN = "9780441478124"  # 978-0-441-47812-5 with a wrong check digit


async def _spec_statuses(client: AsyncClient, method: str, path: str) -> set[int]:
    spec = await get_json(client, "/openapi.json")
    return {int(s) for s in spec["paths"][path][method]["responses"]}


def _errors(body: dict[str, Any]) -> dict[str, str]:
    """The problem's field errors as {field: message}."""
    return {e["loc"][1]: e["msg"] for e in body["errors"] if e["loc"][0] == "body"}


# --- every field error at once ---


async def test_one_422_lists_schema_and_domain_errors_of_a_new_book(client: AsyncClient) -> None:
    next_year = datetime.now(UTC).year + 1
    response = await client.post(
        "/books",
        json={
            "title": "   ",  # passes the length bound; blank is a domain rule
            "isbn": BAD_CHECKSUM_ISBN,  # passes the length bound; the checksum is a domain rule
            "pages": 0,
            "price": -1,
            "publication_year": next_year + 1,  # within the schema's 9999; after next year
        },
    )
    errors = _errors(assert_problem(response, 422))
    assert set(errors) == {"title", "isbn", "pages", "price", "publication_year"}, errors
    assert errors["title"] == "title must not be blank"
    assert "checksum" in errors["isbn"]
    assert str(next_year) in errors["publication_year"]
    assert (await get_json(client, "/books"))["items"] == []


async def test_one_422_lists_every_bad_field_of_a_book_patch(client: AsyncClient) -> None:
    book = await create_book(client)
    response = await client.patch(
        f"/books/{book['id']}",
        json={"title": "\t ", "isbn": BAD_CHECKSUM_ISBN, "publication_year": 9999, "pages": 0},
    )
    errors = _errors(assert_problem(response, 422))
    assert set(errors) == {"title", "isbn", "publication_year", "pages"}, errors
    assert (await get_json(client, f"/books/{book['id']}"))["version"] == 1


async def test_blank_author_names_are_called_blank_with_the_other_errors(
    client: AsyncClient,
) -> None:
    response = await client.post("/authors", json=author_body(first_name=" ", last_name=" ", age=0))
    errors = _errors(assert_problem(response, 422))
    assert errors == {
        "first_name": "first_name must not be blank",
        "last_name": "last_name must not be blank",
        "age": errors["age"],
    }, errors
    author = await create_author(client)
    patched = await client.patch(f"/authors/{author['id']}", json={"last_name": "  "})
    assert _errors(assert_problem(patched, 422)) == {"last_name": "last_name must not be blank"}


# --- messages and statuses that match the spec ---


async def test_a_limit_that_is_not_a_number_is_not_called_an_id(client: AsyncClient) -> None:
    for path in ("/books", "/authors"):
        body = assert_problem(await client.get(path, params={"limit": "abc"}), 422)
        [error] = body["errors"]
        assert error["loc"] == ["query", "limit"]
        assert "id" not in error["msg"].split() and "whole number" in error["msg"], error


async def test_a_body_that_is_not_json_is_the_documented_400(client: AsyncClient) -> None:
    book = await create_book(client)
    for method, path, template in [
        ("post", "/books", "/books"),
        ("patch", f"/books/{book['id']}", "/books/{book_id}"),
        ("post", "/authors", "/authors"),
    ]:
        response = await client.request(
            method, path, content=b'{"title": ', headers={"content-type": "application/json"}
        )
        body = assert_problem(response, 400)
        assert body["errors"][0]["loc"] == ["body"]
        assert "not valid JSON" in body["errors"][0]["msg"], body
        assert 400 in await _spec_statuses(client, method, template)


async def test_a_malformed_idempotency_key_is_the_documented_400(client: AsyncClient) -> None:
    response = await client.post("/books", json=book_body(), headers={"Idempotency-Key": "a b"})
    body = assert_problem(response, 400)
    assert ["header", "Idempotency-Key"] in [e["loc"] for e in body["errors"]], body
    assert 400 in await _spec_statuses(client, "post", "/books")
    assert (await get_json(client, "/books"))["items"] == []


async def test_a_weak_if_match_is_refused_for_being_weak(client: AsyncClient) -> None:
    book = await create_book(client)
    etag = (await client.get(f"/books/{book['id']}")).headers["ETag"]
    response = await client.patch(
        f"/books/{book['id']}", json={"pages": 9}, headers={"If-Match": f"W/{etag}"}
    )
    detail = assert_problem(response, 412)["detail"]
    assert "weak" in detail and "changed" not in detail, detail
    stale = await client.patch(
        f"/books/{book['id']}", json={"pages": 9}, headers={"If-Match": '"1-000000000000"'}
    )
    assert "changed" in assert_problem(stale, 412)["detail"]
    assert (await get_json(client, f"/books/{book['id']}"))["version"] == 1


# --- a taken ISBN names its book ---


async def test_a_duplicate_isbn_on_create_names_the_book_that_has_it(client: AsyncClient) -> None:
    body9 = 441_478_12
    first = await create_book(client, isbn=isbn13(body9))
    response = await client.post("/books", json=book_body(isbn=isbn10(body9)))
    problem = assert_problem(response, 409)
    assert problem["existing_id"] == first["id"]
    assert problem["existing_url"] == f"/books/{first['id']}"
    assert (await get_json(client, problem["existing_url"]))["isbn"] == isbn13(body9)


async def test_a_duplicate_isbn_on_patch_names_the_book_that_has_it(client: AsyncClient) -> None:
    holder = await create_book(client)
    other = await create_book(client)
    response = await client.patch(f"/books/{other['id']}", json={"isbn": holder["isbn"]})
    problem = assert_problem(response, 409)
    assert (problem["existing_id"], problem["existing_url"]) == (
        holder["id"],
        f"/books/{holder['id']}",
    )


async def test_every_loser_of_an_isbn_race_is_told_the_winner(client: AsyncClient) -> None:
    isbn = new_isbn()
    responses = await asyncio.gather(
        *(client.post("/books", json=book_body(title=f"Race {i}", isbn=isbn)) for i in range(8))
    )
    [winner] = [r.json() for r in responses if r.status_code == 201]
    losers = [assert_problem(r, 409) for r in responses if r.status_code != 201]
    assert len(losers) == 7
    assert {p["existing_id"] for p in losers} == {winner["id"]}, losers


async def test_the_problem_schema_documents_the_holder_members(client: AsyncClient) -> None:
    spec = await get_json(client, "/openapi.json")
    members = spec["components"]["schemas"]["Problem"]["properties"]
    assert {"existing_id", "existing_url"} <= set(members)


# --- list items carry their ETag ---


async def test_list_items_carry_the_etag_a_get_answers(client: AsyncClient) -> None:
    author = await create_author(client)
    await create_book(client, author_ids=[author["id"]])
    await create_book(client)
    for path in ("/books", "/authors"):
        items = (await get_json(client, path))["items"]
        assert items
        for item in items:
            single = await client.get(f"{path}/{item['id']}")
            assert item["etag"] == single.headers["ETag"], (path, item)
            assert {k: v for k, v in item.items() if k != "etag"} == single.json()


async def test_a_list_items_etag_is_good_for_a_conditional_write(client: AsyncClient) -> None:
    book = await create_book(client)
    [item] = (await get_json(client, "/books"))["items"]
    changed = await client.patch(
        f"/books/{book['id']}", json={"pages": 7}, headers={"If-Match": item["etag"]}
    )
    assert changed.status_code == 200, changed.text
    assert_problem(
        await client.delete(f"/books/{book['id']}", headers={"If-Match": item["etag"]}), 412
    )


async def test_the_list_item_schemas_document_the_etag(client: AsyncClient) -> None:
    spec = await get_json(client, "/openapi.json")
    schemas = spec["components"]["schemas"]
    for path in ("/books", "/authors"):
        page = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        page_schema = schemas[page["schema"]["$ref"].rsplit("/", 1)[-1]]
        item = schemas[page_schema["properties"]["items"]["items"]["$ref"].rsplit("/", 1)[-1]]
        assert "etag" in item["required"] and item["properties"]["etag"]["type"] == "string"


async def test_without_require_if_match_writes_need_no_if_match(client: AsyncClient) -> None:
    book = await create_book(client)
    assert (await client.patch(f"/books/{book['id']}", json={"pages": 3})).status_code == 200
    assert 428 not in await _spec_statuses(client, "patch", "/books/{book_id}")
