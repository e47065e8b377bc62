"""Shared by the dashboard's browser tests: a company seeded with an admin key and recruiters, signing
in through the page, a phone's page collecting script errors, the phone-width check, the focused element, and the environment that points the
served engine at the tests' SMTP server (the `smtp` fixture of tests/engine/conftest.py)."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize

from config.settings import Settings
from engine.api.context import Services
from engine.app import create_app
from engine.auth import issue_api_key
from tests.engine.session_helpers import expect
from tests.smtp_receiver import SmtpReceiver

__all__ = ["PASSWORD", "PHONE", "assert_fits", "focused", "phone_page", "seed_company", "sign_in", "smtp_env"]

PASSWORD = "correct horse battery staple"
PHONE: ViewportSize = {"width": 390, "height": 844}


async def seed_company(settings: Settings, recruiters: Sequence[tuple[str, list[str] | None]]) -> str:
    """Company "acme" with an all-scopes API key (returned) and recruiters (email, scopes; None: the
    default scopes), each named after their email and signing in with PASSWORD."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        services: Services = app.state.services
        async with services.database.transaction() as db:
            issued = await issue_api_key(db, "acme", services.clock, name="Admin")
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {issued.secret_key}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as client:
            for email, scopes in recruiters:
                body = {"email": email, "name": email.split("@")[0].title(), "password": PASSWORD}
                expect(await client.post("/v1/recruiters", json={**body, "scopes": scopes}), 201)
    return issued.secret_key


async def phone_page(
    browser: Browser, base: str, *, clipboard: bool = False
) -> tuple[BrowserContext, Page, list[str]]:
    """A page on a 390 px wide touch phone and the script errors it raises (a test ends asserting there
    are none); `clipboard`: the page may read and write the clipboard, as after the recruiter allowed it."""
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    if clipboard:
        await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


async def sign_in(page: Page, base: str, email: str, path: str = "/review") -> None:
    await page.goto(f"{base}{path}")
    await page.fill("[data-testid=signin-email]", email)
    await page.fill("[data-testid=signin-password]", PASSWORD)
    await page.click("[data-testid=signin-submit]")
    await page.wait_for_selector("[data-testid=signout]", state="visible")


async def assert_fits(page: Page) -> None:
    """Nothing wider than the phone: no sideways scrolling (the message names what sticks out)."""
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    wide = await page.evaluate(
        """limit => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > limit + 1)
            .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)""",
        PHONE["width"],
    )
    assert width <= PHONE["width"], wide


async def focused(page: Page) -> str | None:
    """The focused element's data-testid (or its tag name)."""
    found: str | None = await page.evaluate(
        "() => document.activeElement?.dataset?.testid ?? document.activeElement?.tagName"
    )
    return found


def smtp_env(monkeypatch: pytest.MonkeyPatch, smtp: SmtpReceiver, *, from_address: str) -> None:
    """Before `serve_seeded`: the engine it starts (which reads its settings from the environment) sends
    through `smtp` in plain SMTP on loopback, and its outbox looks for work every 50 ms."""
    for name, value in {
        "IE_SMTP__HOST": "127.0.0.1",
        "IE_SMTP__PORT": str(smtp.port),
        "IE_SMTP__SECURITY": "none",
        "IE_SMTP__FROM_ADDRESS": from_address,
        "IE_EMAIL__POLL_S": "0.05",
    }.items():
        monkeypatch.setenv(name, value)
