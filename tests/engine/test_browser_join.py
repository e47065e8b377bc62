"""A real browser joins by its invite link: Debian's Chromium, driven by Playwright, with a WAV file as
its microphone. Never downloads a browser: Playwright launches /usr/bin/chromium."""

from __future__ import annotations

import asyncio
import io
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jiwer
import pytest
from playwright.async_api import Browser, Page

from tests.chromium import requires_chromium, screenshot
from tests.engine.join_page_helpers import candidate_browser, embedded_settings, served
from tests.engine.live_helpers import ANSWERS, booked_session
from tests.speech import speech_wav

# Looser than the aiortc end-to-end test's bound: Chromium runs its echo canceller, noise suppressor
# and gain control over the fake microphone, tuned for human voices, and they smear eSpeak's formant
# voice (e.g. "error rate" came back as "aerobics"). The direct path is held to 0.25.
BROWSER_MAX_WER = 0.6

pytestmark = requires_chromium


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    with served(embedded_settings(tmp_path)) as found:
        yield found


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Browser]:
    # Each answer, then a long pause, so the interviewer hears a complete answer to each question.
    wav = tmp_path / "candidate.wav"
    speech_wav(wav, list(ANSWERS), gap_s=6.0, lead_silence_s=4.0, trail_silence_s=6.0)
    async with candidate_browser(wav) as launched:
        yield launched


async def debug(page: Page) -> dict[str, Any]:
    value = await page.evaluate("() => JSON.parse(JSON.stringify(window.interviewDebug))")
    assert isinstance(value, dict)
    return value


async def wait_for(page: Page, condition: str, timeout_s: float) -> None:
    await page.wait_for_function(condition, timeout=timeout_s * 1000, polling=250)


def close_enough(heard: str) -> bool:
    def words(text: str) -> str:
        return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())

    return any(float(jiwer.wer(words(said), words(heard))) <= BROWSER_MAX_WER for said in ANSWERS)


async def test_candidate_joins_in_chromium_talks_and_is_recorded(
    server: tuple[str, str], browser: Browser
) -> None:
    base, key = server
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        session_id, token = await booked_session(client)
        page = await browser.new_page()
        try:
            await page.goto(f"{base}/join/{token}")
            await page.wait_for_selector("#consent", state="visible")
            assert await page.text_content("#interview-title") == "Senior Backend Engineer"
            assert await page.is_disabled("#check-mic"), "no microphone before consent"
            await page.check("#consent")
            await page.click("#check-mic")
            await wait_for(page, "() => window.interviewDebug.micReady === true", 20)
            await screenshot(page, "browser", "1-setup")
            await page.click("#start")

            # Interviewer audio and captions arrive; the candidate's answer comes back transcribed.
            await wait_for(page, "() => window.interviewDebug.captions.length >= 2", 60)
            await wait_for(
                page,
                "() => window.interviewDebug.transcripts.some(t => t.final)",
                90,
            )
            # Packets of near-silence are a few dozen bytes each: wait for both counts, not one snapshot.
            await wait_for(
                page,
                "() => window.interviewDebug.remoteAudio.packetsReceived > 100"
                " && window.interviewDebug.remoteAudio.bytesReceived > 5000",
                20,
            )
            state = await debug(page)
            await screenshot(page, "browser", "2-call")
            assert state["connectionState"] == "connected"
            assert state["remoteAudio"]["bytesReceived"] > 5000
            assert state["remoteAudio"]["totalAudioEnergy"] > 0
            assert "Hello" in state["captions"][0]["text"]
            # The page told the engine its round trip and playout hold, for the recording's alignment.
            await wait_for(page, "() => window.interviewDebug.sent.some(m => m.type === 'delay')", 20)
            reports = [m for m in (await debug(page))["sent"] if m["type"] == "delay"]
            assert all(0 <= r["rtt_ms"] < 1000 and 0 <= r["playout_ms"] < 1000 for r in reports), reports
            finals = [t["text"] for t in state["transcripts"] if t["final"]]
            assert any(close_enough(text) for text in finals), finals

            await page.click("#end")
            await page.click("#confirm-end")
            await page.wait_for_selector("#screen-ended", state="visible", timeout=20_000)
            await screenshot(page, "browser", "3-ended")
        finally:
            await page.close()

        # The engine closes the session: completed, with a transcript and a stereo recording.
        for _ in range(100):
            session = (await client.get(f"/v1/sessions/{session_id}")).json()
            recording = await client.get(f"/v1/sessions/{session_id}/recording")
            if session["status"] == "completed" and recording.status_code == 200:
                break
            await asyncio.sleep(0.2)
        assert session["status"] == "completed"
        transcript = (await client.get(f"/v1/sessions/{session_id}/transcript")).json()["segments"]
        candidate = [s["text"] for s in transcript if s["speaker"] == "candidate"]
        assert any(close_enough(text) for text in candidate), candidate
        assert any(s["speaker"] == "interviewer" for s in transcript)
        assert recording.status_code == 200
        with wave.open(io.BytesIO(recording.content)) as wav:
            assert wav.getnchannels() == 2
            assert wav.getnframes() / wav.getframerate() >= transcript[-1]["end"] - 0.5
