"""Finished recordings go to the object store through a durable queue: the database itself. A recording
whose status is "ready" (the session is over and the file final) and that has no `uploaded_at` is an
upload still to do, so an engine stopped or killed before or during the upload loses nothing: the next
pass (at start-up, then every IE_OBJECT_STORE__POLL_S) uploads it again from the local file, which is
only deleted (IE_OBJECT_STORE__DELETE_LOCAL) after the database records the upload, and once the
session's analysis is over (the analysis reads the candidate's channel from the local file).

The pass runs in the engine, never in a separate `interview-engine worker`: the file lives on the disk
of the node that recorded it. A recording whose file this node does not have is left for its own node.
With IE_RECORDINGS__OPUS (the default) a WAV waits for its transcode and the Opus file is what goes up
(engine.storage.transcodes, which deletes the WAV once the upload is recorded).
Two passes racing on one recording upload the same bytes to the same key, which is harmless."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from engine.clock import Clock
from engine.poller import Poller
from engine.services.analyses import COMPLETED, FAILED
from engine.storage.object_store import ObjectStore, ObjectStoreUnavailable
from engine.store.database import Database
from engine.store.tables import RecordingRow, SessionRow

__all__ = ["PassResult", "RecordingUploads", "local_recording", "upload_pending"]

logger = logging.getLogger(__name__)

BATCH = 20


@dataclass(frozen=True, slots=True)
class PassResult:
    uploaded: int = 0
    skipped: int = 0  # not on this node's disk
    deleted: int = 0  # local copies deleted (IE_OBJECT_STORE__DELETE_LOCAL)
    failed: bool = False  # the store was unreachable: the rest waits for the next pass


def local_recording(recordings_dir: Path, relative: str) -> Path | None:
    """The recording's file under `recordings_dir`, or None when the stored path points outside it (a
    moved or hand-edited database must not open files elsewhere)."""
    root = recordings_dir.resolve()
    path = (root / relative).resolve()
    return path if path.is_relative_to(root) else None


async def upload_pending(
    database: Database,
    store: ObjectStore,
    recordings_dir: Path,
    clock: Clock,
    *,
    delete_local: bool,
    hold_wav: bool = False,
) -> PassResult:
    """One pass over the recordings waiting for their upload. Stops at the first failure to reach the
    store (the others would fail the same way), leaving them pending. `hold_wav` (IE_RECORDINGS__OPUS):
    a WAV is not uploaded, its Opus file will be (engine.storage.transcodes), unless it cannot be
    transcoded."""
    held = (
        (or_(RecordingRow.content_type != "audio/wav", RecordingRow.transcode_error.is_not(None)),)
        if hold_wav
        else ()
    )
    async with database.transaction() as db:
        rows = (
            await db.execute(
                select(
                    RecordingRow.session_id,
                    RecordingRow.path,
                    RecordingRow.content_type,
                    RecordingRow.updated_at,
                )
                .where(RecordingRow.status == "ready", RecordingRow.uploaded_at.is_(None), *held)
                .order_by(RecordingRow.updated_at)
                .limit(BATCH)
            )
        ).all()
    uploaded = skipped = 0
    for session_id, relative, content_type, updated_at in rows:
        path = local_recording(recordings_dir, relative)
        if path is None or not await asyncio.to_thread(path.is_file):
            skipped += 1
            continue
        key = store.key_for(relative)
        try:
            await store.put_file(path, key, content_type)
        except ObjectStoreUnavailable as error:
            logger.warning("recording of session %s not uploaded yet (will retry): %s", session_id, error)
            return PassResult(uploaded, skipped, failed=True)
        except FileNotFoundError:
            skipped += 1
            continue
        async with database.transaction() as db:
            row = await db.get(RecordingRow, session_id)
            # Changed meanwhile (re-opened, or uploaded by another pass): leave it to the next pass.
            if (
                row is None
                or row.status != "ready"
                or row.updated_at != updated_at
                or row.uploaded_at
                or row.path != relative  # transcoded meanwhile: the Opus file goes up next pass
            ):
                continue
            row.object_key, row.uploaded_at = key, clock.now()
        uploaded += 1
        logger.info("recording of session %s uploaded to %s", session_id, key)
    deleted = await delete_uploaded(database, recordings_dir, clock) if delete_local else 0
    return PassResult(uploaded, skipped, deleted=deleted)


async def delete_uploaded(database: Database, recordings_dir: Path, clock: Clock) -> int:
    """Delete the local copies of uploaded recordings whose session's analysis is over (a rerun of the
    analysis then reads the bucket's copy, engine.analysis.audio_source). A file this node does not have
    is left for the node that has it."""
    session = aliased(SessionRow)
    async with database.transaction() as db:
        rows = (
            await db.execute(
                select(RecordingRow.session_id, RecordingRow.path)
                .join(session, session.id == RecordingRow.session_id)
                .where(
                    RecordingRow.uploaded_at.is_not(None),
                    RecordingRow.local_deleted_at.is_(None),
                    session.analysis_status.in_((COMPLETED, FAILED)),
                )
                .limit(BATCH)
            )
        ).all()
    deleted = 0
    for session_id, relative in rows:
        path = local_recording(recordings_dir, relative)
        if path is None or not await asyncio.to_thread(path.is_file):
            continue  # another node's file, or already gone: that node deletes its own
        await asyncio.to_thread(path.unlink, missing_ok=True)
        async with database.transaction() as db:
            row = await db.get(RecordingRow, session_id)
            if row is not None:
                row.local_deleted_at = clock.now()
        deleted += 1
    return deleted


class RecordingUploads:
    """The periodic pass, owned by the engine's lifespan (engine.workers.open_workers)."""

    def __init__(
        self,
        database: Database,
        store: ObjectStore,
        recordings_dir: Path,
        clock: Clock,
        *,
        hold_wav: bool = False,
    ) -> None:
        self._hold_wav = hold_wav
        self._database = database
        self._store = store
        self._recordings_dir = recordings_dir
        self._clock = clock
        self._poller = Poller(store.settings.poll_s)

    def wake(self) -> None:
        self._poller.wake()

    async def __aenter__(self) -> RecordingUploads:
        await self._poller.start(self._run)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._poller.stop(kind, exc, tb)

    async def _run(self) -> None:
        while not self._poller.stopping:
            busy = False
            try:
                result = await upload_pending(
                    self._database,
                    self._store,
                    self._recordings_dir,
                    self._clock,
                    delete_local=self._store.settings.delete_local,
                    hold_wav=self._hold_wav,
                )
                # A full batch uploaded: there may be more; go on without a nap.
                busy = not result.failed and result.uploaded >= BATCH
            except Exception:
                logger.exception("recording uploads: pass failed")
            if not busy:
                await self._poller.nap()
