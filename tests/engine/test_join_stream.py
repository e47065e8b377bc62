"""The join page's WebSocket fallback, end to end: a scripted page (the `websockets` client) streams 16 kHz
PCM speech to a real uvicorn server in a thread, hears the interviewer, gets captions and its own
transcript as text messages and hangs up; then the abuses the endpoint must refuse, losing nothing."""

from __future__ import annotations

import asyncio
import io
import json
import re
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jiwer
import numpy as np
import pytest
from websockets.asyncio.client import connect

from config.settings import Settings
from engine.app import create_app
from engine.bootstrap import create_key
from engine.clock import SystemClock
from tests.engine.join_stream_helpers import StreamPage, refused
from tests.engine.live_helpers import ANSWERS, booked_session, sound_s
from tests.engine.session_helpers import expect
from tests.server_thread import ServerThread
from tests.speech import synthesize

# Whisper tiny.en on eSpeak at 16 kHz, as on the WebRTC path (test_live_session.py holds it to 0.25).
MAX_WER = 0.35


@dataclass
class Served:
    base: str
    key: str

    @property
    def ws(self) -> str:
        return "ws" + self.base.removeprefix("http")

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base, headers={"Authorization": f"Bearer {self.key}"}, timeout=30
        )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'e.db'}",
        tts={"engine": "espeak"},
    )
    key = asyncio.run(create_key(settings, "acme", None, SystemClock()))
    thread = ServerThread(create_app(settings, clock=SystemClock()))
    try:
        yield Served(thread.start(), key.secret_key)
    finally:
        thread.stop()


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


async def _poll(client: httpx.AsyncClient, path: str, done: Any, timeout_s: float = 30.0) -> dict[str, Any]:
    async with asyncio.timeout(timeout_s):
        while True:
            body = expect(await client.get(path), 200)
            if done(body):
                return body
            await asyncio.sleep(0.2)


async def _transport_seen_live(served: Served, session_id: str) -> str:
    """What the recruiters' live view says the interview runs over."""
    host = served.base.removeprefix("http://")
    async with connect(
        f"ws://{host}/v1/sessions/{session_id}/live",
        additional_headers={"Authorization": f"Bearer {served.key}"},
        origin=served.base,  # type: ignore[arg-type]
        open_timeout=10,
    ) as socket:
        snapshot = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert snapshot["type"] == "snapshot", snapshot
    return str(snapshot["session"]["transport"])


def _recording(content: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(content)) as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (2, 16000)
        return np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, 2)


async def test_a_page_on_the_fallback_is_interviewed_captioned_recorded_and_hangs_up(served: Served) -> None:
    async with served.client() as client:
        session_id, token = await booked_session(client)
        page = await StreamPage(f"{served.ws}/join/{token}/stream?consent=true").open()
        try:
            page.talk()
            await page.wait_for_question()  # the opening and the first question
            assert await _transport_seen_live(served, session_id) == "websocket"
            said = await page.speak(synthesize(ANSWERS[0]))
            final = await page.wait_for("transcript", final=True, timeout_s=30)
            await page.wait_for_question(after=said)
            await page.send({"type": "hangup"})
            ended = await page.wait_for("ended", timeout_s=30)
            code, reason = await page.wait_closed(30)
        finally:
            await page.close()

        # The page's messages came as text: captions of the interviewer's lines, its state, the
        # candidate's own words, and `ended` saying why; then a normal close.
        assert ended["reason"] == "hangup", ended
        assert (code, reason) == (1000, "the candidate ended the interview"), (code, reason)
        captions = page.received.of_type("caption")
        assert len(captions) >= 2, captions
        assert "Hello" in captions[0]["text"], captions
        assert {m["state"] for m in page.received.of_type("state")} >= {"speaking", "listening"}
        assert jiwer.wer(_words(ANSWERS[0]), _words(final["text"])) <= MAX_WER, final
        # The interviewer's voice came back as PCM: seconds of sound, not digital silence.
        assert page.received.sound_s() > 4.0
        assert len(page.received.pcm) % 2 == 0

        # The answer reached the transcript; the hang-up completed the session; both sides are recorded.
        session = await _poll(client, f"/v1/sessions/{session_id}", lambda s: s["status"] == "completed")
        assert session["started_at"] is not None
        transcript = expect(await client.get(f"/v1/sessions/{session_id}/transcript"), 200)["segments"]
        candidate = [s["text"] for s in transcript if s["speaker"] == "candidate"]
        assert any(jiwer.wer(_words(ANSWERS[0]), _words(text)) <= MAX_WER for text in candidate), candidate
        recording = await client.get(f"/v1/sessions/{session_id}/recording")
        assert recording.status_code == 200, recording.text
        stereo = _recording(recording.content)
        assert sound_s(stereo[:, 0]) > 2.0  # the candidate's answer
        assert sound_s(stereo[:, 1]) > 4.0  # the interviewer
        # A final session takes no more streams.
        assert (await refused(f"{served.ws}/join/{token}/stream?consent=true"))[0] == 1008


