"""The edge of the API, in process on both databases: HEAD wherever GET works, strict query
strings, no client-controlled host in a Location, ALLOWED_HOSTS, compressed bodies, slow
bodies and oversized heads - every refusal in the problem format.

What only a real server can show (heads read off the wire, timeouts of slow heads, what
the parser refuses) is in test_server_limits.py."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx2 import ASGITransport, AsyncClient

from app import create_app
from modules.platform.settings import ConfigurationError, Settings, load_settings
from tests.conftest import _empty_tables
from tests.e2e.helpers import add_author, assert_problem, book_body, create_author, create_book


@pytest.fixture
async def make_client(settings: Settings) -> AsyncIterator[Any]:
    """Makes a client of an app started with some settings changed."""
    async with AsyncExitStack() as stack:

        async def make(**changes: Any) -> AsyncClient:
            await _empty_tables(settings.database_url)
            app = create_app(settings.model_copy(update=changes))
            await stack.enter_async_context(LifespanManager(app))
            transport = ASGITransport(app=app)
            return await stack.enter_async_context(
                AsyncClient(transport=transport, base_url="http://test")
            )

        yield make


# --- HEAD ------------------------------------------------------------------------------


async def get_paths(app: FastAPI, client: AsyncClient) -> list[str]:
    """Every GET path of the OpenAPI document, with real ids in it."""
    author = await create_author(client)
    book = await create_book(client)
    await add_author(client, book["id"], author["id"])
    spec = (await client.get("/openapi.json")).json()
    ids = {"{author_id}": author["id"], "{book_id}": book["id"]}
    paths = []
    for template, item in spec["paths"].items():
        if "get" in item:
            for name, value in ids.items():
                template = template.replace(name, value)
            paths.append(template)
    return paths


async def head(app: FastAPI, path: str) -> tuple[int, dict[str, str], bytes]:
    """HEAD straight through ASGI: an HTTP client drops a HEAD answer's body unseen."""
    messages: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "HEAD",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test")],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    start, *bodies = messages
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, b"".join(m.get("body", b"") for m in bodies)


async def test_head_answers_every_get_route_with_its_headers_and_no_body(
    app: FastAPI, client: AsyncClient, subtests: pytest.Subtests
) -> None:
    paths = await get_paths(app, client)
    assert {"/books", "/authors", "/health/live"} <= set(paths), paths
    assert any(p.startswith("/books/") for p in paths), paths
    for path in paths:
        with subtests.test(path=path):
            got = await client.get(path)
            status, headers, body = await head(app, path)
            assert status == got.status_code == 200, (status, got.text)
            assert body == b""
            for name in ("content-type", "content-length", "etag"):
                assert headers.get(name) == got.headers.get(name), name
            assert int(headers["content-length"]) == len(got.content)


async def test_head_keeps_conditional_answers_and_405s(client: AsyncClient) -> None:
    book = await create_book(client)
    etag = (await client.get(f"/books/{book['id']}")).headers["etag"]
    not_modified = await client.head(f"/books/{book['id']}", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.headers["etag"] == etag
    assert (await client.head("/books/1")).status_code == 404
    # A path without GET has no HEAD either; a path with GET lists HEAD as allowed.
    refused = await client.head(f"/books/{book['id']}/authors/1")
    assert refused.status_code == 405
    assert "HEAD" not in refused.headers["allow"]
    put = await client.put("/books")
    assert_problem(put, 405)
    assert {"GET", "HEAD", "POST"} <= set(put.headers["allow"].split(", "))


# --- strict query strings ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/books?titel=Mort", "titel"),
        ("/books?year=1969", "year"),
        ("/books?order=title", "order"),
        ("/books?page=2", "page"),
        ("/authors?title=Mort", "title"),
        ("/books/1?fields=title", "fields"),
        ("/health/live?verbose=1", "verbose"),
    ],
)
async def test_an_unknown_query_parameter_is_a_422_naming_it(
    client: AsyncClient, path: str, name: str
) -> None:
    await create_book(client, title="Mort")
    body = assert_problem(await client.get(path), 422, field=name)
    assert body["errors"] == [
        {"loc": ["query", name], "msg": "Extra inputs are not permitted", "type": "extra_forbidden"}
    ]


async def test_a_repeated_query_parameter_is_a_422_naming_it(client: AsyncClient) -> None:
    await create_book(client, title="Alpha")
    body = assert_problem(await client.get("/books?title=Alpha&title=Beta"), 422, field="title")
    assert [e["type"] for e in body["errors"]] == ["repeated_parameter"]
    both = assert_problem(await client.get("/authors?limit=1&limit=2&nmae=x"), 422)
    assert {tuple(e["loc"]) for e in both["errors"]} == {("query", "limit"), ("query", "nmae")}


