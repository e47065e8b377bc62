"""The company pages in a real browser (Debian's Chromium, driven by Playwright) on a 390 px wide phone:
Company settings, Usage and the Audit log. A reviewer sees the settings read-only and no audit log; an
admin sets a monthly minutes limit and a retention period (a bad value refused by the API, its error by
its field, nothing saved), finds the limit and how close the month is to it on Usage with the minutes per
day, and finds the change in the read-only audit log, filtered and paged. Screenshots go to
test-artifacts/company/."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page

from config.recruiters import REVIEWER_SCOPES
from config.settings import Settings
from engine.api.context import Services
from engine.app import create_app
from engine.services.audit import Action
from engine.store.tables import SessionRow
from tests.chromium import requires_chromium, screenshot
from tests.engine.dashboard_helpers import assert_fits, focused, phone_page, seed_company, sign_in
from tests.engine.session_helpers import book, expect, inline_participant, make_profile, make_template
from tests.server_thread import serve_seeded

ADMIN, REVIEWER = "ada@acme.com", "rita@acme.com"
ADMIN_SCOPES = [*REVIEWER_SCOPES, "read:recruiters", "read:api_keys", "write:api_keys"]
ACTIONS_JS = Path(__file__).resolve().parents[2] / "engine/web/static/review/audit-filters.js"
# Changes the seed makes with the company's API key, so the audit log holds more than one page (25).
SEEDED_CHANGES = 26


@dataclass(frozen=True, slots=True)
class Seeded:
    admin_key: str
    month: str  # the current calendar month (UTC), YYYY-MM


async def seed(settings: Settings) -> Seeded:
    """Two interviews held this month (on the 1st, 10 minutes; on the 2nd, 25 min 1 s: 26 minutes) and
    one booked, not yet held (reserving its template's 30 minutes)."""
    key = await seed_company(settings, ((ADMIN, ADMIN_SCOPES), (REVIEWER, None)))
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        services: Services = app.state.services
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as client:
            profile = await make_profile(client)
            template = await make_template(client, duration_minutes=30)
            body = {"template_id": template["id"], "agent_profile_id": profile["id"]}
            held = [await book(client, participant=inline_participant(), **body) for _ in range(2)]
            await book(client, participant=inline_participant(), **body)
            for _ in range(SEEDED_CHANGES):
                expect(await client.patch("/v1/company", json={"retention_days": None}), 200)
        first = datetime.now(UTC).replace(day=1, hour=0, minute=30, second=0, microsecond=0)
        async with services.database.transaction() as db:
            for session, started, seconds in (
                (held[0], first, 600),
                (held[1], first + timedelta(days=1), 1501),
            ):
                row = await db.get(SessionRow, session["id"])
                assert row is not None
                row.status = "completed"
                row.started_at = started
                row.completed_at = started + timedelta(seconds=seconds)
                row.duration_seconds = seconds
    return Seeded(key, first.strftime("%Y-%m"))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Seeded]]:
    with serve_seeded(tmp_path, seed) as served:
        yield served


def test_the_audit_filter_offers_every_action_the_api_records() -> None:
    listed = ACTIONS_JS.read_text().split("export const ACTIONS = [", 1)[1].split("];", 1)[0]
    found = [part.strip().strip("'") for part in listed.replace("\n", "").split(",") if part.strip()]
    assert found == list(typing.get_args(Action))


async def text(page: Page, testid: str) -> str:
    return (await page.inner_text(f"[data-testid={testid}]")).strip()


