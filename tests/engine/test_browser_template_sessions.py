"""The Sessions tab of an interview (seed 002) in a real browser (Debian's Chromium, driven by Playwright)
on a 390 px wide phone, against a real SMTP server on loopback: a recruiter adds a candidate by hand with
a resume that fills the form (a duplicate email refused by its field; the invitation arrives and its link
opens the join page), imports a spreadsheet (a duplicate skipped; a file with an invalid row imports
nothing and says which cell), imports two resumes (one unreadable, one a duplicate fixed in place),
filters by seed 002's states (kept in the URL), copies and resends an invite link, cancels, retakes
(both sessions kept), and schedules a participant for a set time. Markup in a name stays text. Every
state is screenshotted and axe-checked (test-artifacts/template-sessions/)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page

from config.recruiters import REVIEWER_SCOPES
from config.settings import Settings
from engine.app import create_app
from tests.chromium import requires_chromium
from tests.engine.dashboard_helpers import focused, phone_page, seed_company, sign_in, smtp_env
from tests.engine.emails.helpers import emails_of
from tests.engine.session_helpers import expect, inline_participant, make_profile, make_stage, make_template
from tests.engine.template_sessions_helpers import (
    DOCX,
    PDF,
    XLSX,
    api_sessions,
    by_email,
    counts,
    file,
    invitations_to,
    resume_lines,
    row_of,
    sheet,
    shot,
)
from tests.resume_files import docx_bytes, minimal_pdf
from tests.server_thread import serve_seeded
from tests.smtp_receiver import SmtpReceiver

RECRUITER = "rita@acme.com"
SCOPES = [*REVIEWER_SCOPES, "write:participants"]
DEFAULT_BASE = "http://127.0.0.1:8000"  # Settings.public_base_url unset: where join links point
HOSTILE = "Ada <img src=x onerror=window.__xss=1> Lovelace"
DUP = "dan@example.com"  # Dan already has a session of the template

pytestmark = requires_chromium


@dataclass(frozen=True, slots=True)
class Seeded:
    key: str
    template: str


async def seed(settings: Settings) -> Seeded:
    key = await seed_company(settings, ((RECRUITER, SCOPES),))
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as client:
            profile = await make_profile(client)
            template = await make_template(client, name="Backend Engineer")
            stage = await make_stage(client, template["id"], profile["id"])
            tid = template["id"]
            # Pat: a participant of the template without a session; Dan: booked, not started; Cleo: a
            # test session, completed at once with a generated analysis.
            pat = {"name": "Pat Pending", "email": "pat@example.com", "evaluation_template_id": tid}
            expect(await client.post("/v1/participants", json=pat), 201)
            dan = inline_participant(name="Dan Booked", email=DUP)
            expect(await client.post("/v1/sessions", json={"stage_id": stage["id"], "participant": dan}), 201)
            cleo = inline_participant(name="Cleo Complete", email="cleo@example.com")
            body = {"stage_id": stage["id"], "participant": cleo, "is_test": True}
            expect(await client.post("/v1/sessions", json=body), 201)
            return Seeded(key, tid)


@pytest.fixture
def server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpReceiver
) -> Iterator[tuple[str, Seeded]]:
    smtp_env(monkeypatch, smtp, from_address="Acme <jobs@acme.example>")
    with serve_seeded(tmp_path, seed) as served:
        yield served


async def test_a_recruiter_adds_candidates_and_works_the_sessions_tab(
    server: tuple[str, Seeded], browser: Browser, smtp: SmtpReceiver
) -> None:
    base, seeded = server
    context, page, errors = await phone_page(browser, base, clipboard=True)
    client = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {seeded.key}"})
    try:
        await sign_in(page, base, RECRUITER, f"/review/templates/{seeded.template}")
        await page.wait_for_selector("[data-testid=ts-table]")
        assert await counts(page) == {
            "all": 2,
            "not_started": 1,
            "in_progress": 0,
            "completed": 1,
            "awaiting": 0,
        }
        await shot(page, "1-list")

        # "+ Add" by keyboard: Enter opens the menu on its first item, arrows move, Escape closes it.
        await page.focus("[data-testid=ts-add]")
        await page.keyboard.press("Enter")
        await page.wait_for_selector("#ts-add-menu", state="visible")
        assert await focused(page) == "ts-add-one"
        await page.keyboard.press("ArrowDown")
        assert await focused(page) == "ts-add-excel"
        await shot(page, "2-add-menu")
        await page.keyboard.press("Escape")
        await page.wait_for_selector("#ts-add-menu", state="hidden")
        assert await focused(page) == "ts-add"
        await page.keyboard.press("Enter")
        await page.keyboard.press("Enter")

        # Create individually: the resume fills the empty fields, to be checked.
        await page.wait_for_selector("[data-testid=ts-add-dialog]")
        resume = minimal_pdf(resume_lines("Ada Lovelace", DUP, "+44 20 7946 0958"))
        await page.set_input_files("[data-testid=ts-add-resume]", files=[file("ada.pdf", PDF, resume)])
        await page.wait_for_selector("[data-testid=ts-add-resume-status]:has-text('Filled from the resume')")
        assert await page.input_value("[data-testid=ts-add-name]") == "Ada Lovelace"
        assert await page.input_value("[data-testid=ts-add-email]") == DUP
        assert await page.input_value("[data-testid=ts-add-phone]")
        await shot(page, "3-add-filled")
        # Dan already has that email: the 409 shows by the email field, which takes focus.
        await page.fill("[data-testid=ts-add-name]", HOSTILE)
        await page.click("[data-testid=ts-add-dialog-save]")
        await page.wait_for_selector("[data-testid=ts-add-email-error]:has-text('already exists')")
        assert await focused(page) == "ts-add-email"
        await shot(page, "4-add-duplicate")
        await page.fill("[data-testid=ts-add-email]", "ada@example.com")
        await page.click("[data-testid=ts-add-dialog-save]")
        await page.wait_for_selector("[data-testid=ts-added]")
        ada_row = await row_of(page, "ada@example.com")
        assert await page.inner_text(f"{ada_row} >> [data-testid=ts-name]") == HOSTILE
        assert await page.query_selector("[data-testid=ts-table] img") is None
        ada = by_email(await api_sessions(client, seeded.template), "ada@example.com")
        assert [s["status"] for s in ada] == ["scheduled"]
        person = expect(await client.get(f"/v1/participants/{ada[0]['participant_id']}"), 200)
        assert person["phone"]
        assert person["background"]["skills"]
        # The resume file itself is kept with her: her page offers it for download, byte for byte.
        assert person["resume"]["filename"] == "ada.pdf"
        viewer = await context.new_page()
        await viewer.goto(f"{base}/review/participants/{person['id']}")
        await viewer.wait_for_selector("[data-testid=participant-resume]")
        async with viewer.expect_download() as fetched:
            await viewer.click("[data-testid=participant-resume]")
        saved = await (await fetched.value).path()
        assert await asyncio.to_thread(Path(saved).read_bytes) == resume
        await viewer.close()
        await shot(page, "5-added")

        # The invitation arrives; its link opens the join page.
        [text] = await invitations_to(smtp, "ada@example.com", 1)
        link = re.search(rf"{re.escape(DEFAULT_BASE)}/join/\S+", text)
        assert link, text
        candidate = await context.new_page()
        await candidate.goto(base + link.group(0)[len(DEFAULT_BASE) :])
        await candidate.wait_for_selector("#screen-setup", state="visible")
        await candidate.close()

        await import_spreadsheets(page, client, seeded)
        await import_resumes(page, client, seeded)
        await filter_and_act(page, client, seeded, smtp)
        await schedule_pat(page, client, seeded)

        assert await page.evaluate("() => window.__xss") is None
        assert errors == []
    finally:
        await client.aclose()
        await context.close()


async def open_menu_item(page: Page, testid: str) -> None:
    await page.click("[data-testid=ts-add]")
    await page.click(f"[data-testid={testid}]")


async def import_spreadsheets(page: Page, client: httpx.AsyncClient, seeded: Seeded) -> None:
    await open_menu_item(page, "ts-add-excel")
    await page.wait_for_selector("[data-testid=ts-excel]")
    href = await page.get_attribute("[data-testid=ts-excel-template]", "href")
    assert href
    download = await page.request.get(page.url.split("/review")[0] + href)
    assert download.status == 200
    assert download.headers["content-type"].startswith(XLSX)
    good = sheet(("Eve Excel", "eve@example.com"), ("Dan Again", DUP))
    await page.set_input_files("[data-testid=ts-excel-file]", files=[file("people.xlsx", XLSX, good)])
    await page.click("[data-testid=ts-excel-check]")
    await page.wait_for_selector("[data-testid=ts-excel-row]")
    statuses = await page.eval_on_selector_all(
        "[data-testid=ts-excel-row]", "els => els.map(e => e.dataset.status)"
    )
    assert statuses == ["would_create", "duplicate"]
    assert by_email(await api_sessions(client, seeded.template), "eve@example.com") == []  # a dry run
    await shot(page, "6-excel-checked")
    await page.click("[data-testid=ts-excel-import]:has-text('Import 1')")
    await page.wait_for_selector("[data-testid=ts-excel-summary]:has-text('Imported 1')")
    await shot(page, "7-excel-imported")
    await page.click("[data-testid=ts-excel-close]")
    await page.wait_for_selector("[data-testid=ts-imported]")
    await row_of(page, "eve@example.com")
    assert len(by_email(await api_sessions(client, seeded.template), "eve@example.com")) == 1

    # A file with an invalid row: each row's fate shown, the bad cell named, nothing imported.
    await open_menu_item(page, "ts-add-excel")
    bad = sheet(("Fay Fine", "fay@example.com"), ("Gus Broken", "not-an-email"))
    await page.set_input_files("[data-testid=ts-excel-file]", files=[file("bad.xlsx", XLSX, bad)])
    await page.click("[data-testid=ts-excel-check]")
    await page.wait_for_selector("[data-testid=ts-excel-row][data-status=invalid]")
    invalid = await page.inner_text("[data-testid=ts-excel-row][data-status=invalid]")
    assert "email" in invalid
    assert await page.is_hidden("[data-testid=ts-excel-import]")
    assert "Nothing has been imported" in await page.inner_text("[data-testid=ts-excel-summary]")
    await shot(page, "8-excel-invalid")
    await page.keyboard.press("Escape")
    await page.wait_for_selector("[data-testid=ts-excel]", state="detached")
    sessions = await api_sessions(client, seeded.template)
    assert by_email(sessions, "fay@example.com") == []


async def import_resumes(page: Page, client: httpx.AsyncClient, seeded: Seeded) -> None:
    await open_menu_item(page, "ts-add-resumes")
    await page.wait_for_selector("[data-testid=ts-resumes]")
    files = [
        file("bea.docx", DOCX, docx_bytes(resume_lines("Bea Baptiste", DUP, "+44 161 496 0000"))),
        file("broken.pdf", PDF, b"%PDF-1.4 this is not really a pdf"),
    ]
    await page.set_input_files("[data-testid=ts-resumes-files]", files=files)
    await page.click("[data-testid=ts-resumes-parse]")
    await page.wait_for_selector("[data-testid=ts-draft]")
    assert len(await page.query_selector_all("[data-testid=ts-draft]")) == 1
    assert "broken.pdf" in await page.inner_text("[data-testid=ts-resumes-failure]")
    assert await page.input_value("[data-testid=ts-draft-name]") == "Bea Baptiste"
    await shot(page, "9-resumes-parsed")
    # Bea's resume carries Dan's email: refused, the draft stays with the error by its email field.
    await page.click("[data-testid=ts-resumes-invite]:has-text('Invite 1')")
    await page.wait_for_selector("[data-testid=ts-draft-email-error]:has-text('already exists')")
    assert len(await page.query_selector_all("[data-testid=ts-draft]")) == 1
    await shot(page, "10-resumes-refused")
    await page.fill("[data-testid=ts-draft-email]", "bea@example.com")
    await page.click("[data-testid=ts-resumes-invite]")
    await page.wait_for_selector("[data-testid=ts-resumes-done]:has-text('bea@example.com')")
    await page.click("[data-testid=ts-resumes-close]")
    await page.wait_for_selector("[data-testid=ts-resumes-added]")
    await row_of(page, "bea@example.com")
    [bea] = by_email(await api_sessions(client, seeded.template), "bea@example.com")
    person = expect(await client.get(f"/v1/participants/{bea['participant_id']}"), 200)
    assert person["resume"]["filename"] == "bea.docx"  # the file kept, claimed on the second try


async def filter_and_act(page: Page, client: httpx.AsyncClient, seeded: Seeded, smtp: SmtpReceiver) -> None:
    assert await counts(page) == {
        "all": 5,
        "not_started": 4,
        "in_progress": 0,
        "completed": 1,
        "awaiting": 0,
    }
    await page.click("[data-testid=ts-filter-completed]")
    assert "state=completed" in page.url
    names = await page.eval_on_selector_all("[data-testid=ts-name]", "els => els.map(e => e.textContent)")
    assert names == ["Cleo Complete"]
    assert await page.inner_text("[data-testid=ts-rating]")
    await page.reload()  # the filter lives in the URL
    await page.wait_for_selector("[data-testid=ts-filter-completed][aria-pressed=true]")
    await page.wait_for_selector("[data-testid=ts-recommendation]")
    await shot(page, "11-completed")
    await page.click("[data-testid=ts-filter-not_started]")
    assert "state=not_started" in page.url
    assert len(await page.query_selector_all("[data-testid=ts-row]")) == 4

    # Copy and resend Ada's invitation.
    ada = await row_of(page, "ada@example.com")
    await page.click(f"{ada} >> [data-testid=ts-copy]")
    await page.wait_for_selector(f"{ada} >> [data-testid=ts-row-status]:has-text('Link copied')")
    [session] = by_email(await api_sessions(client, seeded.template), "ada@example.com")
    assert await page.evaluate("() => navigator.clipboard.readText()") == session["join_url"]
    # An invitation is not sent twice within 10 s of the last: wait that out.
    first = (await emails_of(client, session["id"]))[0]
    age = datetime.now(UTC) - datetime.fromisoformat(first["created_at"])
    await asyncio.sleep(max(0.0, 10.5 - age.total_seconds()))
    await page.click(f"{ada} >> [data-testid=ts-resend]")
    await page.wait_for_selector(f"{ada} >> [data-testid=ts-row-status]:has-text('sent again')")
    await invitations_to(smtp, "ada@example.com", 2)
    await shot(page, "12-resent")

    # Cancel (confirmed), then retake: both kept, side by side.
    await page.click("[data-testid=ts-filter-all]")
    ada = await row_of(page, "ada@example.com")
    await page.click(f"{ada} >> [data-testid=ts-cancel]")
    await page.wait_for_selector("[data-testid=confirm-dialog]")
    await shot(page, "13-cancel-confirm")
    await page.click("[data-testid=confirm-ok]")
    await page.wait_for_selector("[data-testid=ts-cancelled]")
    ada = await row_of(page, "ada@example.com")
    assert await page.get_attribute(ada, "data-status") == "cancelled"
    await page.click(f"{ada} >> [data-testid=ts-retake-button]")
    await page.click("[data-testid=confirm-ok]")
    await page.wait_for_selector("[data-testid=ts-retaken]")
    rows = await page.eval_on_selector_all(
        "[data-testid=ts-row]", "els => els.map(e => [e.dataset.participantId, e.dataset.status])"
    )
    sessions = by_email(await api_sessions(client, seeded.template), "ada@example.com")
    assert sorted(s["status"] for s in sessions) == ["cancelled", "scheduled"]
    pid = sessions[0]["participant_id"]
    at = [i for i, (p, _) in enumerate(rows) if p == pid]
    assert len(at) == 2, rows
    assert at[1] == at[0] + 1, rows  # adjacent: the retake beside the earlier one
    assert [rows[i][1] for i in at] == ["scheduled", "cancelled"]
    assert await page.is_visible(f"{await row_of(page, 'ada@example.com')} >> [data-testid=ts-retake]")
    await shot(page, "14-retake")


async def schedule_pat(page: Page, client: httpx.AsyncClient, seeded: Seeded) -> None:
    await page.click("[data-testid=ts-schedule]")
    await page.wait_for_selector("[data-testid=ts-schedule-dialog]")
    emails = await page.eval_on_selector_all("[data-testid=ts-pick]", "els => els.map(e => e.dataset.email)")
    # Cleo's session is over and Pat has none; everyone else has one open.
    assert emails == ["cleo@example.com", "pat@example.com"]
    await page.check("[data-testid=ts-pick][data-email='pat@example.com']")
    when = (datetime.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    await page.fill("#ts-schedule-time", when.strftime("%Y-%m-%dT%H:%M"))
    await shot(page, "15-schedule")
    await page.click("[data-testid=ts-schedule-dialog-save]")
    await page.wait_for_selector("[data-testid=ts-scheduled]")
    [pat] = by_email(await api_sessions(client, seeded.template), "pat@example.com")
    booked = datetime.fromisoformat(pat["schedule_time"])
    assert abs(booked - when.astimezone(UTC)) < timedelta(minutes=1)

    # Dan's session moves: a time in the past is refused by its field, a later one is saved.
    dan = await row_of(page, DUP)
    await page.click(f"{dan} >> [data-testid=ts-reschedule]")
    await page.wait_for_selector("[data-testid=ts-reschedule-dialog]")
    await page.fill("#ts-reschedule-time", (when - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"))
    await page.click("[data-testid=ts-reschedule-dialog-save]")
    await page.wait_for_selector("#ts-reschedule-time-error:has-text('from now on')")
    await shot(page, "16-reschedule-error")
    later = when + timedelta(days=1)
    await page.fill("#ts-reschedule-time", later.strftime("%Y-%m-%dT%H:%M"))
    await page.click("[data-testid=ts-reschedule-dialog-save]")
    await page.wait_for_selector("[data-testid=ts-rescheduled]")
    [moved] = by_email(await api_sessions(client, seeded.template), DUP)
    assert abs(datetime.fromisoformat(moved["schedule_time"]) - later.astimezone(UTC)) < timedelta(minutes=1)

    # A session in progress shows under In progress.
    expect(await client.patch(f"/v1/sessions/{pat['id']}", json={"status": "in_progress"}), 200)
    await page.click("[data-testid=ts-filter-in_progress]")
    await page.reload()
    await page.wait_for_selector("[data-testid=ts-filter-in_progress][aria-pressed=true]")
    await page.wait_for_selector("[data-testid=ts-row]")
    names = await page.eval_on_selector_all("[data-testid=ts-name]", "els => els.map(e => e.textContent)")
    assert names == ["Pat Pending"]
    await shot(page, "17-in-progress")
