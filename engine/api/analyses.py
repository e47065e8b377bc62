"""/v1/sessions/{id}/analyses and /analysis/rerun: every version of a session's analysis, and a new one."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, BackgroundTasks, Request
from pydantic import Field

from config.analysis import Analysis
from config.base import ApiModel
from engine.api import audit
from engine.api.context import Ctx, ListResponse, Services
from engine.api.params import IdPath
from engine.services import analyses, sessions
from engine.store.tables import AnalysisRow

__all__ = ["AnalysisVersion", "router"]

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])


class AnalysisVersion(ApiModel):
    version: int = Field(description="1 for the analysis after completion; each rerun adds one.")
    status: Literal["PENDING", "PROCESSING", "COMPLETED", "FAILED"] = Field(
        description="PENDING, PROCESSING (a worker has it), COMPLETED or FAILED."
    )
    reason: Literal["completed", "rerun", "test"] = Field(
        description="Why it exists: completed, rerun, or test (generated test data)."
    )
    scorer: str | None = Field(description="embedded, llm or synthetic; null until it has run.")
    error: str | None = Field(description="Why it failed, when it did.")
    attempts: int = Field(description="Times the worker started on it (more than 1 after a restart).")
    created_at: datetime = Field(description="When it was requested.")
    updated_at: datetime = Field(description="Last change of status.")
    result: Analysis | None = Field(description="The scorecard, once completed (as on the session).")


def _version(row: AnalysisRow) -> AnalysisVersion:
    return AnalysisVersion(
        version=row.version,
        status=row.status,  # one of the four, written only by services.analyses
        reason=row.reason,
        scorer=row.scorer,
        error=row.error,
        attempts=row.attempts,
        created_at=row.created_at,
        updated_at=row.updated_at,
        result=Analysis.model_validate(row.result) if row.result is not None else None,
    )


@router.get("/{session_id}/analyses", summary="Every version of the session's analysis, newest first")
async def list_analyses(session_id: IdPath, ctx: Ctx) -> ListResponse[AnalysisVersion]:
    ctx.principal.require("read:sessions")
    row = await sessions.get(ctx.db, ctx.company_id, session_id)
    versions = await analyses.list_versions(ctx.db, row.id)
    if any(v.result is not None for v in versions):
        await audit.record(ctx, "scorecard.viewed", "session", row.id)
    return ListResponse(data=[_version(v) for v in versions], next_cursor=None)


@router.post(
    "/{session_id}/analysis/rerun",
    status_code=202,
    summary="Analyse the stored transcript again (after a failure, or a profile change); earlier versions stay",
)
async def rerun_analysis(
    session_id: IdPath, ctx: Ctx, request: Request, background: BackgroundTasks
) -> AnalysisVersion:
    ctx.principal.require("write:sessions")
    row = await sessions.get(ctx.db, ctx.company_id, session_id)
    version = await analyses.rerun(ctx.db, row, ctx.clock.now())
    await audit.record(ctx, "analysis.rerun", "session", row.id, {"version": version.version})
    await ctx.db.flush()
    services: Services = request.app.state.services
    # The worker would find it within IE_ANALYSIS__POLL_S anyway; waking it after the response (so after
    # the commit: it reads committed rows only) saves the wait.
    background.add_task(services.analysis.wake)
    return _version(version)
