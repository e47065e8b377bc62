"""A worker that does not share the engine's disk (another host) reads the recording from the bucket, on
both databases, with a real S3-compatible server (moto) on loopback: it hands the analysis back while
the recording is on its way, the engine transcodes and uploads it at once because it is wanted, and the
worker then scores with the audio checks; when it never comes, the analysis goes ahead without them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from moto.server import ThreadedMotoServer
from sqlalchemy import select

from config.settings import Settings
from engine.analysis import audio_source
from engine.analysis.audio_source import InBucket, Local, StoredRecording, Wait, locate
from engine.analysis.worker import AnalysisWorker, open_analysis
from engine.storage.object_store import ObjectStore
from engine.storage.transcodes import transcode_due
from engine.storage.uploads import upload_pending
from engine.store.database import Database
from engine.store.tables import AnalysisRow, RecordingRow
from scoring.authenticity import AUDIO_KINDS
from tests.engine.analysis_helpers import STRONG, complete_with, scheduled
from tests.engine.test_object_store import moto_store, s3
from tests.engine.test_recording_opus import interview_pcm, seed_recording
from tests.helpers import ApiClients, StepClock

__all__ = ["s3"]  # the fixture, imported for this module's tests

NOT_CHECKED = "No recording of the candidate's audio: not checked."
WAIT_S = 300.0


@pytest.fixture
def settings(settings: Settings, s3: ThreadedMotoServer) -> Settings:
    # The engine's own workers do nothing (they run apart); its upload and transcode passes run when the
    # test says (poll_s of an hour after the start-up pass).
    return settings.model_copy(
        update={
            "object_store": moto_store(s3),
            "workers": settings.workers.model_copy(update={"embedded": False}),
            "recordings": settings.recordings.model_copy(update={"poll_s": 3600}),
            "analysis": settings.analysis.model_copy(
                update={"use_llm": False, "poll_s": 0.05, "recording_wait_s": WAIT_S}
            ),
        }
    )


@pytest.fixture
async def elsewhere(
    app: FastAPI, settings: Settings, clock: StepClock, tmp_path: Path
) -> AsyncIterator[AnalysisWorker]:
    """An analysis worker on another host: the same database and bucket, its own (empty) disk."""
    other = settings.model_copy(update={"data_dir": tmp_path / "worker-host"})
    async with open_analysis(other, app.state.services.database, clock) as worker:
        yield worker


async def completed_with_recording(app: FastAPI, api: ApiClients) -> str:
    client = await api.client()
    session_id = str((await scheduled(client))["id"])
    await seed_recording(app, session_id, interview_pcm())
    await complete_with(app, client, session_id, STRONG)
    return session_id


async def until(database: Database, check: Any, what: str, timeout_s: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        async with database.transaction() as db:
            found = await check(db)
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def analysis_of(database: Database, session_id: str) -> AnalysisRow:
    async with database.transaction() as db:
        row = await db.scalar(
            select(AnalysisRow)
            .where(AnalysisRow.session_id == session_id)
            .execution_options(populate_existing=True)
        )
        assert row is not None
        db.expunge(row)
        return row


def audio_summaries(row: AnalysisRow) -> set[str]:
    assert row.result is not None
    return {str(f["summary"]) for f in row.result["authenticity"] if f["kind"] in AUDIO_KINDS}


async def test_a_worker_on_another_disk_waits_for_the_recording_and_reads_it_from_the_bucket(
    app: FastAPI, api: ApiClients, settings: Settings, clock: StepClock, elsewhere: AnalysisWorker
) -> None:
    database: Database = app.state.services.database
    session_id = await completed_with_recording(app, api)

    async def wanted(db: Any) -> RecordingRow | None:
        row = await db.get(RecordingRow, session_id, populate_existing=True)
        return row if row is not None and row.wanted_at is not None else None

    await until(database, wanted, "the recording marked wanted")
    waiting = await analysis_of(database, session_id)
    assert (waiting.status, waiting.attempts) == ("PENDING", 0)
    assert waiting.not_before is not None

    # The engine that has the file transcodes it now, although IE_RECORDINGS__OPUS_AFTER_S (600 s by
    # default) has not passed and the analysis is still pending, and uploads the Opus file.
    assert settings.recordings.opus_after_s == 600
    store = ObjectStore(settings.object_store)
    done = await transcode_due(
        database, settings.recordings_dir, clock, settings.recordings, lease_s=60, bucket=True
    )
    assert done.transcoded == 1
    uploaded = await upload_pending(
        database, store, settings.recordings_dir, clock, delete_local=True, hold_wav=True
    )
    assert uploaded.uploaded == 1
    # The engine's disk keeps its copy until the analysis is over; the worker reads the bucket's.
    clock.advance(timedelta(seconds=audio_source.WAIT_STEP_S + 1))
    await elsewhere.wait_idle()
    row = await analysis_of(database, session_id)
    assert (row.status, row.attempts) == ("COMPLETED", 1)  # the waits were not counted as attempts
    summaries = audio_summaries(row)
    assert summaries
    assert NOT_CHECKED not in summaries, summaries


async def test_a_recording_that_never_reaches_the_bucket_is_scored_without_the_audio_checks(
    app: FastAPI, api: ApiClients, clock: StepClock, elsewhere: AnalysisWorker
) -> None:
    database: Database = app.state.services.database
    session_id = await completed_with_recording(app, api)

    async def deferred(db: Any) -> AnalysisRow | None:
        row = await db.scalar(select(AnalysisRow).execution_options(populate_existing=True))
        return row if row is not None and row.not_before is not None else None

    await until(database, deferred, "the analysis handed back")
    # Its engine is gone for good: nobody uploads it. Past IE_ANALYSIS__RECORDING_WAIT_S it is scored.
    clock.advance(timedelta(seconds=WAIT_S + 1))
    await elsewhere.wait_idle()
    row = await analysis_of(database, session_id)
    assert (row.status, row.attempts) == ("COMPLETED", 1)
    assert audio_summaries(row) == {NOT_CHECKED}


def test_where_the_audio_is_read_from(tmp_path: Path) -> None:
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    ended = now - timedelta(seconds=30)
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "here.wav").write_bytes(b"RIFF")
    here = StoredRecording("acme/here.wav", "ready", None, ended)
    away = StoredRecording("acme/away.wav", "ready", None, ended)
    kwargs: dict[str, Any] = {"bucket": True, "now": now, "wait_s": WAIT_S}

    assert locate(None, tmp_path, **kwargs) is None
    assert locate(here, tmp_path, **kwargs) == Local(tmp_path / "acme" / "here.wav")
    assert locate(away, tmp_path, **{**kwargs, "bucket": False}) is None
    uploaded = StoredRecording("acme/away.opus", "ready", "recordings/acme/away.opus", ended)
    assert locate(uploaded, tmp_path, **kwargs) == InBucket("recordings/acme/away.opus")
    # On its way: wait a step at a time, never past the deadline.
    assert locate(away, tmp_path, **kwargs) == Wait(now + timedelta(seconds=audio_source.WAIT_STEP_S))
    assert locate(away, tmp_path, **{**kwargs, "wait_s": 35}) == Wait(ended + timedelta(seconds=35))
    assert locate(away, tmp_path, **{**kwargs, "wait_s": 30}) is None
    # A file still being written (its engine died mid-interview) will not come: no wait.
    assert locate(StoredRecording("acme/away.wav", "recording", None, ended), tmp_path, **kwargs) is None
    # A stored path that leads outside the recordings directory is not opened.
    outside = StoredRecording("../elsewhere.wav", "ready", None, ended)
    (tmp_path.parent / "elsewhere.wav").write_bytes(b"RIFF")
    assert not isinstance(locate(outside, tmp_path, **kwargs), Local)
