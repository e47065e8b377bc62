"""Resume files kept with participants: uploaded once, tied to the participant created from them.

Why an upload id rather than a file on the create request: the dashboard reads the resume first (POST
/v1/resumes/parse) to fill the form, and the recruiter may edit the draft, drop it, or book it later in
a batch of twenty through POST /v1/sessions, whose body is JSON. So the parse step keeps each file it
could read and answers its `resume_file_id`, and every way of creating a participant (POST
/v1/participants, /bulk, a session with the participant inline) takes that id: the file is sent once,
the create requests stay JSON, and the file is tied to the participant in the create's own transaction
(a create that fails ties nothing).

What keeps it safe:
* Only files the parser could read are kept (their type told from their bytes, engine.resumes.extract,
  at most 5 MB each), and they are served with the type told from the bytes, never the uploader's.
* An upload belongs to the company of the key that uploaded it; a claim from another company, a second
  claim, or a claim after `UNCLAIMED_TTL` is a 422 naming `resume_file_id`, the same answer for each, so
  an id says nothing about another company's files.
* Unclaimed uploads expire: each parse request, and each participant deletion, sweeps a bounded batch of
  expired uploads and of files whose participant is deleted (lazily, so no extra worker is needed; a
  file whose deletion failed, the bucket being down, is retried by the next sweep).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from config.participants import StoredResume
from config.settings import Settings
from engine.resumes.extract import DOCX_TYPE, file_kind
from engine.services.common import field_invalid, new_id
from engine.storage.object_store import ObjectStoreUnavailable, object_store
from engine.storage.resume_files import ResumeFileMissing, ResumeFileStore
from engine.store.tables import ParticipantRow, ResumeFileRow

__all__ = [
    "CONTENT_TYPES",
    "SWEEP_BATCH",
    "UNCLAIMED_TTL",
    "claim",
    "discard",
    "file_store",
    "for_participants",
    "keep",
    "stored_resume",
    "sweep",
]

logger = logging.getLogger(__name__)

UNCLAIMED_TTL = timedelta(hours=24)
SWEEP_BATCH = 20

CONTENT_TYPES = {"pdf": "application/pdf", "docx": DOCX_TYPE, "text": "text/plain; charset=utf-8"}


def file_store(settings: Settings) -> ResumeFileStore:
    return ResumeFileStore(
        settings.data_dir / "resumes",
        object_store(settings.object_store),
        settings.object_store.resume_prefix,
    )


def stored_resume(row: ResumeFileRow) -> StoredResume:
    return StoredResume(
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        uploaded_at=row.created_at,
    )


async def keep(
    files: ResumeFileStore, company_id: str, filename: str, data: bytes, declared_type: str, now: datetime
) -> ResumeFileRow:
    """Store a file the parser has read, as an unclaimed upload; the caller adds the row to its session.
    Raises ObjectStoreUnavailable when the bucket cannot take it."""
    # Told from the bytes (the parser accepted the file, so this cannot fail); the declared type and
    # the name only decide between text and nothing, as they did for the parser.
    content_type = CONTENT_TYPES[file_kind(data, declared_type, filename)]
    file_id = new_id()
    stored = await files.put(company_id, file_id, data, content_type)
    return ResumeFileRow(
        id=file_id,
        company_id=company_id,
        participant_id=None,
        filename=filename or "resume",
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage=stored.storage,
        key=stored.key,
        created_at=now,
        expires_at=now + UNCLAIMED_TTL,
        claimed_at=None,
    )


async def claim(
    db: AsyncSession, company_id: str, file_id: str, participant_id: str, now: datetime, field: str
) -> ResumeFileRow:
    """Tie an unclaimed, unexpired upload of this company to the participant (flushed and created in this
    transaction). One conditional UPDATE: of two concurrent claims, one wins."""
    result = await db.execute(
        update(ResumeFileRow)
        .where(
            ResumeFileRow.id == file_id,
            ResumeFileRow.company_id == company_id,
            ResumeFileRow.participant_id.is_(None),
            ResumeFileRow.expires_at > now,
        )
        .values(participant_id=participant_id, claimed_at=now, expires_at=None)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise field_invalid(
            field,
            "no such resume upload, or it expired (uploads are kept 24 hours) or is already used; "
            "parse the resume again",
        )
    row = await db.get(ResumeFileRow, file_id, populate_existing=True)
    assert row is not None
    return row


async def for_participants(
    db: AsyncSession, company_id: str, participant_ids: Sequence[str]
) -> dict[str, ResumeFileRow]:
    """Participant id -> its kept file, for the participants that have one."""
    if not participant_ids:
        return {}
    rows = await db.scalars(
        select(ResumeFileRow).where(
            ResumeFileRow.company_id == company_id,
            ResumeFileRow.participant_id.in_(list(participant_ids)),
        )
    )
    return {row.participant_id: row for row in rows if row.participant_id is not None}


async def _remove(db: AsyncSession, files: ResumeFileStore, row: ResumeFileRow) -> None:
    # ResumeFileMissing: a key outside the resumes directory, nothing of ours to delete.
    with contextlib.suppress(ResumeFileMissing):
        await files.delete(row.storage, row.key)
    await db.delete(row)


async def discard(db: AsyncSession, files: ResumeFileStore, company_id: str, participant_id: str) -> bool:
    """Delete a (deleted) participant's file and its row. False when the store could not be reached:
    the row stays, and a later sweep deletes it."""
    found = (await for_participants(db, company_id, [participant_id])).get(participant_id)
    if found is None:
        return True
    try:
        await _remove(db, files, found)
    except ObjectStoreUnavailable as error:
        logger.warning("resume file %s not deleted yet (a later sweep retries): %s", found.id, error)
        return False
    return True


async def sweep(db: AsyncSession, files: ResumeFileStore, now: datetime, limit: int = SWEEP_BATCH) -> int:
    """Delete up to `limit` files: unclaimed uploads past their expiry, and files of deleted
    participants (of any company: this is housekeeping). Stops at the first store failure."""
    deleted_people = select(ParticipantRow.id).where(ParticipantRow.deleted_at.is_not(None))
    rows = (
        await db.scalars(
            select(ResumeFileRow)
            .where(
                or_(
                    ResumeFileRow.expires_at < now,
                    ResumeFileRow.participant_id.in_(deleted_people),
                )
            )
            .order_by(ResumeFileRow.created_at)
            .limit(limit)
        )
    ).all()
    removed = 0
    for row in rows:
        try:
            await _remove(db, files, row)
        except ObjectStoreUnavailable as error:
            logger.warning("resume sweep stopped (will retry): %s", error)
            break
        removed += 1
    if removed:
        logger.info("resume sweep deleted %s file(s)", removed)
    return removed
