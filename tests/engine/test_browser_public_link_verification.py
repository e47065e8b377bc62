"""Email verification on a public link, in a real browser (Debian's Chromium, 390 px wide phones): a
recruiter turns it on in the interview's settings with the keyboard; a candidate signs up, is told to
check their inbox (nothing booked), opens the link from the email that reached a loopback SMTP server,
and lands on the join page with one session booked. Each state is checked with axe-core; screenshots go
to test-artifacts/public-verify/."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser
from playwright.async_api import Error as PlaywrightError

from config.recruiters import REVIEWER_SCOPES
from config.settings import Settings
from engine.app import create_app
from tests.chromium import requires_chromium, screenshot
from tests.engine.dashboard_helpers import assert_fits, phone_page, seed_company, sign_in, smtp_env
from tests.engine.emails.helpers import arrivals
from tests.engine.session_helpers import expect, make_profile, make_stage, make_template
from tests.server_thread import serve_seeded
from tests.smtp_receiver import SmtpReceiver

RECRUITER = "tara@acme.com"
SCOPES = [*REVIEWER_SCOPES, "write:templates"]
DEFAULT_BASE = "http://127.0.0.1:8000"  # Settings.public_base_url unset: links are made on this address
HOSTILE_NAME = "Ada <img src=x onerror=window.__xss=1> Lovelace"
VERIFY = re.compile(re.escape(DEFAULT_BASE) + r"(/public/verify/[A-Za-z0-9_-]{43})")

pytestmark = requires_chromium


@dataclass(frozen=True, slots=True)
class Seeded:
    admin_key: str
    template_id: str
    token: str


async def seed(settings: Settings) -> Seeded:
    key = await seed_company(settings, ((RECRUITER, SCOPES),))
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as client:
            profile = await make_profile(client, name="Alex (Acme)")
            template = await make_template(client)
            await make_stage(client, template["id"], profile["id"])
            url = f"/v1/templates/{template['id']}/public-link"
            link = expect(await client.put(url, json={"enabled": True}), 200)
    return Seeded(key, template["id"], str(link["url"]).rsplit("/", 1)[1])


@pytest.fixture
def server(
    tmp_path: Path, smtp: SmtpReceiver, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Seeded]]:
    smtp_env(monkeypatch, smtp, from_address="Acme <jobs@acme.example>")
    with serve_seeded(tmp_path, seed) as served:
        yield served


async def test_recruiter_turns_verification_on_and_a_candidate_confirms_by_email(
    server: tuple[str, Seeded], browser: Browser, smtp: SmtpReceiver
) -> None:
    base, seeded = server
    headers = {"Authorization": f"Bearer {seeded.admin_key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers) as api:
        link_url = f"/v1/templates/{seeded.template_id}/public-link"

        # The recruiter: a labelled checkbox under the public link, pressed with the keyboard.
        context, page, errors = await phone_page(browser, base)
        try:
            await sign_in(page, base, RECRUITER, f"/review/templates/{seeded.template_id}?tab=settings")
            box = "[data-testid=public-link-verify]"
            await page.wait_for_selector(box)
            assert not await page.is_checked(box)
            assert await page.inner_text("label[for=public-link-verify]") == (
                "Ask candidates to confirm their email first"
            )
            await page.focus(box)
            await page.keyboard.press("Space")
            await page.wait_for_function(
                "() => document.querySelector('[data-testid=public-link-verify]').checked"
            )
            for _ in range(100):
                if expect(await api.get(link_url), 200)["email_verification"]:
                    break
                await page.wait_for_timeout(50)
            assert expect(await api.get(link_url), 200) == {
                "enabled": True,
                "url": f"{DEFAULT_BASE}/public/{seeded.token}",
                "email_verification": True,
            }
            await assert_fits(page)
            await screenshot(page, "public-verify", "1-setting-on")
            assert errors == []
        finally:
            await context.close()

        # The candidate: the form, then "check your inbox", and nothing booked yet.
        context, page, errors = await phone_page(browser, base)
        try:
            await page.goto(f"{base}/public/{seeded.token}")
            await page.wait_for_selector("#screen-form", state="visible")
            await page.fill("#name", HOSTILE_NAME)
            await page.fill("#email", "ada@example.com")
            await page.keyboard.press("Enter")
            await page.wait_for_selector("#screen-check-inbox", state="visible")
            assert await page.is_hidden("#screen-form")
            assert await page.inner_text("#check-inbox-email") == "ada@example.com"
            assert await page.evaluate("() => document.activeElement.id") == "check-inbox-title"
            await assert_fits(page)
            await screenshot(page, "public-verify", "2-check-inbox")
            assert await page.evaluate("() => window.__xss") is None
            assert expect(await api.get("/v1/sessions"), 200)["data"] == []

            (mail,) = await arrivals(smtp, 1)
            assert mail.rcpt_tos == ["ada@example.com"]
            found = VERIFY.search(mail.text)
            assert found is not None, mail.text

            # The link from the email books the session and redirects to the join page, on the configured
            # base URL (127.0.0.1:8000, where nothing listens: the join page is tested elsewhere).
            went: list[str] = []
            page.on("request", lambda request: went.append(request.url))

            async def follow() -> str:
                went.clear()
                with contextlib.suppress(PlaywrightError):
                    await page.goto(base + found.group(1))
                joins = [url for url in went if url.startswith(f"{DEFAULT_BASE}/join/")]
                assert joins, went
                return joins[0]

            join_url = await follow()
            (session,) = expect(await api.get("/v1/sessions"), 200)["data"]
            assert session["join_url"] == join_url
            person = expect(await api.get(f"/v1/participants/{session['participant_id']}"), 200)
            assert person["name"] == HOSTILE_NAME

            # Opened once more: the same session, still one.
            assert await follow() == join_url
            assert len(expect(await api.get("/v1/sessions"), 200)["data"]) == 1

            # A link that books nothing gets a plain page that says so (a fresh tab: this one is still
            # settling on the browser's own error page for the unreachable join address).
            page = await context.new_page()
            response = await page.goto(f"{base}/public/verify/{'x' * 43}")
            assert response is not None
            assert response.status == 404
            assert await page.inner_text("h1") == "This link is not valid"
            await assert_fits(page)
            await screenshot(page, "public-verify", "3-not-valid")
            assert errors == []
        finally:
            await context.close()
