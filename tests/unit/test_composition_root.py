"""The composition root refuses a wiring mistake at start-up instead of at the first request."""

from __future__ import annotations

from dataclasses import replace

import pytest
from dependency_injector import containers, providers
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from app import _check_provided_names
from modules.container import build_container
from modules.contexts import CONTEXTS
from modules.platform.bounded_context import BoundedContext
from modules.platform.http.dependencies import provide
from modules.platform.settings import Settings

SETTINGS = Settings(database_url="sqlite+aiosqlite:///unused.db", app_env="test")
BOOK = next(c for c in CONTEXTS if c.name == "book")


def _context(name: str, container: type[containers.DeclarativeContainer]) -> BoundedContext:
    return BoundedContext(
        name=name, providers=container, router=APIRouter(), start_mappers=lambda: None
    )


def test_the_real_contexts_build_and_connect_their_ports() -> None:
    container = build_container(SETTINGS)
    assert "create_book" in container.providers and "create_author" in container.providers


def test_a_provider_name_two_contexts_share_is_refused() -> None:
    class Twice(containers.DeclarativeContainer):
        platform = providers.DependenciesContainer()
        create_book = providers.Object(None)

    with pytest.raises(ValueError, match="redefines the provider 'create_book'"):
        build_container(SETTINGS, (*CONTEXTS, _context("twice", Twice)))


def test_a_port_no_context_exports_is_refused() -> None:
    without_author = tuple(c for c in CONTEXTS if c.name != "author")
    with pytest.raises(ValueError, match="book needs 'author_directory'"):
        build_container(SETTINGS, without_author)


def test_events_without_an_outbox_are_refused() -> None:
    no_outbox = replace(BOOK, outbox=None)
    others = tuple(c for c in CONTEXTS if c.name != "book")
    with pytest.raises(ValueError, match="publishes events but declares no outbox"):
        build_container(SETTINGS, (*others, no_outbox))


def test_a_route_asking_for_an_unknown_provider_stops_the_app() -> None:
    app = FastAPI()

    @app.get("/typo")
    async def typo(value: object = provide("creat_book")) -> None: ...

    assert any(isinstance(r, APIRoute) for r in app.routes)
    with pytest.raises(LookupError, match="creat_book"):
        _check_provided_names(app, build_container(SETTINGS))
