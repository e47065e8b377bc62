"""/v1/stages/{id}: a single stage (create and list live under its template)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from config.stages import EvaluationStage, EvaluationStageUpdate
from engine.api import audit
from engine.api.context import Ctx
from engine.api.params import IdPath
from engine.services import stages

router = APIRouter(prefix="/v1/stages", tags=["evaluation stages"])


@router.get("/{stage_id}", summary="Get a stage")
async def get_stage(stage_id: IdPath, ctx: Ctx) -> EvaluationStage:
    ctx.principal.require("read:stages")
    return stages.to_model(await stages.get(ctx.db, ctx.company_id, stage_id))


@router.patch("/{stage_id}", summary="Update a stage (409 if its new order is taken)")
async def update_stage(stage_id: IdPath, body: EvaluationStageUpdate, ctx: Ctx) -> EvaluationStage:
    ctx.principal.require("write:stages")
    row = await stages.update(ctx.db, ctx.company_id, stage_id, body, ctx.clock)
    await audit.record(ctx, "stage.updated", "stage", row.id, audit.changed(body))
    return stages.to_model(row)


@router.delete("/{stage_id}", status_code=204, summary="Delete a stage (409 while it has open sessions)")
async def delete_stage(stage_id: IdPath, ctx: Ctx) -> Response:
    ctx.principal.require("delete:stages")
    await stages.delete(ctx.db, ctx.company_id, stage_id, ctx.clock)
    await audit.record(ctx, "stage.deleted", "stage", stage_id)
    return Response(status_code=204)
