"""A join turned away for now comes back by itself, in Chromium: many interviews start on the engine at
once (its join burst is 1 here), so the page's offer gets 503 with a Retry-After; the page says it will
try again, does so after that wait without anyone pressing Reconnect, and the call connects."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Response

from config.settings import LoadSettings
from media.scripted_candidate import ScriptedCandidate
from tests.chromium import requires_chromium, screenshot
from tests.engine.join_page_helpers import candidate_browser, embedded_settings, served
from tests.engine.live_helpers import booked_session, offer_poster
from tests.speech import speech_wav

pytestmark = requires_chromium

WINDOW_S = 6.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    with served(embedded_settings(tmp_path, load=LoadSettings(join_burst=1, window_s=WINDOW_S))) as found:
        yield found


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Browser]:
    wav = tmp_path / "candidate.wav"
    speech_wav(wav, ["Hello."], gap_s=1.0, lead_silence_s=20.0, trail_silence_s=20.0)
    async with candidate_browser(wav) as launched:
        yield launched


async def test_a_join_turned_away_in_a_burst_is_retried_by_the_page_after_the_wait(
    server: tuple[str, str], browser: Browser
) -> None:
    base, key = server
    first = ScriptedCandidate([])
    async with (
        httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client,
        httpx.AsyncClient(base_url=base, timeout=30) as raw,
    ):
        _, first_token = await booked_session(client)
        _, token = await booked_session(client)
        page = await browser.new_page()
        offers: list[tuple[int, str | None, dict[str, object]]] = []

        async def seen(response: Response) -> None:
            if response.url.endswith("/offer"):
                body = await response.json()
                details = body.get("error", {}).get("details", {}) if response.status != 200 else {}
                offers.append((response.status, response.headers.get("retry-after"), details))

        page.on("response", seen)
        try:
            await page.goto(f"{base}/join/{token}")
            await page.wait_for_selector("#consent", state="visible")
            await page.check("#consent")
            await page.click("#check-mic")
            await page.wait_for_function("() => window.interviewDebug.micReady === true", timeout=20_000)
            # Another candidate starts an interview just before: the engine's one join for this window.
            await first.connect(offer_poster(raw, first_token))
            await page.click("#start")

            await page.wait_for_selector('#notice[data-kind="wait"]', state="visible", timeout=20_000)
            notice = await page.text_content("#notice")
            assert notice is not None
            assert "try again automatically" in notice, notice
            await screenshot(page, "browser-busy", "1-waiting")
            # Nobody presses Reconnect: the page tries again after the wait and the call connects.
            await page.wait_for_function(
                "() => window.interviewDebug.connectionState === 'connected'", timeout=(WINDOW_S + 30) * 1000
            )
            assert await page.is_hidden("#notice")
            await screenshot(page, "browser-busy", "2-connected")
            metrics = (await raw.get("/metrics")).text
            assert 'interview_engine_load_refused_sessions_total{reason="join_burst"} 1.0' in metrics
            assert 'interview_engine_load_refused_sessions_total{reason="overloaded"} 0.0' in metrics
        finally:
            await page.close()
            await first.close()

    statuses = [status for status, _, _ in offers]
    assert statuses[0] == 503, offers
    assert statuses[-1] == 200, offers
    assert set(statuses) == {503, 200}, offers
    refused = offers[0]
    assert refused[2]["reason"] == "join_burst"
    wait_s = refused[2]["retry_after_s"]
    assert isinstance(wait_s, int)
    assert 1 <= wait_s <= WINDOW_S
    assert refused[1] == str(wait_s)
