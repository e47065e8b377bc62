"""/docs in a real browser (Debian's Chromium, driven by Playwright) with every request to another host
refused, as offline: Swagger UI renders the whole API from the engine's own files, under the page's
Content-Security-Policy. Screenshot in test-artifacts/docs/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import ConsoleMessage, Route

from config.settings import Settings
from tests.chromium import chromium, requires_chromium, screenshot
from tests.server_thread import serve_seeded

pytestmark = requires_chromium


async def _nothing(_settings: Settings) -> None:
    return None


@pytest.fixture
def base(tmp_path: Path) -> Iterator[str]:
    with serve_seeded(tmp_path, _nothing) as (url, _):
        yield url


async def test_docs_render_offline_under_their_csp(base: str) -> None:
    outside: list[str] = []
    problems: list[str] = []

    async def only_the_engine(route: Route) -> None:
        if route.request.url.startswith(f"{base}/"):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        await page.route("**/*", only_the_engine)
        page.on("console", on_console)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        try:
            await page.goto(f"{base}/docs")
            await page.wait_for_selector(".swagger-ui .opblock-tag", timeout=30_000)
            await page.wait_for_selector(".opblock-summary-path[data-path='/v1/api-keys']")
            tags = await page.eval_on_selector_all(".opblock-tag", "els => els.map(e => e.dataset.tag)")
            assert {"api-keys", "sessions", "webhooks"} <= set(tags)
            # An operation opens with its description and responses: the UI is working, not just drawn.
            await page.click("#operations-api-keys-create_api_key_v1_api_keys_post .opblock-summary")
            await page.wait_for_selector(
                "#operations-api-keys-create_api_key_v1_api_keys_post .responses-table"
            )
            # Swagger UI's own markup fails axe (contrast, nested controls): see docs/api.md.
            await screenshot(page, "docs", "swagger-ui", accessible=False)
        finally:
            await context.close()
    assert outside == []
    assert problems == []
