"""/v1/events: the company's event log (the outbox webhooks deliver from)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from engine.api.context import Ctx, ListResponse
from engine.api.params import Cursor, Limit
from engine.services import events

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.get("", summary="List events, newest first")
async def list_events(
    ctx: Ctx,
    type: Annotated[
        str | None, Query(max_length=64, pattern=r"^[a-z_.]+$", description="e.g. session.completed")
    ] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> ListResponse[events.Event]:
    ctx.principal.require("read:events")
    page = await events.list_events(ctx.db, ctx.company_id, type, ctx.limit(limit), cursor)
    return ListResponse(data=page.items, next_cursor=page.next_cursor)
