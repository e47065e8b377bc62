"""Optional email verification for a template's public link (`templates.public_email_verification`).

With it on, a sign-up through the link books nothing: `request` stores a pending sign-up holding only
the SHA-256 of a one-time token (`secrets.token_urlsafe(32)`, 256 random bits) and queues an email with
the link `{base_url}/public/verify/{token}` (sent by engine.notifications.verification). Following it,
`confirm` books the session through `public_links.start_for`, the same path as a sign-up without
verification (the participant dedupe, the resume of an unfinished session, the usage limit), and the
candidate lands on the join page.

- The answer to a sign-up never depends on the address: whether it has a participant, a completed
  interview or ten emails this hour, the page says "check your inbox".
- At most `verification_max_per_hour` emails go to one address through one link per hour (on top of the
  request rate limits), so the link cannot be used to flood someone's inbox.
- A link is used once: the booking and the mark are one transaction, the row locked (SQLite: the write
  lock), so two clicks book once. A used link still leads to the session it booked while that session
  is open and the link unexpired: mail scanners open links before the candidate does, and the
  candidate's own click must not then end on an error page. Otherwise a used or expired link is a 410.
- Personal data: name and email are blanked once the link is used (the participant holds them), erased
  with the participant (`forget`), and every row is deleted a day after its expiry by the retention job
  (`purge_expired`).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from config.email_settings import EmailSettings
from config.emails import EmailStatus
from engine.clock import Clock
from engine.errors import ApiError, NotFound
from engine.services import public_links
from engine.services.common import new_id
from engine.store.tables import PublicLinkSignUpRow, SessionRow, TemplateRow

__all__ = [
    "EXPIRED_MESSAGE",
    "INVALID_MESSAGE",
    "PURGE_GRACE",
    "USED_MESSAGE",
    "Confirmed",
    "LinkGone",
    "confirm",
    "digest",
    "forget",
    "purge_expired",
    "request",
    "verify_url",
]

logger = logging.getLogger(__name__)

INVALID_MESSAGE = (
    "This confirmation link is not valid. Please check that you opened the whole link from the email."
)
USED_MESSAGE = (
    "This confirmation link has already been used. To continue your interview, open the interview's link "
    "again and enter your name and email: we will send you a new one."
)
EXPIRED_MESSAGE = (
    "This confirmation link has expired. Open the interview's link again and enter your name and email to "
    "get a new one."
)
# Rows stay this long past their expiry, so a late click still gets "expired" rather than "not valid".
PURGE_GRACE = timedelta(days=1)
# `secrets.token_urlsafe(32)` gives 43 of these; anything else is answered like an unknown token.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,64}")


class LinkGone(ApiError):
    """410: the confirmation link was used already or has expired."""

    status_code = 410
    code = "gone"


@dataclass(frozen=True, slots=True)
class Confirmed:
    session: SessionRow
    again: bool  # the link had been used: this is the session it booked then


def digest(token: str) -> str:
    """The lookup key: SHA-256 (hex). Unsalted and fast on purpose: the token has 256 random bits."""
    return hashlib.sha256(token.encode()).hexdigest()


def verify_url(base_url: str, token: str) -> str:
    return f"{base_url}/public/verify/{token}"


async def request(
    db: AsyncSession, template: TemplateRow, name: str, email: str, now: datetime, settings: EmailSettings
) -> str | None:
    """Stores a pending sign-up and queues its email, in `db`'s transaction: the row's id, or None when
    this address had its share of emails through this link this hour (nothing is stored or sent)."""
    recent = await db.scalar(
        select(func.count())
        .select_from(PublicLinkSignUpRow)
        .where(
            PublicLinkSignUpRow.template_id == template.id,
            PublicLinkSignUpRow.email == email,
            PublicLinkSignUpRow.created_at > now - timedelta(hours=1),
        )
    )
    if (recent or 0) >= settings.verification_max_per_hour:
        # Ids only: the address is personal data.
        logger.info("public link of template %s: verification emails to one address capped", template.id)
        return None
    token = secrets.token_urlsafe(32)
    row = PublicLinkSignUpRow(
        id=new_id(),
        company_id=template.company_id,
        template_id=template.id,
        token_hash=digest(token),
        sealed_token=token,  # encrypted at rest, and only until the email has gone out
        name=name,
        email=email,
        expires_at=now + timedelta(seconds=settings.verification_ttl_s),
        email_status=EmailStatus.QUEUED.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    db.add(row)
    await db.flush()
    return row.id


async def _live_template(db: AsyncSession, template_id: str) -> TemplateRow:
    """The sign-up's template while its public link is still on: the recruiter may have turned it off
    (or deleted the template) since the email went out."""
    template = await db.get(TemplateRow, template_id)
    if template is None or template.deleted_at is not None or not template.public_enabled:
        raise NotFound(public_links.INVALID_LINK_MESSAGE)
    return template


async def _still_open(db: AsyncSession, row: PublicLinkSignUpRow) -> SessionRow | None:
    session = await db.get(SessionRow, row.session_id) if row.session_id else None
    if session is None or session.deleted_at is not None or session.status not in public_links.OPEN_STATUSES:
        return None
    return session


async def confirm(db: AsyncSession, token: str, clock: Clock) -> Confirmed:
    """Books (or resumes) the candidate's session for a confirmation token. 404 for an unknown token or a
    link turned off, 410 (`LinkGone`) used or expired, and whatever booking refuses (409, 402)."""
    if not TOKEN_SHAPE.fullmatch(token):
        raise NotFound(INVALID_MESSAGE)
    row = (
        await db.scalars(
            select(PublicLinkSignUpRow)
            .where(PublicLinkSignUpRow.token_hash == digest(token))
            .with_for_update()
        )
    ).first()
    if row is None:
        raise NotFound(INVALID_MESSAGE)
    now = clock.now()
    expired = now >= row.expires_at
    if row.used_at is not None:
        session = None if expired else await _still_open(db, row)
        if session is None:
            raise LinkGone(USED_MESSAGE)
        return Confirmed(session, again=True)
    if expired:
        raise LinkGone(EXPIRED_MESSAGE)
    template = await _live_template(db, row.template_id)
    started = await public_links.start_for(db, template, row.name, row.email, clock)
    row.used_at, row.session_id, row.updated_at = now, started.session.id, now
    # The participant holds the name and email now; the token is spent.
    row.name, row.email, row.sealed_token = "", "", None
    await db.flush()
    logger.info("public link of template %s: sign-up %s confirmed", template.id, row.id)
    return Confirmed(started.session, again=False)


async def forget(db: AsyncSession, company_id: str, email: str) -> int:
    """Deletes the company's pending sign-ups for `email` (an erasure); how many."""
    if not email:
        return 0
    result = await db.execute(
        delete(PublicLinkSignUpRow)
        .where(PublicLinkSignUpRow.company_id == company_id, PublicLinkSignUpRow.email == email)
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount or 0)


async def purge_expired(db: AsyncSession, now: datetime) -> int:
    """Deletes sign-ups expired more than PURGE_GRACE ago (not one a worker is sending); how many."""
    result = await db.execute(
        delete(PublicLinkSignUpRow)
        .where(
            PublicLinkSignUpRow.expires_at < now - PURGE_GRACE,
            or_(PublicLinkSignUpRow.claimed_until.is_(None), PublicLinkSignUpRow.claimed_until <= now),
        )
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount or 0)
