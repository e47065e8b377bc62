"""The background work waiting in the database, counted for `GET /metrics`: analyses, webhook events
and deliveries, emails. Each count is one indexed COUNT (ix_analyses_status, ix_outbox_events_dispatched,
ix_webhook_deliveries_due, ix_emails_due), over every company together: no ids, nothing per company."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.notifications.outbox import QUEUED
from engine.services import analyses, webhooks
from engine.store.database import Database
from engine.store.tables import AnalysisRow, EmailRow, OutboxEventRow, WebhookDeliveryRow

__all__ = ["Backlog", "read_backlog"]


@dataclass(frozen=True, slots=True)
class Backlog:
    analyses_pending: int
    analyses_processing: int
    webhook_events_undispatched: int
    """Events not yet fanned out into deliveries (one per endpoint that wants them)."""
    webhook_deliveries_queued: int
    """Deliveries not yet succeeded or failed: due now or waiting for their next retry."""
    webhook_deliveries_due: int
    emails_queued: int
    emails_due: int


async def _count(db: AsyncSession, *where: ColumnElement[bool]) -> int:
    return int(await db.scalar(select(func.count()).where(*where)) or 0)


async def read_backlog(database: Database, now: datetime) -> Backlog:
    """The counts at `now` ("due" means the worker would take it in its next round)."""
    async with database.transaction() as db:
        pending = webhooks.PENDING
        return Backlog(
            analyses_pending=await _count(db, AnalysisRow.status == analyses.PENDING),
            analyses_processing=await _count(db, AnalysisRow.status == analyses.PROCESSING),
            webhook_events_undispatched=await _count(db, OutboxEventRow.dispatched_at.is_(None)),
            webhook_deliveries_queued=await _count(db, WebhookDeliveryRow.status == pending),
            webhook_deliveries_due=await _count(
                db, WebhookDeliveryRow.status == pending, WebhookDeliveryRow.next_attempt_at <= now
            ),
            emails_queued=await _count(db, EmailRow.status == QUEUED),
            # As `outbox.due` picks them: queued, their time come, and no live claim on them.
            emails_due=await _count(
                db,
                EmailRow.status == QUEUED,
                EmailRow.next_attempt_at <= now,
                or_(EmailRow.claimed_until.is_(None), EmailRow.claimed_until <= now),
            ),
        )
