"""/docs and /redoc work without the internet: a real Chromium renders them from a real
server, and no request leaves for another host.

Chromium comes from the system (Debian's `chromium` package, installed here when missing and
running as root); without it the browser tests are skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from httpx2 import AsyncClient
from playwright.async_api import Browser, ConsoleMessage, Page, Route, async_playwright

from tests.conftest import _empty_tables
from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.slow  # a real server and a headless browser

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# A URL naming a host (http:, https:, protocol-relative); the pages may only name their own.
ABSOLUTE_URL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+""", re.IGNORECASE)


def _install_chromium() -> None:
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "chromium"]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
        subprocess.run(install, env=env, capture_output=True)


@pytest.fixture(scope="session")
def chromium() -> str:
    if shutil.which("chromium") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        _install_chromium()
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("Chromium is not installed and could not be (apt-get install chromium)")
    return path


@pytest.fixture
async def server(database_url: str, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    await _empty_tables(database_url)
    started = ServerProcess(database_url, tmp_path / "server.log")
    yield started
    started.stop()


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium)
        yield launched
        await launched.close()


class OfflinePage:
    """A browser tab on the server that records what it asked of other hosts (and stops it
    there) and every console error and uncaught exception."""

    def __init__(self, page: Page, origin: str) -> None:
        self.page, self.origin = page, origin
        self.foreign_requests: list[str] = []
        self.errors: list[str] = []

    async def start(self) -> OfflinePage:
        # Only what the browser really sends reaches a route: a request the page's CSP
        # blocked never left it, so it is not one of these.
        await self.page.route("**/*", self._only_to_origin)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        return self

    async def _only_to_origin(self, route: Route) -> None:
        if route.request.url.startswith(self.origin + "/"):
            await route.continue_()
        else:
            self.foreign_requests.append(route.request.url)
            await route.abort()

    def _console(self, message: ConsoleMessage) -> None:
        # The one error allowed: the CSP keeping the browser off another host.
        blocked = re.search(r"Loading the \w+ '([^']+)' violates", message.text)
        if message.type == "error" and not (blocked and not blocked[1].startswith(self.origin)):
            self.errors.append(message.text)


@pytest.fixture
async def tab(browser: Browser, server: ServerProcess) -> AsyncIterator[OfflinePage]:
    context = await browser.new_context()
    context.set_default_timeout(60_000)  # a loaded test machine renders slowly
    yield await OfflinePage(await context.new_page(), server.base_url).start()
    await context.close()


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for item in spec["paths"].values() for m, op in item.items() if m in HTTP_METHODS]


async def test_swagger_ui_renders_every_operation_and_runs_one(
    tab: OfflinePage, server: ServerProcess
) -> None:
    spec = httpx2.get(f"{server.base_url}/openapi.json").json()
    expected = {f"operations-{op['tags'][0]}-{op['operationId']}" for op in _operations(spec)}
    page = tab.page

    await page.goto(f"{server.base_url}/docs")
    await page.locator(".opblock").first.wait_for()
    rendered = await page.eval_on_selector_all(".opblock", "blocks => blocks.map(b => b.id)")
    assert sorted(rendered) == sorted(expected)

    list_books = page.locator("#operations-books-books-list_books")
    await list_books.locator(".opblock-summary").click()
    await list_books.get_by_role("button", name="Try it out").click()
    await list_books.get_by_role("button", name="Execute").click()
    status = list_books.locator(".live-responses-table tr.response .response-col_status")
    await status.wait_for()
    assert (await status.inner_text()).strip() == "200"
    assert '"items": []' in await list_books.locator(".live-responses-table").inner_text()

    assert tab.foreign_requests == []
    assert tab.errors == []


async def test_redoc_renders_every_operation(tab: OfflinePage, server: ServerProcess) -> None:
    spec = httpx2.get(f"{server.base_url}/openapi.json").json()
    expected = {f"operation/{op['operationId']}" for op in _operations(spec)}
    page = tab.page

    await page.goto(f"{server.base_url}/redoc")
    sections = page.locator('[data-section-id^="operation/"]')
    await sections.first.wait_for()
    rendered = await sections.evaluate_all("els => els.map(e => e.dataset.sectionId)")
    assert sorted(rendered) == sorted(expected)
    assert await page.get_by_text(spec["info"]["title"]).first.is_visible()

    assert tab.foreign_requests == []
    assert tab.errors == []


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
async def test_docs_pages_name_no_other_host_and_allow_only_this_origin(
    client: AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert ABSOLUTE_URL.findall(response.text) == []
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    for directive in ("script-src", "style-src", "img-src", "worker-src"):
        sources = policy[directive].split()
        assert all(
            s in {"'self'", "'unsafe-inline'", "data:", "blob:"} or s.startswith("'sha256-")
            for s in sources
        ), policy[directive]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]


async def test_the_assets_come_from_the_service(client: AsyncClient) -> None:
    page = (await client.get("/docs")).text + (await client.get("/redoc")).text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert len(assets) >= 4  # Swagger UI's script and style, ReDoc's script, the favicon
    for asset in assets:
        response = await client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 1000, asset
