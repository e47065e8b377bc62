"""The audit trail: who viewed a recording or scorecard, decided a stage result, or changed the company's
configuration, and when. Two operations only, `record` and `list_page`: nothing here (and no route)
updates or deletes an event, and the database refuses both (migration 0017's triggers).

An event is written in the caller's transaction, so a change that rolls back leaves no event, and an
event never outlives a refused request. It holds ids, the action, and a display label of the actor (an
API key's name, a recruiter's email), never what was viewed or the values changed.

Views are recorded once per actor, action and target within VIEW_WINDOW: an audio player asks for a
recording in several ranges, and a page re-reads a session while its analysis runs; each is one
viewing, not many. A first view is always recorded, whatever the request looks like.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.auth import Principal
from engine.store.pagination import Page, paginate
from engine.store.tables import ApiKeyRow, AuditEventRow, PartnerKeyRow, RecruiterRow

__all__ = [
    "ACTIONS",
    "VIEW_WINDOW",
    "Action",
    "ActorKind",
    "AuditFilter",
    "TargetType",
    "actor_of",
    "list_page",
    "record",
]

logger = logging.getLogger(__name__)

Action = Literal[
    "recording.viewed",
    "transcript.viewed",
    "scorecard.viewed",
    "analysis.rerun",
    "session.approved",
    "session.rejected",
    "session.cancelled",
    "session.retake",
    "agent_profile.created",
    "agent_profile.updated",
    "agent_profile.deleted",
    "template.created",
    "template.updated",
    "template.deleted",
    "template.public_link_changed",
    "template.stages_reordered",
    "stage.created",
    "stage.updated",
    "stage.deleted",
    "api_key.created",
    "api_key.revoked",
    "recruiter.created",
    "recruiter.updated",
    "recruiter.deleted",
    "webhook_endpoint.created",
    "webhook_endpoint.updated",
    "webhook_endpoint.deleted",
    "webhook_endpoint.secret_rotated",
    "participant.deleted",
    "participant.erased",
    "participant.exported",
    "company.updated",
]
ACTIONS: tuple[str, ...] = get_args(Action)
TargetType = Literal[
    "session",
    "agent_profile",
    "template",
    "stage",
    "api_key",
    "recruiter",
    "webhook_endpoint",
    "participant",
    "company",
]
ActorKind = Literal["api_key", "partner_key", "recruiter"]
VIEWS = frozenset(a for a in ACTIONS if a.endswith(".viewed"))
VIEW_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class AuditFilter:
    action: str | None = None
    actor_id: str | None = None
    target_id: str | None = None
    after: datetime | None = None  # at or after
    before: datetime | None = None  # strictly before


async def actor_of(db: AsyncSession, principal: Principal) -> Actor:
    """Who the principal is, with a label a reader recognises. The rows are usually in the session's
    identity map already (authentication loaded them), so this costs no query."""
    if principal.recruiter_id is not None:
        recruiter = await db.get(RecruiterRow, principal.recruiter_id)
        label = recruiter.email if recruiter is not None else principal.recruiter_id
        return Actor("recruiter", principal.recruiter_id, label)
    if principal.partner:
        partner = await db.get(PartnerKeyRow, principal.key_id)
        return Actor(
            "partner_key", principal.key_id, partner.name if partner is not None else principal.key_id
        )
    key = await db.get(ApiKeyRow, principal.key_id)
    return Actor("api_key", principal.key_id, key.name if key is not None else principal.key_id)


async def _seen_lately(
    db: AsyncSession, company_id: str, actor: Actor, action: str, target_id: str, now: datetime
) -> bool:
    stmt = (
        select(AuditEventRow.id)
        .where(
            AuditEventRow.company_id == company_id,
            AuditEventRow.target_id == target_id,
            AuditEventRow.at >= now - VIEW_WINDOW,
            AuditEventRow.actor_id == actor.id,
            AuditEventRow.action == action,
        )
        .limit(1)
    )
    return (await db.scalars(stmt)).first() is not None


async def record(
    db: AsyncSession,
    principal: Principal,
    action: Action,
    target_type: TargetType,
    target_id: str,
    *,
    now: datetime,
    detail: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> AuditEventRow | None:
    """Append one event in `db`'s transaction; None for a view already recorded within VIEW_WINDOW."""
    actor = await actor_of(db, principal)
    if action in VIEWS and await _seen_lately(db, principal.company_id, actor, action, target_id, now):
        return None
    row = AuditEventRow(
        id=str(uuid.uuid4()),
        company_id=principal.company_id,
        at=now,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail=detail,
        request_id=request_id,
    )
    db.add(row)
    logger.debug("audit %s %s %s by %s %s", action, target_type, target_id, actor.kind, actor.id)
    return row


async def list_page(
    db: AsyncSession, company_id: str, flt: AuditFilter, limit: int, cursor: str | None
) -> Page[AuditEventRow]:
    """The company's events, newest first, narrowed by `flt`."""
    stmt = select(AuditEventRow).where(AuditEventRow.company_id == company_id)
    if flt.action is not None:
        stmt = stmt.where(AuditEventRow.action == flt.action)
    if flt.actor_id is not None:
        stmt = stmt.where(AuditEventRow.actor_id == flt.actor_id)
    if flt.target_id is not None:
        stmt = stmt.where(AuditEventRow.target_id == flt.target_id)
    if flt.after is not None:
        stmt = stmt.where(AuditEventRow.at >= flt.after)
    if flt.before is not None:
        stmt = stmt.where(AuditEventRow.at < flt.before)
    return await paginate(db, stmt, AuditEventRow.at, AuditEventRow.id, limit, cursor)
