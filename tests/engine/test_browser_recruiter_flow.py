"""Issue 14's whole journey in one browser run (Debian's Chromium, driven by Playwright, desktop size; the
per-page tests cover the phone), as a recruiter would take it, against a real SMTP server and a real
webhook receiver on loopback. Signed in as the company's admin, the recruiter builds an interviewer with
a rubric, starts an interview from the hiring preset, gives it two stages run by that interviewer and
swaps their order; on the Sessions tab they add a candidate by hand (a resume fills the form) with an
interview time, import two from a spreadsheet (checked, then imported) and one from a resume. Each
invitation arrives by email; the candidate opens the link from theirs in a browser of their own and the
join page names the interview. The session is then completed, found under "Waiting for a decision" (its
stage leaves the embedded scorer's verdict to a person) and under Completed with its rating, and reviewed
on its page, where the recruiter approves the result beside the scorecard; the recruiter adds a webhook
endpoint (the secret shown once) and sends it a test event, and creates and revokes an API key.

How the session is completed: the candidate's side of a real call (tests/engine/test_browser_join.py)
needs Chromium's fake microphone playing synthesised answers and the speech models, and takes minutes
on two cores. Here, as in tests/engine/test_browser_review.py, the session is started and completed
through the API with a transcript of three strong answers stored in between
(recruiter_flow_helpers.complete_with_transcript); everything after that (the engine's analysis, the
result waiting, the pipeline advancing the candidate to the second stage once approved and inviting them
again, what the pages show) is the engine's own doing.

The only API calls: seeding the company and its admin recruiter, completing the session as above, and
reading state back to check what the pages did. Each page state is screenshotted and checked by axe-core
(test-artifacts/recruiter-flow/)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser

from config.settings import Settings
from engine.auth import ALL_SCOPES
from tests.chromium import requires_chromium
from tests.engine.dashboard_helpers import seed_company, sign_in
from tests.engine.recruiter_flow_helpers import (
    DESKTOP,
    Flow,
    Shots,
    analysed,
    complete_with_transcript,
    join_path,
    manage_keys,
    manage_webhooks,
)
from tests.engine.session_helpers import JSON, expect
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
)
from tests.resume_files import docx_bytes, minimal_pdf
from tests.server_thread import serve_seeded
from tests.smtp_receiver import SmtpReceiver
from tests.webhook_receiver import WebhookReceiver

ADMIN = "ria@acme.com"
PROFILE = "Backend Interviewer"
RUBRIC = (
    ("System Design", "Designs for scale", 50),
    ("Communication", "Explains clearly", 30),
    ("Ownership", "Owns outcomes", 20),
)
INTERVIEW = "Senior Backend Engineer"
ADA = "ada@example.com"  # added by hand; completes the first stage
SHEET = (("Eve Excel", "eve@example.com"), ("Finn Sheet", "finn@example.com"))
BEA = "bea@example.com"  # from a resume

pytestmark = requires_chromium


@dataclass(frozen=True, slots=True)
class Served:
    base: str
    key: str  # the seeded admin key: for reading state back
    database_url: str


async def seed(settings: Settings) -> tuple[str, str]:
    assert settings.database_url is not None
    return await seed_company(settings, ((ADMIN, list(ALL_SCOPES)),)), settings.database_url


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hooks = WebhookReceiver()
    hooks.start()
    try:
        yield hooks
    finally:
        hooks.stop()


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpReceiver) -> Iterator[Served]:
    monkeypatch.setenv("IE_SMTP__HOST", "127.0.0.1")
    monkeypatch.setenv("IE_SMTP__PORT", str(smtp.port))
    monkeypatch.setenv("IE_SMTP__SECURITY", "none")
    monkeypatch.setenv("IE_SMTP__FROM_ADDRESS", "Acme <jobs@acme.example>")
    monkeypatch.setenv("IE_EMAIL__POLL_S", "0.05")
    # The webhook receiver is on loopback; one attempt, so a failed test event says so at once.
    monkeypatch.setenv("IE_WEBHOOKS__ALLOW_PRIVATE", "true")
    monkeypatch.setenv("IE_WEBHOOKS__RETRY_SCHEDULE_S", "[0]")
    monkeypatch.setenv("IE_WEBHOOKS__POLL_S", "0.2")
    with serve_seeded(tmp_path, seed) as (base, (key, database_url)):
        yield Served(base, key, database_url)


async def test_a_recruiter_takes_the_whole_journey_in_the_dashboard(
    server: Served, browser: Browser, smtp: SmtpReceiver, receiver: WebhookReceiver
) -> None:
    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    headers = {"Authorization": f"Bearer {server.key}"}
    try:
        async with httpx.AsyncClient(base_url=server.base, headers=headers) as api:
            flow = Flow(page, api, Shots())
            await sign_in(page, server.base, ADMIN)
            await flow.shot(page, "signed-in")
            profile = await build_profile(flow)
            template = await new_interview(flow)
            await build_stages(flow, template, profile)
            await add_by_hand(flow, template)
            await import_sheet(flow, template)
            await import_resume(flow, template)
            session = await invitations_arrive(flow, template, smtp)
            await candidate_opens_the_link(flow, browser, server.base, smtp, session)
            await complete_and_filter(flow, server, template, session, smtp)
            await review(flow, session, template, smtp)
            await manage_webhooks(flow, receiver)
            await manage_keys(flow, server.base, str(session["id"]))
        assert errors == []
    finally:
        await context.close()


async def build_profile(flow: Flow) -> str:
    page = flow.page
    await page.click("[data-nav=profiles]")
    await page.click("[data-testid=profile-new]")
    await page.wait_for_selector("[data-testid=profile-form]")
    await page.fill("[data-testid=profile-name]", PROFILE)
    await page.fill("[data-testid=profile-intro]", "Alex, a senior engineer at Acme.")
    for index, (name, description, weight) in enumerate(RUBRIC):
        await page.click("[data-testid=rubric-add]")
        row = f"[data-testid=rubric-row] >> nth={index}"
        await page.fill(f"{row} >> [data-testid=dim-name]", name)
        await page.fill(f"{row} >> [data-testid=dim-description]", description)
        await page.fill(f"{row} >> [data-testid=dim-weight]", str(weight))
    assert (await page.inner_text("[data-testid=rubric-total]")).strip() == "Total 100 of 100."
    await flow.shot(page, "profile-filled")
    await page.click("[data-testid=profile-save]")
    await page.wait_for_selector("[data-testid=profile-flash]")
    profile_id = page.url.rsplit("/", 1)[1]
    assert (await page.inner_text("[data-testid=profile-title]")).strip() == PROFILE
    await flow.shot(page, "profile-created")
    stored = expect(await flow.api.get(f"/v1/agent-profiles/{profile_id}"), 200)
    assert stored["name"] == PROFILE
    assert [(d["name"], d["description"], d["weight"]) for d in stored["rubric"]] == list(RUBRIC)
    return profile_id


async def new_interview(flow: Flow) -> str:
    page = flow.page
    await page.click("[data-nav=templates]")
    await page.click("[data-testid=template-new]")
    await page.wait_for_selector("[data-testid=new-template]")
    assert await page.is_checked("[data-testid=preset-hiring]")
    assert await page.input_value("[data-testid=new-template-outcome]") == "hire_no_hire"
    await page.fill("[data-testid=new-template-name]", INTERVIEW)
    await flow.shot(page, "interview-new")
    await page.click("[data-testid=new-template-save]")
    await page.wait_for_selector("[data-testid=template-flash]")
    found = re.search(r"/review/templates/([^/?]+)\?tab=settings$", page.url)
    assert found, page.url
    assert await page.inner_text("[data-testid=template-title]") == INTERVIEW
    await flow.shot(page, "interview-created")
    made = expect(await flow.api.get(f"/v1/templates/{found.group(1)}"), 200)
    assert (made["name"], made["use_case"], made["success_outcome"]) == (INTERVIEW, "hiring", "hire_no_hire")
    return found.group(1)


async def pipeline(api: httpx.AsyncClient, template: str) -> list[tuple[str, str]]:
    listed = expect(await api.get(f"/v1/templates/{template}/stages"), 200)["data"]
    return [(s["name"], s["agent_profile_id"]) for s in sorted(listed, key=lambda s: s["order"])]


async def build_stages(flow: Flow, template: str, profile: str) -> None:
    page = flow.page
    await page.click("[data-testid=tab-stages]")
    await page.wait_for_selector("[data-testid=stages] .state-empty")
    for index, name in enumerate(("Phone screen", "Technical")):
        await page.click("[data-testid=stage-add]")
        await page.wait_for_selector("[data-testid=stage-dialog]")
        await page.fill("[data-testid=stage-name]", name)
        assert await page.input_value("[data-testid=stage-profile]") == profile
        assert not await page.is_checked("[data-testid=stage-embedded-decides]")  # off by default
        if not index:
            # The phone screen lets the embedded scorer decide alone; the technical interview (Ada's,
            # once moved first) leaves it off, so her result will wait for a person.
            await page.check("[data-testid=stage-embedded-decides]")
        else:
            await flow.shot(page, "stage-dialog")
        await page.click("[data-testid=stage-dialog-save]")
        await page.wait_for_selector(f"[data-testid=stage-item] >> nth={index}")
    assert await pipeline(flow.api, template) == [("Phone screen", profile), ("Technical", profile)]
    listed = expect(await flow.api.get(f"/v1/templates/{template}/stages"), 200)["data"]
    assert {s["name"]: s["embedded_scorer_decides"] for s in listed} == {
        "Phone screen": True,
        "Technical": False,
    }
    assert await page.locator("[data-testid=stage-embedded-decides-value]").all_text_contents() == [
        "Decides alone",
        "A person confirms its verdicts",
    ]

    # The technical interview first: moved up with the keyboard.
    await page.focus("[aria-label='Move Technical up']")
    await page.keyboard.press("Enter")
    await page.wait_for_selector(
        "[data-testid=stage-announcer]:has-text('Moved Technical to position 1 of 2.')"
    )
    await page.wait_for_selector("[data-testid=stage-list]:not([data-saving])")
    assert await page.locator("[data-testid=stage-title]").all_text_contents() == [
        "Stage 1 of 2: Technical",
        "Stage 2 of 2: Phone screen",
    ]
    assert await pipeline(flow.api, template) == [("Technical", profile), ("Phone screen", profile)]
    await flow.shot(page, "stages")


async def add_by_hand(flow: Flow, template: str) -> None:
    page = flow.page
    await page.click("[data-testid=tab-sessions]")
    await page.wait_for_selector("[data-testid=panel-sessions] .state-empty")
    await page.click("[data-testid=ts-add]")
    await page.click("[data-testid=ts-add-one]")
    await page.wait_for_selector("[data-testid=ts-add-dialog]")
    resume = minimal_pdf(resume_lines("Ada Lovelace", ADA, "+44 20 7946 0958"))
    await page.set_input_files("[data-testid=ts-add-resume]", files=[file("ada.pdf", PDF, resume)])
    await page.wait_for_selector("[data-testid=ts-add-resume-status]:has-text('Filled from the resume')")
    assert await page.input_value("[data-testid=ts-add-name]") == "Ada Lovelace"
    assert await page.input_value("[data-testid=ts-add-email]") == ADA
    # Booked for tomorrow at 10:00 (the browser's local time, which is the test's).
    when = (datetime.now() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    await page.fill("#ts-add-schedule", when.strftime("%Y-%m-%dT%H:%M"))
    await flow.shot(page, "add-by-hand")
    await page.click("[data-testid=ts-add-dialog-save]")
    await page.wait_for_selector("[data-testid=ts-added]")
    await row_of(page, ADA)
    [ada] = by_email(await api_sessions(flow.api, template), ADA)
    assert (ada["participant_name"], ada["status"]) == ("Ada Lovelace", "scheduled")
    stages = {
        s["id"]: s["name"]
        for s in expect(await flow.api.get(f"/v1/templates/{template}/stages"), 200)["data"]
    }
    assert stages[ada["stage_id"]] == "Technical"
    assert abs(datetime.fromisoformat(ada["schedule_time"]) - when.astimezone(UTC)) < timedelta(minutes=1)
    person = expect(await flow.api.get(f"/v1/participants/{ada['participant_id']}"), 200)
    assert person["phone"]
    assert "Python" in person["background"]["skills"]
    await flow.shot(page, "added-by-hand")


async def import_sheet(flow: Flow, template: str) -> None:
    page = flow.page
    await page.click("[data-testid=ts-add]")
    await page.click("[data-testid=ts-add-excel]")
    await page.wait_for_selector("[data-testid=ts-excel]")
    await page.set_input_files(
        "[data-testid=ts-excel-file]", files=[file("people.xlsx", XLSX, sheet(*SHEET))]
    )
    await page.click("[data-testid=ts-excel-check]")
    await page.wait_for_selector("[data-testid=ts-excel-row]")
    rows = await page.eval_on_selector_all(
        "[data-testid=ts-excel-row]", "els => els.map(e => [e.dataset.status, e.textContent])"
    )
    assert [status for status, _ in rows] == ["would_create", "would_create"]
    assert all(email in text for (_, text), (_, email) in zip(rows, SHEET, strict=True))
    before = await api_sessions(flow.api, template)
    assert all(not by_email(before, email) for _, email in SHEET)  # a dry run
    await flow.shot(page, "excel-checked")
    await page.click("[data-testid=ts-excel-import]:has-text('Import 2')")
    await page.wait_for_selector("[data-testid=ts-excel-summary]:has-text('Imported 2')")
    await flow.shot(page, "excel-imported")
    await page.click("[data-testid=ts-excel-close]")
    await page.wait_for_selector("[data-testid=ts-imported]")
    sessions = await api_sessions(flow.api, template)
    for name, email in SHEET:
        await row_of(page, email)
        [booked] = by_email(sessions, email)
        assert (booked["participant_name"], booked["status"]) == (name, "scheduled")


async def import_resume(flow: Flow, template: str) -> None:
    page = flow.page
    await page.click("[data-testid=ts-add]")
    await page.click("[data-testid=ts-add-resumes]")
    await page.wait_for_selector("[data-testid=ts-resumes]")
    docx = docx_bytes(resume_lines("Bea Baptiste", BEA, "+44 161 496 0000"))
    await page.set_input_files("[data-testid=ts-resumes-files]", files=[file("bea.docx", DOCX, docx)])
    await page.click("[data-testid=ts-resumes-parse]")
    await page.wait_for_selector("[data-testid=ts-draft]")
    assert await page.input_value("[data-testid=ts-draft-name]") == "Bea Baptiste"
    assert await page.input_value("[data-testid=ts-draft-email]") == BEA
    await flow.shot(page, "resume-draft")
    await page.click("[data-testid=ts-resumes-invite]:has-text('Invite 1')")
    await page.wait_for_selector(f"[data-testid=ts-resumes-done]:has-text('{BEA}')")
    await page.click("[data-testid=ts-resumes-close]")
    await page.wait_for_selector("[data-testid=ts-resumes-added]")
    await row_of(page, BEA)
    assert [s["status"] for s in by_email(await api_sessions(flow.api, template), BEA)] == ["scheduled"]
    assert await counts(page) == {
        "all": 4,
        "not_started": 4,
        "in_progress": 0,
        "completed": 0,
        "awaiting": 0,
    }
    await flow.shot(page, "sessions-four-invited")


async def invitations_arrive(flow: Flow, template: str, smtp: SmtpReceiver) -> JSON:
    """Every candidate's invitation reaches the SMTP server, with their own join link; Ada's session."""
    sessions = await api_sessions(flow.api, template)
    for email in (ADA, *(e for _, e in SHEET), BEA):
        [session] = by_email(sessions, email)
        [text] = await invitations_to(smtp, email, 1)
        assert str(session["join_url"]) in text, text
    [ada] = by_email(sessions, ADA)
    [arrived] = [m for m in smtp.messages() if ADA in m.rcpt_tos]
    assert INTERVIEW in arrived.subject + arrived.text
    return ada


async def candidate_opens_the_link(
    flow: Flow, browser: Browser, base: str, smtp: SmtpReceiver, session: JSON
) -> None:
    """Ada opens the link from her email in a browser of her own (no recruiter sign-in)."""
    [text] = await invitations_to(smtp, ADA, 1)
    path = join_path(text)
    candidate = await browser.new_context(viewport=DESKTOP)
    try:
        join = await candidate.new_page()
        errors: list[str] = []
        join.on("pageerror", lambda exc: errors.append(str(exc)))
        await join.goto(base + path)
        await join.wait_for_selector("#screen-setup", state="visible")
        assert await join.inner_text("#interview-title") == INTERVIEW
        assert await join.inner_text("#candidate-name") == "Ada Lovelace"
        assert await join.is_disabled("#check-mic")  # nothing captured before consent
        await flow.shot(join, "candidate-join-page")
        assert errors == []
    finally:
        await candidate.close()
    state = expect(await flow.api.get(f"/v1/sessions/{session['id']}"), 200)
    assert state["status"] == "scheduled"


async def complete_and_filter(
    flow: Flow, server: Served, template: str, session: JSON, smtp: SmtpReceiver
) -> None:
    page = flow.page
    session_id = str(session["id"])
    await complete_with_transcript(server.database_url, flow.api, session_id)
    done = await analysed(flow.api, session_id)
    assert done["analysis_status"] == "COMPLETED", done
    rating = done["analysis"]["general"]["overallRating"]
    assert isinstance(rating, int | float)
    # A pass by the embedded scorer, on a stage that does not let it decide alone: it waits for a person.
    decided = done["stage_result"]
    assert (decided["outcome"], decided["reason"], decided["passed"]) == (
        "awaiting_approval",
        "embedded_scorer",
        True,
    ), decided
    assert [s["status"] for s in by_email(await api_sessions(flow.api, template), ADA)] == ["completed"]

    await page.reload()
    await page.wait_for_selector("[data-testid=ts-table]")
    assert await counts(page) == {
        "all": 4,
        "not_started": 3,
        "in_progress": 0,
        "completed": 1,
        "awaiting": 1,
    }
    await page.click("[data-testid=ts-filter-awaiting]")
    assert "state=awaiting" in page.url
    names = await page.eval_on_selector_all("[data-testid=ts-name]", "els => els.map(e => e.textContent)")
    assert names == ["Ada Lovelace"]
    assert await page.get_attribute("[data-testid=ts-outcome]", "data-outcome") == "awaiting_approval"
    await flow.shot(page, "awaiting-filter")
    await page.click("[data-testid=ts-filter-completed]")
    assert "state=completed" in page.url
    names = await page.eval_on_selector_all("[data-testid=ts-name]", "els => els.map(e => e.textContent)")
    assert names == ["Ada Lovelace"]
    assert abs(int(await page.inner_text("[data-testid=ts-rating]")) - rating) <= 0.5
    assert await page.inner_text("[data-testid=ts-recommendation]")
    await flow.shot(page, "completed-filter")


async def review(flow: Flow, session: JSON, template: str, smtp: SmtpReceiver) -> None:
    page = flow.page
    session_now = expect(await flow.api.get(f"/v1/sessions/{session['id']}"), 200)
    await page.click("[data-testid=ts-name]:text-is('Ada Lovelace')")
    await page.wait_for_url(f"**/review/sessions/{session['id']}")
    await page.wait_for_selector("[data-testid=scorecard] [data-testid=dimension]")
    scorecard = await page.inner_text("[data-testid=scorecard]")
    assert all(name in scorecard for name, _, _ in RUBRIC), scorecard
    assert await page.locator("[data-testid=dimension]").count() == len(RUBRIC)
    shown = await page.get_attribute("[data-testid=overall-rating]", "data-value")
    assert float(shown or "nan") == session_now["analysis"]["general"]["overallRating"]
    assert await page.get_attribute("[data-testid=stage-result]", "data-outcome") == "awaiting_approval"
    await flow.shot(page, "review")
    # The recruiter confirms the verdict beside the scorecard: the pipeline books the next stage and
    # emails Ada its invitation.
    await page.click("[data-testid=stage-decision] [data-testid=approve]")
    await page.click("[data-testid=confirm-ok]")
    await page.wait_for_selector("[data-testid=stage-result][data-outcome=approved]")
    decided = expect(await flow.api.get(f"/v1/sessions/{session['id']}"), 200)["stage_result"]
    assert (decided["outcome"], decided["decidedBy"].startswith("recruiter:")) == ("approved", True)
    ada = by_email(await api_sessions(flow.api, template), ADA)
    assert sorted(s["status"] for s in ada) == ["completed", "scheduled"]
    [following] = [s for s in ada if s["status"] == "scheduled"]
    assert following["id"] == decided["nextSessionId"]
    assert str(following["join_url"]) in (await invitations_to(smtp, ADA, 2))[1]
    await flow.shot(page, "review-approved")
