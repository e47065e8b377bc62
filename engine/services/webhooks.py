"""Webhook endpoints and deliveries in the store.

The outbox (`outbox_events`) is written in the same transaction as every change. `fan_out` turns each
undispatched event into one delivery per subscribed, enabled endpoint of its company and marks the
event dispatched, in one transaction: an event is either waiting in the outbox or has its deliveries,
never neither. Deliveries then live here until a 2xx, or until the retry schedule runs out.

Any number of dispatchers (engines, `interview-engine worker` processes) share the deliveries: each
attempt is made under a lease (`claim`, engine.services.leases), so two never send one delivery at once,
and a delivery whose dispatcher died mid-attempt is due again once the lease runs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.webhooks import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointUpdate,
)
from engine.clock import Clock
from engine.errors import Conflict, Forbidden, NotFound
from engine.services import events, leases
from engine.services.common import get_owned, new_id
from engine.store.pagination import Page, paginate
from engine.store.tables import OutboxEventRow, WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow
from engine.webhooks.signing import new_secret

__all__ = [
    "FAILED",
    "PENDING",
    "SUCCEEDED",
    "claim",
    "create",
    "delete",
    "delivery_model",
    "due",
    "fan_out",
    "get",
    "get_delivery",
    "held",
    "list_deliveries",
    "list_endpoints",
    "redeliver",
    "rotate",
    "secrets_in_use",
    "send_test",
    "to_model",
    "update",
]

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
LABEL = "webhook endpoint"
FAN_OUT_BATCH = 200


def to_model(row: WebhookEndpointRow, now: datetime | None = None) -> WebhookEndpoint:
    rotating = row.previous_secret_expires_at
    if rotating is not None and now is not None and rotating <= now:
        rotating = None
    return WebhookEndpoint(
        id=row.id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        url=row.url,
        event_types=list(row.event_types),
        enabled=row.enabled,
        disabled_reason=row.disabled_reason,
        description=row.description,
        secret_rotating_until=rotating,
    )


def secrets_in_use(row: WebhookEndpointRow, now: datetime) -> list[str]:
    """The current secret, and the previous one while its rotation overlap lasts."""
    used = [row.secret]
    if row.previous_secret and row.previous_secret_expires_at and row.previous_secret_expires_at > now:
        used.append(row.previous_secret)
    return used


async def create(
    db: AsyncSession, company_id: str, body: WebhookEndpointCreate, clock: Clock
) -> WebhookEndpointRow:
    now = clock.now()
    row = WebhookEndpointRow(
        id=new_id(),
        company_id=company_id,
        url=body.url,
        description=body.description,
        event_types=list(body.event_types),
        enabled=body.enabled,
        secret=new_secret(),
        created_at=now,
        updated_at=now,
    )
    db.add(row)
    await db.flush()
    return row


async def get(db: AsyncSession, company_id: str, endpoint_id: str) -> WebhookEndpointRow:
    return await get_owned(db, WebhookEndpointRow, endpoint_id, company_id, LABEL)


async def list_endpoints(
    db: AsyncSession, company_id: str, limit: int, cursor: str | None
) -> Page[WebhookEndpointRow]:
    stmt = select(WebhookEndpointRow).where(
        WebhookEndpointRow.company_id == company_id, WebhookEndpointRow.deleted_at.is_(None)
    )
    return await paginate(db, stmt, WebhookEndpointRow.created_at, WebhookEndpointRow.id, limit, cursor)


async def update(
    db: AsyncSession, company_id: str, endpoint_id: str, patch: WebhookEndpointUpdate, clock: Clock
) -> WebhookEndpointRow:
    row = await get(db, company_id, endpoint_id)
    if patch.url is not None:
        row.url = patch.url
    if patch.event_types is not None:
        row.event_types = list(patch.event_types)
    if patch.description is not None:
        row.description = patch.description
    if patch.enabled is not None:
        row.enabled = patch.enabled
        if patch.enabled:
            row.disabled_reason = None
    row.updated_at = clock.now()
    await db.flush()
    return row


async def delete(db: AsyncSession, company_id: str, endpoint_id: str, clock: Clock) -> None:
    row = await get(db, company_id, endpoint_id)
    now = clock.now()
    row.deleted_at, row.enabled, row.updated_at = now, False, now
    pending = await db.scalars(
        select(WebhookDeliveryRow).where(
            WebhookDeliveryRow.endpoint_id == row.id, WebhookDeliveryRow.status == PENDING
        )
    )
    for delivery in pending:
        delivery.status, delivery.next_attempt_at, delivery.updated_at = FAILED, None, now
        delivery.last_error = "endpoint deleted"


async def rotate(
    db: AsyncSession, company_id: str, endpoint_id: str, clock: Clock, overlap: timedelta
) -> WebhookEndpointRow:
    row = await get(db, company_id, endpoint_id)
    now = clock.now()
    row.previous_secret, row.previous_secret_expires_at = row.secret, now + overlap
    row.secret, row.updated_at = new_secret(), now
    await db.flush()
    return row


async def send_test(db: AsyncSession, company_id: str, endpoint_id: str, clock: Clock) -> WebhookDeliveryRow:
    """A `webhook.test` event for this endpoint only, delivered like any other (signed, retried)."""
    row = await get(db, company_id, endpoint_id)
    now = clock.now()
    event_id = events.new_event_id(db)
    payload = {
        "type": "webhook.test",
        "timestamp": now.isoformat(),
        "data": {"endpoint_id": row.id, "is_test": True, "message": "A test event from interview-engine."},
    }
    return _delivery(db, row, event_id, "webhook.test", payload, now)


def _delivery(
    db: AsyncSession,
    endpoint: WebhookEndpointRow,
    event_id: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
) -> WebhookDeliveryRow:
    delivery = WebhookDeliveryRow(
        id=new_id(),
        company_id=endpoint.company_id,
        endpoint_id=endpoint.id,
        event_id=event_id,
        event_type=kind,
        payload=payload,
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    db.add(delivery)
    return delivery


async def fan_out(db: AsyncSession, now: datetime, first_wait: timedelta) -> int:
    """Turns undispatched outbox events into deliveries; returns how many events it handled."""
    pending = list(
        await db.scalars(
            select(OutboxEventRow)
            .where(OutboxEventRow.dispatched_at.is_(None))
            .order_by(OutboxEventRow.created_at, OutboxEventRow.id)
            .limit(FAN_OUT_BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    endpoints: dict[str, list[WebhookEndpointRow]] = {}
    for event in pending:
        if event.company_id not in endpoints:
            endpoints[event.company_id] = list(
                await db.scalars(
                    select(WebhookEndpointRow).where(
                        WebhookEndpointRow.company_id == event.company_id,
                        WebhookEndpointRow.deleted_at.is_(None),
                        WebhookEndpointRow.enabled.is_(True),
                    )
                )
            )
        for endpoint in endpoints[event.company_id]:
            if not endpoint.event_types or event.type in endpoint.event_types:
                _delivery(db, endpoint, event.id, event.type, event.payload, now + first_wait)
        event.dispatched_at = now
    return len(pending)


async def due(db: AsyncSession, now: datetime, limit: int) -> list[WebhookDeliveryRow]:
    """Pending deliveries whose time has come and that no live lease holds."""
    return list(
        await db.scalars(
            select(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.status == PENDING,
                WebhookDeliveryRow.next_attempt_at <= now,
                leases.free(WebhookDeliveryRow, now),
            )
            .order_by(WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.id)
            .limit(limit)
        )
    )


async def claim(
    db: AsyncSession, delivery_id: str, now: datetime, lease: leases.Claim
) -> WebhookDeliveryRow | None:
    """The delivery, leased to `lease` for one attempt, or None when it is not due any more or another
    dispatcher holds it (SKIP LOCKED: one claiming it right now counts as holding it)."""
    delivery = await db.scalar(
        select(WebhookDeliveryRow)
        .where(
            WebhookDeliveryRow.id == delivery_id,
            WebhookDeliveryRow.status == PENDING,
            WebhookDeliveryRow.next_attempt_at <= now,
            leases.free(WebhookDeliveryRow, now),
        )
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if delivery is not None:
        leases.take(delivery, lease, now)
    return delivery


async def held(db: AsyncSession, delivery_id: str, lease: leases.Claim) -> WebhookDeliveryRow | None:
    """The delivery, locked, while `lease` still holds it; None once another dispatcher took it over."""
    return await leases.held(db, WebhookDeliveryRow, delivery_id, lease)


async def get_delivery(db: AsyncSession, company_id: str, delivery_id: str) -> WebhookDeliveryRow:
    # Deliveries are never soft-deleted, so the shared lookup (which filters on deleted_at) does not fit.
    row = await db.get(WebhookDeliveryRow, delivery_id)
    if row is None:
        raise NotFound(f"no webhook delivery with id {delivery_id}", {"id": delivery_id})
    if row.company_id != company_id:
        raise Forbidden(f"webhook delivery {delivery_id} belongs to another company", {"id": delivery_id})
    return row


async def list_deliveries(
    db: AsyncSession,
    company_id: str,
    *,
    endpoint_id: str | None = None,
    event_id: str | None = None,
    limit: int = 100,
) -> list[WebhookDeliveryRow]:
    stmt = select(WebhookDeliveryRow).where(WebhookDeliveryRow.company_id == company_id)
    if endpoint_id is not None:
        stmt = stmt.where(WebhookDeliveryRow.endpoint_id == endpoint_id)
    if event_id is not None:
        stmt = stmt.where(WebhookDeliveryRow.event_id == event_id)
    stmt = stmt.order_by(WebhookDeliveryRow.created_at.desc(), WebhookDeliveryRow.id.desc()).limit(limit)
    return list(await db.scalars(stmt))


async def delivery_model(db: AsyncSession, row: WebhookDeliveryRow) -> WebhookDelivery:
    attempts = await db.scalars(
        select(WebhookAttemptRow)
        .where(WebhookAttemptRow.delivery_id == row.id)
        .order_by(WebhookAttemptRow.attempted_at.desc(), WebhookAttemptRow.id.desc())
    )
    return WebhookDelivery(
        id=row.id,
        endpoint_id=row.endpoint_id,
        event_id=row.event_id,
        event_type=row.event_type,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        payload=row.payload,
        attempt_log=[
            WebhookAttempt(
                attempted_at=a.attempted_at,
                status_code=a.status_code,
                error=a.error,
                duration_ms=a.duration_ms,
            )
            for a in attempts
        ],
    )


async def redeliver(db: AsyncSession, company_id: str, delivery_id: str, clock: Clock) -> WebhookDeliveryRow:
    """Send again now (same event id, so receivers can still de-duplicate), whatever its status."""
    row = await get_delivery(db, company_id, delivery_id)
    endpoint = await db.get(WebhookEndpointRow, row.endpoint_id)
    if endpoint is None or endpoint.deleted_at is not None or not endpoint.enabled:
        raise Conflict(
            "the endpoint is disabled or deleted; enable it first",
            {"fields": [{"path": "endpoint_id", "message": "endpoint not enabled"}]},
        )
    now = clock.now()
    row.status, row.next_attempt_at, row.updated_at = PENDING, now, now
    return row
