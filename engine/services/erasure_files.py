"""Deleting the files of erased participants, listed in `erasure_files` by engine.services.erasure.

Outside any transaction (the deletions may be slow, or wait on the object store): the rows are read in
one short transaction, the files deleted, and the rows of those done deleted in another. Every step is
idempotent, so a process that dies anywhere in between leaves rows that the next run (the retention
job's next pass, or another erasure request) simply does again. A recording's row is kept until its
`keep_until` even when its files are gone: a transcode or an upload that was midway when the erasure
committed may still write the Opus file or put the object once more, and is undone on the next pass."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import Settings
from engine.clock import Clock
from engine.services import resume_files
from engine.storage.object_store import ObjectStore, ObjectStoreUnavailable, object_store
from engine.storage.resume_files import ResumeFileMissing, ResumeFileStore
from engine.storage.uploads import local_recording
from engine.store.database import Database
from engine.store.tables import ErasureFileRow

__all__ = ["FileStores", "PendingResult", "delete_pending"]

logger = logging.getLogger(__name__)

BATCH = 200


@dataclass(frozen=True, slots=True)
class FileStores:
    """Where an erased participant's files may be."""

    recordings_dir: Path
    recordings_store: ObjectStore | None
    resumes: ResumeFileStore

    @classmethod
    def of(cls, settings: Settings) -> FileStores:
        return cls(
            settings.recordings_dir, object_store(settings.object_store), resume_files.file_store(settings)
        )


@dataclass(frozen=True, slots=True)
class PendingResult:
    deleted: int = 0  # rows done (files gone, grace over)
    failed: int = 0  # rows whose files could not be deleted yet (kept, retried)


class _NoStore(Exception):
    """A file is in the object store, and this engine runs without one."""


async def delete_pending(
    database: Database,
    stores: FileStores,
    clock: Clock,
    *,
    participant_id: str | None = None,
    limit: int = BATCH,
) -> PendingResult:
    """One run over the pending files (only `participant_id`'s when given)."""
    async with database.transaction() as db:
        stmt = select(ErasureFileRow.id, ErasureFileRow.kind, ErasureFileRow.key)
        if participant_id is not None:
            stmt = stmt.where(ErasureFileRow.participant_id == participant_id)
        # Those that failed least first: a file that keeps failing (a bucket gone) never holds up the rest.
        order = (ErasureFileRow.attempts, ErasureFileRow.created_at, ErasureFileRow.id)
        rows = (await db.execute(stmt.order_by(*order).limit(limit))).all()
    done: list[str] = []
    failed: dict[str, str] = {}
    for row_id, kind, key in rows:
        try:
            await _delete(stores, kind, key)
        except (ObjectStoreUnavailable, OSError, _NoStore) as error:
            # Ids and keys only: a key is `<company>/<session or file id>...`, never a name.
            logger.warning("erasure: %s %s not deleted yet (will retry): %s", kind, key, error)
            failed[row_id] = str(error)[:500]
            continue
        done.append(row_id)
    async with database.transaction() as db:
        deleted = await _settle(db, done, failed, clock)
    return PendingResult(deleted, len(failed))


async def _settle(db: AsyncSession, done: list[str], failed: dict[str, str], clock: Clock) -> int:
    now = clock.now()
    deleted = 0
    if done:
        rows = await db.scalars(select(ErasureFileRow).where(ErasureFileRow.id.in_(done)))
        finished = [r.id for r in rows if r.keep_until <= now]
        if finished:
            await db.execute(delete(ErasureFileRow).where(ErasureFileRow.id.in_(finished)))
        deleted = len(finished)
    for row_id, error in failed.items():
        row = await db.get(ErasureFileRow, row_id)
        if row is not None:
            row.attempts += 1
            row.last_error = error
    return deleted


async def _delete(stores: FileStores, kind: str, key: str) -> None:
    if kind == "recording":
        path = local_recording(stores.recordings_dir, key)
        if path is not None:  # a stored path outside the directory names nothing of ours
            await asyncio.to_thread(_delete_with_siblings, path)
    elif kind == "recording_object":
        await _bucket(stores).delete(key)
    elif kind == "recording_object_path":
        store = stores.recordings_store
        if store is not None:  # without a store nothing was uploaded under this configuration
            for relative in _variants(key):
                await store.delete(store.key_for(relative))
    elif kind in ("resume_local", "resume_bucket"):
        with contextlib.suppress(ResumeFileMissing):  # a key outside the resumes directory
            await stores.resumes.delete(kind.removeprefix("resume_"), key)
    else:
        raise _NoStore(f"unknown kind {kind!r}")


def _bucket(stores: FileStores) -> ObjectStore:
    if stores.recordings_store is None:
        raise _NoStore("the recording is in the object store, and IE_OBJECT_STORE__* is not set")
    return stores.recordings_store


def _variants(relative: str) -> list[str]:
    """The recording's path and its WAV and Opus names (a transcode may have been midway)."""
    path = PurePosixPath(relative)
    return list(dict.fromkeys([relative, str(path.with_suffix(".wav")), str(path.with_suffix(".opus"))]))


def _delete_with_siblings(path: Path) -> None:
    """The file and `<stem>.*` beside it: the WAV, its Opus file, a transcode's temporary file."""
    path.unlink(missing_ok=True)
    if path.parent.is_dir():
        for sibling in path.parent.glob(f"{path.stem}.*"):
            sibling.unlink(missing_ok=True)
