"""/v1/agent-profiles"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from config.enums import Focus
from config.profiles import AgentProfile, AgentProfileCreate, AgentProfileUpdate
from engine.api import audit
from engine.api.context import Ctx, ListResponse
from engine.api.params import Cursor, IdPath, Limit, SafeQuery
from engine.services import profiles

router = APIRouter(prefix="/v1/agent-profiles", tags=["agent profiles"])


@router.post("", status_code=201, summary="Create an agent profile")
async def create_profile(body: AgentProfileCreate, ctx: Ctx) -> AgentProfile:
    ctx.principal.require("write:agent_profiles")
    row = await profiles.create(ctx.db, ctx.company_id, body, ctx.clock)
    await audit.record(ctx, "agent_profile.created", "agent_profile", row.id)
    return profiles.to_model(row)


@router.get("", summary="List agent profiles")
async def list_profiles(
    ctx: Ctx,
    focus: Annotated[Focus | None, Query(description="Only profiles of this focus.")] = None,
    name: SafeQuery = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> ListResponse[AgentProfile]:
    ctx.principal.require("read:agent_profiles")
    flt = profiles.ProfileFilter(focus=focus, name=name)
    page = await profiles.list_page(ctx.db, ctx.company_id, flt, ctx.limit(limit), cursor)
    return ListResponse(data=[profiles.to_model(r) for r in page.items], next_cursor=page.next_cursor)


@router.get("/{profile_id}", summary="Get an agent profile")
async def get_profile(profile_id: IdPath, ctx: Ctx) -> AgentProfile:
    ctx.principal.require("read:agent_profiles")
    return profiles.to_model(await profiles.get(ctx.db, ctx.company_id, profile_id))


@router.patch("/{profile_id}", summary="Update an agent profile")
async def update_profile(profile_id: IdPath, body: AgentProfileUpdate, ctx: Ctx) -> AgentProfile:
    ctx.principal.require("write:agent_profiles")
    row = await profiles.update(ctx.db, ctx.company_id, profile_id, body, ctx.clock)
    await audit.record(ctx, "agent_profile.updated", "agent_profile", row.id, audit.changed(body))
    return profiles.to_model(row)


@router.delete("/{profile_id}", status_code=204, summary="Delete an agent profile (409 while in use)")
async def delete_profile(profile_id: IdPath, ctx: Ctx) -> Response:
    ctx.principal.require("delete:agent_profiles")
    await profiles.delete(ctx.db, ctx.company_id, profile_id, ctx.clock)
    await audit.record(ctx, "agent_profile.deleted", "agent_profile", profile_id)
    return Response(status_code=204)
