"""A candidate whose network blocks WebRTC: no ICE candidate can ever pair, so the join page falls back to
the WebSocket on its own origin. The interview is held over it: the interviewer is heard, captions
shown, the answer transcribed, and the session completes with its recording.

How UDP is blocked: Chromium's `--force-webrtc-ip-handling-policy=disable_non_proxied_udp` does not do it
(checked: the peer still connects over loopback host candidates), and a firewall rule is not a test's to
set. So the page's peer connections are made relay-only (`iceTransportPolicy: 'relay'`) by a script the
browser injects before the page's own (the page itself is unchanged): with no TURN server there is then
no candidate at all, exactly what a network that drops UDP and offers no TURN leaves a browser with."""

from __future__ import annotations

import asyncio
import io
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page

from tests.chromium import requires_chromium, screenshot
from tests.engine.join_page_helpers import candidate_browser, embedded_settings, served
from tests.engine.live_helpers import ANSWERS, booked_session
from tests.engine.test_browser_join import close_enough
from tests.speech import speech_wav

pytestmark = requires_chromium

# Every RTCPeerConnection the page makes may only use TURN relays, and there are none.
RELAY_ONLY = """
(() => {
  const Native = window.RTCPeerConnection;
  function RelayOnly(config, ...rest) {
    return new Native({ ...(config || {}), iceTransportPolicy: 'relay' }, ...rest);
  }
  RelayOnly.prototype = Native.prototype;
  window.RTCPeerConnection = RelayOnly;
})();
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    with served(embedded_settings(tmp_path)) as found:
        yield found


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Browser]:
    # Silence long enough for WebRTC to fail and the fallback to connect, then each answer after a pause.
    wav = tmp_path / "candidate.wav"
    speech_wav(wav, list(ANSWERS), gap_s=8.0, lead_silence_s=20.0, trail_silence_s=8.0)
    async with candidate_browser(wav) as launched:
        yield launched


async def debug(page: Page) -> dict[str, Any]:
    value = await page.evaluate("() => JSON.parse(JSON.stringify(window.interviewDebug))")
    assert isinstance(value, dict)
    return value


async def wait_for(page: Page, condition: str, timeout_s: float) -> None:
    await page.wait_for_function(condition, timeout=timeout_s * 1000, polling=250)


async def test_with_udp_blocked_the_interview_continues_over_the_websocket(
    server: tuple[str, str], browser: Browser
) -> None:
    base, key = server
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        session_id, token = await booked_session(client)
        page = await browser.new_page()
        await page.add_init_script(RELAY_ONLY)
        try:
            await page.goto(f"{base}/join/{token}")
            await page.check("#consent")
            await page.click("#check-mic")
            await wait_for(page, "() => window.interviewDebug.micReady === true", 20)
            await page.click("#start")

            # WebRTC never connects; the page says, calmly, that the call goes on another way.
            await wait_for(page, "() => window.interviewDebug.transport === 'websocket'", 30)
            notice = page.locator("#notice")
            await notice.wait_for(state="visible")
            assert "backup connection" in (await notice.inner_text())
            assert await notice.get_attribute("data-kind") == "info"
            await wait_for(page, "() => window.interviewDebug.connectionState === 'connected'", 20)
            assert await page.text_content("#connection") == "Connected"

            # The interviewer is heard (the worklet played its PCM, with energy) and captioned.
            await wait_for(page, "() => window.interviewDebug.captions.length >= 2", 60)
            await wait_for(
                page,
                "() => window.interviewDebug.remoteAudio.packetsReceived > 100"
                " && window.interviewDebug.remoteAudio.totalAudioEnergy > 0",
                30,
            )
            # The candidate's answer, captured by the worklet at 16 kHz, comes back transcribed.
            await wait_for(page, "() => window.interviewDebug.transcripts.some(t => t.final)", 90)
            assert await notice.is_visible()
            await screenshot(page, "browser-fallback", "1-fallback-call")
            state = await debug(page)
            assert "Hello" in state["captions"][0]["text"]
            assert state["remoteAudio"]["samplesPlayed"] > 16000  # over a second played
            finals = [t["text"] for t in state["transcripts"] if t["final"]]
            assert any(close_enough(text) for text in finals), finals

            await page.click("#end")
            await page.click("#confirm-end")
            await page.wait_for_selector("#screen-ended", state="visible", timeout=20_000)
            assert (await debug(page))["ended"]["reason"] == "hangup"
        finally:
            await page.close()

        # The hang-up went over the socket: the session completes, transcribed and recorded.
        for _ in range(100):
            session = (await client.get(f"/v1/sessions/{session_id}")).json()
            recording = await client.get(f"/v1/sessions/{session_id}/recording")
            if session["status"] == "completed" and recording.status_code == 200:
                break
            await asyncio.sleep(0.2)
        assert session["status"] == "completed", session
        assert session["transport"] == "websocket"
        transcript = (await client.get(f"/v1/sessions/{session_id}/transcript")).json()["segments"]
        assert any(s["speaker"] == "candidate" and close_enough(s["text"]) for s in transcript), transcript
        with wave.open(io.BytesIO(recording.content)) as wav:
            assert wav.getnchannels() == 2
            assert wav.getnframes() / wav.getframerate() >= transcript[-1]["end"] - 0.5
