"""Erasing a participant's personal data (GDPR art. 17): on request (`DELETE /v1/participants/{id}?erase=true`)
or when their retention runs out (engine.services.retention). Both go through `erase`.

What goes, in one transaction: the participant's name, email, phone, external_id, profile, background,
resume link, tags and gdpr date; their sessions' transcripts, analyses (every version), stage results,
interview state and metadata; the recording rows; their resume file's row (its name is often theirs);
every email to them; the public-link sign-ups waiting for their email's confirmation; their external_id
in the events and webhook deliveries about them; the stored responses of `Idempotency-Key` requests that
name them or their sessions. What stays is anonymous, so counts still add up: the participant row (id,
company, template, created time; soft-deleted, named `erased`, `erased_at` set) and each session's id,
status, stage, template, times, duration and analysis status.

Files (recordings on disk and in the object store, the resume file) cannot be deleted inside the
transaction, which holds SQLite's write lock: the transaction lists them in `erasure_files`, and
engine.services.erasure_files deletes them after the commit, row by row, so a process that dies in
between leaves the list for the retention job's next pass (or the next erasure request) to finish."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from config.enums import SessionStatus
from engine.errors import Conflict
from engine.link_tokens import issue
from engine.services import analyses, events, public_link_verification
from engine.services.common import get_owned, new_id
from engine.store.tables import (
    AnalysisRow,
    CallAttemptRow,
    EmailRow,
    ErasureFileRow,
    IdempotencyRow,
    OutboxEventRow,
    ParticipantRow,
    ParticipantTagRow,
    PhoneStreamTokenRow,
    RecordingRow,
    ResumeFileRow,
    SessionRow,
    TranscriptSegmentRow,
    WebhookDeliveryRow,
)

__all__ = ["ERASED_NAME", "EVENT", "Erased", "erase"]

logger = logging.getLogger(__name__)

ERASED_NAME = "erased"
EVENT = "participant.erased"
# Idempotency bodies are scanned in pages of this many rows (they are at most a day's POSTs).
SCAN_PAGE = 200


@dataclass(frozen=True, slots=True)
class Erased:
    participant_id: str
    company_id: str
    session_ids: tuple[str, ...]
    # False when the participant had been erased before (nothing was done, no event recorded).
    erased_now: bool


async def erase(
    db: AsyncSession,
    company_id: str,
    participant_id: str,
    now: datetime,
    *,
    reason: str,
    file_grace: timedelta,
) -> Erased:
    """Scrub the participant's personal data in `db`'s transaction and list their files in
    `erasure_files` (the caller commits, then runs engine.services.erasure_files.delete_pending).
    A soft-deleted participant is erased too. Raises Conflict while one of their sessions is in
    progress; scheduled ones are cancelled. `reason`: request, gdpr_expiry_date or retention_period."""
    row = await db.get(ParticipantRow, participant_id)
    if row is None or row.company_id != company_id:
        # Another company's, or none: the usual 403 / 404 (engine.services.common).
        await get_owned(db, ParticipantRow, participant_id, company_id, "participant")
        raise AssertionError("unreachable")  # pragma: no cover
    sessions = list(
        await db.scalars(
            select(SessionRow)
            .where(SessionRow.participant_id == participant_id)
            .order_by(SessionRow.created_at)
        )
    )
    session_ids = tuple(s.id for s in sessions)
    if row.erased_at is not None:
        return Erased(participant_id, company_id, session_ids, erased_now=False)
    live = [s.id for s in sessions if s.status == SessionStatus.IN_PROGRESS]
    if live:
        raise Conflict(
            "participant has an interview in progress; end it (PATCH /v1/sessions/{id} with status "
            "completed or cancelled) and erase them afterwards",
            {"session_ids": live},
        )
    # Claimed with a conditional UPDATE: of two erasures racing (a request and the retention job, on
    # PostgreSQL), the second waits for the first's row lock, then finds it erased and does nothing.
    claimed = cast(
        CursorResult[Any],
        await db.execute(
            update(ParticipantRow)
            .where(ParticipantRow.id == participant_id, ParticipantRow.erased_at.is_(None))
            .values(erased_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    if claimed.rowcount == 0:
        return Erased(participant_id, company_id, session_ids, erased_now=False)
    await db.refresh(row)
    await _list_files(db, row, session_ids, now, file_grace)
    resume_ids = list(
        await db.scalars(select(ResumeFileRow.id).where(ResumeFileRow.participant_id == participant_id))
    )
    await _scrub_sessions(db, sessions, now)
    await _scrub_events(db, company_id, participant_id)
    await _drop_idempotent_replies(db, [participant_id, *session_ids, *resume_ids])
    await db.execute(delete(EmailRow).where(EmailRow.participant_id == participant_id))
    await db.execute(delete(ParticipantTagRow).where(ParticipantTagRow.participant_id == participant_id))
    await db.execute(delete(ResumeFileRow).where(ResumeFileRow.participant_id == participant_id))
    # Public-link sign-ups still waiting for this address's confirmation (before the email is scrubbed).
    await public_link_verification.forget(db, company_id, row.email)
    _scrub_participant(row, now)
    data = {"participant_id": participant_id, "session_ids": list(session_ids), "reason": reason}
    events.record(db, company_id, EVENT, data, now)
    await db.flush()
    return Erased(participant_id, company_id, session_ids, erased_now=True)


def _scrub_participant(row: ParticipantRow, now: datetime) -> None:
    row.name = ERASED_NAME
    row.email = ""
    row.phone = None
    row.external_id = None
    # Not an email any more: the row must never collide with a live participant's dedupe key.
    row.dedupe_key = f"erased:{row.id}"
    row.spec = {"name": ERASED_NAME}
    row.updated_at = now
    row.deleted_at = row.deleted_at or now


async def _list_files(
    db: AsyncSession, row: ParticipantRow, session_ids: Sequence[str], now: datetime, grace: timedelta
) -> None:
    """Every file of theirs, in `erasure_files`, before the rows that name them go."""

    def add(kind: str, key: str, keep: timedelta = timedelta(0)) -> None:
        db.add(
            ErasureFileRow(
                id=new_id(),
                company_id=row.company_id,
                participant_id=row.id,
                kind=kind,
                key=key,
                created_at=now,
                keep_until=now + keep,
                attempts=0,
            )
        )

    if session_ids:
        recordings = await db.scalars(select(RecordingRow).where(RecordingRow.session_id.in_(session_ids)))
        for rec in recordings:
            # `<stem>.*` of each path goes too: the WAV, the Opus file, a transcode's temporary file.
            for path in dict.fromkeys(p for p in (rec.path, rec.source_path) if p):
                add("recording", path, grace)
            if rec.object_key:
                add("recording_object", rec.object_key, grace)
            # An upload may be midway: its key is the path's (engine.storage.object_store.key_for),
            # looked for under the store's prefix by engine.services.erasure_files.
            add("recording_object_path", rec.path, grace)
    resumes = await db.scalars(select(ResumeFileRow).where(ResumeFileRow.participant_id == row.id))
    for resume in resumes:
        add(f"resume_{resume.storage}", resume.key)


async def _scrub_sessions(db: AsyncSession, sessions: Sequence[SessionRow], now: datetime) -> None:
    ids = [s.id for s in sessions]
    if not ids:
        return
    await db.execute(delete(TranscriptSegmentRow).where(TranscriptSegmentRow.session_id.in_(ids)))
    # A worker analysing one now finds its lease gone (engine.services.analyses.held) and writes nothing.
    await db.execute(delete(AnalysisRow).where(AnalysisRow.session_id.in_(ids)))
    await db.execute(delete(RecordingRow).where(RecordingRow.session_id.in_(ids)))
    # Phone calls: an unused stream link must not reach the session; the attempts stay as anonymous
    # counts (outcome, times) without the provider's call id, which the provider maps to a number.
    await db.execute(delete(PhoneStreamTokenRow).where(PhoneStreamTokenRow.session_id.in_(ids)))
    await db.execute(update(CallAttemptRow).where(CallAttemptRow.session_id.in_(ids)).values(call_sid=""))
    for session in sessions:
        if session.status == SessionStatus.SCHEDULED:
            session.status = SessionStatus.CANCELLED
        if session.analysis_status not in (analyses.COMPLETED, analyses.FAILED):
            session.analysis_status = None
        session.analysis = None
        session.stage_result = session.stage_outcome = None
        session.dialogue_state = None
        session.metadata_ = {}
        # The join link stops working: nobody can join (or re-identify) the erased person's session.
        link = issue()
        session.join_token_hash, session.join_token_encrypted = link.digest, link.sealed
        session.updated_at = now


def _anonymous(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload without the participant's external_id, the one identifying field events carry (the
    rest are ids, statuses and scores, typed per event in config.events, so the shape must stay)."""
    data = payload.get("data")
    if not isinstance(data, dict) or data.get("external_id") is None:
        return payload
    return {**payload, "data": {**data, "external_id": None}}


