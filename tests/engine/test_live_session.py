"""End to end over real WebRTC: an aiortc candidate peer and the engine in one event loop.

The candidate speaks eSpeak NG answers; the engine segments, transcribes with Whisper tiny.en, speaks
its questions back, records both sides and stores the transcript.
"""

from __future__ import annotations

import asyncio
import io
import re
import threading
import wave

import jiwer
import numpy as np
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from engine.store.tables import SessionRow
from media.scripted_candidate import ScriptedCandidate
from tests.engine.live_helpers import ANSWERS, booked_session, offer_poster
from tests.engine.session_helpers import expect
from tests.helpers import ApiClients
from tests.speech import synthesize

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

MAX_WER = 0.25


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def wer(reference: str, hypothesis: str) -> float:
    return float(jiwer.wer(normalise(reference), normalise(hypothesis)))


def channel_rms(samples: np.ndarray, rate: int, start: float, end: float) -> float:
    part = samples[int(start * rate) : int(end * rate)].astype(np.float64)
    return float(np.sqrt(np.mean(part * part))) if part.size else 0.0


async def test_candidate_is_heard_transcribed_answered_and_recorded(app: FastAPI, api: ApiClients) -> None:
    client = await api.client()
    session_id, token = await booked_session(client)
    raw = api.raw_client()
    threads_before = {t.name for t in threading.enumerate()}

    # As many answers as the plan could want; the interviewer decides how many questions it asks.
    spoken = [ANSWERS[i % len(ANSWERS)] for i in range(12)]
    candidate = ScriptedCandidate([synthesize(a) for a in spoken])
    try:
        await candidate.connect(offer_poster(raw, token))
        report = await candidate.run(limit_s=240)
    finally:
        await candidate.close()

    # The interview ran to its end: the opening (with the profile's intro), questions, the closing.
    assert report.ended is not None, report.messages
    assert report.ended["reason"] == "completed"
    captions = report.captions()
    assert "Alex, a senior engineer at Acme" in " ".join(captions[:3])
    assert report.received_sound_s > 5.0, "the candidate heard the interviewer"

    # Each answer came back as a final transcript within the WER bound, in order.
    turns = report.turns
    assert len(turns) >= 3, captions
    finals = report.finals()
    assert len(finals) == len(turns), finals
    for turn in turns:
        assert wer(spoken[turn.answer_index], turn.transcript) <= MAX_WER, (spoken[turn.answer_index], turn)
        assert turn.transcript_latency is not None
        assert 0 < turn.transcript_latency < 5.0
        assert turn.reply_latency is not None

    # The engine split each turn's latency, and its end of speech to first audio frame fits inside
    # what the candidate measured (which adds the network and the jitter buffer).
    metrics = expect(await raw.get("/metrics/json", params={"recent_turns_after": 0}), 200)["turns"]
    assert metrics["count"] == len(turns)
    assert metrics["p50"] is not None
    client_reply = sorted(t.reply_latency for t in turns if t.reply_latency is not None)
    for logged in metrics["recent"]:
        assert logged["backend"] == "director"
        phases = [
            logged[k] for k in ("endpointing_ms", "transcription_ms", "generation_ms", "first_audio_ms")
        ]
        assert min(phases) >= 0, logged
        parts = logged["endpointing_ms"] + logged["generation_ms"] + logged["first_audio_ms"]
        assert abs(logged["total_ms"] - parts) <= 2, logged
        assert logged["transcription_ms"] <= logged["endpointing_ms"], logged
        # The voice model's verdict, when the turn had one, came before the turn ended.
        if logged["verdict_ms"] is not None:
            assert 0 < logged["verdict_ms"] <= logged["endpointing_ms"], logged
            assert isinstance(logged["verdict_complete"], bool), logged
        else:
            assert logged["verdict_complete"] is None, logged
    server_median = sorted(t["total_ms"] for t in metrics["recent"])[len(turns) // 2] / 1000
    assert server_median <= client_reply[len(turns) // 2] + 0.05, (metrics["recent"], client_reply)
    # Prometheus' histograms counted the same turns.
    exposition = (await raw.get("/metrics")).text
    totals = [
        s.value
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
        if s.name == "interview_engine_turn_phase_seconds_count" and s.labels["phase"] == "total"
    ]
    assert sum(totals) == len(turns), exposition

    # The live session is gone and the session is completed.
    live = app.state.services.live
    await live.wait_closed(session_id)
    assert len(live) == 0
    session = expect(await client.get(f"/v1/sessions/{session_id}"), 200)
    assert session["status"] == "completed"
    assert session["started_at"] is not None
    assert session["transport"] == "webrtc"  # how it was held, for the recruiter
    # Every rubric dimension was asked about, and the plan and progress are kept with the session.
    async with app.state.services.database.transaction() as db:
        row = await db.get(SessionRow, session_id)
        assert row is not None
        state = row.dialogue_state or {}
    assert set(state["progress"]["covered"]) == {"System Design", "Communication", "Ownership"}
    assert state["progress"]["finished"] is True

    # The stored transcript: interviewer lines and candidate answers, in time order.
    transcript = expect(await client.get(f"/v1/sessions/{session_id}/transcript"), 200)
    segments = transcript["segments"]
    assert (segments[0]["speaker"], segments[-1]["speaker"]) == ("interviewer", "interviewer")
    starts = [s["start"] for s in segments]
    assert starts == sorted(starts)
    answers = [s for s in segments if s["speaker"] == "candidate"]
    assert len(answers) == len(turns)
    for said, segment in zip(spoken, answers, strict=False):
        assert wer(said, segment["text"]) <= MAX_WER
        assert 0 < segment["confidence"] <= 1
        assert segment["end"] > segment["start"]
    assert [s["text"] for s in segments if s["speaker"] == "interviewer"] == captions

    # The recording: stereo, 16 kHz, as long as the call; the candidate on the left where they spoke,
    # the interviewer on the right where it spoke.
    response = await client.get(f"/v1/sessions/{session_id}/recording")
    assert response.status_code == 200
    # recording.ready was recorded once the session was over (for webhook receivers).
    ready = expect(await client.get("/v1/events", params={"type": "recording.ready"}), 200)["data"]
    assert [e["data"]["session_id"] for e in ready] == [session_id]
    assert ready[0]["data"]["recording"]["channels"] == 2
    assert ready[0]["data"]["recording"]["duration_s"] > 5
    assert response.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(response.content)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, 16000, 2)
        frames = wav.readframes(wav.getnframes())
        duration = wav.getnframes() / 16000
    assert segments[-1]["end"] <= duration + 0.5
    assert duration < segments[-1]["end"] + 5.0
    stereo = np.frombuffer(frames, dtype="<i2").reshape(-1, 2)
    left, right = stereo[:, 0], stereo[:, 1]
    for segment in answers:
        assert channel_rms(left, 16000, segment["start"], segment["end"]) > 300
        assert channel_rms(right, 16000, segment["start"], segment["end"]) < 50
    for segment in segments:
        if segment["speaker"] == "interviewer":
            assert channel_rms(right, 16000, segment["start"], segment["end"]) > 300

    # Range requests, so a player can seek.
    ranged = await client.get(f"/v1/sessions/{session_id}/recording", headers={"Range": "bytes=44-1043"})
    assert ranged.status_code == 206
    assert ranged.content == response.content[44:1044]
    assert ranged.headers["content-range"] == f"bytes 44-1043/{len(response.content)}"
    beyond = await client.get(
        f"/v1/sessions/{session_id}/recording", headers={"Range": f"bytes={len(response.content) + 10}-"}
    )
    assert beyond.status_code == 416

    # No recorder thread or live-session task is left behind.
    await asyncio.sleep(0)
    leftover = {t.name for t in threading.enumerate()} - threads_before
    assert not [name for name in leftover if name.startswith("recorder")], leftover
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("live-session")]
    await raw.aclose()
