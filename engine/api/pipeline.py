"""The stage pipeline over the API: approve or reject a result that waits for a human, and where a
participant stands across the template's stages."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, BackgroundTasks, Request
from pydantic import Field

from config.base import ApiModel
from config.sessions import Session
from config.stage_results import StageResult
from engine.api import audit
from engine.api.context import Ctx, Services
from engine.api.params import IdPath
from engine.services import participants, pipeline, sessions

__all__ = ["PipelinePosition", "StageStatus", "router"]

router = APIRouter(tags=["pipeline"])

# What engine.services.pipeline reports for a stage: not_started without a session; else the newest
# session's stage_result outcome once decided, analysing while a completed session awaits it, or the
# session's own status (scheduled, in_progress, cancelled, failed).
StageStatus = Literal[
    "not_started",
    "scheduled",
    "in_progress",
    "analysing",
    "awaiting_approval",
    "advanced",
    "passed",
    "approved",
    "failed",
    "retry_scheduled",
    "rejected",
    "cancelled",
]


class StagePosition(ApiModel):
    stage_id: str = Field(description="The stage.")
    name: str | None = Field(description="Its display name.")
    order: int = Field(description="Position in the pipeline (0-based).")
    status: StageStatus = Field(
        description=(
            "not_started, scheduled, in_progress, analysing, awaiting_approval, advanced, passed, approved, "
            "failed, retry_scheduled, rejected, cancelled (of the newest session at this stage)."
        )
    )
    session_id: str | None = Field(description="The newest session at this stage, if any.")
    attempts: int = Field(description="Sessions at this stage, retakes included (test sessions excluded).")
    result: StageResult | None = Field(description="That session's stage_result, once decided.")


class PipelinePosition(ApiModel):
    template_id: str | None = Field(description="The participant's template; null for a template-less one.")
    current_stage_id: str | None = Field(
        description="The first stage not yet passed; null when every stage is passed (or there are none)."
    )
    stages: list[StagePosition] = Field(description="Every stage of the template, in order.")


async def _session_out(ctx: Ctx, session_id: str) -> Session:
    row = await sessions.get(ctx.db, ctx.company_id, session_id)
    person = await sessions.participant_of(ctx.db, row)
    return sessions.to_model(row, person, ctx.settings.base_url)


@router.post(
    "/v1/sessions/{session_id}/approve",
    summary="Approve a stage result that awaits a human decision: the participant advances",
)
async def approve_session(
    session_id: IdPath, ctx: Ctx, request: Request, background: BackgroundTasks
) -> Session:
    ctx.principal.require("write:sessions")
    await pipeline.approve(ctx.db, ctx.company_id, session_id, ctx.clock.now(), ctx.principal.actor)
    await audit.record(ctx, "session.approved", "session", session_id)
    services: Services = request.app.state.services
    background.add_task(services.emails.wake)  # the next stage's invitation, after the commit
    return await _session_out(ctx, session_id)


@router.post(
    "/v1/sessions/{session_id}/reject",
    summary="Reject a stage result that awaits a human decision: the participant stops at this stage",
)
async def reject_session(session_id: IdPath, ctx: Ctx) -> Session:
    ctx.principal.require("write:sessions")
    await pipeline.reject(ctx.db, ctx.company_id, session_id, ctx.clock.now(), ctx.principal.actor)
    await audit.record(ctx, "session.rejected", "session", session_id)
    return await _session_out(ctx, session_id)


@router.get(
    "/v1/participants/{participant_id}/pipeline",
    summary="Where the participant stands: each stage of the template with its newest session and result",
)
async def participant_pipeline(participant_id: IdPath, ctx: Ctx) -> PipelinePosition:
    ctx.principal.require("read:participants", "read:sessions")
    person = await participants.get(ctx.db, ctx.company_id, participant_id)
    return PipelinePosition.model_validate(await pipeline.position(ctx.db, person))
