"""Email rows in the store: the email outbox.

An email is queued in the same transaction as the change it announces (a session scheduled, cancelled
or moved), so a committed change always has its email and a rolled-back one never does. A worker claims
a due email with a conditional update (a lease: `claimed_until`, with a token naming the claim), so two
workers, in one engine or in several sharing the database, never send the same email at once. It is
marked sent only after the SMTP server accepted it; a failed attempt is retried on the schedule
(`engine.outbox_loop.backoff`). `dedupe_key` is unique: each email exists once.

What a stop can do: an email claimed by a worker that dies is claimed again once the lease runs out. If
the worker died after the server accepted the message and before marking it sent, it goes out a second
time, with the same Message-ID; that window (one database write) is the only way to send one twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from config.emails import EmailKind, EmailStatus
from engine.outbox_loop import backoff
from engine.services.common import new_id
from engine.store.tables import EmailRow, ParticipantRow, SessionRow

__all__ = [
    "claim",
    "defer",
    "due",
    "fail_attempt",
    "mark_not_sent",
    "mark_sent",
    "plan_reminder",
    "queue",
]

QUEUED = EmailStatus.QUEUED.value
# Announcements: what told the participant the session's time (and so what a reminder repeats).
ANNOUNCEMENTS = (EmailKind.INVITATION.value, EmailKind.RESCHEDULE.value)


async def queue(
    db: AsyncSession,
    row: SessionRow,
    person: ParticipantRow,
    kind: EmailKind,
    now: datetime,
    *,
    again: bool = False,
) -> EmailRow | None:
    """Queues `kind` about `row` for its participant, due now, in the caller's transaction. Test sessions
    send nothing. A cancellation or reschedule withdraws the session's reminders still waiting.

    `again`: the invitation asked for once more (a recruiter's resend). It is an email of its own, and
    it withdraws the reminders waiting too: once sent it plans its own, so the participant gets one."""
    if row.is_test:
        return None
    key = f"{row.id}:{kind.value}"
    if kind is EmailKind.RESCHEDULE:
        key += f":{now.isoformat()}"  # every move has its own notice
    elif again:
        key += f":again:{now.isoformat()}"
    email = _new(row, person.id, person.email, kind, key, now, now)
    db.add(email)
    if kind in (EmailKind.CANCELLATION, EmailKind.RESCHEDULE) or again:
        reason = {
            EmailKind.CANCELLATION: "the session was cancelled",
            EmailKind.RESCHEDULE: "the session was moved",
        }.get(kind, "the invitation was sent again")
        await _withdraw_reminders(db, row.id, reason, now)
    return email


def _new(
    row: SessionRow,
    participant_id: str,
    to: str,
    kind: EmailKind,
    key: str,
    now: datetime,
    due_at: datetime,
) -> EmailRow:
    return EmailRow(
        id=new_id(),
        company_id=row.company_id,
        session_id=row.id,
        participant_id=participant_id,
        kind=kind.value,
        dedupe_key=key,
        to_address=to,
        context={"schedule_time": row.schedule_time.isoformat()},
        status=QUEUED,
        attempts=0,
        next_attempt_at=due_at,
        created_at=now,
        updated_at=now,
    )


async def _withdraw_reminders(db: AsyncSession, session_id: str, reason: str, now: datetime) -> None:
    await db.execute(
        update(EmailRow)
        .where(
            EmailRow.session_id == session_id,
            EmailRow.kind == EmailKind.REMINDER.value,
            EmailRow.status == QUEUED,
            or_(EmailRow.claimed_until.is_(None), EmailRow.claimed_until <= now),
        )
        .values(status=EmailStatus.NOT_SENT.value, last_error=reason, next_attempt_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def plan_reminder(
    db: AsyncSession, announcement: EmailRow, row: SessionRow, now: datetime, before: timedelta
) -> EmailRow | None:
    """After an invitation or reschedule notice went out: a reminder `before` the session's time, when
    that is still ahead (an announcement inside that window is its own reminder)."""
    if announcement.kind not in ANNOUNCEMENTS or before <= timedelta(0) or row.is_test:
        return None
    remind_at = row.schedule_time - before
    if remind_at <= now:
        return None
    reminder = _new(
        row,
        announcement.participant_id,
        announcement.to_address,
        EmailKind.REMINDER,
        f"{announcement.id}:reminder",
        now,
        remind_at,
    )
    db.add(reminder)
    return reminder


async def due(db: AsyncSession, now: datetime, limit: int) -> list[str]:
    """Ids of queued emails whose time has come and that no live claim holds."""
    return list(
        await db.scalars(
            select(EmailRow.id)
            .where(
                EmailRow.status == QUEUED,
                EmailRow.next_attempt_at <= now,
                or_(EmailRow.claimed_until.is_(None), EmailRow.claimed_until <= now),
            )
            .order_by(EmailRow.next_attempt_at, EmailRow.id)
            .limit(limit)
        )
    )


async def claim(
    db: AsyncSession, email_id: str, now: datetime, lease: timedelta, token: str
) -> EmailRow | None:
    """The email, leased to `token` until `now + lease`, or None when it is not due or another worker
    holds it. One conditional update: of two workers racing, exactly one sees its row changed."""
    result = await db.execute(
        update(EmailRow)
        .where(
            EmailRow.id == email_id,
            EmailRow.status == QUEUED,
            EmailRow.next_attempt_at <= now,
            or_(EmailRow.claimed_until.is_(None), EmailRow.claimed_until <= now),
        )
        .values(claimed_until=now + lease, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        return None
    return await db.get(EmailRow, email_id, populate_existing=True)


def _release(email: EmailRow, now: datetime) -> None:
    email.claimed_until, email.claim_token, email.updated_at = None, None, now


def mark_sent(email: EmailRow, now: datetime) -> None:
    _release(email, now)
    email.status, email.sent_at, email.next_attempt_at = EmailStatus.SENT.value, now, None
    email.attempts += 1
    email.last_error = None


def mark_not_sent(email: EmailRow, reason: str, now: datetime) -> None:
    _release(email, now)
    email.status, email.next_attempt_at, email.last_error = EmailStatus.NOT_SENT.value, None, reason[:500]


def defer(email: EmailRow, until: datetime, now: datetime) -> None:
    """Not now, and not an attempt: looked at again at `until`."""
    _release(email, now)
    email.next_attempt_at = until


def fail_attempt(
    email: EmailRow, error: str, schedule: Sequence[float], now: datetime, *, permanent: bool
) -> None:
    """One attempt failed: tried again on the schedule, or failed for good (a permanent refusal, or the
    schedule used up)."""
    _release(email, now)
    email.attempts += 1
    email.last_error = error[:500]
    later = None if permanent else backoff(schedule, email.attempts, now)
    if later is None:
        email.status, email.next_attempt_at = EmailStatus.FAILED.value, None
    else:
        email.next_attempt_at = later
