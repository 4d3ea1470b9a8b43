"""No N+1: the SQL statements per request are counted for every endpoint, and must not grow
with the amount of data a response carries (a book with 1 author or 10, a page of 1 or 20).
A read is one SELECT: the book (or a page of books) joined to the names Author publishes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx2 import ASGITransport, AsyncClient

from app import create_app
from modules.platform.settings import Settings
from tests.conftest import _empty_tables
from tests.e2e.helpers import author_body, book_body, create_author, create_book
from tests.integration.helpers import statements_run


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The background relay is off here: its polling would add statements to the count of
    whichever request happened to be running."""
    await _empty_tables(settings.database_url)
    application = create_app(settings.model_copy(update={"outbox_relay_enabled": False}))
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as c:
        yield c


async def count(app: FastAPI, client: AsyncClient, method: str, path: str, **kwargs) -> int:  # type: ignore[no-untyped-def]
    """The request's statements, and those that delete the outbox rows it delivered (in a
    batch after the answer, counted here rather than in whichever request runs next)."""
    relay = app.state.container.relay()
    await relay.complete_delivered()  # what earlier requests delivered
    with statements_run(app.state.container) as seen:
        response = await client.request(method, path, **kwargs)
        await relay.complete_delivered()
    assert response.status_code < 300, response.text
    return len(seen)


async def test_reads_cost_the_same_whatever_they_carry(app: FastAPI, client: AsyncClient) -> None:
    authors = [(await create_author(client))["id"] for _ in range(10)]
    small = await create_book(client, author_ids=authors[:1])
    big = await create_book(client, author_ids=authors)
    for _ in range(20):
        await create_book(client, author_ids=authors[:3])

    assert await count(app, client, "GET", f"/books/{small['id']}") == 1
    assert await count(app, client, "GET", f"/books/{big['id']}") == 1
    assert await count(app, client, "GET", f"/authors/{authors[1]}") == 1  # 1 book
    assert await count(app, client, "GET", f"/authors/{authors[0]}") == 1  # 22 books, 20 shown
    assert await count(app, client, "GET", "/books?limit=1") == 1
    assert await count(app, client, "GET", "/books?limit=20") == 1
    assert await count(app, client, "GET", f"/books?author_id={authors[0]}") == 1
    assert await count(app, client, "GET", "/books?title=dispossessed") == 1
    assert await count(app, client, "GET", f"/books?isbn={small['isbn']}") == 1
    isbn_and_more = f"/books?isbn={big['isbn']}&title=dispossessed&author_id={authors[0]}"
    assert await count(app, client, "GET", isbn_and_more) == 1
    for sort in ("title", "-publication_year", "price", "-id"):
        first = await client.get(f"/books?sort={sort}&limit=5")
        assert await count(app, client, "GET", f"/books?sort={sort}&limit=5") == 1
        deep = f"/books?sort={sort}&limit=5&cursor={first.json()['next_cursor']}"
        assert await count(app, client, "GET", deep) == 1
    assert await count(app, client, "GET", "/books?publication_year_min=1970") == 1
    years = "/books?publication_year_min=1970&publication_year_max=1980&sort=title&title=dis"
    assert await count(app, client, "GET", years) == 1
    assert await count(app, client, "GET", "/authors?limit=1") == 1
    assert await count(app, client, "GET", "/authors?limit=10&name=guin") == 1
    assert await count(app, client, "GET", "/authors?name=Le Guin Ursula") == 1
    assert await count(app, client, "GET", "/authors?first_name=ursula&last_name=le guin") == 1


async def test_writes_cost_a_fixed_number_of_statements(
    app: FastAPI, client: AsyncClient, database_url: str
) -> None:
    """Exact counts, so that a statement more fails here and one fewer is noticed."""
    authors = [(await create_author(client))["id"] for _ in range(10)]
    book = await create_book(client)
    create_author_cost = await count(app, client, "POST", "/authors", json=author_body())
    # A book with 1 author and one with 10 cost the same, events and handlers included.
    one = await count(app, client, "POST", "/books", json=book_body(author_ids=authors[:1]))
    ten = await count(app, client, "POST", "/books", json=book_body(author_ids=authors))
    add = await count(app, client, "POST", f"/books/{book['id']}/authors/{authors[0]}")
    patch = await count(app, client, "PATCH", f"/books/{book['id']}", json={"pages": 7})
    delete = await count(app, client, "DELETE", f"/books/{book['id']}")
    # Every event is delivered by its own handler transaction: 1 author → 1 round of the
    # handler's statements, 10 authors → 10. What must not grow is the Book side.
    handler_round = (ten - one) / 9
    # Lock the author, read its links (after the lock: see test_6c in
    # tests/integration/test_outbox.py), record the event in the inbox (the check too),
    # bump the version, insert the link.
    assert handler_round == 5
    # On PostgreSQL a book naming authors takes an advisory lock on them (ADR 0011).
    lock = 1 if database_url.startswith("postgresql") else 0
    assert create_author_cost == 2  # insert, read back
    # Authors exist?, (lock), recorded deleted?, book, links, outbox row; read back; the
    # delivered outbox rows deleted.
    assert one - handler_round == 7 + lock
    # Authors exist?, (lock), recorded deleted?, lock the book, its links, version, link,
    # outbox row; read back; outbox rows deleted.
    assert add - handler_round == 9 + lock
    assert patch == 4  # lock the book, its links, version and pages; read back
    # Lock the book, its links, delete links and book, outbox row; outbox rows deleted.
    assert delete - handler_round == 6
