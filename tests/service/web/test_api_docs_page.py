"""/docs and /redoc work with no network beyond the server: their files are served locally.

In process: the pages name only the server's own URLs, and those answer, with no key
even where keys are required. End to end: Debian's headless Chromium (chromium.py)
opens the pages with every request to another host aborted, and Swagger UI lists
every operation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from newsum.service.runtime.state import Engines
from newsum.service.settings import Settings
from newsum.service.web.app import create_app
from tests.fakes import SlowEngine
from tests.service.conftest import LiveServer, live_server
from tests.service.web.chromium import IN_CHROMIUM, launched

ARTIFACTS = Path(__file__).parents[3] / "test-artifacts"
# A proxy that is not there: whatever the test's own interception would miss still
# cannot leave (Chromium never proxies 127.0.0.1).
NO_PROXY = "--proxy-server=http://127.0.0.1:9"


def in_chromium(test: Any) -> Any:
    """A test that drives Chromium against a live server."""
    for mark in IN_CHROMIUM:
        test = mark(test)
    return test


ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon.png": "image/png",
    "redoc.standalone.js": "text/javascript",
}


@pytest.fixture(scope="module")
def guarded() -> TestClient:
    """An app that requires API keys (its lifespan is not needed for these pages)."""
    engines = Engines(abstractive=SlowEngine(steps=1, step_s=0))
    return TestClient(create_app(Settings(api_keys="k"), engines))


def _referenced(html: str) -> list[str]:
    return re.findall(r"""(?:src|href|url|spec-url)\s*[=:]\s*["']([^"']+)["']""", html)


def test_the_docs_pages_name_only_local_files_and_those_answer_without_a_key(
    guarded: TestClient,
) -> None:
    docs = guarded.get("/docs")
    assert docs.status_code == 200
    referenced = _referenced(docs.text)
    assert sorted(referenced) == [
        "/docs/assets/favicon.png",
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
        "/openapi.json",
    ]
    assert "http" not in docs.text
    # ReDoc's page, behind the key as before; Google's fonts are not loaded either.
    assert guarded.get("/redoc").status_code == 401
    redoc = guarded.get("/redoc", headers={"Authorization": "Bearer k"})
    assert redoc.status_code == 200
    assert sorted(_referenced(redoc.text)) == [
        "/docs/assets/favicon.png",
        "/docs/assets/redoc.standalone.js",
        "/openapi.json",
    ]
    assert "http" not in redoc.text
    # Its script links to Redocly's logo on their CDN: the page's policy forbids loading it.
    assert "img-src 'self' data:;" in redoc.headers["content-security-policy"]

    for name, media_type in ASSET_TYPES.items():
        asset = guarded.get(f"/docs/assets/{name}")
        assert asset.status_code == 200, name
        assert asset.headers["content-type"].split(";")[0] == media_type
        assert len(asset.content) > 1000
    assert guarded.head("/docs").status_code == 200
    assert guarded.get("/docs/assets/missing.js").status_code == 404
    # The open prefix opens nothing else: a path that climbs out of it is not routed.
    assert guarded.get("/docs/assets/%2e%2e/v1/models").status_code == 404


def test_the_asset_routes_stay_out_of_the_openapi_document(guarded: TestClient) -> None:
    paths = guarded.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith(("/docs", "/redoc"))]


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with live_server("--steps", "1", "--step-s", "0") as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched(NO_PROXY) as browser:
        yield browser


class OfflinePage:
    """A page whose requests to any host but the server's are aborted, and recorded."""

    def __init__(self, browser: Any, server: LiveServer) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.host = urlsplit(server.url).netloc
        self.aborted: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("requestfailed", self._failed)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _route(self, route: Any) -> None:
        url = urlsplit(route.request.url)
        # blob: and data: URLs are the page's own.
        if url.scheme in ("http", "https") and url.netloc != self.host:
            self.aborted.append(route.request.url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    def _failed(self, request: Any) -> None:
        # Another host's are aborted above (or blocked by a page's policy, never sent).
        if urlsplit(request.url).netloc == self.host:
            self.failed.append(f"{request.url}: {request.failure}")

    def check(self) -> None:
        """Nothing tried to leave, nothing of the server's failed, nothing threw."""
        assert not self.aborted, f"requests to other hosts: {self.aborted}"
        assert not self.failed, f"requests failed: {self.failed}"
        assert not self.errors, f"the page threw: {self.errors}"


@pytest.fixture
def offline(browser: Any, server: LiveServer) -> Iterator[OfflinePage]:
    page = OfflinePage(browser, server)
    yield page
    page.page.close()


@in_chromium
def test_swagger_ui_lists_every_operation_with_the_network_off(
    offline: OfflinePage, server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page = offline.page
    page.goto(f"{server.url}/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
    expect(page.locator(".opblock-summary-path[data-path='/v1/summarize']").first).to_be_visible()

    listed = {
        (
            block.locator(".opblock-summary-method").inner_text().strip().lower(),
            block.locator(".opblock-summary-path").get_attribute("data-path"),
        )
        for block in page.locator(".opblock").all()
    }
    document = httpx.get(f"{server.url}/openapi.json").json()
    operations = {(method, path) for path, item in document["paths"].items() for method in item}
    assert ("post", "/v1/summarize") in listed
    assert listed == operations
    # The one stylesheet is ours: Swagger UI's layout took effect.
    assert page.locator(".swagger-ui .information-container").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
    offline.check()


@in_chromium
def test_redoc_renders_with_the_network_off(offline: OfflinePage, server: LiveServer) -> None:
    from playwright.sync_api import expect

    page = offline.page
    page.goto(f"{server.url}/redoc")
    expect(page.get_by_text("/v1/summarize/batch").first).to_be_attached(timeout=20_000)
    expect(page.get_by_role("heading", name="Summarize Article")).to_be_visible()
    offline.check()
