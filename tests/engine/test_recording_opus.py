"""Finished recordings become Ogg Opus (engine.storage.transcodes) on both databases: only once the session
is over and its analysis done, served as audio/ogg with Range and lined up with the WAV it replaced;
a transcode that died is done again, a malformed WAV stays the recording; with a bucket the Opus file
is what goes up, and the WAV goes only after that."""

from __future__ import annotations

import wave
from datetime import timedelta
from pathlib import Path

import boto3
import numpy as np
import numpy.typing as npt
from fastapi import FastAPI
from moto.server import ThreadedMotoServer

from config.settings import RecordingSettings, Settings
from engine.analysis.job import _candidate_channel
from engine.app import create_app
from engine.live.registry import recording_name
from engine.services import transcripts
from engine.storage.object_store import ObjectStore
from engine.storage.transcodes import MAX_ATTEMPTS, TranscodeResult, transcode_due
from engine.storage.uploads import upload_pending
from engine.store.tables import RecordingRow, SessionRow
from media.transcode import decode_opus
from tests.engine.live_helpers import booked_session
from tests.engine.test_object_store import BUCKET, moto_store, s3
from tests.helpers import ApiClients, StepClock
from tests.media.test_transcode import lag_ms, voice

__all__ = ["s3"]  # the fixture, imported for the bucket test

RATE = 16_000
SECONDS = 40
NOW_SETTINGS = RecordingSettings(opus_after_s=0)


def interview_pcm() -> npt.NDArray[np.int16]:
    return (np.stack([voice(SECONDS, 11), voice(SECONDS, 12)], axis=1) * 9000).astype(np.int16)


def write_wav(path: Path, pcm: npt.NDArray[np.int16] | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if pcm is None:
        path.write_bytes(b"RIFF not really a wave file")
        return
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.astype("<i2").tobytes())


async def seed_recording(app: FastAPI, session_id: str, pcm: npt.NDArray[np.int16] | None = None) -> Path:
    """A "ready" WAV recording of a session still scheduled, as the live session leaves it."""
    services = app.state.services
    async with services.database.transaction() as db:
        session = await db.get(SessionRow, session_id)
        assert session is not None
        name = recording_name(session.company_id, session_id)
        path: Path = services.settings.recordings_dir / name
        write_wav(path, pcm)
        await transcripts.save_recording(
            db,
            session.company_id,
            session_id,
            path=name,
            sample_rate=RATE,
            channels=2,
            duration_s=SECONDS,
            status="ready",
            now=services.clock.now(),
        )
    return path


async def finish(app: FastAPI, session_id: str, *, analysis: str | None = "COMPLETED") -> None:
    async with app.state.services.database.transaction() as db:
        session = await db.get(SessionRow, session_id)
        assert session is not None
        session.status, session.analysis_status = "completed", analysis


async def row_of(app: FastAPI, session_id: str) -> RecordingRow:
    async with app.state.services.database.transaction() as db:
        row: RecordingRow | None = await db.get(RecordingRow, session_id)
        assert row is not None
        db.expunge(row)
        return row


async def run_pass(
    app: FastAPI, clock: StepClock, settings: RecordingSettings = NOW_SETTINGS, *, bucket: bool = False
) -> TranscodeResult:
    services = app.state.services
    return await transcode_due(
        services.database, services.settings.recordings_dir, clock, settings, lease_s=60, bucket=bucket
    )


