"""Emails to participants: what was sent (or not, and why) for a session or a participant, and the
company's email templates (/v1/email-templates/{kind}: invitation, reminder, cancellation, reschedule),
with a preview that renders one with sample values.

Email templates are part of how a company runs its interviews, so they take the templates scopes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from config.emails import Email, EmailKind, EmailPreview, EmailTemplate, EmailTemplateUpdate
from engine.api.context import Ctx, ListResponse
from engine.api.params import IdPath
from engine.services import emails, participants, sessions

__all__ = ["router"]

router = APIRouter(tags=["emails"])
KindPath = Annotated[EmailKind, Path(description="invitation, reminder, cancellation or reschedule.")]


@router.get(
    "/v1/sessions/{session_id}/emails",
    summary="The session's emails (invitation, reminder, notices) with their status, newest first",
)
async def session_emails(session_id: IdPath, ctx: Ctx) -> ListResponse[Email]:
    ctx.principal.require("read:sessions")
    row = await sessions.get(ctx.db, ctx.company_id, session_id)
    listed = await emails.list_emails(ctx.db, ctx.company_id, session_id=row.id)
    return ListResponse(data=[emails.to_model(e) for e in listed], next_cursor=None)


@router.get(
    "/v1/participants/{participant_id}/emails",
    summary="Every email to the participant, across their sessions, newest first",
)
async def participant_emails(participant_id: IdPath, ctx: Ctx) -> ListResponse[Email]:
    ctx.principal.require("read:participants", "read:sessions")
    person = await participants.get(ctx.db, ctx.company_id, participant_id)
    listed = await emails.list_emails(ctx.db, ctx.company_id, participant_id=person.id)
    return ListResponse(data=[emails.to_model(e) for e in listed], next_cursor=None)


@router.get("/v1/email-templates", summary="The company's email templates, one per kind (defaults included)")
async def list_templates(ctx: Ctx) -> ListResponse[EmailTemplate]:
    ctx.principal.require("read:templates")
    return ListResponse(data=await emails.templates(ctx.db, ctx.company_id), next_cursor=None)


@router.get("/v1/email-templates/{kind}", summary="One email template (the built-in default until saved)")
async def get_template(kind: KindPath, ctx: Ctx) -> EmailTemplate:
    ctx.principal.require("read:templates")
    return await emails.template(ctx.db, ctx.company_id, kind)


@router.put(
    "/v1/email-templates/{kind}",
    summary="Save the company's template of this kind (unknown placeholders are a 422 naming the field)",
)
async def save_template(kind: KindPath, body: EmailTemplateUpdate, ctx: Ctx) -> EmailTemplate:
    ctx.principal.require("write:templates")
    return await emails.save_template(ctx.db, ctx.company_id, kind, body, ctx.clock)


@router.post(
    "/v1/email-templates/{kind}/preview",
    summary="Render a template with sample values, as it would be sent (nothing is saved)",
    description="With a body `{subject, html, text}` (checked as a save would be: an unknown placeholder is "
    "a 422 naming the field), that text; without one, the company's template of this kind as it is now. "
    "Rendered by the sender itself: placeholder values HTML-escaped in the HTML part, one line in the "
    "subject.",
)
async def preview_template(kind: KindPath, ctx: Ctx, body: EmailTemplateUpdate | None = None) -> EmailPreview:
    ctx.principal.require("read:templates")
    return await emails.preview(
        ctx.db, ctx.company_id, kind, body, base_url=ctx.settings.base_url, clock=ctx.clock
    )


@router.delete(
    "/v1/email-templates/{kind}", status_code=204, summary="Go back to the built-in template of this kind"
)
async def reset_template(kind: KindPath, ctx: Ctx) -> Response:
    ctx.principal.require("delete:templates")
    await emails.reset_template(ctx.db, ctx.company_id, kind)
    return Response(status_code=204)
