"""Dropped connections, resuming by the same link, and failures: nothing lost, nothing leaked."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import AsyncIterator, Callable

import pytest
from aiortc import RTCPeerConnection
from fastapi import FastAPI

from config.settings import Settings
from engine.app import create_app
from media.scripted_candidate import ScriptedCandidate
from media.tts import Speech, Voice
from tests.engine.live_helpers import ANSWERS, booked_session, offer_poster
from tests.engine.session_helpers import expect
from tests.helpers import ApiClients, StepClock
from tests.speech import synthesize

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def open_peer_connections() -> int:
    gc.collect()
    return sum(
        1
        for obj in gc.get_objects()
        if isinstance(obj, RTCPeerConnection) and obj.connectionState != "closed"
    )


def recorder_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("recorder")]


async def test_drop_mid_utterance_keeps_the_words_then_the_link_resumes(
    app: FastAPI, api: ApiClients
) -> None:
    client = await api.client()
    session_id, token = await booked_session(client, skills=["Go", "Kafka"])
    raw = api.raw_client()
    live = app.state.services.live

    # First connection: the candidate starts answering, then the connection drops mid-sentence.
    first = ScriptedCandidate([])
    await first.connect(offer_poster(raw, token))
    await asyncio.wait_for(first.wait_for_question(), 60)
    first.speak(synthesize(ANSWERS[0], trail_silence_s=0.0))
    await asyncio.sleep(2.5)
    await first.close()
    await asyncio.wait_for(live.wait_closed(session_id), 30)
    assert len(live) == 0
    assert recorder_threads() == []
    assert open_peer_connections() == 0

    session = expect(await client.get(f"/v1/sessions/{session_id}"), 200)
    assert session["status"] == "in_progress", "a dropped candidate can come back"
    segments = expect(await client.get(f"/v1/sessions/{session_id}/transcript"), 200)["segments"]
    spoken = [s for s in segments if s["speaker"] == "candidate"]
    assert len(spoken) == 1, segments
    assert "billing" in spoken[0]["text"].lower(), "the words said before the drop were transcribed"
    first_part_end = max(s["end"] for s in segments)

    state = expect(await raw.get(f"/join/{token}/state"), 200)
    assert (state["joinable"], state["resume"]) == (True, True)

    # Second connection by the same link: welcome back (no second intro), the unanswered question
    # again, then the plan goes on. (Full interviews to the end are test_live_session's and
    # test_live_director's; here the candidate ends the call after the next question.)
    pending_question = first.report.captions()[-1]
    second = ScriptedCandidate([])
    try:
        await second.connect(offer_poster(raw, token))
        await asyncio.wait_for(second.wait_for_question(), 60)
        await second.speak(synthesize(ANSWERS[0]))
        await asyncio.wait_for(second.wait_for_question(), 60)
        second.hang_up()
        await until(lambda: second.report.ended is not None, 30)
    finally:
        await second.close()
    report = second.report
    assert report.ended is not None
    assert report.ended["reason"] == "hangup"
    captions = report.captions()
    assert captions[0] == "Welcome back."
    assert pending_question in captions[:4]
    assert pending_question != captions[-1], "after the answer, the interviewer moved on"
    assert not any("Alex" in c for c in captions), "no second introduction"
    await live.wait_closed(session_id)

    session = expect(await client.get(f"/v1/sessions/{session_id}"), 200)
    assert session["status"] == "completed"
    segments = expect(await client.get(f"/v1/sessions/{session_id}/transcript"), 200)["segments"]
    resumed = [s for s in segments if s["text"] == "Welcome back."]
    assert len(resumed) == 1
    assert resumed[0]["start"] >= first_part_end, "the second part continues the same timeline"
    recording = await client.get(f"/v1/sessions/{session_id}/recording")
    assert recording.status_code == 200
    frames = (len(recording.content) - 44) // 4
    assert frames / 16000 >= segments[-1]["end"] - 0.5
    assert recorder_threads() == []
    assert open_peer_connections() == 0
    await raw.aclose()


async def until(condition: Callable[[], bool], timeout_s: float) -> None:
    """Poll a report's state (it has no event to wait on) until it holds, or TimeoutError."""
    for _ in range(int(timeout_s / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"condition still false after {timeout_s} s")


async def test_a_second_tab_replaces_the_first_connection(app: FastAPI, api: ApiClients) -> None:
    client = await api.client()
    session_id, token = await booked_session(client)
    raw = api.raw_client()
    first = ScriptedCandidate([])
    second = ScriptedCandidate([])
    try:
        await first.connect(offer_poster(raw, token))
        # Connected, with the events channel open: the engine has spoken to this tab.
        await until(lambda: bool(first.report.messages), 30)
        await second.connect(offer_poster(raw, token))
        await until(lambda: first.report.ended is not None, 10)
        assert first.report.ended is not None
        assert first.report.ended["reason"] == "replaced"
        assert len(app.state.services.live) == 1
        # Hang up only once the second tab is connected too, so the engine sees the hang-up at once
        # rather than waiting out a connection that never completed.
        await until(lambda: bool(second.report.messages), 30)
    finally:
        await first.close()
        await second.close()
    await app.state.services.live.wait_closed(session_id)
    assert open_peer_connections() == 0
    await raw.aclose()


class FailingTts:
    """Speaks the greeting, then breaks: an unrecoverable error mid-interview."""

    def __init__(self) -> None:
        self.calls = 0

    def synthesize(self, text: str, voice: Voice) -> Speech:
        self.calls += 1
        if self.calls > 1:
            raise RuntimeError("speech engine crashed")
        return Speech(bytes(22050), 22050, ())


@pytest.fixture
async def failing_app(settings: Settings, clock: StepClock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock=clock, tts=FailingTts())
    async with application.router.lifespan_context(application):
        yield application


async def test_an_unrecoverable_error_fails_the_session_and_releases_everything(
    failing_app: FastAPI, clock: StepClock
) -> None:
    api = ApiClients(failing_app, clock)
    client = await api.client()
    session_id, token = await booked_session(client)
    raw = api.raw_client()
    candidate = ScriptedCandidate([])
    try:
        await candidate.connect(offer_poster(raw, token))
        for _ in range(200):
            if candidate.report.ended is not None:
                break
            await asyncio.sleep(0.1)
    finally:
        await candidate.close()
    assert candidate.report.ended is not None
    assert candidate.report.ended["reason"] == "error"
    await failing_app.state.services.live.wait_closed(session_id)
    session = expect(await client.get(f"/v1/sessions/{session_id}"), 200)
    assert session["status"] == "failed"
    state = expect(await raw.get(f"/join/{token}/state"), 200)
    assert state["joinable"] is False
    assert "technical problem" in state["message"]
    assert recorder_threads() == []
    assert open_peer_connections() == 0
    await raw.aclose()
    await api.aclose()