@requires_chromium
async def test_an_admin_sets_limits_sees_usage_and_finds_it_in_the_audit_log(
    server: tuple[str, Seeded], browser: Browser
) -> None:
    base, seeded = server
    api = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {seeded.admin_key}"})
    context, page, errors = await phone_page(browser, base)
    try:
        # A reviewer: Usage and Company in the menu, no Audit log; the settings read-only, and why.
        await sign_in(page, base, REVIEWER)
        assert await page.is_visible("[data-nav=usage]")
        assert await page.is_hidden("[data-nav=audit]")
        await page.click("[data-nav=company]")
        await page.wait_for_selector("[data-testid=company-read-only]")
        assert await text(page, "company-limit-text") == "No limit"
        assert await page.query_selector("[data-testid=company-form]") is None
        await page.goto(f"{base}/review/audit")
        await page.wait_for_selector("[data-testid=audit-denied]")
        assert "read:api_keys" in await text(page, "audit-denied")
        await page.click("[data-testid=signout]")
        await page.wait_for_selector("[data-testid=signin-form]", state="visible")

        # The admin's settings: no limit and no retention period yet.
        await sign_in(page, base, ADMIN)
        await page.click("[data-nav=company]")
        await page.wait_for_selector("[data-testid=company-form]")
        assert page.url == f"{base}/review/company"
        assert await page.get_attribute("[data-nav=company]", "aria-current") == "page"
        assert await text(page, "company-name") == "acme"
        assert await page.is_checked("[data-testid=company-limit-off]")
        assert await page.is_hidden("[data-testid=company-limit]")
        await assert_fits(page)
        await screenshot(page, "company", "1-settings")

        # A limit chosen with its number left empty: the page's own check, by the field.
        await page.check("[data-testid=company-limit-on]")
        await page.click("[data-testid=company-save]")
        await page.wait_for_selector("[data-testid=company-limit-error]:not(:empty)")
        assert await focused(page) == "company-limit"

        # A limit, and a retention period of 0 days, chosen with the keyboard: the API refuses it (422)
        # and the page puts its words by the retention field; nothing is saved.
        await page.fill("[data-testid=company-limit]", "80")
        await page.focus("[data-testid=company-retention-off]")
        await page.keyboard.press("ArrowDown")
        assert await page.is_checked("[data-testid=company-retention-on]")
        await page.keyboard.press("Tab")
        assert await focused(page) == "company-retention"
        await page.keyboard.type("0")
        await page.keyboard.press("Enter")
        await page.wait_for_selector("[data-testid=company-retention-error]:not(:empty)")
        assert "greater than or equal to 1" in await text(page, "company-retention-error")
        assert await text(page, "company-limit-error") == ""
        assert await focused(page) == "company-retention"
        assert await page.get_attribute("[data-testid=company-retention]", "aria-invalid") == "true"
        unchanged = expect(await api.get("/v1/company"), 200)
        assert unchanged["monthly_interview_minutes_limit"] is None
        assert unchanged["retention_days"] is None
        await assert_fits(page)
        await screenshot(page, "company", "2-api-error")

        await page.fill("[data-testid=company-retention]", "365")
        await page.keyboard.press("Enter")
        await page.wait_for_selector("[data-testid=company-saved]")
        assert await focused(page) == "company-notices"
        assert "80 minutes per month" in await text(page, "company-saved")
        assert await text(page, "company-retention-error") == ""
        company = expect(await api.get("/v1/company"), 200)
        assert company["monthly_interview_minutes_limit"] == 80
        assert company["retention_days"] == 365
        await screenshot(page, "company", "3-saved")

        # Usage, this month: 36 minutes held, 30 reserved, 66 of 80: close to the limit.
        await page.click("[data-testid=company-usage-link]")
        await page.wait_for_selector("[data-testid=usage-summary]")
        assert page.url == f"{base}/review/usage?month={seeded.month}"
        assert await page.input_value("[data-testid=usage-month]") == seeded.month
        usage = expect(await api.get("/v1/usage"), 200)
        assert (usage["minutes_used"], usage["minutes_reserved"], usage["limit"], usage["remaining"]) == (
            36,
            30,
            80,
            14,
        )
        shown = await page.eval_on_selector_all(
            ".usage-stat", "tiles => tiles.map(t => [t.dataset.testid, t.querySelector('dd').textContent])"
        )
        assert shown == [
            ["usage-used", "36 min2 sessions held"],
            ["usage-reserved", "30 min1 booked session not yet finished"],
            ["usage-limit", "80 min"],
            ["usage-remaining", "14 minfor new sessions"],
        ]
        assert await page.get_attribute("[data-testid=usage-meter]", "data-level") == "near"
        assert "83% of the limit is used or reserved: close to the limit" in await text(page, "usage-words")
        days = await page.eval_on_selector_all(
            "[data-testid=usage-day]", "rows => rows.map(r => [r.dataset.date, r.cells[1].textContent])"
        )
        assert days == [[day["date"], str(day["minutes"])] for day in usage["days"]]
        assert [minutes for _, minutes in days] == ["10", "26"]
        await assert_fits(page)
        await screenshot(page, "company", "4-usage")

        # The month before: nothing held; the address follows.
        await page.click("[data-testid=usage-previous]")
        await page.wait_for_selector("[data-testid=usage-days-card] .state-empty")
        before = await page.input_value("[data-testid=usage-month]")
        assert before < seeded.month
        assert page.url.endswith(f"?month={before}")
        assert await page.inner_text("[data-testid=usage-used] .usage-stat-value") == "0 min"

        # The audit log: read-only, newest first, the admin's change on top and the refused one absent.
        await page.click("[data-nav=audit]")
        await page.wait_for_selector("[data-testid=audit-row]")
        assert "can never be changed or deleted" in await text(page, "audit-read-only")
        top = "[data-testid=audit-row] >> nth=0"
        assert await page.get_attribute(top, "data-action") == "company.updated"
        assert ADMIN in await page.inner_text(f"{top} >> [data-testid=audit-actor]")
        detail = await page.inner_text(f"{top} >> [data-testid=audit-detail]")
        assert "monthly_interview_minutes_limit, retention_days" in detail
        assert await page.query_selector("[data-testid=audit-table] button") is None
        await assert_fits(page)
        await screenshot(page, "company", "5-audit")

        # More than a page: "Load more" brings the rest, and the keyboard lands on the first new row.
        assert await page.locator("[data-testid=audit-row]").count() == 25
        await page.click("[data-testid=audit-more]")
        await page.wait_for_selector("[data-testid=audit-row] >> nth=25")
        await page.wait_for_function("() => document.activeElement?.closest('tr')?.rowIndex === 26")
        assert "(all)" in await text(page, "audit-summary")

        # Filtered to the admin's own company changes: exactly the one saved.
        await page.select_option("[data-testid=audit-action]", "company.updated")
        await page.wait_for_function(
            """() => [...document.querySelectorAll('[data-testid=audit-row]')]
                .every(row => row.dataset.action === 'company.updated')
                && document.querySelectorAll('[data-testid=audit-row]').length > 0"""
        )
        await page.select_option("[data-testid=audit-actor]", label=f"Ada ({ADMIN})")
        await page.wait_for_function(
            "() => document.querySelectorAll('[data-testid=audit-row]').length === 1"
        )
        assert "action=company.updated" in page.url
        mine = expect(await api.get("/v1/audit-events", params={"action": "company.updated"}), 200)["data"]
        assert len(mine) == SEEDED_CHANGES + 1
        assert mine[0]["actor_label"] == ADMIN
        assert mine[0]["detail"] == {"fields": ["monthly_interview_minutes_limit", "retention_days"]}
        assert await page.get_attribute(top, "data-event-id") == mine[0]["id"]
        await screenshot(page, "company", "6-audit-filtered")

        # A target id the API cannot take: said by the field, and the list stays as it was.
        await page.fill("[data-testid=audit-target]", "not an id!")
        await page.keyboard.press("Enter")
        await page.wait_for_selector("[data-testid=audit-target-error]:has-text('only letters, digits')")
        assert await focused(page) == "audit-target"
        assert await page.get_attribute("[data-testid=audit-target]", "aria-invalid") == "true"
        assert await page.locator("[data-testid=audit-row]").count() == 1
        await assert_fits(page)
        await screenshot(page, "company", "7-audit-bad-filter")
        assert errors == []
    finally:
        await context.close()
        await api.aclose()
