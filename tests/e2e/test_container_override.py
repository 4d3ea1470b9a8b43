"""The composition root's seam: overriding a provider of `app.state.container` changes
what an endpoint does, and leaving the `with` block brings the real one back."""

from __future__ import annotations

from unittest.mock import AsyncMock

import pytest
from fastapi import FastAPI
from httpx2 import AsyncClient
from sqlalchemy import exc as sa_exc

from modules.author.application.queries import AuthorBookView, AuthorFilter, AuthorView
from modules.author.application.use_cases.create_author import CreateAuthorCommand
from modules.book.domain.events import AuthorAddedToBook
from modules.kernel.errors import ConcurrentModification
from modules.kernel.paging import Page
from tests.e2e.helpers import (
    add_author,
    assert_problem,
    author_body,
    create_author,
    create_book,
    get_json,
)

FAKE_ID = 384017951453347841


class FakeAuthorQueries:
    """A read side that knows one made-up author."""

    def __init__(self) -> None:
        self.view = AuthorView(
            id=FAKE_ID,
            first_name="Fake",
            last_name="Author",
            age=33,
            biography=None,
            books=[AuthorBookView(id=7, title="Imaginary")],
            books_total=31,
            version=9,
        )
        self.filters: list[AuthorFilter] = []

    async def get(self, author_id: int) -> AuthorView | None:
        return self.view if author_id == FAKE_ID else None

    async def list(
        self, author_filter: AuthorFilter, *, after_id: int | None, limit: int
    ) -> Page[AuthorView]:
        self.filters.append(author_filter)
        return Page(items=[self.view], next_cursor=None)


async def test_an_overridden_use_case_answers_instead_of_the_real_one(
    client: AsyncClient, app: FastAPI
) -> None:
    container = app.state.container
    fake = AsyncMock(side_effect=ConcurrentModification("changed under our feet"))

    with container.create_author.override(fake):
        response = await client.post("/authors", json=author_body(first_name="Mocked"))

    body = assert_problem(response, 409)
    assert body["detail"] == "changed under our feet"
    fake.assert_awaited_once_with(
        CreateAuthorCommand(first_name="Mocked", last_name="Le Guin", age=88, biography=None)
    )
    assert (await get_json(client, "/authors"))["items"] == []

    # The real use case is back.
    real = await client.post("/authors", json=author_body(first_name="Real"))
    assert real.status_code == 201, real.text
    assert fake.await_count == 1


async def test_an_overridden_read_side_answers_gets_and_lists(
    client: AsyncClient, app: FastAPI
) -> None:
    container = app.state.container
    fake = FakeAuthorQueries()

    with container.author_queries.override(fake):
        got = await client.get(f"/authors/{FAKE_ID}")
        listed = await client.get("/authors", params={"name": "fa"})

    assert got.status_code == 200, got.text
    assert got.json() == {
        "id": str(FAKE_ID),
        "first_name": "Fake",
        "last_name": "Author",
        "age": 33,
        "biography": None,
        "books": [{"id": "7", "title": "Imaginary"}],
        "books_total": 31,
        "version": 9,
        "books_url": f"/books?author_id={FAKE_ID}",
    }
    item = got.json() | {"etag": got.headers["ETag"]}
    assert listed.json() == {"items": [item], "next_cursor": None}
    assert fake.filters == [AuthorFilter(name="fa")]

    assert_problem(await client.get(f"/authors/{FAKE_ID}"), 404)  # the real read side again
    assert (await get_json(client, "/authors"))["items"] == []


async def test_a_database_outage_is_a_503_problem_with_retry_after(
    client: AsyncClient, app: FastAPI, subtests: pytest.Subtests
) -> None:
    container = app.state.container
    book = await create_book(client)
    secret = "SELECT secret_column FROM books WHERE password = 'hunter2'"
    outages = {
        "connection dropped": sa_exc.OperationalError(secret, {}, ConnectionError("refused")),
        "pool exhausted": sa_exc.TimeoutError(f"QueuePool limit reached; {secret}"),
        "interface error": sa_exc.InterfaceError(secret, {}, OSError("closed")),
    }
    for name, error in outages.items():
        with subtests.test(outage=name):
            broken = AsyncMock()
            broken.get.side_effect = error
            with container.book_queries.override(broken):
                response = await client.get(f"/books/{book['id']}")
            body = assert_problem(response, 503)
            assert response.headers["retry-after"] == "2"
            assert "hunter2" not in response.text and "secret_column" not in response.text
            assert body["type"].endswith("service-unavailable")

    assert await get_json(client, f"/books/{book['id']}") == book


async def test_an_unexpected_error_is_a_500_problem_that_tells_nothing(
    server_client: AsyncClient, app: FastAPI
) -> None:
    client = server_client
    book = await create_book(client)
    crash = AsyncMock(
        side_effect=RuntimeError('Traceback: File "x.py": UPDATE books SET pages = 1; hunter2')
    )

    with app.state.container.update_book.override(crash):
        response = await client.patch(f"/books/{book['id']}", json={"pages": 2})

    body = assert_problem(response, 500)  # also checks that no SQL or traceback leaked
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    assert body["type"].endswith("internal-server-error")
    crash.assert_awaited_once()

    patched = await client.patch(f"/books/{book['id']}", json={"pages": 2})
    assert patched.status_code == 200 and patched.json()["pages"] == 2


async def test_an_overridden_event_handler_receives_the_event_instead(
    client: AsyncClient, app: FastAPI
) -> None:
    container = app.state.container
    author = await create_author(client)
    first = await create_book(client, title="First")
    second = await create_book(client, title="Second")
    received: list[AuthorAddedToBook] = []

    async def recording_handler(event: AuthorAddedToBook) -> None:
        received.append(event)

    with container.when_author_added_to_book.override(recording_handler):
        book = await add_author(client, first["id"], author["id"])

    assert [a["id"] for a in book["authors"]] == [author["id"]]  # Book's side is done
    assert [(e.book_id, e.author_id) for e in received] == [(int(first["id"]), int(author["id"]))]
    # The real handler never saw that event, so the author does not list that book.
    assert (await get_json(client, f"/authors/{author['id']}"))["books"] == []

    await add_author(client, second["id"], author["id"])  # the real handler is back
    assert (await get_json(client, f"/authors/{author['id']}"))["books"] == [
        {"id": second["id"], "title": "Second"}
    ]
    assert len(received) == 1
