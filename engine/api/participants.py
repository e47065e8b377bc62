"""/v1/participants"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from config.base import ID_PATTERN
from config.participants import (
    BulkResult,
    Participant,
    ParticipantCreate,
    ParticipantsBulkCreate,
    ParticipantUpdate,
)
from engine.api.context import Ctx, ListResponse
from engine.api.params import CreatedAfter, CreatedBefore, Cursor, IdPath, Limit, SafeQuery
from engine.services import participants

router = APIRouter(prefix="/v1/participants", tags=["participants"])


@router.post("", status_code=201, summary="Create a participant (409 if the email exists for the template)")
async def create_participant(body: ParticipantCreate, ctx: Ctx) -> Participant:
    ctx.principal.require("write:participants")
    return participants.to_model(await participants.create(ctx.db, ctx.company_id, body, ctx.clock))


@router.post("/bulk", summary="Create up to 500 participants; duplicates are skipped and reported per row")
async def bulk_create(body: ParticipantsBulkCreate, ctx: Ctx) -> BulkResult:
    ctx.principal.require("write:participants")
    summary, _rows = await participants.bulk_create(
        ctx.db, ctx.company_id, list(body.participants), ctx.clock
    )
    return summary


@router.get("", summary="List participants")
async def list_participants(
    ctx: Ctx,
    template_id: Annotated[str | None, Query(pattern=ID_PATTERN, description="Only this template's.")] = None,
    tag: SafeQuery = None,
    email: SafeQuery = None,
    external_id: SafeQuery = None,
    created_after: CreatedAfter = None,
    created_before: CreatedBefore = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> ListResponse[Participant]:
    ctx.principal.require("read:participants")
    flt = participants.ParticipantFilter(template_id, tag, email, external_id, created_after, created_before)
    page = await participants.list_page(ctx.db, ctx.company_id, flt, ctx.limit(limit), cursor)
    return ListResponse(data=[participants.to_model(r) for r in page.items], next_cursor=page.next_cursor)


@router.get("/{participant_id}", summary="Get a participant")
async def get_participant(participant_id: IdPath, ctx: Ctx) -> Participant:
    ctx.principal.require("read:participants")
    return participants.to_model(await participants.get(ctx.db, ctx.company_id, participant_id))


@router.patch("/{participant_id}", summary="Update a participant")
async def update_participant(participant_id: IdPath, body: ParticipantUpdate, ctx: Ctx) -> Participant:
    ctx.principal.require("write:participants")
    row = await participants.update(ctx.db, ctx.company_id, participant_id, body, ctx.clock)
    return participants.to_model(row)


@router.delete("/{participant_id}", status_code=204, summary="Delete a participant (409 with open sessions)")
async def delete_participant(participant_id: IdPath, ctx: Ctx) -> Response:
    ctx.principal.require("delete:participants")
    await participants.delete(ctx.db, ctx.company_id, participant_id, ctx.clock)
    return Response(status_code=204)
