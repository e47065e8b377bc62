"""Phone calls to a session: the one-time tokens that tie a call's media stream to it, and the call
attempt log (seed 003).

A token is issued by `GET /v1/sessions/{id}/phone-stream` and travels only in the WebSocket URL handed
to the telephony provider; like a join token it carries 256 random bits and is kept as its SHA-256
(engine/link_tokens.py). It is spent when the stream's `start` arrives, in one conditional UPDATE, so two
streams presenting it at once cannot both be let in. Every later call needs a new URL.

The provider's call status callbacks come to the same token (`record_status`): a call that never
reached its stream (busy, not answered, failed) is logged from them, since no stream will ever say so.
They are accepted while the token is kept, spent or not (it goes when the session's next URL is issued).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from config.phone import CallAttempt, CallOutcome
from engine.link_tokens import digest
from engine.services.common import new_id
from engine.store.tables import CallAttemptRow, PhoneStreamTokenRow, SessionRow

__all__ = [
    "PROVIDER_STATUSES",
    "Grant",
    "InvalidToken",
    "end_attempt",
    "issue_token",
    "list_attempts",
    "record_status",
    "spend_token",
    "start_attempt",
    "to_model",
    "valid_token",
]

MIN_TOKEN, MAX_TOKEN = 20, 64
# Twilio's CallStatus values: those still going on change nothing; the final ones log an attempt when
# the call's stream never started (a call that reached it was logged by the stream itself). `completed`
# without a stream: the call was answered but never reached the interview (its TwiML, say).
IN_FLIGHT = frozenset({"queued", "initiated", "ringing", "in-progress"})
FINAL: dict[str, CallOutcome] = {
    "busy": "busy",
    "no-answer": "no_answer",
    "failed": "failed",
    "canceled": "failed",
    "completed": "failed",
}
PROVIDER_STATUSES = tuple(sorted(IN_FLIGHT | FINAL.keys()))


class InvalidToken(Exception):
    """The stream's token is unknown, expired or already used (the stream is refused with 1008)."""


@dataclass(frozen=True, slots=True)
class Grant:
    """What a spent token lets in: the session's interview, through its join token."""

    company_id: str
    session_id: str
    join_token: str


async def issue_token(
    db: AsyncSession, row: SessionRow, now: datetime, ttl: timedelta
) -> tuple[str, datetime]:
    """A new one-time token for `row`'s session; returns it (shown once, never stored) and its expiry.
    The session's spent and expired ones go now: they open nothing, and so the table stays as small as
    the URLs still usable."""
    await db.execute(
        delete(PhoneStreamTokenRow).where(
            PhoneStreamTokenRow.session_id == row.id,
            or_(PhoneStreamTokenRow.used_at.is_not(None), PhoneStreamTokenRow.expires_at <= now),
        )
    )
    token = secrets.token_urlsafe(32)
    expires_at = now + ttl
    db.add(
        PhoneStreamTokenRow(
            id=new_id(),
            company_id=row.company_id,
            session_id=row.id,
            token_hash=digest(token),
            created_at=now,
            expires_at=expires_at,
        )
    )
    await db.flush()
    return token, expires_at


def _well_formed(token: str) -> bool:
    return MIN_TOKEN <= len(token) <= MAX_TOKEN and token.replace("-", "").replace("_", "").isalnum()


async def valid_token(db: AsyncSession, token: str, now: datetime) -> bool:
    """Whether `token` could still start a stream (checked as the socket opens, so a wrong one is
    refused at once; `spend_token` decides)."""
    if not _well_formed(token):
        return False
    row = (
        await db.scalars(select(PhoneStreamTokenRow).where(PhoneStreamTokenRow.token_hash == digest(token)))
    ).first()
    return row is not None and row.used_at is None and row.expires_at > now


