"""A candidate opens a template's public link in a real browser (Debian's Chromium, 390 px wide), is told
what to fix, signs up with a name and an email, and lands on the join page. Each state is checked with
axe-core; screenshots go to test-artifacts/public/."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Route, ViewportSize

from config.settings import Settings
from engine.api.context import Services
from engine.app import create_app
from engine.auth import issue_api_key
from tests.chromium import chromium, requires_chromium, screenshot
from tests.engine.session_helpers import expect, make_profile, make_stage, make_template
from tests.server_thread import serve_seeded

PHONE: ViewportSize = {"width": 390, "height": 844}
DEFAULT_BASE = "http://127.0.0.1:8000"  # Settings.public_base_url unset: the default host and port
HOSTILE_NAME = "Ada <img src=x onerror=window.__xss=1> Lovelace"

pytestmark = requires_chromium


async def seed(settings: Settings) -> str:
    """A template with one interviewed stage and its public link on: the link's token."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        services: Services = app.state.services
        async with services.database.transaction() as db:
            issued = await issue_api_key(db, "acme", services.clock, name="Admin")
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {issued.secret_key}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as client:
            profile = await make_profile(client, name="Alex (Acme)")
            template = await make_template(client)
            await make_stage(client, template["id"], profile["id"])
            link = expect(
                await client.put(f"/v1/templates/{template['id']}/public-link", json={"enabled": True}), 200
            )
    return str(link["url"]).rsplit("/", 1)[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    with serve_seeded(tmp_path, seed) as served:
        yield served


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream") as launched:
        yield launched


async def test_a_candidate_signs_up_through_the_public_link(
    server: tuple[str, str], browser: Browser
) -> None:
    base, token = server
    page = await browser.new_page(viewport=PHONE)
    try:
        await page.goto(f"{base}/public/{token}")
        await page.wait_for_selector("#screen-form", state="visible")
        assert await page.inner_text("#interviewer-name") == "Alex (Acme)"
        await screenshot(page, "public", "1-form")

        await page.click("#submit")
        await page.wait_for_function("() => document.getElementById('name-error').textContent.trim() !== ''")
        assert await page.inner_text("#email-error")
        await screenshot(page, "public", "2-errors")

        # Join links are made on the configured base URL (default http://127.0.0.1:8000, not this test
        # server's port): catch the page going there and open the same path here.
        went: list[str] = []

        async def catch(route: Route) -> None:
            went.append(route.request.url)
            await route.fulfill(status=204)  # a 204 leaves the page where it is

        await page.route(f"{DEFAULT_BASE}/**", catch)
        await page.fill("#name", HOSTILE_NAME)
        await page.fill("#email", "ada@example.com")
        await page.click("#submit")
        for _ in range(100):
            if went:
                break
            await page.wait_for_timeout(50)
        assert went, "the page did not go to the join link"
        assert went[0].startswith(f"{DEFAULT_BASE}/join/")
        await page.goto(base + went[0][len(DEFAULT_BASE) :])
        await page.wait_for_selector("#consent", state="visible")
        await screenshot(page, "public", "3-join")
        assert await page.evaluate("() => window.__xss") is None

        scroll_width = await page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll_width <= PHONE["width"]

    finally:
        await page.close()
