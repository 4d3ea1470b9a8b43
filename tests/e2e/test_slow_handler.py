"""Promise 5: a handler slower than a request. The API answers after at most
EVENT_INLINE_WAIT_SECONDS of waiting for it, and the effect still arrives."""

from __future__ import annotations

import asyncio

import pytest
from asgi_lifespan import LifespanManager
from httpx2 import ASGITransport, AsyncClient

from app import create_app
from modules.book.domain.events import AuthorAddedToBook
from modules.platform.settings import Settings
from tests.conftest import _empty_tables

pytestmark = pytest.mark.slow  # waits out a handler that is slow on purpose


async def test_5_the_answer_does_not_wait_for_a_slow_handler(settings: Settings) -> None:
    await _empty_tables(settings.database_url)
    app = create_app(settings.model_copy(update={"event_inline_wait_seconds": 0.2}))
    container = app.state.container
    release = asyncio.Event()
    started = asyncio.Event()

    async with LifespanManager(app):
        real_handler = container.when_author_added_to_book()

        class Slow:
            async def __call__(self, event: AuthorAddedToBook) -> None:
                started.set()
                await release.wait()  # slower than any request: until the test says so
                await real_handler(event)

        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
            author = (
                await client.post("/authors", json={"first_name": "N", "last_name": "K", "age": 40})
            ).json()
            book = (
                await client.post(
                    "/books",
                    json={
                        "title": "Slow",
                        "isbn": "9780306406157",
                        "pages": 1,
                        "price": 0,
                        "publication_year": 2000,
                    },
                )
            ).json()
            with container.when_author_added_to_book.override(Slow()):
                added = await client.post(f"/books/{book['id']}/authors/{author['id']}")
                # The response came back while the handler is still blocked.
                assert added.status_code == 200
                assert started.is_set() and not release.is_set()
                assert [a["id"] for a in added.json()["authors"]] == [author["id"]]
                assert (await client.get(f"/authors/{author['id']}")).json()["books"] == []
                release.set()
                for _ in range(100):
                    books = (await client.get(f"/authors/{author['id']}")).json()["books"]
                    if books:
                        break
                    await asyncio.sleep(0.02)
            assert books == [{"id": book["id"], "title": "Slow"}]
            # The handler commits its change, then the relay marks the event delivered in
            # a statement of its own: a read can land between the two, so wait for it.
            for _ in range(100):
                status = (await client.get("/ops/outbox")).json()
                if status["pending"] == 0:
                    break
                await asyncio.sleep(0.02)
            assert status["pending"] == 0
