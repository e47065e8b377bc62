"""What the API shows of the email outbox (a session's or a participant's emails) and the company's
email templates (its own, or the built-in default of each kind)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from config.emails import (
    PLACEHOLDERS,
    SAMPLE_VALUES,
    Email,
    EmailKind,
    EmailPreview,
    EmailStatus,
    EmailTemplate,
    EmailTemplateUpdate,
)
from engine.clock import Clock
from engine.errors import Conflict
from engine.notifications.compose import format_time
from engine.notifications.defaults import DEFAULTS
from engine.notifications.rendering import TemplateText, render
from engine.services.common import new_id
from engine.store.tables import CompanyRow, EmailRow, EmailTemplateRow

__all__ = [
    "list_emails",
    "preview",
    "reset_template",
    "save_template",
    "template",
    "templates",
    "to_model",
]

LIST_LIMIT = 200


def to_model(row: EmailRow) -> Email:
    return Email(
        id=row.id,
        session_id=row.session_id,
        participant_id=row.participant_id,
        kind=EmailKind(row.kind),
        to=row.to_address,
        subject=row.subject,
        status=EmailStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def list_emails(
    db: AsyncSession, company_id: str, *, session_id: str | None = None, participant_id: str | None = None
) -> list[EmailRow]:
    """Newest first; the caller has checked that the session or participant is the company's."""
    stmt = select(EmailRow).where(EmailRow.company_id == company_id)
    if session_id is not None:
        stmt = stmt.where(EmailRow.session_id == session_id)
    if participant_id is not None:
        stmt = stmt.where(EmailRow.participant_id == participant_id)
    stmt = stmt.order_by(EmailRow.created_at.desc(), EmailRow.id.desc()).limit(LIST_LIMIT)
    return list(await db.scalars(stmt))


def _out(kind: EmailKind, own: EmailTemplateRow | None) -> EmailTemplate:
    text = DEFAULTS[kind] if own is None else own
    return EmailTemplate(
        kind=kind,
        subject=text.subject,
        html=text.html,
        text=text.text,
        is_default=own is None,
        updated_at=None if own is None else own.updated_at,
        placeholders=dict(PLACEHOLDERS),
    )


async def _own(db: AsyncSession, company_id: str, kind: EmailKind) -> EmailTemplateRow | None:
    return await db.scalar(
        select(EmailTemplateRow).where(
            EmailTemplateRow.company_id == company_id, EmailTemplateRow.kind == kind.value
        )
    )


async def templates(db: AsyncSession, company_id: str) -> list[EmailTemplate]:
    rows = await db.scalars(select(EmailTemplateRow).where(EmailTemplateRow.company_id == company_id))
    own = {r.kind: r for r in rows}
    return [_out(kind, own.get(kind.value)) for kind in EmailKind]


async def template(db: AsyncSession, company_id: str, kind: EmailKind) -> EmailTemplate:
    return _out(kind, await _own(db, company_id, kind))


async def save_template(
    db: AsyncSession, company_id: str, kind: EmailKind, body: EmailTemplateUpdate, clock: Clock
) -> EmailTemplate:
    """Replaces the company's template of this kind (validated by the model: known placeholders only)."""
    now: datetime = clock.now()
    row = await _own(db, company_id, kind)
    if row is None:
        row = EmailTemplateRow(id=new_id(), company_id=company_id, kind=kind.value, created_at=now)
        db.add(row)
    row.subject, row.html, row.text, row.updated_at = body.subject, body.html, body.text, now
    try:
        await db.flush()
    except IntegrityError:
        raise Conflict(
            f"the {kind.value} template was saved by another request at the same time; retry"
        ) from None
    return _out(kind, row)


async def reset_template(db: AsyncSession, company_id: str, kind: EmailKind) -> None:
    """Back to the built-in default (a no-op when it is in use)."""
    await db.execute(
        delete(EmailTemplateRow).where(
            EmailTemplateRow.company_id == company_id, EmailTemplateRow.kind == kind.value
        )
    )


def _sample_values(company_name: str, base_url: str, now: datetime) -> dict[str, str]:
    """A preview's values, one per placeholder in their listed order: a made-up participant, session and
    link (the link opens nothing), the company's own name, 09:00 UTC the next day."""
    when = (now.astimezone(UTC) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    values = {
        **SAMPLE_VALUES,
        "company_name": company_name,
        "join_url": f"{base_url}/join/sample-link",
        "scheduled_time": format_time(when),
    }
    return {name: values.get(name, "") for name in PLACEHOLDERS}


async def preview(
    db: AsyncSession,
    company_id: str,
    kind: EmailKind,
    body: EmailTemplateUpdate | None,
    *,
    base_url: str,
    clock: Clock,
) -> EmailPreview:
    """`body` (or, without one, the template in use) rendered by the sender's own renderer, so what the
    page shows is what a participant would get; nothing is saved."""
    if body is None:
        own = await _own(db, company_id, kind)
        text = DEFAULTS[kind] if own is None else TemplateText(own.subject, own.html, own.text)
    else:
        text = TemplateText(subject=body.subject, html=body.html, text=body.text)
    company = await db.get(CompanyRow, company_id)
    values = _sample_values(company.name if company is not None else "", base_url, clock.now())
    rendered = render(text, values)
    return EmailPreview(subject=rendered.subject, html=rendered.html, text=rendered.text, values=values)
