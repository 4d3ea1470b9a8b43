"""Small helpers for the end-to-end tests: make authors and books over HTTP, check problems.

The ISBN check digits are computed here, independently of the service's own validation,
so a test that expects an ISBN to be valid does not borrow the code it is testing.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi.routing import APIRoute
from httpx2 import AsyncClient, Response

from modules.contexts import CONTEXTS

T = TypeVar("T")

PROBLEM_MEDIA_TYPE = "application/problem+json"


def context_operations() -> list[tuple[str, str]]:
    """(method, path) of every endpoint every context's router declares."""
    return [
        (method.lower(), route.path)
        for context in CONTEXTS
        for route in context.router.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods)
    ]


def list_paths() -> list[str]:
    """The paged collections: GET endpoints without a path parameter."""
    return [path for method, path in context_operations() if method == "get" and "{" not in path]


ID_RE = re.compile(r"^[1-9][0-9]{0,18}$")

# What must never reach a client: stack traces, SQL, driver or ORM names.
LEAK_MARKERS = (
    "Traceback",
    'File "',
    "sqlalchemy",
    "asyncpg",
    "aiosqlite",
    "sqlite3",
    "psycopg",
    "SELECT ",
    "INSERT INTO",
    "UPDATE ",
    "DELETE FROM",
    "IntegrityError",
    "OperationalError",
)

_isbn_numbers = itertools.count(100_000_001)


def isbn13(body9: int) -> str:
    """The ISBN-13 978-<9 digits>-<check digit>."""
    digits = f"978{body9:09d}"
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def isbn10(body9: int) -> str:
    """The ISBN-10 of the same book as `isbn13(body9)`."""
    digits = f"{body9:09d}"
    total = sum((10 - i) * int(d) for i, d in enumerate(digits))
    check = (11 - total % 11) % 11
    return digits + ("X" if check == 10 else str(check))


def new_isbn() -> str:
    return isbn13(next(_isbn_numbers))


def author_body(**fields: Any) -> dict[str, Any]:
    return {"first_name": "Ursula", "last_name": "Le Guin", "age": 88} | fields


def book_body(**fields: Any) -> dict[str, Any]:
    return {
        "title": "The Dispossessed",
        "isbn": new_isbn(),
        "pages": 387,
        "price": 12000,
        "publication_year": 1974,
    } | fields


async def create_author(client: AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/authors", json=author_body(**fields))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def create_book(client: AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/books", json=book_body(**fields))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def add_author(client: AsyncClient, book_id: str, author_id: str) -> dict[str, Any]:
    response = await client.post(f"/books/{book_id}/authors/{author_id}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def get_json(client: AsyncClient, path: str) -> dict[str, Any]:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def assert_no_leak(text: str) -> None:
    for marker in LEAK_MARKERS:
        assert marker not in text, f"{marker!r} leaked into the response: {text[:500]}"


def assert_problem(response: Response, status: int, *, field: str | None = None) -> dict[str, Any]:
    """An RFC 9457 problem of this status; with `field`, a validation error naming it in
    the `loc` of one of its `errors` (PATCH bodies' optional fields add a union tag after
    the field name, e.g. ['body', 'age', 'constrained-int'], so any position counts)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE), response.headers
    body: dict[str, Any] = response.json()
    assert isinstance(body.get("type"), str) and body["type"], body
    assert isinstance(body.get("title"), str) and body["title"], body
    assert body.get("status") == status, body
    assert isinstance(body.get("detail"), str) and body["detail"], body
    assert_no_leak(response.text)
    if field is not None:
        assert body.get("errors"), body
        locs = [e["loc"] for e in body["errors"]]
        assert any(field in loc[1:] for loc in locs), f"no error names {field!r}: {locs}"
    return body


async def walk(
    client: AsyncClient, path: str, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every page of a list, following next_cursor; returns the pages."""
    pages: list[dict[str, Any]] = []
    query = dict(params or {})
    while True:
        response = await client.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "next_cursor"}, page
        pages.append(page)
        if page["next_cursor"] is None:
            return pages
        assert len(pages) < 1000, "the cursor never ends"
        query["cursor"] = page["next_cursor"]


async def eventually(
    check: Callable[[], Awaitable[T]], *, timeout: float = 10.0, interval: float = 0.05
) -> T:
    """Run `check` until it stops raising AssertionError (or re-raise after `timeout`).

    For effects of domain events: an answer waits for them only up to
    EVENT_INLINE_WAIT_SECONDS, and under a burst the relay may finish the job after it.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            return await check()
        except AssertionError:
            if loop.time() > deadline:
                raise
        await asyncio.sleep(interval)
