"""The Team page in a real browser (Debian's Chromium, driven by Playwright) on a 390 px wide phone: a
reviewer does not see it; an admin adds a recruiter (each error next to its field, from the page's own
checks and from the API's 409, 422 and 403), who can then sign in; renames them and changes their scopes in
a dialog (Escape cancels); and removes them after a confirmation made with the keyboard, after which they
cannot sign in. The admin cannot remove their own account. Markup in a name stays text. Screenshots go to
test-artifacts/team/."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser

from config.recruiters import REVIEWER_SCOPES
from config.settings import Settings
from tests.chromium import requires_chromium, screenshot
from tests.engine.dashboard_helpers import (
    PASSWORD,
    PHONE,
    assert_fits,
    focused,
    phone_page,
    seed_company,
    sign_in,
)
from tests.engine.session_helpers import expect
from tests.server_thread import serve_seeded

TEAM_ADMIN, REVIEWER, NEWCOMER = "ada@acme.com", "rita@acme.com", "nico@acme.com"
ADMIN_SCOPES = [*REVIEWER_SCOPES, "read:recruiters", "write:recruiters", "delete:recruiters"]
HOSTILE_NAME = "Nico <img src=x onerror=window.__xss=1> Ng"

pytestmark = requires_chromium


@dataclass(frozen=True, slots=True)
class Seeded:
    admin_key: str


async def seed(settings: Settings) -> Seeded:
    return Seeded(await seed_company(settings, ((TEAM_ADMIN, ADMIN_SCOPES), (REVIEWER, None))))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Seeded]]:
    with serve_seeded(tmp_path, seed) as served:
        yield served


async def login_status(base: str, email: str, password: str) -> int:
    async with httpx.AsyncClient(base_url=base) as anonymous:
        response = await anonymous.post("/v1/auth/login", json={"email": email, "password": password})
    return response.status_code


async def test_an_admin_adds_edits_and_removes_a_recruiter(
    server: tuple[str, Seeded], browser: Browser
) -> None:
    base, seeded = server
    context, page, errors = await phone_page(browser, base)
    new_password = "a long and new passphrase"
    try:
        # A reviewer's sign-in has no recruiters scopes: no link, and the page says why.
        await sign_in(page, base, REVIEWER)
        assert await page.is_hidden("[data-nav=team]")
        await page.goto(f"{base}/review/team")
        await page.wait_for_selector("[data-testid=team-denied]")
        await page.click("[data-testid=signout]")
        await page.wait_for_selector("[data-testid=signin-form]", state="visible")

        # The admin sees both accounts; their own is marked, and has no Remove.
        await sign_in(page, base, TEAM_ADMIN)
        await page.click("[data-nav=team]")
        await page.wait_for_selector("[data-testid=member-row] >> nth=1")
        assert page.url == f"{base}/review/team"
        assert await page.get_attribute("[data-nav=team]", "aria-current") == "page"
        me = "[data-testid=member-row][data-self=true]"
        assert await page.inner_text(f"{me} [data-testid=row-email]") == TEAM_ADMIN
        assert await page.is_visible(f"{me} [data-testid=member-you]")
        assert await page.query_selector(f"{me} [data-testid=member-remove]") is None
        await assert_fits(page)
        await screenshot(page, "team", "1-list")

        # Nothing filled in: each error by its field, focus on the first. The reviewer preset is ticked.
        assert await page.is_checked("[data-testid='member-scope-read:sessions']")
        assert not await page.is_checked("[data-testid='member-scope-read:recruiters']")
        await page.click("[data-testid=member-scopes-none]")
        await page.click("[data-testid=member-create]")
        await page.wait_for_selector("[data-testid=member-email-error]:not(:empty)")
        assert await page.inner_text("[data-testid=member-name-error]") == "Enter their name."
        assert await page.inner_text("[data-testid=member-password-error]") == "Choose a password for them."
        assert await page.inner_text("[data-testid=member-scopes-error]") == "Choose at least one scope."
        assert await focused(page) == "member-email"
        assert await page.get_attribute("[data-testid=member-email]", "aria-invalid") == "true"
        # Scopes this sign-in lacks cannot be ticked.
        assert await page.is_disabled("[data-testid='member-scope-write:templates']")
        await assert_fits(page)
        await screenshot(page, "team", "2-errors")

        # The API's answers, each by its field: the email taken (409), then a short password (422), then a
        # scope the admin does not hold, forced on (403).
        await page.fill("[data-testid=member-email]", REVIEWER)
        await page.fill("[data-testid=member-name]", HOSTILE_NAME)
        await page.fill("[data-testid=member-password]", "short")
        await page.click("[data-testid=member-scopes-reviewer]")
        await page.click("[data-testid=member-create]")
        await page.wait_for_selector("[data-testid=member-email-error]:has-text('exists')")
        assert await page.inner_text("[data-testid=member-password-error]") == ""
        assert await focused(page) == "member-email"
        await page.fill("[data-testid=member-email]", NEWCOMER)
        await page.click("[data-testid=member-create]")
        await page.wait_for_selector("[data-testid=member-password-error]:has-text('at least 12 characters')")
        assert await page.inner_text("[data-testid=member-email-error]") == ""
        assert await focused(page) == "member-password"
        await page.fill("[data-testid=member-password]", PASSWORD)
        await page.eval_on_selector(
            "[data-testid='member-scope-write:templates']", "box => { box.disabled = false; }"
        )
        await page.check("[data-testid='member-scope-write:templates']")
        await page.click("[data-testid=member-create]")
        await page.wait_for_selector("[data-testid=member-scopes-error]:has-text('write:templates')")
        await screenshot(page, "team", "3-api-errors")
        await page.uncheck("[data-testid='member-scope-write:templates']")
        await page.click("[data-testid=member-create]")
        await page.wait_for_selector("[data-testid=member-added]")
        assert await focused(page) == "team-notices"
        assert await page.input_value("[data-testid=member-email]") == ""
        assert await page.input_value("[data-testid=member-password]") == ""
        row = f"[data-testid=member-row]:has([data-testid=row-email]:text-is('{NEWCOMER}'))"
        assert await page.inner_text(f"{row} [data-testid=row-name]") == HOSTILE_NAME
        assert await page.query_selector("[data-testid=members-table] img") is None
        assert await page.evaluate("() => window.__xss") is None
        await assert_fits(page)
        await screenshot(page, "team", "4-added")
        assert await login_status(base, NEWCOMER, PASSWORD) == 200

        # Edit in a dialog: an error by its field; Escape cancels and focus goes back to Edit.
        await page.click(f"{row} [data-testid=member-edit]")
        await page.wait_for_selector("[data-testid=edit-member]")
        assert await focused(page) == "edit-member-name"
        await page.fill("[data-testid=edit-member-name]", "")
        await page.keyboard.press("Enter")
        await page.wait_for_selector("[data-testid=edit-member-name-error]:not(:empty)")
        await screenshot(page, "team", "5-edit-errors")
        await page.keyboard.press("Escape")
        await page.wait_for_selector("[data-testid=edit-member]", state="detached")
        assert await focused(page) == "member-edit"
        assert await page.inner_text(f"{row} [data-testid=row-name]") == HOSTILE_NAME

        # Renamed, and read only: saved through the API.
        await page.click(f"{row} [data-testid=member-edit]")
        await page.fill("[data-testid=edit-member-name]", "Nico Ng")
        await page.click("[data-testid=edit-scopes-read]")
        await page.click("[data-testid=edit-member-save]")
        await page.wait_for_selector("[data-testid=member-saved]")
        assert await page.inner_text(f"{row} [data-testid=row-name]") == "Nico Ng"
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {seeded.admin_key}"}
        ) as admin:
            people = expect(await admin.get("/v1/recruiters"), 200)["data"]
            nico = next(p for p in people if p["email"] == NEWCOMER)
            assert nico["name"] == "Nico Ng"
            assert sorted(nico["scopes"]) == sorted(s for s in ADMIN_SCOPES if s.startswith("read:"))

        # A new password set by the admin in the dialog (left empty it is kept): the old one stops working.
        await page.click(f"{row} [data-testid=member-edit]")
        await page.fill("[data-testid=edit-member-password]", "short")
        await page.click("[data-testid=edit-member-save]")
        await page.wait_for_selector(
            "[data-testid=edit-member-password-error]:has-text('at least 12 characters')"
        )
        assert await focused(page) == "edit-member-password"
        await page.fill("[data-testid=edit-member-password]", new_password)
        await page.click("[data-testid=edit-member-save]")
        await page.wait_for_selector("[data-testid=member-saved]")
        assert await login_status(base, NEWCOMER, PASSWORD) == 401
        assert await login_status(base, NEWCOMER, new_password) == 200

        # Locked after failed sign-ins (the default five): the row says so, and the admin unlocks it.
        for _ in range(5):
            await login_status(base, NEWCOMER, "not the password at all")
        assert await login_status(base, NEWCOMER, new_password) != 200
        await page.reload()
        await page.wait_for_selector(f"{row} [data-testid=member-unlock]")
        await screenshot(page, "team", "5b-locked")
        await page.click(f"{row} [data-testid=member-unlock]")
        await page.wait_for_selector("[data-testid=member-unlocked]")
        assert await page.query_selector(f"{row} [data-testid=member-unlock]") is None
        assert await login_status(base, NEWCOMER, new_password) == 200

        # Remove: Escape cancels; then confirmed with the keyboard alone.
        await page.click(f"{row} [data-testid=member-remove]")
        await page.wait_for_selector("[data-testid=confirm-dialog]")
        await screenshot(page, "team", "6-confirm-remove")
        await page.keyboard.press("Escape")
        await page.wait_for_selector("[data-testid=confirm-dialog]", state="detached")
        assert await focused(page) == "member-remove"
        await page.keyboard.press("Enter")
        await page.wait_for_selector("[data-testid=confirm-dialog]")
        assert await focused(page) == "confirm-cancel"
        await page.keyboard.press("Tab")
        assert await focused(page) == "confirm-ok"
        await page.keyboard.press("Enter")
        await page.wait_for_selector("[data-testid=member-removed]")
        assert await page.query_selector(row) is None
        assert len(await page.query_selector_all("[data-testid=member-row]")) == 2
        await assert_fits(page)
        await screenshot(page, "team", "7-removed")
        await page.set_viewport_size({"width": 1280, "height": 900})
        await screenshot(page, "team", "8-desktop")
        assert errors == []
    finally:
        await context.close()

    assert await login_status(base, NEWCOMER, new_password) == 401


async def test_every_menu_link_fits_a_phone(server: tuple[str, Seeded], browser: Browser) -> None:
    """Signed in with a key that holds every scope: all the links, wrapped to fit; no account is "You"."""
    base, seeded = server
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    try:
        await page.goto(f"{base}/review/team")
        await page.click("[data-testid=signin-mode]")
        await page.fill("[data-testid=signin-api-key]", seeded.admin_key)
        await page.click("[data-testid=signin-submit]")
        await page.wait_for_selector("[data-testid=member-row] >> nth=1")
        for nav in ("sessions", "api-keys", "webhooks", "team"):
            assert await page.is_visible(f"[data-nav={nav}]"), nav
        assert await page.query_selector("[data-testid=member-you]") is None
        assert len(await page.query_selector_all("[data-testid=member-remove]")) == 2
        await assert_fits(page)
        await screenshot(page, "team", "0-every-link")
    finally:
        await context.close()
