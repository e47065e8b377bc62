"""What a queued email becomes when its time comes: whether it is still worth sending (`judge`), and
its subject and bodies from the company's template and the session as it is now (`compose`).

Judged when it is about to be sent, not when it was queued, so a participant hears what is true then:

- invitation: only while the session is still scheduled;
- reminder: only while the session is scheduled at the time it reminds of, which is still ahead;
- reschedule notice: only when the participant had been told the earlier time (an invitation or notice
  was sent; an invitation not sent yet will carry the new time itself), and no later move superseded it;
- cancellation: only when the participant had been told about the session at all.

An announcement still being sent by a worker makes the email wait for it rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.emails import EmailKind, EmailStatus
from config.enums import SessionStatus
from engine.notifications.defaults import DEFAULTS
from engine.notifications.rendering import Rendered, TemplateText, render
from engine.store.tables import (
    CompanyRow,
    EmailRow,
    EmailTemplateRow,
    ParticipantRow,
    SessionRow,
    StageRow,
    TemplateRow,
)

__all__ = ["Verdict", "compose", "format_time", "judge", "template_for"]

SENT = EmailStatus.SENT.value
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Send it; or not, and why; or look again at `wait_until`."""

    send: bool
    reason: str | None = None
    wait_until: datetime | None = None


SEND = Verdict(True)


def format_time(when: datetime) -> str:
    """'Monday 2 March 2026, 09:00 UTC', the same in every locale."""
    utc = when.astimezone(UTC)
    return f"{_DAYS[utc.weekday()]} {utc.day} {_MONTHS[utc.month - 1]} {utc.year}, {utc:%H:%M} UTC"


async def judge(db: AsyncSession, email: EmailRow, now: datetime) -> Verdict:
    row = await db.get(SessionRow, email.session_id)
    if row is None or row.deleted_at is not None:
        return Verdict(False, "the session was deleted")
    status = SessionStatus(row.status)
    kind = EmailKind(email.kind)
    if kind is EmailKind.CANCELLATION:
        return await _told(db, email, now, "no invitation had gone out, so there was nothing to cancel")
    if status is SessionStatus.IN_PROGRESS:
        return Verdict(False, "the participant had already joined")
    if status is not SessionStatus.SCHEDULED:
        return Verdict(False, f"the session was {status.value} before this email went out")
    if kind is EmailKind.INVITATION:
        return SEND
    if row.schedule_time.isoformat() != email.context.get("schedule_time"):
        return Verdict(False, "the session was moved since")
    if kind is EmailKind.REMINDER:
        return SEND if row.schedule_time > now else Verdict(False, "the session's time had come")
    newer = await db.scalar(
        select(EmailRow.id).where(
            EmailRow.session_id == row.id,
            EmailRow.kind == EmailKind.RESCHEDULE.value,
            EmailRow.created_at > email.created_at,
        )
    )
    if newer is not None:
        return Verdict(False, "a later change superseded it")
    return await _told(
        db,
        email,
        now,
        "the invitation had not gone out, so there was no earlier time to correct",
        invitation_only=True,
    )


async def _told(
    db: AsyncSession, email: EmailRow, now: datetime, otherwise: str, *, invitation_only: bool = False
) -> Verdict:
    """SEND when an earlier email told the participant about the session; wait while one is being sent.
    For a reschedule notice, an invitation still queued will carry the new time itself."""
    kinds = (
        [EmailKind.INVITATION.value]
        if invitation_only
        else [EmailKind.INVITATION.value, EmailKind.RESCHEDULE.value, EmailKind.REMINDER.value]
    )
    earlier = list(
        await db.scalars(
            select(EmailRow).where(
                EmailRow.session_id == email.session_id, EmailRow.kind.in_(kinds), EmailRow.id != email.id
            )
        )
    )
    if any(e.status == SENT for e in earlier):
        return SEND
    sending = [e.claimed_until for e in earlier if e.claimed_until is not None and e.claimed_until > now]
    if sending:
        return Verdict(False, wait_until=max(sending))
    if invitation_only and any(e.status == EmailStatus.QUEUED.value for e in earlier):
        return Verdict(False, "the invitation has not gone out yet; it will carry the new time")
    return Verdict(False, otherwise)


async def template_for(db: AsyncSession, company_id: str, kind: EmailKind) -> TemplateText:
    own = await db.scalar(
        select(EmailTemplateRow).where(
            EmailTemplateRow.company_id == company_id, EmailTemplateRow.kind == kind.value
        )
    )
    if own is None:
        return DEFAULTS[kind]
    return TemplateText(subject=own.subject, html=own.html, text=own.text)


async def compose(db: AsyncSession, email: EmailRow, join_url: str) -> tuple[Rendered, str]:
    """The email's text as of now, and the participant's name (for the To header). Also brings the
    recipient up to date: the invite goes where the participant's email is now."""
    row = await db.get(SessionRow, email.session_id)
    person = await db.get(ParticipantRow, email.participant_id)
    company = await db.get(CompanyRow, email.company_id)
    assert row is not None
    assert person is not None
    assert company is not None  # foreign keys; rows are only ever soft-deleted
    template = await db.get(TemplateRow, row.template_id) if row.template_id else None
    stage = await db.get(StageRow, row.stage_id) if row.stage_id else None
    values = {
        "participant_name": person.name,
        "interview_title": template.name if template is not None else "Interview",
        "stage_name": str(stage.spec.get("name") or "") if stage is not None else "",
        "company_name": company.name,
        "join_url": join_url,
        "scheduled_time": format_time(row.schedule_time),
    }
    email.to_address = person.email
    return render(await template_for(db, email.company_id, EmailKind(email.kind)), values), person.name
