"""/v1/recruiters: the people who sign in to the review pages."""

from __future__ import annotations

from fastapi import APIRouter, Response

from config.recruiters import Recruiter, RecruiterCreate, RecruiterUpdate
from engine.api import audit
from engine.api.context import Ctx, ListResponse
from engine.api.params import Cursor, IdPath, Limit
from engine.services import recruiters

router = APIRouter(prefix="/v1/recruiters", tags=["recruiters"])


@router.post("", status_code=201, summary="Create a recruiter account (409 if the email exists)")
async def create_recruiter(body: RecruiterCreate, ctx: Ctx) -> Recruiter:
    ctx.principal.require("write:recruiters")
    row = await recruiters.create(ctx.db, ctx.principal, body, ctx.clock)
    await audit.record(ctx, "recruiter.created", "recruiter", row.id, {"scopes": list(row.scopes)})
    return recruiters.to_model(row)


@router.get("", summary="List recruiter accounts")
async def list_recruiters(ctx: Ctx, limit: Limit = None, cursor: Cursor = None) -> ListResponse[Recruiter]:
    ctx.principal.require("read:recruiters")
    page = await recruiters.list_page(ctx.db, ctx.company_id, ctx.limit(limit), cursor)
    return ListResponse(data=[recruiters.to_model(r) for r in page.items], next_cursor=page.next_cursor)


@router.get("/{recruiter_id}", summary="Get a recruiter account")
async def get_recruiter(recruiter_id: IdPath, ctx: Ctx) -> Recruiter:
    ctx.principal.require("read:recruiters")
    return recruiters.to_model(await recruiters.get(ctx.db, ctx.company_id, recruiter_id))


@router.patch(
    "/{recruiter_id}",
    summary="Rename, change scopes, unlock, or set a new password (which signs the recruiter out)",
)
async def update_recruiter(recruiter_id: IdPath, body: RecruiterUpdate, ctx: Ctx) -> Recruiter:
    ctx.principal.require("write:recruiters")
    row = await recruiters.update(ctx.db, ctx.principal, recruiter_id, body, ctx.clock)
    await audit.record(ctx, "recruiter.updated", "recruiter", row.id, audit.changed(body))
    return recruiters.to_model(row)


@router.delete(
    "/{recruiter_id}",
    status_code=204,
    summary="Delete a recruiter account and end its sign-ins; 409 for the signed-in recruiter's own",
)
async def delete_recruiter(recruiter_id: IdPath, ctx: Ctx) -> Response:
    ctx.principal.require("delete:recruiters")
    await recruiters.delete(ctx.db, ctx.principal, recruiter_id, ctx.clock)
    await audit.record(ctx, "recruiter.deleted", "recruiter", recruiter_id)
    return Response(status_code=204)
