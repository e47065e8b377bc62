"""The join page links the company's privacy policy (IE_PRIVACY__POLICY_URL) next to the recording
notice, in a real browser (Debian's Chromium, 390 px wide), checked with axe-core; and never makes a link
of anything but an http(s) URL, whatever the state endpoint says."""

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
from tests.engine.session_helpers import book, inline_participant, make_profile, make_template
from tests.server_thread import serve_seeded

PHONE: ViewportSize = {"width": 390, "height": 844}
POLICY = "https://acme.example/privacy?lang=en"

pytestmark = requires_chromium


async def seed(settings: Settings) -> str:
    """A scheduled session: its join token."""
    assert settings.privacy.policy_url == POLICY
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        services: Services = app.state.services
        async with services.database.transaction() as db:
            issued = await issue_api_key(db, "acme", services.clock, name="Admin")
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {issued.secret_key}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as client:
            profile, template = await make_profile(client), await make_template(client)
            session = await book(
                client,
                template_id=template["id"],
                agent_profile_id=profile["id"],
                participant=inline_participant(),
            )
    return str(session["join_url"]).rsplit("/", 1)[1]


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    monkeypatch.setenv("IE_PRIVACY__POLICY_URL", POLICY)
    with serve_seeded(tmp_path, seed) as served:
        yield served


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream") as launched:
        yield launched


async def test_the_join_page_links_the_privacy_policy(server: tuple[str, str], browser: Browser) -> None:
    base, token = server
    page = await browser.new_page(viewport=PHONE)
    try:
        await page.goto(f"{base}/join/{token}")
        await page.wait_for_selector("#consent", state="visible")
        link = page.locator(".recording-notice #privacy-policy a")
        await link.wait_for(state="visible")
        assert await link.get_attribute("href") == POLICY
        assert await link.get_attribute("rel") == "noopener noreferrer"
        assert "privacy policy" in (await link.inner_text()).lower()
        await screenshot(page, "join", "privacy-link")
        assert await page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]

        # A URL that is not http(s) never becomes a link, even if the state endpoint sent one.
        async def hostile(route: Route) -> None:
            response = await route.fetch()
            body = await response.json()
            body["privacy_policy_url"] = "javascript:window.__xss=1"
            await route.fulfill(response=response, json=body)

        await page.route("**/join/*/state", hostile)
        await page.reload()
        await page.wait_for_selector("#consent", state="visible")
        assert await page.locator("#privacy-policy").is_hidden()
        assert await page.locator("#privacy-policy a").count() == 0
        assert await page.evaluate("() => window.__xss") is None
    finally:
        await page.close()