async def test_declared_query_parameters_still_work(client: AsyncClient) -> None:
    author = await create_author(client)
    book = await create_book(client, title="Mort")
    await add_author(client, book["id"], author["id"])
    await create_book(client, title="Other")
    query = {"title": "mor", "author_id": author["id"], "limit": "5"}
    page = await client.get("/books", params=query)
    assert page.status_code == 200, page.text
    assert [b["id"] for b in page.json()["items"]] == [book["id"]]
    first = (await client.get("/books", params={"limit": "1"})).json()
    second = await client.get("/books", params={"limit": "1", "cursor": first["next_cursor"]})
    assert second.status_code == 200, second.text


async def test_a_write_with_an_unknown_query_parameter_changes_nothing(
    client: AsyncClient,
) -> None:
    assert_problem(await client.post("/books?dry_run=1", json=book_body()), 422, field="dry_run")
    assert (await client.get("/books")).json()["items"] == []


async def test_the_openapi_document_says_so_on_every_operation(client: AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            answer = operation["responses"].get("422")
            assert answer, f"{method} {path} documents no 422"
            assert "unknown or repeated query parameter" in answer["description"], path
            assert "application/problem+json" in answer["content"], path


# --- no client-controlled host ---------------------------------------------------------


async def test_a_trailing_slash_redirect_is_relative_whatever_the_host(
    client: AsyncClient,
) -> None:
    book = await create_book(client)
    evil = {"Host": "evil.com"}
    cases = {
        "/authors/": "/authors",
        "/books/?title=a%20b&limit=2": "/books?title=a%20b&limit=2",
        f"/books/{book['id']}/": f"/books/{book['id']}",
    }
    for path, location in cases.items():
        response = await client.get(path, headers=evil)
        assert response.status_code == 307, (path, response.text)
        assert response.headers["location"] == location
    # A path that is not ours, with or without the slash, is no redirect at all: never to
    # "//evil.com", which a browser would read as another host.
    assert_problem(await client.get("http://test//evil.com/", headers=evil), 404)
    created = await client.post("/authors", json={"first_name": "A", "last_name": "B", "age": 3})
    assert created.headers["location"].startswith("/authors/")


async def test_allowed_hosts_refuse_any_other_host_as_a_problem(make_client: Any) -> None:
    client = await make_client(allowed_hosts=["api.example.com", "*.catalogue.example"])
    for host in ("api.example.com", "api.example.com:8443", "eu.catalogue.example"):
        response = await client.get("/books", headers={"Host": host})
        assert response.status_code == 200, (host, response.text)
    for host in ("evil.com", "catalogue.example", "api.example.com.evil.com", ""):
        body = assert_problem(await client.get("/books", headers={"Host": host}), 400)
        assert "Host" in body["detail"]


def test_allowed_hosts_wildcards_are_whole_labels() -> None:
    assert load_settings(allowed_hosts="A.example.com, *.example.org").allowed_hosts == [
        "a.example.com",
        "*.example.org",
    ]
    for bad in ("api.*.com", "*example.com"):
        with pytest.raises(ConfigurationError, match="ALLOWED_HOSTS"):
            load_settings(allowed_hosts=bad)


# --- bodies and heads ------------------------------------------------------------------


async def test_a_compressed_body_is_a_415(client: AsyncClient) -> None:
    raw = json.dumps(book_body()).encode()
    for coding, content in (("gzip", gzip.compress(raw)), ("br", raw), ("deflate, gzip", raw)):
        response = await client.post(
            "/books",
            content=content,
            headers={"Content-Type": "application/json", "Content-Encoding": coding},
        )
        assert_problem(response, 415)
        assert response.headers["accept-encoding"] == "identity"
    assert (await client.get("/books")).json()["items"] == []
    plain = await client.post(
        "/books",
        content=raw,
        headers={"Content-Type": "application/json", "Content-Encoding": "identity"},
    )
    assert plain.status_code == 201, plain.text


async def test_a_body_that_stalls_is_a_408(make_client: Any) -> None:
    client = await make_client(body_timeout_seconds=0.5)

    async def stalls() -> AsyncIterator[bytes]:
        yield b'{"first_name": "A",'
        await asyncio.sleep(5)
        yield b'"last_name": "B", "age": 3}'

    response = await client.post(
        "/authors", content=stalls(), headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 408)
    assert response.headers["connection"] == "close"
    assert (await client.get("/authors")).json()["items"] == []


async def test_too_many_or_too_large_headers_are_a_431(make_client: Any) -> None:
    client = await make_client(max_header_bytes=4096, max_header_count=20)
    many = {f"X-Header-{i}": "v" for i in range(21)}
    assert_problem(await client.get("/books", headers=many), 431)
    assert_problem(await client.get("/books", headers={"X-Big": "a" * 4096}), 431)
    assert_problem(await client.get("/books?title=" + "a" * 4096), 431)
    fine = await client.get("/books", headers={f"X-Header-{i}": "v" for i in range(10)})
    assert fine.status_code == 200, fine.text
