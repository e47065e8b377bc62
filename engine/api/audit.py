"""/v1/audit-events: the company's audit trail, read-only; and `record`, the one-line call the other
routers make after a change (or a view) succeeds, in the request's own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from config.base import ApiModel, UtcDatetime
from engine.api.context import Ctx, ListResponse, RequestCtx
from engine.api.params import Cursor, Limit
from engine.observability.context import current_request_id
from engine.services import audit as service
from engine.services.audit import Action, ActorKind, TargetType
from engine.store.tables import AuditEventRow

__all__ = ["AuditEvent", "changed", "record", "router"]

router = APIRouter(prefix="/v1/audit-events", tags=["audit"])

# Reading the trail is an administrator's business: the scope that manages API keys is the one
# administrators hold (there is no separate admin scope), and a reviewer's default scopes lack it.
READ_SCOPE = "read:api_keys"

_EXAMPLE: dict[str, JsonValue] = {
    "id": "0b6f1c9e-4a1d-4f0e-9a53-2f8c1d7e5a10",
    "at": "2026-03-02T09:41:07.512000Z",
    "actor_kind": "recruiter",
    "actor_id": "5d0c3f4e-8a3b-4c55-9d61-0f2a7b9e1c44",
    "actor_label": "kim@acme.com",
    "action": "session.approved",
    "target_type": "session",
    "target_id": "9a7e2b1c-3d4f-4e5a-8b6c-7d8e9f0a1b2c",
    "detail": None,
    "request_id": "4f1c2b7d9e0a4b6c8d2e1f3a5b7c9d0e",
}


class AuditEvent(ApiModel):
    """Who did what to which resource, and when. Events are never changed or deleted."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    id: str = Field(description="The event's id.")
    at: datetime = Field(description="When it happened (UTC).")
    actor_kind: ActorKind = Field(
        description="`api_key`, `partner_key` (an integrator's), or `recruiter` (signed in)."
    )
    actor_id: str = Field(description="The API key's id (16 hex characters) or the recruiter's id.")
    actor_label: str = Field(description="The key's name or the recruiter's email, as it was then.")
    action: Action = Field(description="What was done: `<resource>.<verb>`.")
    target_type: TargetType = Field(description="The kind of resource acted on.")
    target_id: str = Field(description="The resource's id (a session's, for recordings and scorecards).")
    detail: dict[str, Any] | None = Field(
        description="A few ids or field names about the action (e.g. `fields` changed); never the values."
    )
    request_id: str | None = Field(description="The request's `X-Request-ID`, to find it in the logs.")


def to_model(row: AuditEventRow) -> AuditEvent:
    return AuditEvent.model_validate(row, from_attributes=True)


def changed(body: BaseModel) -> dict[str, Any]:
    """An update's detail: the names of the fields it set, never their values (a password, a URL)."""
    return {"fields": sorted(body.model_fields_set)}


async def record(
    ctx: RequestCtx,
    action: Action,
    target_type: TargetType,
    target_id: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append an event for the caller in the request's transaction: it commits with the change it
    records, and a request that fails afterwards (rolling back) leaves none."""
    await service.record(
        ctx.db,
        ctx.principal,
        action,
        target_type,
        target_id,
        now=ctx.clock.now(),
        detail=detail,
        request_id=current_request_id(),
    )


ActionQuery = Annotated[Action | None, Query(description="Only events of this action.")]
IdQuery = Annotated[
    str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="Exact id.")
]


@router.get(
    "",
    summary="List audit events, newest first (needs read:api_keys); there is no way to change or delete one",
)
async def list_audit_events(
    ctx: Ctx,
    action: ActionQuery = None,
    actor_id: IdQuery = None,
    target_id: IdQuery = None,
    after: Annotated[
        UtcDatetime | None, Query(description="Only events at or after this time (with UTC offset).")
    ] = None,
    before: Annotated[
        UtcDatetime | None, Query(description="Only events before this time (with UTC offset).")
    ] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> ListResponse[AuditEvent]:
    ctx.principal.require(READ_SCOPE)
    flt = service.AuditFilter(action, actor_id, target_id, after, before)
    page = await service.list_page(ctx.db, ctx.company_id, flt, ctx.limit(limit), cursor)
    return ListResponse(data=[to_model(r) for r in page.items], next_cursor=page.next_cursor)
