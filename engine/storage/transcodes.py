"""Finished recordings transcoded from WAV to Ogg Opus (IE_RECORDINGS__OPUS, on by default): the database
is the queue, as for uploads (engine.storage.uploads).

A recording is due when it is "ready", still WAV, not uploaded, its session is over for good (completed,
cancelled or failed: a resumable session would append to the WAV) and nothing will read the WAV again:
the session's analysis is not pending or running (the analysis reads the candidate's channel; a rerun
later decodes the Opus file, engine.analysis.job). It is then left `IE_RECORDINGS__OPUS_AFTER_S` more,
so that a webhook receiver told of `recording.ready` (audio/wav) or a player already open keeps
reading the bytes it started on. Except with a bucket when an analysis worker has asked for the file
(`wanted_at`: a worker on another host, without this disk, waits for the recording in the bucket,
engine.analysis.audio_source): it is then transcoded at the next pass, and uploaded after it.

One job, in this order, so that a crash at any point loses nothing:
1. claim the row with a lease (`transcode_token` until `transcode_until`, a conditional UPDATE: of two
   engines sharing a disk only one wins), renewed while the transcode runs;
2. transcode to a temporary name, fsync, rename to `<name>.opus` (media.transcode), in a thread of its
   own at low CPU priority, so live sessions come first and the event loop is never blocked;
3. switch the row, still holding the lease: `path` and `content_type` now name the Opus file, and
   `source_path` the WAV; from this commit on the recording endpoint serves the Opus file;
4. delete the WAV, then clear `source_path` (without a bucket at once; with one once the upload pass has
   put the Opus file in the bucket, since the WAV is the only copy until then).
A crash before 3 leaves the WAV the recording (the lease runs out and the job is done again; a temporary
file left behind is removed then); after 3, step 4 is done by the next pass. A WAV that cannot be
transcoded (malformed, truncated) gets `transcode_error` and stays the recording; so does one whose
transcode never finished in `MAX_ATTEMPTS` claims.

The pass runs in the engine, like the upload pass: the WAV is on the disk of the node that recorded it,
and a recording whose file this node does not have is left for its own node."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import aliased

from config.enums import SessionStatus
from config.settings import RecordingSettings
from engine.clock import Clock
from engine.poller import Poller
from engine.services import analyses, leases
from engine.storage.uploads import local_recording
from engine.store.database import Database
from engine.store.tables import RecordingRow, SessionRow
from media.transcode import (
    OPUS_CONTENT_TYPE,
    OPUS_SUFFIX,
    TranscodeCancelled,
    TranscodeError,
    transcode_wav_to_opus,
)

__all__ = ["MAX_ATTEMPTS", "RecordingTranscodes", "TranscodeResult", "drop_sources", "transcode_due"]

logger = logging.getLogger(__name__)

WAV = "audio/wav"
BATCH = 10
MAX_ATTEMPTS = 3
TERMINAL = tuple(status.value for status in SessionStatus if status.is_terminal)
# The transcoding thread's niceness (Linux, per thread): live sessions' threads come first.
NICENESS = 10

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TranscodeResult:
    transcoded: int = 0
    skipped: int = 0  # not on this node's disk, or claimed by another engine
    failed: int = 0  # given up (transcode_error set), or failed this time and left for a retry
    deleted: int = 0  # WAVs deleted after their Opus file was safe


def _lower_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)


async def _in_own_thread(work: Callable[[], T]) -> T:
    """`work()` in a fresh daemon thread at lower priority (so an engine stopping mid-transcode is not
    held up at exit, and no pool thread keeps the lowered priority)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(value: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)

    def run() -> None:
        _lower_priority()
        try:
            value = work()
        except BaseException as error:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody is waiting
                loop.call_soon_threadsafe(settle, None, error)
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, value, None)

    threading.Thread(target=run, name="opus-transcode", daemon=True).start()
    return await future


def _due(now: datetime, after_s: float, *, bucket: bool) -> Any:
    session = aliased(SessionRow)
    settled = RecordingRow.updated_at <= now - timedelta(seconds=after_s)
    read = or_(session.analysis_status.is_(None), session.analysis_status.not_in(analyses.OPEN))
    if bucket:
        # A worker without this disk waits for the file in the bucket (engine.analysis.audio_source):
        # it goes up now, the Opus file being what is uploaded.
        settled = or_(settled, RecordingRow.wanted_at.is_not(None))
        read = or_(read, RecordingRow.wanted_at.is_not(None))
    return (
        select(RecordingRow.session_id, RecordingRow.path, RecordingRow.updated_at)
        .join(session, session.id == RecordingRow.session_id)
        .where(
            RecordingRow.status == "ready",
            RecordingRow.content_type == WAV,
            RecordingRow.transcode_error.is_(None),
            RecordingRow.uploaded_at.is_(None),
            settled,
            or_(RecordingRow.transcode_until.is_(None), RecordingRow.transcode_until <= now),
            session.status.in_(TERMINAL),
            read,
        )
        .order_by(RecordingRow.updated_at)
        .limit(BATCH)
    )


