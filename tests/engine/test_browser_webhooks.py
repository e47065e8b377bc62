"""The Webhooks pages in a real browser (Debian's Chromium, driven by Playwright) on a 390 px wide phone,
against a real receiver on loopback: a reviewer does not see them; a webhooks admin adds an endpoint
(errors next to their fields, the signing secret shown once and copied), sends a test event that fails and
redelivers it until it arrives, edits, disables, rotates the secret, and deletes, with the keyboard where a
recruiter would use it. Markup in a URL or note stays text. Screenshots go to test-artifacts/webhooks/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser
from standardwebhooks.webhooks import Webhook

from config.recruiters import REVIEWER_SCOPES
from config.settings import Settings
from tests.chromium import requires_chromium, screenshot
from tests.engine.dashboard_helpers import assert_fits, focused, phone_page, seed_company, sign_in
from tests.engine.session_helpers import expect
from tests.server_thread import serve_seeded
from tests.webhook_receiver import WebhookReceiver

HOOKS_ADMIN, REVIEWER = "hana@acme.com", "rita@acme.com"
HOOK_SCOPES = [*REVIEWER_SCOPES, "read:webhooks", "write:webhooks", "delete:webhooks"]
XSS = "<img src=x onerror=window.__xss=1>"
HOSTILE_NOTE = f"ATS {XSS} prod"
HOSTILE_URL = f"https://example.com/hooks/{XSS}"
SECRET_RE = re.compile(r"^whsec_[A-Za-z0-9+/=]+$")

pytestmark = requires_chromium


@dataclass(frozen=True, slots=True)
class Seeded:
    admin_key: str


async def seed(settings: Settings) -> Seeded:
    return Seeded(await seed_company(settings, ((HOOKS_ADMIN, HOOK_SCOPES), (REVIEWER, None))))


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Seeded]]:
    # The receiver is on loopback; one attempt per delivery, so a failure is final at once.
    monkeypatch.setenv("IE_WEBHOOKS__ALLOW_PRIVATE", "true")
    monkeypatch.setenv("IE_WEBHOOKS__RETRY_SCHEDULE_S", "[0]")
    monkeypatch.setenv("IE_WEBHOOKS__POLL_S", "0.2")
    with serve_seeded(tmp_path, seed) as served:
        yield served


async def test_a_recruiter_manages_webhooks_and_sees_deliveries_arrive(
    server: tuple[str, Seeded], browser: Browser, receiver: WebhookReceiver
) -> None:
    base, seeded = server
    context, page, errors = await phone_page(browser, base, clipboard=True)
    try:
        # A reviewer's sign-in has no webhooks scopes: no link, and the page says why.
        await sign_in(page, base, REVIEWER)
        assert await page.is_hidden("[data-nav=webhooks]")
        await page.goto(f"{base}/review/webhooks")
        await page.wait_for_selector("[data-testid=webhooks-denied]")
        await page.click("[data-testid=signout]")
        await page.wait_for_selector("[data-testid=signin-form]", state="visible")

        await sign_in(page, base, HOOKS_ADMIN)
        await page.click("[data-nav=webhooks]")
        await page.wait_for_selector("[data-testid=endpoints] .state-empty")
        assert page.url == f"{base}/review/webhooks"
        assert await page.get_attribute("[data-nav=webhooks]", "aria-current") == "page"
        await assert_fits(page)
        await screenshot(page, "webhooks", "1-empty")

        # Nothing filled in, and "only these" with none ticked: each error by its field, focus on the first.
        await page.click("[data-testid=new-events-some]")
        await page.click("[data-testid=endpoint-create]")
        await page.wait_for_selector("[data-testid=endpoint-url-error]:not(:empty)")
        assert "at least one event" in await page.inner_text("[data-testid=new-events-error]")
        assert await focused(page) == "endpoint-url"
        assert await page.get_attribute("[data-testid=endpoint-url]", "aria-invalid") == "true"
        await assert_fits(page)
        await screenshot(page, "webhooks", "2-errors")

        # The API's own rule, shown by the URL (its 422 names `url`); the events error is gone.
        await page.fill("[data-testid=endpoint-url]", "ftp://example.com/hooks")
        await page.check("[data-testid='new-event-webhook.test']")
        await page.click("[data-testid=endpoint-create]")
        await page.wait_for_selector("[data-testid=endpoint-url-error]:has-text('http(s) URL')")
        assert await page.inner_text("[data-testid=new-events-error]") == ""
        assert await focused(page) == "endpoint-url"

        # Added: the secret shown once, focused, copied.
        await page.fill("[data-testid=endpoint-url]", receiver.url)
        await page.fill("[data-testid=endpoint-description]", HOSTILE_NOTE)
        await page.check("[data-testid='new-event-session.completed']")
        await page.click("[data-testid=endpoint-create]")
        field = await page.wait_for_selector("[data-testid=new-secret]")
        assert field is not None
        secret = await field.input_value()
        assert SECRET_RE.match(secret), secret
        assert await focused(page) == "new-secret"
        assert "will not be shown again" in await page.inner_text("[data-testid=secret-notice]")
        await page.click("[data-testid=copy-secret]")
        await page.wait_for_selector("[data-testid=copy-status]:has-text('Copied')")
        assert await page.evaluate("() => navigator.clipboard.readText()") == secret
        await assert_fits(page)
        await screenshot(page, "webhooks", "3-secret")
        await page.click("[data-testid=dismiss-secret]")
        await page.wait_for_selector("[data-testid=secret-notice]", state="detached")
        assert await focused(page) == "endpoint-link"

        # A second endpoint whose URL is markup: listed as text.
        await page.fill("[data-testid=endpoint-url]", HOSTILE_URL)
        await page.click("[data-testid=endpoint-create]")
        await page.wait_for_selector("[data-testid=secret-notice]")
        await page.click("[data-testid=dismiss-secret]")
        await page.wait_for_selector("[data-testid=endpoint-row] >> nth=1")
        await page.reload()
        await page.wait_for_selector("[data-testid=endpoint-row] >> nth=1")
        table = await page.inner_text("[data-testid=endpoints-table]")
        for shown in (HOSTILE_NOTE, HOSTILE_URL, "All events", "session.completed"):
            assert shown in table
        assert secret not in await page.content()
        assert await page.query_selector("[data-testid=endpoints-table] img") is None
        assert await page.evaluate("() => window.__xss") is None
        await assert_fits(page)
        await screenshot(page, "webhooks", "4-list")

        # The endpoint's page: a test event the receiver refuses, then redelivered until it arrives.
        await page.click(f"[data-testid=endpoint-link]:text-is('{receiver.url}')")
        await page.wait_for_selector("[data-testid=deliveries] .state-empty")
        assert await page.get_attribute("[data-nav=webhooks]", "aria-current") == "page"
        assert await page.inner_text("[data-testid=endpoint-note]") == HOSTILE_NOTE
        receiver.answer((500, {}))
        await page.click("[data-testid=endpoint-test]")
        await page.wait_for_selector("[data-testid=test-result][data-status=failed]")
        assert "HTTP 500" in await page.inner_text("[data-testid=test-result]")
        assert await focused(page) == "endpoint-test"
        row = "[data-testid=delivery-row] >> nth=0"
        await page.wait_for_selector("[data-testid=delivery-row][data-status=failed]")
        assert await page.inner_text(f"{row} >> [data-testid=delivery-status]") == "Failed"
        assert await page.inner_text(f"{row} >> [data-testid=delivery-attempts]") == "1"
        assert (await page.inner_text(f"{row} >> [data-testid=delivery-code]")).strip() == "500"
        assert await page.inner_text(f"{row} >> [data-testid=delivery-error]") == "HTTP 500"
        await assert_fits(page)
        await screenshot(page, "webhooks", "5-test-failed")

        await page.click(f"{row} >> [data-testid=redeliver]")
        await page.wait_for_selector("[data-testid=delivery-row][data-status=succeeded]")
        assert "sent again: delivered" in await page.inner_text("[data-testid=log-status]")
        assert await page.inner_text(f"{row} >> [data-testid=delivery-attempts]") == "2"
        assert (await page.inner_text(f"{row} >> [data-testid=delivery-code]")).strip() == "200"
        assert await focused(page) == "redeliver"
        await page.click(f"{row} >> .attempts summary")
        assert "HTTP 500" in await page.inner_text(f"{row} >> .attempt-list")
        await assert_fits(page)
        await screenshot(page, "webhooks", "6-redelivered")
        assert len(receiver.received) == 2
        assert len({r.headers["webhook-id"] for r in receiver.received}) == 1  # the same event, again
        for arrived in receiver.received:
            assert Webhook(secret).verify(arrived.body, arrived.headers)["type"] == "webhook.test"

        # A test event that arrives at once.
        await page.click("[data-testid=endpoint-test]")
        await page.wait_for_selector("[data-testid=test-result][data-status=succeeded]")
        result = await page.inner_text("[data-testid=test-result]")
        assert "delivered: the endpoint answered HTTP 200" in result
        assert len(receiver.received) == 3

        # Edit in a dialog: an error by its field; Escape cancels and focus goes back to Edit.
        await page.click("[data-testid=endpoint-edit]")
        await page.wait_for_selector("[data-testid=edit-endpoint]")
        assert await focused(page) == "edit-url"
        await page.fill("[data-testid=edit-url]", "")
        await page.keyboard.press("Enter")
        await page.wait_for_selector("[data-testid=edit-url-error]:not(:empty)")
        assert await focused(page) == "edit-url"
        await screenshot(page, "webhooks", "7-edit-errors")
        await page.keyboard.press("Escape")
        await page.wait_for_selector("[data-testid=edit-endpoint]", state="detached")
        assert await focused(page) == "endpoint-edit"
        assert await page.inner_text("[data-testid=endpoint-url]") == receiver.url

        # Disabled, every event: saved through the API and shown.
        await page.click("[data-testid=endpoint-edit]")
        await page.uncheck("[data-testid=edit-enabled]")
        await page.check("[data-testid=edit-events-all]")
        await page.click("[data-testid=edit-endpoint-save]")
        await page.wait_for_selector("[data-testid=endpoint-saved]")
        summary = await page.inner_text("[data-testid=endpoint-summary]")
        assert "Disabled" in summary
        assert "All events" in summary
        # Nothing can be redelivered to a disabled endpoint: the API's 409, shown.
        await page.click(f"{row} >> [data-testid=redeliver]")
        await page.wait_for_selector("[data-testid=redeliver-error]")
        assert "enable it first" in await page.inner_text("[data-testid=redeliver-error]")
        await page.click("[data-testid=endpoint-edit]")
        await page.check("[data-testid=edit-enabled]")
        await page.click("[data-testid=edit-endpoint-save]")
        await page.wait_for_selector("[data-testid=endpoint-summary] :text-is('Enabled')")

        # Rotate after a confirmation: a new secret, shown once; both secrets sign for a while.
        await page.click("[data-testid=endpoint-rotate]")
        await page.wait_for_selector("[data-testid=confirm-dialog]")
        await page.click("[data-testid=confirm-ok]")
        field = await page.wait_for_selector("[data-testid=new-secret]")
        assert field is not None
        rotated = await field.input_value()
        assert SECRET_RE.match(rotated)
        assert rotated != secret
        assert "previous secret also signs" in await page.inner_text("[data-testid=secret-notice]")
        assert "Also signs until" in await page.inner_text("[data-testid=endpoint-summary]")
        await assert_fits(page)
        await screenshot(page, "webhooks", "8-rotated")
        await page.click("[data-testid=dismiss-secret]")
        assert await focused(page) == "endpoint-rotate"
        await page.click("[data-testid=endpoint-test]")
        await page.wait_for_selector("[data-testid=test-result][data-status=succeeded]")
        last = receiver.received[-1]
        assert Webhook(rotated).verify(last.body, last.headers)
        assert Webhook(secret).verify(last.body, last.headers)

        # Delete: Escape cancels; then confirmed with the keyboard alone.
        await page.click("[data-testid=endpoint-delete]")
        await page.wait_for_selector("[data-testid=confirm-dialog]")
        await screenshot(page, "webhooks", "9-confirm-delete")
        await page.keyboard.press("Escape")
        await page.wait_for_selector("[data-testid=confirm-dialog]", state="detached")
        assert await focused(page) == "endpoint-delete"
        await page.keyboard.press("Enter")
        await page.wait_for_selector("[data-testid=confirm-dialog]")
        assert await focused(page) == "confirm-cancel"
        await page.keyboard.press("Tab")
        assert await focused(page) == "confirm-ok"
        await page.keyboard.press("Enter")
        await page.wait_for_selector("[data-testid=webhook-flash]")
        assert page.url == f"{base}/review/webhooks"
        await page.wait_for_selector("[data-testid=endpoint-row]")
        assert len(await page.query_selector_all("[data-testid=endpoint-row]")) == 1
        assert await page.evaluate("() => window.__xss") is None
        await assert_fits(page)
        await screenshot(page, "webhooks", "10-deleted")
        await page.set_viewport_size({"width": 1280, "height": 900})
        await screenshot(page, "webhooks", "11-desktop")
        assert errors == []
    finally:
        await context.close()

    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {seeded.admin_key}"}
    ) as admin:
        (left,) = expect(await admin.get("/v1/webhook-endpoints"), 200)["data"]
    assert (left["url"], left["event_types"], left["enabled"]) == (HOSTILE_URL, [], True)