async def test_finished_recording_becomes_opus_and_is_served_with_range(
    app: FastAPI, api: ApiClients, clock: StepClock, tmp_path: Path
) -> None:
    client = await api.client()
    session_id, _ = await booked_session(client)
    pcm = interview_pcm()
    wav = await seed_recording(app, session_id, pcm)
    url = f"/v1/sessions/{session_id}/recording"
    assert (await client.get(url)).headers["content-type"] == "audio/wav"

    # Not while the session may still be resumed (it would append to the WAV) ...
    assert (await run_pass(app, clock)).transcoded == 0
    # ... nor while its analysis, which reads the WAV, is pending ...
    await finish(app, session_id, analysis="PENDING")
    assert (await run_pass(app, clock)).transcoded == 0
    # ... nor before IE_RECORDINGS__OPUS_AFTER_S has passed.
    await finish(app, session_id)
    assert (await run_pass(app, clock, RecordingSettings())).transcoded == 0
    clock.advance(timedelta(seconds=601))
    result = await run_pass(app, clock, RecordingSettings())
    assert (result.transcoded, result.failed, result.deleted) == (1, 0, 1)

    row = await row_of(app, session_id)
    assert (row.content_type, row.path) == (
        "audio/ogg",
        recording_name(row.company_id, session_id)[:-4] + ".opus",
    )
    assert row.transcoded_at is not None
    assert (row.source_path, row.transcode_token, row.transcode_error) == (None, None, None)
    assert not wav.exists()  # no bucket: the WAV goes once the Opus file is in place
    opus = wav.with_suffix(".opus")
    content = opus.read_bytes()
    assert len(content) < SECONDS * RATE * 4 / 15  # the WAV's data was 4 bytes a frame

    whole = await client.get(url)
    assert (whole.status_code, whole.content) == (200, content)
    assert whole.headers["content-type"] == "audio/ogg"
    assert whole.headers["accept-ranges"] == "bytes"
    assert f'filename="session-{session_id}.opus"' in whole.headers["content-disposition"]
    part = await client.get(url, headers={"Range": "bytes=100-1099"})
    assert (part.status_code, part.content) == (206, content[100:1100])
    assert part.headers["content-range"] == f"bytes 100-1099/{len(content)}"
    assert part.headers["content-type"] == "audio/ogg"
    tail = await client.get(url, headers={"Range": "bytes=-100"})
    assert (tail.status_code, tail.content) == (206, content[-100:])
    beyond = await client.get(url, headers={"Range": f"bytes={len(content)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(content)}"

    # What the player gets decodes to the WAV's timeline: same length, no lag at either end.
    served = tmp_path / "served.opus"
    served.write_bytes(whole.content)
    decoded = decode_opus(served, RATE)
    assert decoded.shape == pcm.shape
    window = 10 * RATE
    for start in (RATE // 50, len(pcm) - window - RATE // 50):
        assert abs(lag_ms(pcm[:, 0], decoded[:, 0], start, window)) <= 2.0
        assert abs(lag_ms(pcm[:, 1], decoded[:, 1], start, window)) <= 2.0

    # An analysis run again reads the candidate's channel from the Opus file, on the same timeline.
    candidate = _candidate_channel(opus)
    assert candidate is not None
    assert candidate.shape == (len(pcm),)
    assert abs(lag_ms(pcm[:, 0], candidate, RATE, window)) <= 2.0

    again = await run_pass(app, clock)
    assert (again.transcoded, again.skipped, again.failed, again.deleted) == (0, 0, 0, 0)


async def test_a_transcode_that_died_is_done_again_and_a_malformed_wav_stays(
    app: FastAPI, api: ApiClients, clock: StepClock
) -> None:
    client = await api.client()
    session_id, _ = await booked_session(client)
    wav = await seed_recording(app, session_id, interview_pcm())
    await finish(app, session_id)
    leftover = wav.with_name(wav.stem + ".opus.dead0001.tmp")
    leftover.write_bytes(b"half an Ogg stream")
    database = app.state.services.database
    async with database.transaction() as db:
        row = await db.get(RecordingRow, session_id)
        assert row is not None
        # Another engine claimed it and died mid-way: its lease has not run out yet.
        row.transcode_token, row.transcode_until = "dead", clock.now() + timedelta(seconds=60)
        row.transcode_attempts = 1
    assert (await run_pass(app, clock)).transcoded == 0
    assert wav.exists()
    clock.advance(timedelta(seconds=61))
    assert (await run_pass(app, clock)).transcoded == 1
    row = await row_of(app, session_id)
    assert (row.content_type, row.transcode_attempts, row.transcode_token) == ("audio/ogg", 2, None)
    assert sorted(p.name for p in wav.parent.iterdir()) == [f"{session_id}.opus"]

    # A WAV that is not one: a clear reason on the row, and it stays the recording, served as before.
    broken_id, _ = await booked_session(client)
    broken = await seed_recording(app, broken_id)
    await finish(app, broken_id)
    result = await run_pass(app, clock)
    assert (result.transcoded, result.failed) == (0, 1)
    row = await row_of(app, broken_id)
    assert row.content_type == "audio/wav"
    assert row.transcode_error is not None
    assert "not a PCM WAV file" in row.transcode_error
    assert broken.exists()
    assert (await client.get(f"/v1/sessions/{broken_id}/recording")).headers["content-type"] == "audio/wav"
    assert (await run_pass(app, clock)).failed == 0  # given up: not tried again

    # One whose transcodes never finished (killed each time) is given up after MAX_ATTEMPTS.
    stuck_id, _ = await booked_session(client)
    await seed_recording(app, stuck_id, interview_pcm())
    await finish(app, stuck_id)
    async with database.transaction() as db:
        row = await db.get(RecordingRow, stuck_id)
        assert row is not None
        row.transcode_attempts = MAX_ATTEMPTS
    assert (await run_pass(app, clock)).failed == 1
    assert (
        await row_of(app, stuck_id)
    ).transcode_error == f"gave up: {MAX_ATTEMPTS} transcodes never finished"


async def test_with_a_bucket_the_opus_file_goes_up_and_only_then_the_wav_is_deleted(
    settings: Settings, clock: StepClock, s3: ThreadedMotoServer
) -> None:
    settings = settings.model_copy(update={"object_store": moto_store(s3)})
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        api = ApiClients(app, clock)
        try:
            client = await api.client()
            session_id, _ = await booked_session(client)
            wav = await seed_recording(app, session_id, interview_pcm())
            await finish(app, session_id)
            database, store = app.state.services.database, ObjectStore(settings.object_store)

            async def upload() -> tuple[int, int]:
                result = await upload_pending(
                    database, store, settings.recordings_dir, clock, delete_local=True, hold_wav=True
                )
                return result.uploaded, result.deleted

            assert await upload() == (0, 0)  # the WAV waits for its transcode
            result = await run_pass(app, clock, bucket=True)
            assert (result.transcoded, result.deleted) == (1, 0)
            assert wav.exists()  # the only copy until the Opus file is in the bucket
            assert await upload() == (1, 1)  # uploaded, and (analysis done) the local Opus file deleted
            row = await row_of(app, session_id)
            assert row.object_key is not None
            assert row.object_key.endswith(f"{session_id}.opus")
            assert row.source_path is not None
            s3_client = boto3.client(
                "s3",
                endpoint_url=settings.object_store.url,
                region_name="us-east-1",
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )
            head = s3_client.head_object(Bucket=BUCKET, Key=row.object_key)
            assert head["ContentType"] == "audio/ogg"
            assert (await run_pass(app, clock, bucket=True)).deleted == 1
            assert not wav.exists()
            assert (await row_of(app, session_id)).source_path is None

            size = int(head["ContentLength"])
            part = await client.get(f"/v1/sessions/{session_id}/recording", headers={"Range": "bytes=0-499"})
            assert part.status_code == 206
            assert part.headers["content-range"] == f"bytes 0-499/{size}"
            assert part.headers["content-type"] == "audio/ogg"
            assert part.content[:4] == b"OggS"
        finally:
            await api.aclose()
