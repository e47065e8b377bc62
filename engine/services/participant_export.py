"""Everything held about one participant, as one ZIP archive (GET /v1/participants/{id}/export).

Three steps, so that no database transaction is held while files are read (SQLite's write lock) and no
recording sits in memory whole:

1. `gather` reads the rows in the request's transaction and serialises them with the API's own models
   (Participant, Session, Transcript, AnalysisVersion, PipelinePosition), so the archive says what the
   API says.
2. `locate` (after the transaction ended) reads the resume file (at most 5 MB) and finds each recording,
   on local disk or in the object store: an unreachable store is a 503 before anything is sent.
3. engine.services.participant_archive writes the archive as it is sent: zipfile writes to a sink the
   generator empties after every step, recordings are copied 1 MiB at a time (disk reads in a worker
   thread, the bucket read by range), so memory stays at about one chunk whatever their length.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import Settings
from config.transcripts import Transcript
from engine.api.analyses import AnalysisVersion
from engine.api.pipeline import PipelinePosition
from engine.errors import ServiceUnavailable
from engine.services import analyses, emails, participants, pipeline, resume_files, sessions, transcripts
from engine.storage.object_store import ObjectStore, ObjectStoreUnavailable, object_store
from engine.storage.resume_files import ResumeFileMissing
from engine.storage.uploads import local_recording
from engine.store.tables import ParticipantRow, ProfileRow, ResumeFileRow, SessionRow, StageRow, TemplateRow

__all__ = ["CHUNK", "Export", "Recording", "SessionPart", "as_json", "gather", "locate"]

logger = logging.getLogger(__name__)

# Bytes read (from disk or the bucket) and written to the archive at a time: bounds the memory held.
CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Recording:
    """Where a session's recording is read from: `path` on disk, else `key` in `store`."""

    name: str  # in the archive
    content_type: str
    size: int
    path: Path | None = None
    store: ObjectStore | None = None
    key: str | None = None


@dataclass(slots=True)
class SessionPart:
    folder: str
    session: dict[str, Any]
    transcript: Transcript
    analyses: list[AnalysisVersion]
    recording_path: str | None  # as stored, relative to the recordings directory
    recording_key: str | None
    recording_type: str
    recording: Recording | None = None


@dataclass(slots=True)
class Export:
    participant_id: str
    participant: dict[str, Any]
    sessions: list[SessionPart]
    resume_row: tuple[str, str, int, str] | None  # storage, key, size, archive name
    resume: tuple[str, bytes] | None = None
    notes: list[str] = field(default_factory=list)


def as_json(model: BaseModel) -> Any:
    return model.model_dump(mode="json", by_alias=True)


async def _names(db: AsyncSession, ids: set[str], id_column: Any, name_column: Any) -> dict[str, Any]:
    """id -> name of the templates, stages or profiles named (deleted ones too: they are still held)."""
    if not ids:
        return {}
    rows = await db.execute(select(id_column, name_column).where(id_column.in_(ids)))
    return {row[0]: row[1] for row in rows}


def _safe_filename(name: str, fallback: str) -> str:
    # The uploader's file name becomes a path inside the archive: no folders, no dot-dot, plain ASCII.
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "._- ") else "_" for c in name).strip(" .")
    return cleaned[:120] or fallback


async def gather(db: AsyncSession, company_id: str, participant_id: str, base_url: str) -> Export:
    """The participant's rows, serialised; raises like GET /v1/participants/{id} (403 for another
    company's, 404 for an unknown or deleted one)."""
    person = await participants.get(db, company_id, participant_id)
    resume = (await resume_files.for_participants(db, company_id, [person.id])).get(person.id)
    position = PipelinePosition.model_validate(await pipeline.position(db, person))
    # Deleted sessions too: their rows (and files) are still held until the person is erased.
    rows = list(
        await db.scalars(
            select(SessionRow)
            .where(SessionRow.participant_id == person.id, SessionRow.company_id == company_id)
            .order_by(SessionRow.created_at, SessionRow.id)
        )
    )
    templates = await _names(
        db, {r.template_id for r in rows if r.template_id}, TemplateRow.id, TemplateRow.name
    )
    stages = await _names(db, {r.stage_id for r in rows if r.stage_id}, StageRow.id, StageRow.spec)
    stages = {key: spec.get("name") for key, spec in stages.items()}
    profiles = await _names(db, {r.agent_profile_id for r in rows}, ProfileRow.id, ProfileRow.name)
    parts: list[SessionPart] = []
    for index, row in enumerate(rows, start=1):
        parts.append(
            await _session_part(db, company_id, row, person, base_url, index, templates, stages, profiles)
        )
    return Export(
        participant_id=person.id,
        participant={
            "participant": as_json(participants.to_model(person, resume)),
            "pipeline": as_json(position),
            "emails": [
                as_json(emails.to_model(e))
                for e in await emails.list_emails(db, company_id, participant_id=person.id)
            ],
        },
        sessions=parts,
        resume_row=_resume_row(resume),
    )