class _Job:
    """One recording's transcode, under its lease."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        session_id: str,
        relative: str,
        updated_at: datetime,
        claim: leases.Claim,
    ) -> None:
        self.database, self.clock = database, clock
        self.session_id, self.relative, self.updated_at = session_id, relative, updated_at
        self.claim = claim

    async def claim_it(self) -> bool | None:
        """True: claimed; False: another engine has it or the row changed; None: given up (too many
        attempts that never finished)."""
        now = self.clock.now()
        async with self.database.transaction() as db:
            attempts = await db.scalar(
                select(RecordingRow.transcode_attempts).where(RecordingRow.session_id == self.session_id)
            )
            if attempts is not None and attempts >= MAX_ATTEMPTS:
                await db.execute(
                    update(RecordingRow)
                    .where(RecordingRow.session_id == self.session_id, RecordingRow.transcode_error.is_(None))
                    .values(transcode_error=f"gave up: {attempts} transcodes never finished")
                    .execution_options(synchronize_session=False)
                )
                return None
            result = await db.execute(
                update(RecordingRow)
                .where(
                    RecordingRow.session_id == self.session_id,
                    RecordingRow.status == "ready",
                    RecordingRow.content_type == WAV,
                    RecordingRow.path == self.relative,
                    RecordingRow.updated_at == self.updated_at,
                    RecordingRow.transcode_error.is_(None),
                    RecordingRow.uploaded_at.is_(None),
                    or_(RecordingRow.transcode_until.is_(None), RecordingRow.transcode_until <= now),
                )
                .values(
                    transcode_token=self.claim.token,
                    transcode_until=now + self.claim.lease,
                    transcode_attempts=RecordingRow.transcode_attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            return bool(cast(CursorResult[Any], result).rowcount == 1)

    async def renew(self, until: datetime) -> bool:
        async with self.database.transaction() as db:
            result = await db.execute(
                update(RecordingRow)
                .where(
                    RecordingRow.session_id == self.session_id,
                    RecordingRow.transcode_token == self.claim.token,
                )
                .values(transcode_until=until)
                .execution_options(synchronize_session=False)
            )
            return bool(cast(CursorResult[Any], result).rowcount == 1)

    async def _held(self, change: Callable[[RecordingRow], None]) -> bool:
        """Apply `change` to the row, locked, while this claim still holds it and it is unchanged."""
        async with self.database.transaction() as db:
            row = await db.scalar(
                select(RecordingRow)
                .where(
                    RecordingRow.session_id == self.session_id,
                    RecordingRow.transcode_token == self.claim.token,
                )
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            if row is None:
                return False
            change(row)
            row.transcode_token, row.transcode_until = None, None
            return True

    async def switch(self, opus_relative: str) -> bool:
        now = self.clock.now()

        def change(row: RecordingRow) -> None:
            if row.status != "ready" or row.path != self.relative or row.updated_at != self.updated_at:
                return  # re-opened meanwhile: the WAV stays the recording
            row.path, row.content_type, row.source_path = opus_relative, OPUS_CONTENT_TYPE, self.relative
            row.transcoded_at = now

        return await self._held(change)

    async def give_up(self, error: str) -> None:
        def change(row: RecordingRow) -> None:
            row.transcode_error = error[:2000]

        await self._held(change)

    async def release(self, *, count: bool) -> None:
        """Hand the job back for the next pass; `count=False` (stopping) does not count the attempt."""

        def change(row: RecordingRow) -> None:
            if not count:
                row.transcode_attempts = max(0, row.transcode_attempts - 1)

        await self._held(change)


async def transcode_due(
    database: Database,
    recordings_dir: Path,
    clock: Clock,
    settings: RecordingSettings,
    *,
    lease_s: float,
    bucket: bool,
    cancel: threading.Event | None = None,
) -> TranscodeResult:
    """One pass: transcode the recordings due on this node's disk, then delete the WAVs whose Opus file
    is safe (written; and uploaded when `bucket`)."""
    cancel = cancel or threading.Event()
    async with database.transaction() as db:
        rows = (await db.execute(_due(clock.now(), settings.opus_after_s, bucket=bucket))).all()
    transcoded = skipped = failed = 0
    for session_id, relative, updated_at in rows:
        if cancel.is_set():
            break
        wav = local_recording(recordings_dir, relative)
        if wav is None or not await asyncio.to_thread(wav.is_file):
            skipped += 1
            continue
        claim = leases.Claim(timedelta(seconds=lease_s))
        job = _Job(database, clock, session_id, relative, updated_at, claim)
        claimed = await job.claim_it()
        if claimed is None:
            failed += 1
            logger.warning("recording of session %s stays WAV: its transcode never finished", session_id)
            continue
        if not claimed:
            skipped += 1
            continue
        outcome = await _transcode(job, wav, settings.opus_bitrate, cancel, clock)
        transcoded += outcome == "done"
        failed += outcome == "failed"
        skipped += outcome == "skipped"
    deleted = await drop_sources(database, recordings_dir, uploaded_only=bucket)
    return TranscodeResult(transcoded, skipped, failed, deleted)


async def _transcode(job: _Job, wav: Path, bitrate: int, cancel: threading.Event, clock: Clock) -> str:
    opus = wav.with_suffix(OPUS_SUFFIX)
    opus_relative = str(Path(job.relative).with_suffix(OPUS_SUFFIX))
    try:
        async with leases.keep_alive(job.renew, job.claim, clock.now, f"transcode {job.session_id}"):
            await asyncio.to_thread(_remove_leftovers, opus)
            result = await _in_own_thread(
                lambda: transcode_wav_to_opus(wav, opus, bitrate=bitrate, cancel=cancel)
            )
    except TranscodeCancelled:
        await job.release(count=False)
        return "skipped"
    except TranscodeError as error:
        logger.warning("recording of session %s stays WAV: %s", job.session_id, error)
        await job.give_up(str(error))
        return "failed"
    except Exception:
        logger.exception("recording of session %s: transcode failed (will retry)", job.session_id)
        await job.release(count=True)
        return "failed"
    if not await job.switch(opus_relative):
        logger.warning("recording of session %s: transcode lease lost; the WAV stays", job.session_id)
        return "skipped"
    logger.info(
        "recording of session %s transcoded to Opus: %.1f s, %d -> %d bytes (%.1fx)",
        job.session_id,
        result.duration_s,
        result.source_bytes,
        result.target_bytes,
        result.ratio,
    )
    return "done"


def _remove_leftovers(opus: Path) -> None:
    """Temporary files of a transcode that died (its lease ran out, so it is not writing any more)."""
    for leftover in opus.parent.glob(f"{opus.name}.*.tmp"):
        with contextlib.suppress(OSError):
            leftover.unlink()


async def drop_sources(database: Database, recordings_dir: Path, *, uploaded_only: bool) -> int:
    """Delete the WAVs of transcoded recordings (with a bucket, only once the Opus file is uploaded). The
    row is cleared before the file goes: a crash in between leaves a stray WAV, never a row that points
    at a file no node has. A WAV this node does not have is left to the node that has it."""
    session = aliased(SessionRow)
    conditions = [
        RecordingRow.source_path.is_not(None),
        # An analysis reading the WAV at this moment keeps it (one that waited for the bucket reads the
        # Opus file there; engine.analysis.audio_source).
        or_(session.analysis_status.is_(None), session.analysis_status != analyses.PROCESSING),
    ]
    if uploaded_only:
        conditions.append(RecordingRow.uploaded_at.is_not(None))
    async with database.transaction() as db:
        rows = (
            await db.execute(
                select(RecordingRow.session_id, RecordingRow.source_path)
                .join(session, session.id == RecordingRow.session_id)
                .where(*conditions)
                .order_by(RecordingRow.transcoded_at)
                .limit(BATCH)
            )
        ).all()
    deleted = 0
    for session_id, relative in rows:
        path = local_recording(recordings_dir, relative) if relative else None
        if path is None or not await asyncio.to_thread(path.is_file):
            continue
        async with database.transaction() as db:
            row = await db.get(RecordingRow, session_id)
            if row is None or row.source_path != relative:
                continue
            row.source_path = None
        await asyncio.to_thread(path.unlink, missing_ok=True)
        deleted += 1
    return deleted


class RecordingTranscodes:
    """The periodic pass, owned by the engine's lifespan (engine.workers.open_workers)."""

    def __init__(
        self,
        database: Database,
        recordings_dir: Path,
        clock: Clock,
        settings: RecordingSettings,
        *,
        lease_s: float,
        bucket: bool,
    ) -> None:
        self._database = database
        self._recordings_dir = recordings_dir
        self._clock = clock
        self._settings = settings
        self._lease_s = lease_s
        self._bucket = bucket
        self._poller = Poller(settings.poll_s)
        # Set at shutdown: a transcode in progress stops within a second of audio, and its job is handed back.
        self._cancel = threading.Event()

    def wake(self) -> None:
        self._poller.wake()

    async def __aenter__(self) -> RecordingTranscodes:
        await self._poller.start(self._run)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._cancel.set()
        await self._poller.stop(kind, exc, tb)

    async def _run(self) -> None:
        while not self._poller.stopping:
            busy = False
            try:
                result = await transcode_due(
                    self._database,
                    self._recordings_dir,
                    self._clock,
                    self._settings,
                    lease_s=self._lease_s,
                    bucket=self._bucket,
                    cancel=self._cancel,
                )
                busy = result.transcoded >= BATCH
            except Exception:
                logger.exception("recording transcodes: pass failed")
            if not busy:
                await self._poller.nap()
