"""The session page shows the emails the participant was sent, in a real browser (Debian's Chromium):
an engine without SMTP settings, so the invitation is listed as not sent with the reason, and an
interview title with markup in the subject stays text. On a desktop and on a 390 px wide phone.
Screenshots go to test-artifacts/emails/."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser

from config.settings import Settings
from engine.api.context import Services
from engine.app import create_app
from engine.auth import issue_api_key
from tests.chromium import requires_chromium, screenshot
from tests.engine.session_helpers import (
    book,
    expect,
    inline_participant,
    make_profile,
    make_stage,
    make_template,
)
from tests.server_thread import serve_seeded

EMAIL, PASSWORD = "rita@acme.com", "correct horse battery staple"
HOSTILE = "Grace <img src=x onerror=window.__xss=1> Hopper"

pytestmark = requires_chromium


@dataclass(frozen=True, slots=True)
class Seeded:
    session: str


async def seed(settings: Settings) -> Seeded:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        services: Services = app.state.services
        async with services.database.transaction() as db:
            issued = await issue_api_key(db, "acme", services.clock)
        headers = {"Authorization": f"Bearer {issued.secret_key}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as client:
            body = {"email": EMAIL, "name": "Rita Recruiter", "password": PASSWORD}
            expect(await client.post("/v1/recruiters", json=body), 201)
            profile = await make_profile(client)
            template = await make_template(client, name=HOSTILE)  # in the invitation's subject
            stage = await make_stage(client, template["id"], profile["id"])
            session = await book(client, stage_id=stage["id"], participant=inline_participant())
            path = f"/v1/sessions/{session['id']}/emails"
            for _ in range(200):
                emails = expect(await client.get(path), 200)["data"]
                if emails and emails[0]["status"] != "queued":
                    break
                await asyncio.sleep(0.05)
            return Seeded(session["id"])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Seeded]]:
    with serve_seeded(tmp_path, seed) as served:
        yield served


@pytest.mark.parametrize(("width", "name"), [(1280, "desktop"), (390, "phone")])
async def test_the_session_page_lists_its_emails_with_the_reason_when_not_sent(
    server: tuple[str, Seeded], browser: Browser, width: int, name: str
) -> None:
    base, seeded = server
    context = await browser.new_context(viewport={"width": width, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await page.goto(f"{base}/review/sessions/{seeded.session}")
        await page.wait_for_selector("[data-testid=signin-form]")
        await page.fill("[data-testid=signin-email]", EMAIL)
        await page.fill("[data-testid=signin-password]", PASSWORD)
        await page.click("[data-testid=signin-submit]")
        row = await page.wait_for_selector("[data-testid=emails] [data-testid=email]")
        assert row is not None
        assert await row.get_attribute("data-kind") == "invitation"
        assert await row.get_attribute("data-status") == "not_sent"
        text = await row.inner_text()
        assert "Not sent" in text
        assert "SMTP is not configured" in text
        assert HOSTILE in text  # the subject, as text
        assert await page.query_selector("[data-testid=emails] img") is None
        assert await page.evaluate("() => window.__xss") is None
        heading = await page.get_attribute("[data-testid=emails]", "aria-labelledby")
        assert heading == "emails-title"
        assert await page.get_attribute("[data-testid=emails]", "aria-busy") is None
        overflow = await page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow} px"
        await screenshot(page, "emails", f"session-emails-{name}")
        assert errors == []
    finally:
        await context.close()
