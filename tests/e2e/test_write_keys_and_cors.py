"""Write protection (API_KEYS), keys scoping idempotency, CORS and hiding the docs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from asgi_lifespan import LifespanManager
from httpx2 import ASGITransport, AsyncClient

from app import create_app
from modules.platform.settings import ConfigurationError, Settings, load_settings
from tests.conftest import _empty_tables
from tests.e2e.helpers import assert_problem, author_body, get_json

KEY = "k3y-for-writing-0001"
OTHER_KEY = "another-writer-key-02"


@pytest.fixture
async def guarded(settings: Settings) -> AsyncIterator[AsyncClient]:
    await _empty_tables(settings.database_url)
    app = create_app(
        settings.model_copy(
            update={
                "api_keys": [KEY, OTHER_KEY],
                "docs_enabled": False,
                "cors_origins": ["https://catalogue.example"],
            }
        )
    )
    transport = ASGITransport(app=app)
    async with LifespanManager(app), AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_writes_need_a_key_reads_do_not(guarded: AsyncClient) -> None:
    missing = await guarded.post("/authors", json=author_body())
    assert_problem(missing, 401)
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(
        await guarded.post("/authors", json=author_body(), headers=bearer("wrong-key-000000000")),
        403,
    )
    assert_problem(
        await guarded.post(
            "/authors", json=author_body(), headers={"Authorization": f"Basic {KEY}"}
        ),
        401,
    )
    created = await guarded.post("/authors", json=author_body(), headers=bearer(KEY))
    assert created.status_code == 201
    author_id = created.json()["id"]
    assert (await guarded.get(f"/authors/{author_id}")).status_code == 200
    assert_problem(await guarded.patch(f"/authors/{author_id}", json={"age": 2}), 401)
    assert_problem(await guarded.delete(f"/authors/{author_id}"), 401)
    assert (
        await guarded.delete(f"/authors/{author_id}", headers=bearer(OTHER_KEY))
    ).status_code == 204


async def test_an_idempotency_key_belongs_to_one_client(guarded: AsyncClient) -> None:
    mine = await guarded.post(
        "/authors", json=author_body(), headers={**bearer(KEY), "Idempotency-Key": "same"}
    )
    theirs = await guarded.post(
        "/authors", json=author_body(), headers={**bearer(OTHER_KEY), "Idempotency-Key": "same"}
    )
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]  # not a replay of someone else's answer
    assert len((await get_json(guarded, "/authors"))["items"]) == 2


async def test_docs_can_be_switched_off(guarded: AsyncClient) -> None:
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect", "/docs-assets/swagger-ui.css"):
        assert (await guarded.get(path)).status_code == 404, path
    assert (await guarded.get("/openapi.json")).status_code == 404


async def test_cors_allows_only_the_configured_origins(guarded: AsyncClient) -> None:
    allowed = await guarded.get("/authors", headers={"Origin": "https://catalogue.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://catalogue.example"
    other = await guarded.get("/authors", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = await guarded.options(
        "/authors",
        headers={
            "Origin": "https://catalogue.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Idempotency-Key",
        },
    )
    assert preflight.status_code == 200
    assert "access-control-allow-credentials" not in preflight.headers


async def test_the_spec_declares_the_key_only_when_keys_are_on(client: AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()  # the default app: no keys
    assert "securitySchemes" not in spec.get("components", {})
    assert all("security" not in op for item in spec["paths"].values() for op in item.values())


def test_production_refuses_to_start_without_keys() -> None:
    with pytest.raises(ConfigurationError, match="API_KEYS"):
        load_settings(app_env="production", _env_file=None)
    assert load_settings(app_env="production", api_keys=KEY, _env_file=None).api_keys == [KEY]


def test_cors_star_with_credentials_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="CORS"):
        load_settings(cors_origins="*", cors_allow_credentials=True, _env_file=None)


def test_short_keys_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="16 characters"):
        load_settings(api_keys="short", _env_file=None)
