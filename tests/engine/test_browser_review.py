"""A recruiter reviews interviews in a real browser: Debian's Chromium, driven by Playwright, against a
real uvicorn server. Signs in, finds a session, plays its recording, and checks that clicking a
transcript line or an evidence quote moves the player to that moment. Screenshots go to
test-artifacts/review/."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import numpy as np
import pytest
from playwright.async_api import Browser, Page

from config.enums import Speaker
from config.settings import Settings
from engine.api.context import Services
from engine.app import create_app
from engine.auth import issue_api_key
from engine.services import transcripts
from engine.store.tables import SessionRow
from tests.chromium import requires_chromium, screenshot
from tests.engine.analysis_helpers import STRONG, WEAK, complete_with
from tests.engine.session_helpers import (
    book,
    expect,
    inline_participant,
    make_profile,
    make_stage,
    make_template,
)
from tests.server_thread import serve_seeded

EMAIL, PASSWORD = "rita@acme.com", "correct horse battery staple"
RATE = 16_000
HOSTILE_NAME = "Grace <img src=x onerror=window.__xss=1> Hopper"
# The player's position after a seek lands within a frame or two of the target; playback moves it on
# while the check runs.
SEEK_TOLERANCE_S = 1.0

pytestmark = requires_chromium


@dataclass(frozen=True, slots=True)
class Seeded:
    first: str  # completed, strong answers, with a recording
    retake: str  # its retake, completed with weak answers
    waiting: str  # another participant's session, not started
    participant: str
    key: str  # an admin API key, for checking what the pages did


def write_recording(path: Path, segments: list[tuple[Speaker, float, float]], length_s: float) -> None:
    """A stereo WAV shaped like the engine's (candidate left, interviewer right): a quiet tone while each
    side speaks, so the player has real audio to play and seek."""
    frames = int(length_s * RATE)
    audio = np.zeros((frames, 2), dtype=np.int16)
    t = np.arange(frames) / RATE
    for speaker, start, end in segments:
        lo, hi = int(start * RATE), min(frames, int(end * RATE))
        channel = 0 if speaker is Speaker.CANDIDATE else 1
        tone = 220.0 if channel == 0 else 330.0
        audio[lo:hi, channel] = (3000 * np.sin(2 * np.pi * tone * t[lo:hi])).astype(np.int16)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(audio.tobytes())


async def record(services: Services, client: httpx.AsyncClient, session_id: str) -> None:
    """Give a completed session a recording on the timeline of its stored transcript."""
    segments = expect(await client.get(f"/v1/sessions/{session_id}/transcript"), 200)["segments"]
    spans = [(Speaker(s["speaker"]), float(s["start"]), float(s["end"])) for s in segments]
    length = spans[-1][2] + 2.0
    write_recording(services.settings.recordings_dir / f"{session_id}.wav", spans, length)
    async with services.database.transaction() as db:
        row = await db.get(SessionRow, session_id)
        assert row is not None
        await transcripts.save_recording(
            db,
            row.company_id,
            session_id,
            path=f"{session_id}.wav",
            sample_rate=RATE,
            channels=2,
            duration_s=length,
            status="ready",
            now=services.clock.now(),
        )


async def seed(settings: Settings) -> Seeded:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        services: Services = app.state.services
        async with services.database.transaction() as db:
            issued = await issue_api_key(db, "acme", services.clock)
        headers = {"Authorization": f"Bearer {issued.secret_key}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as client:
            body = {"email": EMAIL, "name": "Rita Recruiter", "password": PASSWORD}
            expect(await client.post("/v1/recruiters", json=body), 201)
            profile = await make_profile(client)
            template = await make_template(client)
            stage = await make_stage(
                client, template["id"], profile["id"], pass_threshold=60, on_complete="human_approval"
            )
            person = inline_participant(name="Ada Lovelace", external_id="ats-ada")
            first = await book(client, stage_id=stage["id"], participant=person)
            # Two calls that never reached the interview, as the telephony provider reports them.
            stream = expect(await client.get(f"/v1/sessions/{first['id']}/phone-stream"), 200)
            callback = urlsplit(stream["status_callback_url"]).path
            for sid, status in (("CA" + "1" * 32, "busy"), ("CA" + "2" * 32, "no-answer")):
                reported = await client.post(callback, data={"CallSid": sid, "CallStatus": status})
                assert reported.status_code == 204, reported.text
            await complete_with(app, client, first["id"], STRONG)
            await record(services, client, first["id"])
            retake = expect(await client.post(f"/v1/sessions/{first['id']}/retake"), 201)
            await complete_with(app, client, retake["id"], WEAK)
            await record(services, client, retake["id"])
            # Markup in a name must show as text, never run or render.
            other = inline_participant(name=HOSTILE_NAME, external_id="ats-grace")
            waiting = await book(client, stage_id=stage["id"], participant=other)
            await services.analysis.wait_idle()
            return Seeded(
                first["id"], retake["id"], waiting["id"], first["participant_id"], issued.secret_key
            )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Seeded]]:
    with serve_seeded(tmp_path, seed) as served:
        yield served


async def current_time(page: Page) -> float:
    value = await page.eval_on_selector("[data-testid=player]", "audio => audio.currentTime")
    return float(value)


async def test_recruiter_signs_in_plays_a_recording_and_seeks_from_the_transcript(
    server: tuple[str, Seeded], browser: Browser
) -> None:
    base, seeded = server
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # Straight to a session's page: signed out, the sign-in form comes first, then the page asked for.
        await page.goto(f"{base}/review")
        await page.wait_for_selector("[data-testid=signin-form]")
        await page.fill("[data-testid=signin-email]", EMAIL)
        await page.fill("[data-testid=signin-password]", "not the password")
        await page.click("[data-testid=signin-submit]")
        await page.wait_for_selector("[data-testid=signin-error]:not(:empty)")
        await screenshot(page, "review", "1-signin-refused")
        await page.fill("[data-testid=signin-password]", PASSWORD)
        await page.click("[data-testid=signin-submit]")

        # The list: three sessions, searchable, with the product's status badges.
        await page.wait_for_selector("[data-testid=session-row]")
        await page.wait_for_function(
            "() => document.querySelectorAll('[data-testid=session-row]').length === 3"
        )
        await screenshot(page, "review", "2-sessions")
        badges = await page.eval_on_selector_all(
            "[data-testid=session-row] [data-status]", "els => els.map(e => e.dataset.status)"
        )
        assert sorted(badges) == ["completed", "completed", "scheduled"]
        await page.fill("[data-testid=filter-search]", "grace")
        await page.wait_for_function(
            "() => document.querySelectorAll('[data-testid=session-row]').length === 1"
        )
        assert HOSTILE_NAME in (await page.inner_text("[data-testid=sessions-table]"))
        assert await page.query_selector("[data-testid=sessions-table] img") is None
        assert await page.evaluate("() => window.__xss") is None
        await page.fill("[data-testid=filter-search]", "")
        await page.select_option("[data-testid=filter-status]", "completed")
        await page.wait_for_function(
            "() => document.querySelectorAll('[data-testid=session-row]').length === 2"
        )
        assert "status=completed" in page.url  # filters live in the URL, so reload and back keep them
        # The recruiter's queue: the results waiting for a person, whatever their status.
        await page.select_option("[data-testid=filter-status]", "")
        await page.wait_for_function(
            "() => document.querySelectorAll('[data-testid=session-row]').length === 3"
        )
        await page.select_option("[data-testid=filter-outcome]", "awaiting_approval")
        await page.wait_for_function(
            "() => document.querySelectorAll('[data-testid=session-row]').length === 2"
        )
        assert "outcome=awaiting_approval" in page.url
        outcomes = await page.eval_on_selector_all(
            "[data-testid=session-outcome]", "els => els.map(e => e.dataset.outcome)"
        )
        assert outcomes == ["awaiting_approval", "awaiting_approval"]
        await page.select_option("[data-testid=filter-outcome]", "")

        # The session page: recording, transcript, scorecard, flags, retakes.
        await page.goto(f"{base}/review/sessions/{seeded.first}")
        await page.wait_for_selector("[data-testid=transcript-line]")
        await page.wait_for_selector("[data-testid=scorecard] [data-testid=dimension]")
        # Its phone calls, the provider's outcomes in words.
        await page.wait_for_selector("[data-testid=calls] [data-testid=call]")
        calls = await page.locator("[data-testid=calls] [data-testid=call]").all_inner_texts()
        assert [("Busy" in c, "No answer" in c) for c in calls] == [(True, False), (False, True)], calls
        await page.wait_for_function(
            "() => document.querySelector('[data-testid=player]').readyState >= 1", timeout=15_000
        )
        await page.eval_on_selector("[data-testid=player]", "audio => audio.play()")
        await page.wait_for_function(
            "() => document.querySelector('[data-testid=player]').currentTime > 0.3", timeout=15_000
        )
        lines = await page.query_selector_all("[data-testid=transcript-line]")
        assert len(lines) == 6
        target = lines[3]
        start = float(await target.get_attribute("data-start") or "nan")
        assert start == 33.0
        await target.click()
        await page.wait_for_function(
            f"() => Math.abs(document.querySelector('[data-testid=player]').currentTime - {start}) < 1"
        )
        assert abs(await current_time(page) - start) < SEEK_TOLERANCE_S
        await page.wait_for_function(
            "() => document.querySelectorAll('[data-testid=transcript-line].current').length === 1"
        )
        assert await target.evaluate("el => el.classList.contains('current')")
        await screenshot(page, "review", "3-session")

        # An evidence quote seeks too.
        evidence = await page.query_selector("[data-testid=evidence]")
        assert evidence is not None
        await evidence.click()
        await page.wait_for_function(
            "() => Math.abs(document.querySelector('[data-testid=player]').currentTime - 6) < 1"
        )
        rating = await page.inner_text("[data-testid=overall-rating]")
        assert any(ch.isdigit() for ch in rating)
        assert await page.query_selector_all("[data-testid=flag]")
        # The retake side by side: both attempts' verdicts, and a link to the other one.
        retakes = await page.inner_text("[data-testid=retakes]")
        assert "Hire" in retakes
        assert "No hire" in retakes
        assert await page.query_selector(f"[data-testid=retakes] a[href='/review/sessions/{seeded.retake}']")

        # The retake's result waits for a person too: rejected on its own page, beside the scorecard.
        await page.goto(f"{base}/review/sessions/{seeded.retake}")
        await page.wait_for_selector("[data-testid=scorecard] [data-testid=stage-decision]")
        await page.click("[data-testid=stage-decision] [data-testid=reject]")
        await page.click("[data-testid=confirm-ok]")
        await page.wait_for_selector("[data-testid=stage-result][data-outcome=rejected]")
        assert await page.query_selector("[data-testid=stage-decision]") is None
        await screenshot(page, "review", "3b-session-rejected")

        # The participant page: approve a result that waits for a human, schedule a retake, copy its link.
        await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        await page.goto(f"{base}/review/participants/{seeded.participant}")
        await page.wait_for_selector("[data-testid=pipeline]")
        await screenshot(page, "review", "4-participant")
        row = f"[data-testid=participant-session][data-session-id='{seeded.first}']"
        await page.click(f"{row} [data-testid=approve]")
        await page.click("[data-testid=confirm-ok]")
        await page.wait_for_selector(f"{row} [data-testid=approve]", state="detached")
        newest = f"[data-testid=participant-session][data-session-id='{seeded.retake}']"
        await page.click(f"{newest} [data-testid=retake]")
        await page.click("[data-testid=confirm-ok]")
        link = await page.wait_for_selector("[data-testid=retake-link]")
        assert link is not None
        join_url = str(await link.evaluate("el => el.value || el.textContent"))
        assert "/join/" in join_url
        await page.wait_for_selector("[data-testid=copy-link]")
        await page.click("[data-testid=participant-session] [data-testid=copy-link]")
        await page.wait_for_selector("text=Link copied")
        assert await page.evaluate("() => navigator.clipboard.readText()") == join_url
        await screenshot(page, "review", "5-participant-after-actions")

        # Signing out ends access: the pages ask for a sign-in again.
        await page.click("[data-testid=signout]")
        await page.wait_for_selector("[data-testid=signin-form]", state="visible")
        await page.goto(f"{base}/review/sessions/{seeded.first}")
        await page.wait_for_selector("[data-testid=signin-form]", state="visible")
        assert errors == []
    finally:
        await context.close()

    auth = {"Authorization": f"Bearer {seeded.key}"}
    async with httpx.AsyncClient(base_url=base, headers=auth) as api:
        approved = expect(await api.get(f"/v1/sessions/{seeded.first}"), 200)["stage_result"]
        assert approved["outcome"] == "approved"
        assert approved["decidedBy"].startswith("recruiter:")
        rejected = expect(await api.get(f"/v1/sessions/{seeded.retake}"), 200)["stage_result"]
        assert (rejected["outcome"], rejected["decidedBy"].startswith("recruiter:")) == ("rejected", True)
        sessions = expect(await api.get("/v1/sessions", params={"participant_id": seeded.participant}), 200)
        newest_session = sessions["data"][0]
        assert newest_session["retake_of"] == seeded.retake
        assert newest_session["status"] == "scheduled"
        assert newest_session["join_url"] == join_url

    # The recording is for signed-in callers only.
    async with httpx.AsyncClient(base_url=base) as anonymous:
        assert (await anonymous.get(f"/v1/sessions/{seeded.first}/recording")).status_code == 401