async def test_bad_streams_are_refused_with_a_reason_and_lose_nothing_recorded(served: Served) -> None:
    async with served.client() as client:
        session_id, token = await booked_session(client)
        url = f"{served.ws}/join/{token}/stream"
        start = json.dumps({"type": "start", "consent": True})

        # Refused before any audio is accepted: a wrong token, no consent, audio or garbage first.
        assert await refused(f"{served.ws}/join/{'x' * 43}/stream?consent=true") == (
            1008,
            "unknown join link",
        )
        code, reason = await refused(url, json.dumps({"type": "start", "consent": False}))
        assert (code, reason) == (
            1008,
            "the candidate must agree to the recording before the interview starts",
        )
        assert await refused(url, bytes(640)) == (1008, "audio before consent: send start first")
        assert await refused(url, "{not json") == (1007, "malformed JSON")
        # Nothing of that started the interview.
        assert expect(await client.get(f"/v1/sessions/{session_id}"), 200)["status"] == "scheduled"

        # Consent as the first message; the page answers the first question.
        first = await StreamPage(url).open(start)
        first.talk()
        await first.wait_for_sound()
        first.speak(synthesize(ANSWERS[0]))
        await first.wait_for("transcript", final=True, timeout_s=30)

        # A second connection for the link takes the interview over, as a reloaded page does.
        second = await StreamPage(f"{url}?consent=true").open()
        try:
            second.talk()
            assert await first.wait_closed(20) == (1000, "the interview continued on another connection")
            await second.wait_for_sound()
            await second.send(bytes(641))  # half a sample: not 16-bit PCM
            code, reason = await second.wait_closed(20)
            assert code == 1007, (code, reason)
            assert "16-bit PCM" in str(reason), reason
        finally:
            await first.close()
            await second.close()

        # Mid-call: a malformed text message, then (on the next connection) an oversized audio message.
        for bad, expected in (("{oops", 1007), (bytes(4000), 1009)):
            page = await StreamPage(f"{url}?consent=true").open()
            try:
                page.talk()
                await page.wait_for_sound()
                await page.send(bad)
                code, reason = await page.wait_closed(20)
                assert code == expected, (code, reason)
            finally:
                await page.close()

        # Each of those ended as a lost connection: resumable, nothing recorded is lost.
        session = await _poll(client, f"/v1/sessions/{session_id}", lambda s: s["status"] == "in_progress")
        assert session["started_at"] is not None
        transcript = expect(await client.get(f"/v1/sessions/{session_id}/transcript"), 200)["segments"]
        assert any(s["speaker"] == "interviewer" for s in transcript)
        assert any(s["speaker"] == "candidate" for s in transcript), transcript
        recording = await client.get(f"/v1/sessions/{session_id}/recording")
        assert recording.status_code == 200
        assert sound_s(_recording(recording.content)[:, 0]) > 1.5  # the answer on the first connection