async def _scrub_events(db: AsyncSession, company_id: str, participant_id: str) -> None:
    """The events about them lose their external_id; so do the webhook deliveries of those events,
    including ones still to be sent."""
    about = OutboxEventRow.payload["data"]["participant_id"].as_string() == participant_id
    rows = list(
        await db.scalars(select(OutboxEventRow).where(OutboxEventRow.company_id == company_id, about))
    )
    for event in rows:
        event.payload = _anonymous(event.payload)
    event_ids = [e.id for e in rows]
    for start in range(0, len(event_ids), SCAN_PAGE):
        chunk = event_ids[start : start + SCAN_PAGE]
        deliveries = await db.scalars(
            select(WebhookDeliveryRow).where(
                WebhookDeliveryRow.company_id == company_id, WebhookDeliveryRow.event_id.in_(chunk)
            )
        )
        for delivery in deliveries:
            delivery.payload = _anonymous(delivery.payload)


async def _drop_idempotent_replies(db: AsyncSession, ids: Sequence[str]) -> None:
    """A stored response that names the participant, their sessions or their resume file may carry
    their data (a created participant, a session with them inline, a parsed resume): it is deleted, so
    a repeat of that request is then answered afresh. Expired rows too: they stay until purged."""
    needles = [i.encode() for i in ids]
    after = ""
    doomed: list[str] = []
    while True:
        page = (
            await db.execute(
                select(IdempotencyRow.id, IdempotencyRow.body)
                .where(IdempotencyRow.id > after)
                .order_by(IdempotencyRow.id)
                .limit(SCAN_PAGE)
            )
        ).all()
        doomed += [key for key, body in page if body and any(n in body for n in needles)]
        if len(page) < SCAN_PAGE:
            break
        after = page[-1][0]
    if doomed:
        await db.execute(delete(IdempotencyRow).where(IdempotencyRow.id.in_(doomed)))
