"""The email templates page in a real browser (Debian's Chromium, driven by Playwright) on a 390 px wide
phone, against an engine that sends through a real SMTP server on loopback: a recruiter edits the
invitation's subject and HTML, inserting placeholders with their buttons (by mouse and by keyboard), types
hostile markup that the sandboxed preview never runs, saves, reloads and sees it, and a booked session's
invitation arrives as saved, the participant's name escaped; an unknown placeholder is refused next to its
field, leaving with unsaved edits asks first, and the default comes back. Every state passes axe-core.
Screenshots go to test-artifacts/email-templates/."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page

from config.recruiters import REVIEWER_SCOPES
from config.settings import Settings
from engine.api.context import Services
from engine.app import create_app
from engine.auth import issue_api_key
from tests.chromium import ARTIFACTS, requires_chromium, screenshot
from tests.engine.dashboard_helpers import (
    PASSWORD,
    assert_fits,
    focused,
    phone_page,
    sign_in,
    smtp_env,
)
from tests.engine.session_helpers import (
    book,
    expect,
    inline_participant,
    make_profile,
    make_stage,
    make_template,
)
from tests.server_thread import serve_seeded
from tests.smtp_receiver import Arrived, SmtpReceiver

EDITOR, REVIEWER = "erin@acme.com", "rita@acme.com"
# Every page's read scope too, so the header holds all its links (it must still fit the phone).
SCOPES = [
    *REVIEWER_SCOPES,
    *("read:templates", "write:templates", "delete:templates"),
    *("read:api_keys", "read:webhooks", "read:recruiters"),
]
# The company's name is a placeholder value in every email (and the preview uses the real one).
COMPANY = "Acme <img src=x onerror=window.__xss=3>"
COMPANY_ESCAPED = "Acme &lt;img src=x onerror=window.__xss=3&gt;"
PARTICIPANT = "Grace <img src=x onerror=window.__xss=4> Hopper"
PARTICIPANT_ESCAPED = "Grace &lt;img src=x onerror=window.__xss=4&gt; Hopper"
HOSTILE = "<script>window.__xss=1</script><img src=x onerror=window.__xss=2>"
DEFAULT_SUBJECT = "Your interview with $company_name: $interview_title"
SUBJECT = "Interview for $interview_title, $participant_name"
HTML = f"<p>Dear $participant_name, welcome to $company_name.</p>{HOSTILE}"
PATH = "/v1/email-templates/invitation"
SHOTS = "email-templates"

pytestmark = requires_chromium


@dataclass(frozen=True, slots=True)
class Seeded:
    admin_key: str
    stage_id: str


async def seed(settings: Settings) -> Seeded:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        services: Services = app.state.services
        async with services.database.transaction() as db:
            issued = await issue_api_key(db, COMPANY, services.clock, name="Admin")
        headers = {"Authorization": f"Bearer {issued.secret_key}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as client:
            for email, scopes in ((EDITOR, SCOPES), (REVIEWER, None)):  # None: the default, read-only
                body = {"email": email, "name": "Someone", "password": PASSWORD, "scopes": scopes}
                expect(await client.post("/v1/recruiters", json=body), 201)
            profile = await make_profile(client)
            template = await make_template(client, name="Support engineer")
            stage = await make_stage(client, template["id"], profile["id"])
    return Seeded(issued.secret_key, stage["id"])


@pytest.fixture
def server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpReceiver
) -> Iterator[tuple[str, Seeded]]:
    smtp_env(monkeypatch, smtp, from_address="Acme Interviews <interviews@acme.example>")
    with serve_seeded(tmp_path, seed) as served:
        yield served


async def preview_body(page: Page) -> str:
    """The text of the sandboxed preview's document (read through the browser's tooling, not a script).
    The frame loads its document after the preview says it is ready (after a reload on a loaded
    machine, it was still empty), so this waits up to 10 s for it to hold text."""
    body = page.frame_locator("[data-testid=preview-html]").locator("body")
    text = ""
    for _ in range(100):
        text = await body.inner_text()
        if text.strip():
            break
        await asyncio.sleep(0.1)
    return text


async def arrival(smtp: SmtpReceiver) -> Arrived:
    for _ in range(300):
        if smtp.messages():
            return smtp.messages()[0]
        await asyncio.sleep(0.05)
    raise AssertionError("no email arrived on the SMTP server")


async def test_a_recruiter_edits_previews_saves_and_restores_the_invitation(
    server: tuple[str, Seeded], browser: Browser, smtp: SmtpReceiver
) -> None:
    base, seeded = server
    admin = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {seeded.admin_key}"})
    context, page, errors = await phone_page(browser, base)
    try:
        # A reviewer reads the templates and their preview, and can change nothing.
        await sign_in(page, base, REVIEWER, "/review/email-templates")
        await page.wait_for_selector("[data-testid=email-preview][data-state=ready]")
        assert await page.is_visible("[data-testid=email-read-only]")
        assert await page.get_attribute("[data-testid=email-subject]", "readonly") is not None
        assert await page.query_selector("[data-testid=email-save]") is None
        assert await page.query_selector("[data-testid=email-restore]") is None
        assert await page.query_selector("[data-testid=subject-placeholders]") is None
        assert "Hello Alex Example," in await preview_body(page)
        await assert_fits(page)
        await screenshot(page, SHOTS, "0-read-only")
        await page.click("[data-testid=signout]")
        await page.wait_for_selector("[data-testid=signin-form]", state="visible")

        # Every link of the header, on a phone, without sideways scrolling.
        await sign_in(page, base, EDITOR)
        for nav in ("sessions", "templates", "profiles", "email-templates", "api-keys", "webhooks", "team"):
            assert await page.is_visible(f"[data-nav={nav}]"), nav
        await assert_fits(page)

        # The four kinds, all built in; the invitation in the editor, previewed by the server.
        await page.click("[data-nav=email-templates]")
        await page.wait_for_selector("[data-testid=email-preview][data-state=ready]")
        assert await page.get_attribute("[data-nav=email-templates]", "aria-current") == "page"
        kinds = page.locator("[data-testid=email-kind]")
        assert await kinds.evaluate_all("items => items.map(i => [i.dataset.kind, i.dataset.origin])") == [
            ["invitation", "default"],
            ["reminder", "default"],
            ["cancellation", "default"],
            ["reschedule", "default"],
        ]
        assert await page.input_value("[data-testid=email-subject]") == DEFAULT_SUBJECT
        assert await page.inner_text("[data-testid=email-editor] [data-testid=template-origin]") == "Built-in"
        assert await page.is_hidden("[data-testid=email-restore]")
        subject = await page.inner_text("[data-testid=preview-subject]")
        assert subject == f"Your interview with {COMPANY}: Customer support interview"
        shown = await preview_body(page)
        assert "Hello Alex Example," in shown
        assert COMPANY in shown  # the company's name as text, not as an image
        frame = page.frame_locator("[data-testid=preview-html]")
        assert await frame.locator("img").count() == 0
        assert await page.get_attribute("[data-testid=preview-html]", "sandbox") == ""
        assert "Open the interview:" in await page.inner_text("[data-testid=preview-text]")
        await assert_fits(page)
        await screenshot(page, SHOTS, "1-invitation")

        # The subject: typed, then a placeholder inserted at the cursor with its button.
        await page.fill("[data-testid=email-subject]", "Interview for $interview_title, ")
        await page.click("[data-testid=subject-placeholders] summary")
        await page.click("[data-testid=insert-subject-participant_name]")
        assert await page.input_value("[data-testid=email-subject]") == SUBJECT
        assert await focused(page) == "email-subject"
        assert await page.inner_text("[data-testid=email-unsaved]") == "Unsaved changes"
        await page.wait_for_selector(
            "[data-testid=preview-subject]:text-is('Interview for Customer support interview, Alex Example')"
        )

        # The HTML, by keyboard alone: the cursor after "Dear ", Tab to the placeholders, Enter twice.
        html = page.locator("[data-testid=email-html]")
        await html.fill("<p>Dear , welcome to $company_name.</p>")
        await html.press("Control+Home")
        for _ in range(len("<p>Dear ")):
            await html.press("ArrowRight")
        await page.keyboard.press("Tab")
        await page.keyboard.press("Enter")  # opens "Insert a placeholder"
        await page.keyboard.press("Tab")
        assert await focused(page) == "insert-html-participant_name"
        await page.keyboard.press("Enter")
        assert await focused(page) == "email-html"
        await html.press("Control+End")
        await html.press_sequentially(HOSTILE)
        assert await html.input_value() == HTML
        await page.wait_for_function(
            "() => document.querySelector('[data-testid=preview-text]') && "
            "document.querySelector('[data-testid=email-preview]').dataset.state === 'ready' && "
            "!document.querySelector('[data-testid=email-preview]').hasAttribute('aria-busy')"
        )
        await page.wait_for_timeout(800)  # past the preview's pause, and time for any script to try
        shown = await preview_body(page)
        assert f"Dear Alex Example, welcome to {COMPANY}." in shown
        # The template's own markup is in the preview's document, and none of it ran.
        assert await frame.locator("img[src=x]").count() == 1
        assert await frame.locator("script").count() == 1
        assert await page.evaluate("() => window.__xss") is None
        element = await page.query_selector("[data-testid=preview-html]")
        inner = await element.content_frame() if element else None
        assert inner is not None
        assert await inner.evaluate("() => window.__xss") is None  # not even inside its own frame
        await assert_fits(page)
        await screenshot(page, SHOTS, "2-edited")
        # A full-page picture leaves the sandboxed frame blank (it is drawn by a process of its own).
        await page.locator("[data-testid=email-preview]").screenshot(path=ARTIFACTS / SHOTS / "2-preview.png")

        # Saved through the API; the list and the editor say it is the company's own now.
        await page.click("[data-testid=email-save]")
        await page.wait_for_selector("[data-testid=email-saved]")
        assert await page.inner_text("[data-testid=email-unsaved]") == ""
        assert await page.is_visible("[data-testid=email-restore]")
        await page.wait_for_selector("[data-testid=email-kind][data-kind=invitation][data-origin=own]")
        stored = expect(await admin.get(PATH), 200)
        assert (stored["subject"], stored["html"], stored["is_default"]) == (SUBJECT, HTML, False)

        # After a reload, the saved text is what the editor holds.
        await page.reload()
        await page.wait_for_selector("[data-testid=email-preview][data-state=ready]")
        assert await page.input_value("[data-testid=email-subject]") == SUBJECT
        assert await page.input_value("[data-testid=email-html]") == HTML
        assert await page.inner_text("[data-testid=email-editor] [data-testid=template-origin]") == "Your own"
        assert f"Dear Alex Example, welcome to {COMPANY}." in await preview_body(page)
        assert await page.evaluate("() => window.__xss") is None
        await assert_fits(page)
        await screenshot(page, SHOTS, "3-saved")

        # What a participant gets is the saved template, their name (markup) escaped in the HTML.
        await book(admin, stage_id=seeded.stage_id, participant=inline_participant(name=PARTICIPANT))
        mail = await arrival(smtp)
        assert mail.subject == f"Interview for Support engineer, {PARTICIPANT}"
        assert mail.html.strip() == (
            f"<p>Dear {PARTICIPANT_ESCAPED}, welcome to {COMPANY_ESCAPED}.</p>{HOSTILE}"
        )

        # An unknown placeholder: the API's 422 next to the subject, which takes focus.
        await page.fill("[data-testid=email-subject]", "Hello $candidate")
        await page.click("[data-testid=email-save]")
        await page.wait_for_selector("[data-testid=email-subject-error]:not(:empty)")
        assert "Unknown placeholder $candidate" in await page.inner_text("[data-testid=email-subject-error]")
        assert await page.get_attribute("[data-testid=email-subject]", "aria-invalid") == "true"
        assert await focused(page) == "email-subject"
        assert await page.inner_text("[data-testid=email-html-error]") == ""
        await page.wait_for_selector("[data-testid=preview-problem]")
        assert expect(await admin.get(PATH), 200)["subject"] == SUBJECT
        await assert_fits(page)
        await screenshot(page, SHOTS, "4-unknown-placeholder")

        # Leaving with unsaved edits asks first; Escape stays, with the edits.
        await page.click("[data-nav=sessions]")
        await page.wait_for_selector("[data-testid=confirm-dialog]")
        assert "not saved" in await page.inner_text("[data-testid=confirm-dialog]")
        await screenshot(page, SHOTS, "5-leave-unsaved")
        await page.keyboard.press("Escape")
        await page.wait_for_selector("[data-testid=confirm-dialog]", state="detached")
        assert page.url.endswith("/review/email-templates")
        assert await page.input_value("[data-testid=email-subject]") == "Hello $candidate"

        # Restore the default after a confirmation: the built-in text is back, and nothing is unsaved.
        await page.click("[data-testid=email-restore]")
        await page.wait_for_selector("[data-testid=confirm-dialog]")
        await page.click("[data-testid=confirm-ok]")
        await page.wait_for_selector("[data-testid=email-restored]")
        assert await page.input_value("[data-testid=email-subject]") == DEFAULT_SUBJECT
        assert await page.inner_text("[data-testid=email-subject-error]") == ""
        assert await page.inner_text("[data-testid=email-unsaved]") == ""
        assert await page.is_hidden("[data-testid=email-restore]")
        await page.wait_for_selector("[data-testid=email-kind][data-kind=invitation][data-origin=default]")
        await page.wait_for_selector("[data-testid=preview-subject]:has-text('Your interview with')")
        assert expect(await admin.get(PATH), 200)["is_default"]
        await assert_fits(page)
        await screenshot(page, SHOTS, "6-restored")

        # Edits not saved, then another kind: leaving is confirmed by keyboard, and the reminder opens.
        await page.fill("[data-testid=email-text]", "Changed my mind")
        await page.click("[data-testid=email-kind-link]:text-is('Reminder')")
        await page.wait_for_selector("[data-testid=confirm-dialog]")
        assert await focused(page) == "confirm-cancel"
        await page.keyboard.press("Tab")
        await page.keyboard.press("Enter")
        await page.wait_for_selector("[data-testid=email-editor][data-kind=reminder]")
        assert page.url.endswith("/review/email-templates?kind=reminder")
        assert expect(await admin.get(PATH), 200)["is_default"]  # the edit was dropped, not saved
        await page.set_viewport_size({"width": 1280, "height": 900})
        await page.wait_for_selector("[data-testid=email-preview][data-state=ready]")
        await screenshot(page, SHOTS, "7-desktop")
        assert await page.evaluate("() => window.__xss") is None
        assert errors == []
    finally:
        await context.close()
        await admin.aclose()
