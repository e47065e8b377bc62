"""An engine killed mid-call (kill -9) and started again on the same data dir: the recording made so far
is served at once, and the session, which nobody resumes, is ended as abandoned on the (injected) clock.

The engine that dies is `interview-engine serve` in a child process, so nothing of its shutdown path
runs: the WAV is left as the writer's last flush made it and the session row says in progress. The one
that comes back is `create_app` in this process, on the same settings, with an injected clock.
"""

from __future__ import annotations

import asyncio
import io
import os
import socket
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pytest

from config.settings import Settings
from engine.app import create_app
from engine.live.abandoned import ABANDONED
from engine.store.tables import SessionRow
from media.scripted_candidate import ScriptedCandidate
from tests.engine.live_helpers import booked_session, offer_poster, sound_s
from tests.engine.process_helpers import ChildProcess
from tests.engine.session_helpers import expect
from tests.helpers import ApiClients, StepClock

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

START_TIMEOUT_S = 60.0
HEARD_S = 2.0  # of the interviewer's sound, before the kill
FLUSHED_S = 1.5  # then past the recorder's next flush (every second)


def engine_process(settings: Settings, logs: Path) -> tuple[ChildProcess, str]:
    """`interview-engine serve` on `settings`' data dir and database, and its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "IE_DATABASE_URL": str(settings.database_url)}
    args = ["serve", "--data-dir", str(settings.data_dir), "--port", str(port)]
    return ChildProcess("engine", args, env, logs), f"http://127.0.0.1:{port}"


def stereo_of(wav_bytes: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(wav_bytes)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, 16000, 2)
        frames = wav.readframes(wav.getnframes())
        assert len(frames) == wav.getnframes() * 4  # no more counted than is there
    return np.frombuffer(frames, dtype="<i2").reshape(-1, 2)


async def test_after_a_crash_the_recording_is_served_and_the_abandoned_session_ends(
    settings: Settings, clock: StepClock, tmp_path: Path
) -> None:
    # Booked through an engine in this process, stopped cleanly while nothing is live.
    booking = create_app(settings, clock=clock)
    async with booking.router.lifespan_context(booking):
        api = ApiClients(booking, clock)
        try:
            session_id, token = await booked_session(await api.client())
        finally:
            await api.aclose()

    # The call, on an engine that is then killed: no hang-up, no end of the recording.
    candidate = ScriptedCandidate([])
    try:
        engine, base_url = engine_process(settings, tmp_path)
        with engine:
            await engine.until_healthy(base_url, START_TIMEOUT_S)
            async with httpx.AsyncClient(base_url=base_url, timeout=30) as raw:
                await candidate.connect(offer_poster(raw, token))
                await candidate.wait_for_sound(HEARD_S)
                heard = candidate.report.received_sound_s
                await asyncio.sleep(FLUSHED_S)
                assert engine.kill() == -9
    finally:
        await candidate.close()

    # The engine comes back on the same data dir, sweeping for abandoned sessions every 0.2 s, its
    # injected clock set to the wall clock the dead engine ran on (the session started on that).
    clock.advance(datetime.now(UTC) - clock.now())
    media = settings.media.model_copy(update={"abandon_check_s": 0.2})
    restarted = create_app(settings.model_copy(update={"media": media}), clock=clock)
    async with restarted.router.lifespan_context(restarted):
        api = ApiClients(restarted, clock)
        try:
            client = await api.client()
            await asyncio.sleep(0.5)  # a sweep or two: a session started minutes ago is not abandoned
            assert expect(await client.get(f"/v1/sessions/{session_id}"), 200)["status"] == "in_progress"
            served = await client.get(f"/v1/sessions/{session_id}/recording")
            assert served.status_code == 200, served.text
            stereo = stereo_of(served.content)
            # What the candidate had heard when the writer last flushed (FLUSHED_S before the kill, the
            # writer flushes every second) is in the file: the interviewer's side of the call so far.
            assert len(stereo) >= 16000
            assert sound_s(stereo[:, 1]) >= 0.75 * heard, (sound_s(stereo[:, 1]), heard)

            # A day after it started, the next sweep ends it.
            clock.advance(timedelta(hours=settings.media.abandon_after_h, minutes=1))
            for _ in range(100):
                session = expect(await client.get(f"/v1/sessions/{session_id}"), 200)
                if session["status"] != "in_progress":
                    break
                await asyncio.sleep(0.1)
            assert session["status"] == "completed"
            async with restarted.state.services.database.transaction() as db:
                row = await db.get(SessionRow, session_id)
                assert row is not None
                assert (row.dialogue_state or {}).get("end_reason") == ABANDONED
            ended = await client.get(f"/v1/sessions/{session_id}/recording")
            assert ended.status_code == 200
            # Repaired, not cut: everything that was served before is still there.
            assert np.array_equal(stereo_of(ended.content)[: len(stereo)], stereo)
        finally:
            await api.aclose()