async def spend_token(db: AsyncSession, token: str, now: datetime) -> Grant:
    """Marks the token used and returns what it opens; InvalidToken when it is unknown, expired, used, or
    its session is gone."""
    if not _well_formed(token):
        raise InvalidToken
    hashed = digest(token)
    result = cast(
        CursorResult[tuple[()]],
        await db.execute(
            update(PhoneStreamTokenRow)
            .where(
                PhoneStreamTokenRow.token_hash == hashed,
                PhoneStreamTokenRow.used_at.is_(None),
                PhoneStreamTokenRow.expires_at > now,
            )
            .values(used_at=now)
        ),
    )
    if result.rowcount != 1:
        raise InvalidToken
    grant = (
        await db.scalars(select(PhoneStreamTokenRow).where(PhoneStreamTokenRow.token_hash == hashed))
    ).one()
    session = await db.get(SessionRow, grant.session_id)
    if session is None or session.deleted_at is not None or session.join_token_encrypted is None:
        raise InvalidToken
    return Grant(grant.company_id, grant.session_id, session.join_token_encrypted.reveal())


async def start_attempt(db: AsyncSession, grant: Grant, call_sid: str, now: datetime) -> str:
    """Logs a call whose stream has started (outcome `answered` until it ends); returns its id."""
    attempt_id = new_id()
    db.add(
        CallAttemptRow(
            id=attempt_id,
            company_id=grant.company_id,
            session_id=grant.session_id,
            call_sid=call_sid,
            started_at=now,
            outcome="answered",
        )
    )
    await db.flush()
    return attempt_id


async def end_attempt(db: AsyncSession, attempt_id: str, outcome: CallOutcome, now: datetime) -> None:
    row = await db.get(CallAttemptRow, attempt_id)
    if row is None or row.ended_at is not None:
        return
    row.ended_at = now
    row.duration_seconds = max(0, round((now - row.started_at).total_seconds()))
    row.outcome = outcome
    await db.flush()


async def list_attempts(db: AsyncSession, company_id: str, session_id: str) -> list[CallAttemptRow]:
    rows = await db.scalars(
        select(CallAttemptRow)
        .where(CallAttemptRow.company_id == company_id, CallAttemptRow.session_id == session_id)
        .order_by(CallAttemptRow.started_at, CallAttemptRow.id)
    )
    return list(rows)


async def record_status(
    db: AsyncSession, token: str, call_sid: str, status: str, duration_s: int | None, now: datetime
) -> CallAttemptRow | None:
    """One status callback for `call_sid`, on the stream URL whose token is `token`: logs a call that
    ended before its stream started (once, however often the provider repeats it) and returns it; None
    when there is nothing to log (still in flight, or the stream logged the call). InvalidToken when no
    kept token matches; `status` must be one of PROVIDER_STATUSES."""
    if not _well_formed(token):
        raise InvalidToken
    grant = (
        await db.scalars(select(PhoneStreamTokenRow).where(PhoneStreamTokenRow.token_hash == digest(token)))
    ).first()
    if grant is None:
        raise InvalidToken
    if status in IN_FLIGHT:
        return None
    logged = (
        await db.scalars(
            select(CallAttemptRow).where(
                CallAttemptRow.session_id == grant.session_id, CallAttemptRow.call_sid == call_sid
            )
        )
    ).first()
    if logged is not None:
        return None
    seconds = max(0, duration_s or 0)
    row = CallAttemptRow(
        id=new_id(),
        company_id=grant.company_id,
        session_id=grant.session_id,
        call_sid=call_sid,
        started_at=now - timedelta(seconds=seconds),
        ended_at=now,
        duration_seconds=seconds,
        outcome=FINAL[status],
    )
    db.add(row)
    await db.flush()
    return row


def to_model(row: CallAttemptRow) -> CallAttempt:
    return CallAttempt(
        id=row.id,
        session_id=row.session_id,
        call_sid=row.call_sid,
        started_at=row.started_at,
        ended_at=row.ended_at,
        duration_seconds=row.duration_seconds,
        outcome=cast(CallOutcome, row.outcome),
    )