def _resume_row(row: ResumeFileRow | None) -> tuple[str, str, int, str] | None:
    if row is None:
        return None
    return row.storage, row.key, row.size, f"resume/{_safe_filename(row.filename, 'resume')}"


async def _session_part(
    db: AsyncSession,
    company_id: str,
    row: SessionRow,
    person: ParticipantRow,
    base_url: str,
    index: int,
    templates: dict[str, str | None],
    stages: dict[str, str | None],
    profiles: dict[str, str | None],
) -> SessionPart:
    model = sessions.to_model(row, person, base_url)
    # The join link is a credential to the interview: an archive handed on must not open it.
    session = as_json(model.model_copy(update={"join_url": None}))
    segments = await transcripts.list_segments(db, company_id, row.id)
    recording = await transcripts.get_recording(db, company_id, row.id)
    analysis = row.analysis or {}
    details = {
        "session": session,
        "template_name": templates.get(row.template_id) if row.template_id else None,
        "stage_name": stages.get(row.stage_id) if row.stage_id else None,
        "agent_profile_name": profiles.get(row.agent_profile_id),
        "recommendation": analysis.get("recommendation"),
        "deleted_at": None if row.deleted_at is None else row.deleted_at.isoformat(),
        "recording": None
        if recording is None
        else {
            "content_type": recording.content_type,
            "duration_s": recording.duration_s,
            "sample_rate": recording.sample_rate,
            "channels": recording.channels,
            "status": recording.status,
        },
    }
    return SessionPart(
        folder=f"sessions/{index:02d}-{row.id}",
        session=details,
        transcript=Transcript(session_id=row.id, segments=[transcripts.to_model(s) for s in segments]),
        analyses=[
            AnalysisVersion.model_validate(v, from_attributes=True)
            for v in await analyses.list_versions(db, row.id)
        ],
        recording_path=None if recording is None else recording.path,
        recording_key=None if recording is None else recording.object_key,
        recording_type="audio/wav" if recording is None else recording.content_type,
    )


def _unavailable(what: str) -> ServiceUnavailable:
    return ServiceUnavailable(f"the object store holding {what} cannot be reached; try again later")


async def locate(export: Export, settings: Settings) -> None:
    """Read the resume and find each recording; call outside any transaction. Files that are gone are
    left out and named in README.txt; an unreachable object store is a 503."""
    if export.resume_row is not None:
        storage, key, size, name = export.resume_row
        try:
            data = await resume_files.file_store(settings).read(storage, key, size)
        except ObjectStoreUnavailable:
            logger.warning("object store unreachable for resume %s", key, exc_info=True)
            raise _unavailable("the resume") from None
        except ResumeFileMissing:
            logger.error("resume file %s of participant %s is missing", key, export.participant_id)
            export.notes.append(f"{name}: the stored file is missing, so it is not included.")
        else:
            export.resume = (name, data)
    store = object_store(settings.object_store)
    for part in export.sessions:
        part.recording = await _find_recording(part, settings, store)
        if part.recording_path is not None and part.recording is None:
            export.notes.append(f"{part.folder}: the recording file is missing, so it is not included.")


async def _find_recording(
    part: SessionPart, settings: Settings, store: ObjectStore | None
) -> Recording | None:
    if part.recording_path is None:
        return None
    suffix = Path(part.recording_path).suffix or ".wav"
    name = f"{part.folder}/recording{suffix}"
    path = local_recording(settings.recordings_dir, part.recording_path)
    if path is not None:
        try:
            # A recording still growing (a live session) is exported as far as this stat saw it.
            size = (await asyncio.to_thread(path.stat)).st_size
        except FileNotFoundError:
            pass
        else:
            return Recording(name, part.recording_type, size, path=path)
    if store is None or part.recording_key is None:
        return None
    try:
        found = await store.size(part.recording_key)
    except ObjectStoreUnavailable:
        logger.warning("object store unreachable for %s", part.recording_key, exc_info=True)
        raise _unavailable("a recording") from None
    if found is None:
        return None
    return replace(Recording(name, part.recording_type, found), store=store, key=part.recording_key)
