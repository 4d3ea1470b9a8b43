"""Fixtures of the end-to-end tests (the shared ones live in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx2 import ASGITransport, AsyncClient


@pytest.fixture
async def server_client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    """A client that sees what a real one would on an unexpected error: the app's 500
    answer, rather than the exception re-raised into the test."""
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as c:
        yield c
