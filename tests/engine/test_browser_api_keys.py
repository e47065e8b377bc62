"""The API keys page in a real browser (Debian's Chromium, driven by Playwright) on a 390 px wide phone:
a recruiter without the keys scopes does not see it; one with them creates a key, sees and copies it
once, and revokes it, after which the key is refused. Screenshots go to test-artifacts/api-keys/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser

from config.recruiters import REVIEWER_SCOPES
from config.settings import Settings
from tests.chromium import requires_chromium, screenshot
from tests.engine.dashboard_helpers import assert_fits, focused, phone_page, seed_company, sign_in
from tests.engine.session_helpers import expect
from tests.server_thread import serve_seeded

KEYS_ADMIN, REVIEWER = "kim@acme.com", "rita@acme.com"
KEY_SCOPES = [*REVIEWER_SCOPES, "read:api_keys", "write:api_keys", "delete:api_keys"]
HOSTILE_NAME = "ATS <img src=x onerror=window.__xss=1> sync"
KEY_RE = re.compile(r"^ie_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$")

pytestmark = requires_chromium


@dataclass(frozen=True, slots=True)
class Seeded:
    admin_key: str


async def seed(settings: Settings) -> Seeded:
    return Seeded(await seed_company(settings, ((KEYS_ADMIN, KEY_SCOPES), (REVIEWER, None))))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Seeded]]:
    with serve_seeded(tmp_path, seed) as served:
        yield served


async def test_a_recruiter_creates_a_key_sees_it_once_and_revokes_it(
    server: tuple[str, Seeded], browser: Browser
) -> None:
    base, seeded = server
    context, page, errors = await phone_page(browser, base, clipboard=True)
    try:
        # A reviewer's sign-in has no keys scopes: no link, and the page says why.
        await sign_in(page, base, REVIEWER)
        assert await page.is_hidden("[data-nav=api-keys]")
        await page.goto(f"{base}/review/api-keys")
        await page.wait_for_selector("[data-testid=keys-denied]")
        await page.click("[data-testid=signout]")
        await page.wait_for_selector("[data-testid=signin-form]", state="visible")

        # The keys admin follows the link; the first-run style key is listed, without its secret.
        await sign_in(page, base, KEYS_ADMIN)
        await page.click("[data-nav=api-keys]")
        await page.wait_for_selector("[data-testid=key-row]")
        assert page.url == f"{base}/review/api-keys"
        assert await page.get_attribute("[data-nav=api-keys]", "aria-current") == "page"
        assert seeded.admin_key.split("_", 2)[2] not in await page.content()
        assert "All scopes" in await page.inner_text("[data-testid=keys-table]")
        await assert_fits(page)
        await screenshot(page, "api-keys", "1-list-phone")

        # Nothing filled in: each error next to its field, focus on the first.
        await page.click("[data-testid=key-create]")
        await page.wait_for_selector("[data-testid=key-name-error]:not(:empty)")
        assert await page.inner_text("[data-testid=key-scopes-error]") == "Choose at least one scope."
        assert await focused(page) == "key-name"
        assert await page.get_attribute("[data-testid=key-name]", "aria-invalid") == "true"
        # Scopes this sign-in lacks cannot be ticked.
        assert await page.is_disabled("[data-testid='scope-write:templates']")
        assert await page.is_enabled("[data-testid='scope-read:sessions']")
        await screenshot(page, "api-keys", "2-errors")

        # A scope the page would not offer, forced on: the API refuses it, and says so by the scopes.
        await page.fill("[data-testid=key-name]", HOSTILE_NAME)
        await page.eval_on_selector(
            "[data-testid='scope-write:templates']", "box => { box.disabled = false; }"
        )
        await page.check("[data-testid='scope-write:templates']")
        await page.click("[data-testid=key-create]")
        await page.wait_for_selector("[data-testid=key-scopes-error]:has-text('write:templates')")
        assert "cannot grant" in await page.inner_text("[data-testid=key-scopes-error]")
        assert await page.inner_text("[data-testid=key-name-error]") == ""
        await page.uncheck("[data-testid='scope-write:templates']")
        await page.check("[data-testid='scope-read:sessions']")
        await page.click("[data-testid=key-create]")
        field = await page.wait_for_selector("[data-testid=new-key]")
        assert field is not None
        key = await field.input_value()
        assert KEY_RE.match(key), key
        assert await focused(page) == "new-key"
        assert "will not be shown again" in await page.inner_text("[data-testid=new-key-notice]")
        await page.click("[data-testid=copy-key]")
        await page.wait_for_selector("[data-testid=copy-status]:has-text('Copied')")
        assert await page.evaluate("() => navigator.clipboard.readText()") == key
        await assert_fits(page)
        await screenshot(page, "api-keys", "3-created")

        # The key works, with just the scopes it was given.
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as made:
            assert (await made.get("/v1/sessions/00000000-0000-4000-8000-000000000000")).status_code == 404
            assert (await made.get("/v1/templates")).status_code == 403

        # Once: gone from the page when dismissed, and never shown again, the name shown as text.
        await page.click("[data-testid=dismiss-key]")
        await page.wait_for_selector("[data-testid=new-key-notice]", state="detached")
        await page.reload()
        await page.wait_for_selector("[data-testid=key-row] >> nth=1")
        assert key not in await page.content()
        assert key.split("_", 2)[2] not in await page.content()
        table = await page.inner_text("[data-testid=keys-table]")
        assert HOSTILE_NAME in table
        assert await page.query_selector("[data-testid=keys-table] img") is None
        assert await page.evaluate("() => window.__xss") is None
        key_id = key.split("_")[1]
        row = f"[data-testid=key-row][data-key-id='{key_id}']"
        assert await page.inner_text(f"{row} [data-testid=key-prefix]") == f"ie_{key_id}_…"

        # Revoke, confirmed: refused at once, still listed as revoked.
        await page.click(f"{row} [data-testid=revoke]")
        await page.wait_for_selector("[data-testid=confirm-dialog]")
        await screenshot(page, "api-keys", "4-confirm")
        await page.click("[data-testid=confirm-ok]")
        await page.wait_for_selector(f"{row}[data-revoked=true]")
        assert await page.inner_text(f"{row} [data-testid=key-status]") == "Revoked"
        assert await page.query_selector(f"{row} [data-testid=revoke]") is None
        await page.wait_for_selector("[data-testid=key-revoked]")
        await assert_fits(page)
        await screenshot(page, "api-keys", "5-revoked")
        await page.set_viewport_size({"width": 1280, "height": 900})
        await screenshot(page, "api-keys", "6-desktop")
        assert errors == []
    finally:
        await context.close()

    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as revoked:
        assert (await revoked.get("/v1/sessions")).status_code == 401
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {seeded.admin_key}"}
    ) as admin:
        listed = expect(await admin.get("/v1/api-keys"), 200)["data"]
    made = next(k for k in listed if k["id"] == key_id)
    assert made["revoked_at"] is not None
    assert made["name"] == HOSTILE_NAME
    assert made["scopes"] == ["read:sessions"]
    assert made["created_by"].startswith("recruiter:")
