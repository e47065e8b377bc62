"""Watching an interview live in the dashboard, in a real browser (Chromium, 390 px wide phone): while a
scripted candidate (aiortc) talks to the served engine, a recruiter signed in with the default reviewer
scopes opens the session's page, starts "Watch live" from the keyboard, and sees the interviewer's lines
and state, then the candidate's answer, appear as they are spoken (finished lines read out politely),
until the candidate hangs up and the panel says so. Screenshots (each checked by axe-core) go to
test-artifacts/live-view/."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page

from config.settings import Settings
from media.scripted_candidate import ScriptedCandidate
from tests.chromium import requires_chromium, screenshot
from tests.engine.dashboard_helpers import assert_fits, focused, phone_page, seed_company, sign_in
from tests.engine.live_helpers import ANSWERS, booked_session, offer_poster
from tests.engine.session_helpers import expect
from tests.server_thread import serve_seeded
from tests.speech import synthesize

REVIEWER = "rita@acme.com"
SHOTS = "live-view"

pytestmark = requires_chromium


async def seed(settings: Settings) -> str:
    return await seed_company(settings, ((REVIEWER, None),))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    with serve_seeded(tmp_path, seed) as served:
        yield served


async def texts(page: Page, selector: str) -> list[str]:
    found: list[str] = await page.eval_on_selector_all(selector, "nodes => nodes.map(n => n.textContent)")
    return found


async def test_a_recruiter_watches_the_interview_on_the_session_page(
    server: tuple[str, str], browser: Browser
) -> None:
    base, key = server
    context, page, errors = await phone_page(browser, base)
    candidate = ScriptedCandidate([synthesize(ANSWERS[0])])
    answering: asyncio.Task[object] | None = None
    async with (
        httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30) as api,
        httpx.AsyncClient(base_url=base, timeout=30) as joining,
    ):
        try:
            session_id, token = await booked_session(api, skills=["Go"])
            await candidate.connect(offer_poster(joining, token))
            await candidate.wait_for_sound(timeout_s=20)

            await sign_in(page, base, REVIEWER)
            await page.goto(f"{base}/review/sessions/{session_id}")
            await page.wait_for_selector("[data-testid=live-view]")
            assert await page.is_hidden("[data-testid=live-lines]")
            await screenshot(page, SHOTS, "before-watching")

            # From the keyboard: the button takes focus and Enter starts the stream.
            await page.focus("[data-testid=live-watch]")
            assert await focused(page) == "live-watch"
            await page.keyboard.press("Enter")
            await page.wait_for_selector(".live-line[data-speaker=interviewer]")
            assert await page.inner_text("[data-testid=live-watch]") == "Stop watching"
            await page.wait_for_selector("[data-testid=live-state]:not([hidden])")

            # The candidate answers; their words appear, then the interviewer's reply to them.
            answering = asyncio.create_task(candidate.run(limit_s=60))
            await page.wait_for_selector(
                ".live-line[data-speaker=candidate][data-final=true] ~ .live-line[data-speaker=interviewer]",
                timeout=60_000,
            )
            interviewer = await texts(page, ".live-line[data-speaker=interviewer] .live-text")
            candidate_lines = await texts(page, ".live-line[data-speaker=candidate] .live-text")
            report = candidate.report
            # The same words the candidate's page got, in the same order, as they were spoken.
            assert interviewer == report.captions()[: len(interviewer)], (interviewer, report.captions())
            assert candidate_lines[:1] == report.finals()[:1], (candidate_lines, report.finals())
            # Screen readers hear the finished lines, not the words as they come.
            announced = await texts(page, "[data-testid=live-announcer] p")
            assert any(a.startswith("Interviewer: ") for a in announced), announced
            assert all(not a.endswith(" · speaking") for a in announced)
            await assert_fits(page)
            await screenshot(page, SHOTS, "watching")

            candidate.hang_up()
            await page.wait_for_selector("[data-testid=live-watch]", state="hidden", timeout=20_000)
            assert await page.inner_text("[data-testid=live-status]") == "The candidate ended the call."
            assert await page.is_hidden("[data-testid=live-state]")
            await screenshot(page, SHOTS, "ended")
        finally:
            if answering is not None:
                answering.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await answering
            await candidate.close()
            await context.close()

        # What the page showed is what the API holds: the session is over, and the reviewer's reading of
        # its transcript (the page's, then the live one: one view within ten minutes) is audited.
        async with asyncio.timeout(20):
            while (await api.get(f"/v1/sessions/{session_id}")).json()["status"] != "completed":  # noqa: ASYNC110
                await asyncio.sleep(0.2)
        audit = expect(await api.get("/v1/audit-events", params={"action": "transcript.viewed"}), 200)
        assert [(e["actor_label"], e["target_id"]) for e in audit["data"]] == [(REVIEWER, session_id)]
    assert errors == []
