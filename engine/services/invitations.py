"""Sending a session's invitation again (POST /v1/sessions/{id}/invitation), through the email outbox."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.emails import EmailKind, EmailStatus
from config.enums import SessionStatus
from engine.clock import Clock
from engine.errors import Conflict
from engine.notifications import outbox
from engine.services import sessions
from engine.store.tables import EmailRow

__all__ = ["RESEND_WINDOW", "resend"]

# A second click (or a client's retry) this soon after an invitation was queued or sent gets that one
# back instead of a second email.
RESEND_WINDOW = timedelta(seconds=10)


async def resend(db: AsyncSession, company_id: str, session_id: str, clock: Clock) -> EmailRow:
    row = await sessions.get(db, company_id, session_id)
    status = SessionStatus(row.status)
    if status is not SessionStatus.SCHEDULED:
        reason = (
            "the participant has joined already; the same join link resumes the session"
            if status is SessionStatus.IN_PROGRESS
            else "its link no longer starts anything"
        )
        raise Conflict(f"session is {status.value}: {reason}", {"status": status.value})
    if row.is_test:
        raise Conflict("test sessions complete at once and send no email")
    person = await sessions.participant_of(db, row)
    if person.deleted_at is not None or not person.email:
        raise Conflict("the session's participant has no email address to send the invitation to")
    now = clock.now()
    recent = await db.scalar(
        select(EmailRow)
        .where(
            EmailRow.session_id == row.id,
            EmailRow.kind == EmailKind.INVITATION.value,
            EmailRow.status.in_([EmailStatus.QUEUED.value, EmailStatus.SENT.value]),
            EmailRow.created_at > now - RESEND_WINDOW,
        )
        .order_by(EmailRow.created_at.desc())
        .limit(1)
    )
    if recent is not None:
        return recent
    email = await outbox.queue(db, row, person, EmailKind.INVITATION, now, again=True)
    assert email is not None  # only test sessions queue nothing
    await db.flush()
    return email
