"""Errors every route shares: malformed bodies, bad ids, oversize bodies, unknown routes
and methods. Each answer is application/problem+json with no internals in it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from httpx2 import AsyncClient

from tests.e2e.helpers import (
    PROBLEM_MEDIA_TYPE,
    assert_problem,
    author_body,
    book_body,
    create_author,
    create_book,
    get_json,
)

MIB = 1024 * 1024
MAX_ID = (1 << 63) - 1

ID_ROUTES = [
    ("GET", "/authors/{}", "author_id"),
    ("PATCH", "/authors/{}", "author_id"),
    ("DELETE", "/authors/{}", "author_id"),
    ("GET", "/books/{}", "book_id"),
    ("PATCH", "/books/{}", "book_id"),
    ("DELETE", "/books/{}", "book_id"),
]

BAD_IDS = [
    "abc",
    "0",
    "-1",
    "99999999999999999999",
    str(MAX_ID + 1),
    "1e3",
    "0x10",
    "١",  # an Arabic-Indic digit one: a digit to Python's int(), not a decimal digit here
    "12abc",
]

# Spellings of an id that are not plain decimal digits.
NON_DIGIT_IDS = ["+1", " 1", "1 ", "1_0", "1.0"]

MALFORMED_BODIES: list[tuple[bytes, str]] = [
    (b"{bad", "application/json"),
    (b'{"first_name": ', "application/json"),
    (b"{'single': 'quotes'}", "application/json"),
    (b"", "application/json"),
    (b"null", "application/json"),
    (b"[]", "application/json"),
    (b'"a string"', "application/json"),
    (b"42", "application/json"),
]

# Of those, the ones that are not JSON at all: malformed syntax, so 400 (RFC 9110 §15.5.1),
# as the spec documents; JSON of the wrong shape is 422.
UNDECODABLE_BODIES = {b"{bad", b'{"first_name": ', b"{'single': 'quotes'}"}

NOT_JSON_BODIES: list[tuple[bytes, str]] = [
    (b'{"first_name": "A", "last_name": "B", "age": 3}', "text/plain"),
    (b"first_name=A&last_name=B&age=3", "application/x-www-form-urlencoded"),
    (b'{"first_name": "A", "last_name": "B", "age": 3}', "application/xml"),
]


async def _body_routes(client: AsyncClient) -> list[tuple[str, str]]:
    author = await create_author(client)
    book = await create_book(client)
    return [
        ("POST", "/authors"),
        ("PATCH", f"/authors/{author['id']}"),
        ("POST", "/books"),
        ("PATCH", f"/books/{book['id']}"),
    ]


async def _nothing_changed(client: AsyncClient) -> None:
    authors = (await get_json(client, "/authors"))["items"]
    books = (await get_json(client, "/books"))["items"]
    assert [a["version"] for a in authors] == [1] and [b["version"] for b in books] == [1]


# --- malformed bodies ---


async def test_malformed_bodies_are_400_or_422(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    for method, path in await _body_routes(client):
        for content, content_type in MALFORMED_BODIES:
            with subtests.test(method=method, path=path[:8], body=content[:20]):
                response = await client.request(
                    method, path, content=content, headers={"content-type": content_type}
                )
                body = assert_problem(response, 400 if content in UNDECODABLE_BODIES else 422)
                assert body["errors"], body
                assert all(e["loc"][0] == "body" for e in body["errors"]), body
    await _nothing_changed(client)


async def test_a_body_not_sent_as_json_is_refused(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    # The contract does not say which 4xx: 415 (Unsupported Media Type) and 422 both honest.
    for method, path in await _body_routes(client):
        for content, content_type in NOT_JSON_BODIES:
            with subtests.test(method=method, path=path[:8], content_type=content_type):
                response = await client.request(
                    method, path, content=content, headers={"content-type": content_type}
                )
                assert response.status_code in (415, 422), response.text
                assert_problem(response, response.status_code)
    await _nothing_changed(client)


async def test_a_body_that_is_not_utf8_or_too_deep_is_a_4xx_problem(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    # FastAPI answers these itself ("There was an error parsing the body"), with 400.
    bodies = {
        "not UTF-8": b'{"first_name": "\xff\xfe", "last_name": "B", "age": 3}',
        "nested 100000 deep": b"[" * 100_000 + b"]" * 100_000,
    }
    for name, content in bodies.items():
        with subtests.test(body=name):
            response = await client.post(
                "/authors", content=content, headers={"content-type": "application/json"}
            )
            assert response.status_code in (400, 422), response.text
            assert_problem(response, response.status_code)


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("POST", "/authors", "first_name"),
        ("PATCH", "/authors/{author}", "biography"),
        ("POST", "/books", "title"),
        ("PATCH", "/books/{book}", "title"),
    ],
)
async def test_an_unpaired_surrogate_in_a_string_is_422(
    server_client: AsyncClient, method: str, path: str, field: str
) -> None:
    client = server_client
    author = await create_author(client)
    book = await create_book(client)
    base = book_body() if "/books" in path else author_body()
    body = (base if method == "POST" else {}) | {field: "bad \ud800 text"}
    # json.dumps escapes the surrogate as \ud800, which is valid JSON text
    response = await client.request(
        method,
        path.format(author=author["id"], book=book["id"]),
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 422, field=field)


# --- ids in the path ---


async def test_bad_path_ids_are_422_naming_the_parameter(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    await create_author(client)
    await create_book(client)
    for method, template, param in ID_ROUTES:
        for bad in BAD_IDS:
            with subtests.test(method=method, path=template.format(bad)):
                response = await client.request(
                    method, template.format(bad), json={} if method == "PATCH" else None
                )
                assert_problem(response, 422, field=param)
    await _nothing_changed(client)


async def test_path_ids_must_be_plain_digits(client: AsyncClient) -> None:
    for bad in NON_DIGIT_IDS:
        for method, template, param in ID_ROUTES:
            response = await client.request(
                method, template.format(bad), json={} if method == "PATCH" else None
            )
            assert_problem(response, 422, field=param)


async def test_the_largest_id_is_an_unknown_id_not_an_error(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    for method, template, _ in ID_ROUTES:
        with subtests.test(method=method, path=template):
            response = await client.request(
                method, template.format(MAX_ID), json={} if method == "PATCH" else None
            )
            assert_problem(response, 404)


# --- body size ---


async def test_a_declared_body_over_1_mib_is_413(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    big = json.dumps(author_body(biography="b" * (2 * MIB))).encode()
    for method, path in await _body_routes(client):
        with subtests.test(method=method, path=path[:8]):
            response = await client.request(
                method, path, content=big, headers={"content-type": "application/json"}
            )
            body = assert_problem(response, 413)
            assert body["type"].endswith("content-too-large")
    await _nothing_changed(client)


async def _chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


async def test_a_streamed_body_over_1_mib_is_413(client: AsyncClient) -> None:
    # No Content-Length: the limit is applied while the body is read.
    response = await client.post(
        "/authors", content=_chunks(2 * MIB), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)
    assert (await get_json(client, "/authors"))["items"] == []


async def test_both_kinds_of_oversize_body_get_the_same_problem_type(client: AsyncClient) -> None:
    declared = await client.post(
        "/authors", content=b" " * (2 * MIB), headers={"content-type": "application/json"}
    )
    streamed = await client.post(
        "/authors", content=_chunks(2 * MIB), headers={"content-type": "application/json"}
    )
    assert declared.status_code == streamed.status_code == 413
    assert (declared.json()["type"], declared.json()["title"]) == (
        streamed.json()["type"],
        streamed.json()["title"],
    )


async def test_a_body_just_under_the_limit_is_validated_not_refused(client: AsyncClient) -> None:
    content = json.dumps(author_body(biography="b" * (MIB - 200))).encode()
    assert len(content) < MIB
    response = await client.post(
        "/authors", content=content, headers={"content-type": "application/json"}
    )
    assert_problem(response, 422, field="biography")


# --- unknown routes and methods ---


async def test_an_unknown_route_is_404(client: AsyncClient, subtests: pytest.Subtests) -> None:
    for path in ("/nope", "/authors/1/books", "/books/1/authors", "/books/1/authors/2/x"):
        with subtests.test(path=path):
            body = assert_problem(await client.get(path), 404)
            assert body["type"].endswith("not-found")


async def test_a_wrong_method_is_405(client: AsyncClient, subtests: pytest.Subtests) -> None:
    cases = [
        ("PUT", "/authors"),
        ("DELETE", "/authors"),
        ("PUT", "/authors/1"),
        ("POST", "/authors/1"),
        ("PATCH", "/books"),
        ("PUT", "/books/1"),
        ("GET", "/books/1/authors/2"),
        ("PATCH", "/books/1/authors/2"),
    ]
    for method, path in cases:
        with subtests.test(method=method, path=path):
            response = await client.request(method, path)
            assert_problem(response, 405)
            assert response.headers.get("allow"), response.headers


async def test_success_answers_are_plain_json_not_problems(client: AsyncClient) -> None:
    author = await create_author(client)
    for response in (
        await client.get(f"/authors/{author['id']}"),
        await client.get("/authors"),
        await client.get("/books"),
    ):
        assert response.headers["content-type"].startswith("application/json")
        assert PROBLEM_MEDIA_TYPE not in response.headers["content-type"]
