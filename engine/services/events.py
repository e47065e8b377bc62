"""The outbox: events recorded in the same transaction as the change that caused them, so a committed
change always has its event and a rolled-back one never does. Delivery reads from here."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.events import EVENT_ADAPTER, Event
from engine.store.pagination import Page, paginate
from engine.store.tables import OutboxEventRow, ParticipantRow, SessionRow

__all__ = ["Event", "list_events", "new_event_id", "record", "session_data"]


def new_event_id(session: AsyncSession) -> str:
    """`evt_<seq><random>`: events of one transaction share a timestamp, and the list orders ties by id
    descending, so a per-transaction sequence keeps them in the order they happened."""
    seq = int(session.info.get("outbox_seq", 0)) + 1
    session.info["outbox_seq"] = seq
    return f"evt_{seq:04d}{secrets.token_hex(12)}"


def record(
    session: AsyncSession, company_id: str, event_type: str, data: dict[str, Any], at: datetime
) -> None:
    event_id = new_event_id(session)
    payload = {"type": event_type, "timestamp": at.isoformat(), "data": data}
    session.add(
        OutboxEventRow(id=event_id, company_id=company_id, type=event_type, payload=payload, created_at=at)
    )


def session_data(row: SessionRow, participant: ParticipantRow) -> dict[str, Any]:
    """Ids every session event carries, with the participant's external_id (seed 000)."""
    return {
        "session_id": row.id,
        "participant_id": row.participant_id,
        "external_id": participant.external_id,
        "template_id": row.template_id,
        "stage_id": row.stage_id,
        "agent_profile_id": row.agent_profile_id,
        "status": row.status,
        "is_test": row.is_test,
    }


def to_event(row: OutboxEventRow) -> Event:
    # Typed per event type (config.events), so each type's data has its own schema in OpenAPI.
    return EVENT_ADAPTER.validate_python(
        {"id": row.id, "type": row.type, "timestamp": row.created_at, "data": row.payload["data"]}
    )


async def list_events(
    session: AsyncSession, company_id: str, event_type: str | None, limit: int, cursor: str | None
) -> Page[Event]:
    stmt = select(OutboxEventRow).where(OutboxEventRow.company_id == company_id)
    if event_type:
        stmt = stmt.where(OutboxEventRow.type == event_type)
    page = await paginate(session, stmt, OutboxEventRow.created_at, OutboxEventRow.id, limit, cursor)
    return Page([to_event(r) for r in page.items], page.next_cursor)
