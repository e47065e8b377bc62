"""/v1/sessions"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from pydantic import Field, field_validator

from config.base import ID_PATTERN, InputModel
from config.emails import Email
from config.enums import SessionStatus
from config.sessions import JoinLink, Session, SessionCreate, SessionUpdate, validate_metadata
from config.stage_results import StageOutcome
from engine.api import audit
from engine.api.context import Ctx, ListResponse, Services
from engine.api.openapi import error_responses
from engine.api.params import CreatedAfter, CreatedBefore, Cursor, IdPath, Limit, SafeQuery
from engine.api.usage import LIMIT_RESPONSES
from engine.errors import Conflict
from engine.services import emails, invitations, session_search, sessions
from engine.store.tables import SessionRow

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])
IdQuery = Annotated[str | None, Query(pattern=ID_PATTERN, description="Exact id.")]
SearchQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00]*$",
        description="Participant's name, email or external_id contains this (any case).",
    ),
]


class RetakeRequest(InputModel):
    metadata: dict[str, Any] | None = Field(
        default=None, description="Metadata; default: the earlier session's."
    )

    @field_validator("metadata")
    @classmethod
    def _limits(cls, metadata: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if metadata is None else validate_metadata(metadata)


def _send_emails(request: Request, background: BackgroundTasks) -> None:
    """The change queued an email: wake the sender once the response (and so the commit) is out."""
    services: Services = request.app.state.services
    background.add_task(services.emails.wake)


@router.post(
    "",
    status_code=201,
    summary="Book a session (each resource as an id or an inline object); the participant is emailed an invitation",
    responses=LIMIT_RESPONSES,
)
async def create_session(
    body: SessionCreate, ctx: Ctx, request: Request, background: BackgroundTasks
) -> Session:
    row, person = await sessions.create(ctx.db, ctx.principal, body, ctx.clock)
    _send_emails(request, background)
    return sessions.to_model(row, person, ctx.settings.base_url)


@router.get("", summary="List sessions")
async def list_sessions(
    ctx: Ctx,
    status: Annotated[SessionStatus | None, Query(description="Only sessions in this status.")] = None,
    template_id: IdQuery = None,
    participant_id: IdQuery = None,
    stage_id: IdQuery = None,
    is_test: Annotated[bool | None, Query(description="Only test (true) or real (false) sessions.")] = None,
    stage_outcome: Annotated[
        StageOutcome | None,
        Query(
            description="Only sessions whose stage result has this outcome; awaiting_approval lists the "
            "results waiting for a person to approve or reject them."
        ),
    ] = None,
    tag: SafeQuery = None,
    created_after: CreatedAfter = None,
    created_before: CreatedBefore = None,
    q: SearchQuery = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> ListResponse[Session]:
    ctx.principal.require("read:sessions", "read:participants", "read:agent_profiles")
    flt = session_search.SessionFilter(
        status,
        template_id,
        participant_id,
        stage_id,
        is_test,
        tag,
        created_after,
        created_before,
        q,
        stage_outcome,
    )
    page = await session_search.list_page(ctx.db, ctx.company_id, flt, ctx.limit(limit), cursor)
    people = await session_search.participants_of(ctx.db, page.items)
    base = ctx.settings.base_url
    data = [sessions.to_model(r, people.get(r.participant_id), base) for r in page.items]
    return ListResponse(data=data, next_cursor=page.next_cursor)


async def _out(ctx: Ctx, row: SessionRow) -> Session:
    person = await sessions.participant_of(ctx.db, row)
    return sessions.to_model(row, person, ctx.settings.base_url)


@router.get("/{session_id}", summary="Get a session with its analysis")
async def get_session(session_id: IdPath, ctx: Ctx) -> Session:
    ctx.principal.require("read:sessions")
    out = await _out(ctx, await sessions.get(ctx.db, ctx.company_id, session_id))
    if out.analysis is not None:  # the scorecard is in it: a view of it, for the audit trail
        await audit.record(ctx, "scorecard.viewed", "session", out.id)
    return out


@router.patch(
    "/{session_id}", summary="Reschedule, change metadata, or move the status along a legal transition"
)
async def update_session(
    session_id: IdPath, body: SessionUpdate, ctx: Ctx, request: Request, background: BackgroundTasks
) -> Session:
    ctx.principal.require("write:sessions")
    row = await sessions.update(ctx.db, ctx.company_id, session_id, body, ctx.clock)
    _send_emails(request, background)  # a move or a cancellation notifies the participant
    if body.status is SessionStatus.COMPLETED:
        # Its analysis is pending: wake the worker once the response (and so the commit) is out.
        services: Services = request.app.state.services
        background.add_task(services.analysis.wake)
    return await _out(ctx, row)


@router.post(
    "/{session_id}/cancel", summary="Cancel a scheduled or running session (the participant is notified)"
)
async def cancel_session(
    session_id: IdPath, ctx: Ctx, request: Request, background: BackgroundTasks
) -> Session:
    ctx.principal.require("write:sessions")
    row = await sessions.cancel(ctx.db, ctx.company_id, session_id, ctx.clock)
    await audit.record(ctx, "session.cancelled", "session", row.id)
    _send_emails(request, background)
    return await _out(ctx, row)


@router.post(
    "/{session_id}/retake",
    status_code=201,
    summary="New session for the same participant; keeps this one",
    responses=LIMIT_RESPONSES,
)
async def retake_session(
    session_id: IdPath,
    ctx: Ctx,
    request: Request,
    background: BackgroundTasks,
    body: RetakeRequest | None = None,
) -> Session:
    ctx.principal.require("write:sessions", "read:participants")
    metadata = body.metadata if body is not None else None
    row, person = await sessions.retake(ctx.db, ctx.company_id, session_id, metadata, ctx.clock)
    await audit.record(ctx, "session.retake", "session", session_id, {"new_session_id": row.id})
    _send_emails(request, background)
    return sessions.to_model(row, person, ctx.settings.base_url)


@router.get(
    "/{session_id}/join-link",
    summary="The invite-only join link (409 once the session is final)",
    responses=error_responses(_409="The session is final: its link no longer starts anything."),
)
async def join_link(session_id: IdPath, ctx: Ctx) -> JoinLink:
    ctx.principal.require("read:sessions")
    row = await sessions.get(ctx.db, ctx.company_id, session_id)
    if SessionStatus(row.status).is_terminal:
        raise Conflict(f"session is {row.status}; its link no longer starts anything")
    return JoinLink(url=sessions.join_url(ctx.settings.base_url, row))


@router.post(
    "/{session_id}/invitation",
    status_code=202,
    summary="Email the participant their invitation again (409 unless the session is scheduled)",
    description="Queues a new invitation with the join link. Asked again within 10 seconds of the last "
    "invitation, it answers with that one instead of sending a second.",
)
async def resend_invitation(
    session_id: IdPath, ctx: Ctx, request: Request, background: BackgroundTasks
) -> Email:
    ctx.principal.require("write:sessions")
    email = await invitations.resend(ctx.db, ctx.company_id, session_id, ctx.clock)
    _send_emails(request, background)
    return emails.to_model(email)


@router.delete(
    "/{session_id}", status_code=204, summary="Delete a session from list and get (409 while running)"
)
async def delete_session(session_id: IdPath, ctx: Ctx) -> Response:
    ctx.principal.require("delete:sessions")
    await sessions.delete(ctx.db, ctx.company_id, session_id, ctx.clock)
    return Response(status_code=204)
