"""/v1/templates, their public link and their stage pipeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from config.enums import UseCase
from config.stages import EvaluationStage, EvaluationStageCreate, StageOrder
from config.templates import (
    PRESETS,
    EvaluationTemplate,
    EvaluationTemplateCreate,
    EvaluationTemplateUpdate,
    PublicLink,
    PublicLinkUpdate,
    TemplatePreset,
)
from engine.api import audit
from engine.api.context import Ctx, ListResponse
from engine.api.params import CreatedAfter, CreatedBefore, Cursor, IdPath, Limit, SafeQuery
from engine.services import stages, templates

router = APIRouter(prefix="/v1/templates", tags=["evaluation templates"])


@router.get(
    "/presets", summary="The hiring, training and mock presets: the defaults each use case gives a template"
)
async def list_presets(ctx: Ctx) -> list[TemplatePreset]:
    ctx.principal.require("read:templates")
    return list(PRESETS.values())


@router.post("", status_code=201, summary="Create an evaluation template")
async def create_template(body: EvaluationTemplateCreate, ctx: Ctx) -> EvaluationTemplate:
    ctx.principal.require("write:templates")
    row = await templates.create(ctx.db, ctx.company_id, body.spec(), ctx.clock)
    await audit.record(ctx, "template.created", "template", row.id)
    return templates.to_model(row, ctx.settings.base_url)


@router.get("", summary="List evaluation templates")
async def list_templates(
    ctx: Ctx,
    use_case: Annotated[UseCase | None, Query(description="Only templates of this use case.")] = None,
    name: SafeQuery = None,
    created_after: CreatedAfter = None,
    created_before: CreatedBefore = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> ListResponse[EvaluationTemplate]:
    ctx.principal.require("read:templates")
    flt = templates.TemplateFilter(use_case, name, created_after, created_before)
    page = await templates.list_page(ctx.db, ctx.company_id, flt, ctx.limit(limit), cursor)
    base = ctx.settings.base_url
    return ListResponse(data=[templates.to_model(r, base) for r in page.items], next_cursor=page.next_cursor)


@router.get("/{template_id}", summary="Get an evaluation template")
async def get_template(template_id: IdPath, ctx: Ctx) -> EvaluationTemplate:
    ctx.principal.require("read:templates")
    return templates.to_model(await templates.get(ctx.db, ctx.company_id, template_id), ctx.settings.base_url)


@router.patch("/{template_id}", summary="Update an evaluation template")
async def update_template(
    template_id: IdPath, body: EvaluationTemplateUpdate, ctx: Ctx
) -> EvaluationTemplate:
    ctx.principal.require("write:templates")
    row = await templates.update(ctx.db, ctx.company_id, template_id, body, ctx.clock)
    await audit.record(ctx, "template.updated", "template", row.id, audit.changed(body))
    return templates.to_model(row, ctx.settings.base_url)


@router.delete(
    "/{template_id}", status_code=204, summary="Delete a template and its stages (409 while in use)"
)
async def delete_template(template_id: IdPath, ctx: Ctx) -> Response:
    ctx.principal.require("delete:templates")
    await templates.delete(ctx.db, ctx.company_id, template_id, ctx.clock)
    await audit.record(ctx, "template.deleted", "template", template_id)
    return Response(status_code=204)


@router.get("/{template_id}/public-link", summary="Get the template's public link")
async def get_public_link(template_id: IdPath, ctx: Ctx) -> PublicLink:
    ctx.principal.require("read:templates")
    row = await templates.get(ctx.db, ctx.company_id, template_id)
    return templates.to_model(row, ctx.settings.base_url).public_link


@router.put(
    "/{template_id}/public-link",
    summary="Enable or disable the template's public link, and whether sign-ups confirm their email first",
)
async def set_public_link(template_id: IdPath, body: PublicLinkUpdate, ctx: Ctx) -> PublicLink:
    ctx.principal.require("write:templates")
    row = await templates.set_public_link(
        ctx.db, ctx.company_id, template_id, body.enabled, ctx.clock, body.email_verification
    )
    detail = {"enabled": body.enabled, "email_verification": row.public_email_verification}
    await audit.record(ctx, "template.public_link_changed", "template", row.id, detail)
    return templates.to_model(row, ctx.settings.base_url).public_link


@router.post("/{template_id}/stages", status_code=201, summary="Add a stage to the template's pipeline")
async def create_stage(template_id: IdPath, body: EvaluationStageCreate, ctx: Ctx) -> EvaluationStage:
    ctx.principal.require("write:stages", "read:templates")
    row = await stages.create(ctx.db, ctx.company_id, template_id, body, ctx.clock)
    await audit.record(ctx, "stage.created", "stage", row.id, {"template_id": template_id})
    return stages.to_model(row)


@router.get("/{template_id}/stages", summary="The template's stages in pipeline order")
async def list_stages(template_id: IdPath, ctx: Ctx) -> ListResponse[EvaluationStage]:
    ctx.principal.require("read:stages", "read:templates")
    rows = await stages.pipeline(ctx.db, ctx.company_id, template_id)
    return ListResponse(data=[stages.to_model(r) for r in rows], next_cursor=None)


@router.put("/{template_id}/stages/order", summary="Reorder the whole pipeline at once")
async def reorder_stages(template_id: IdPath, body: StageOrder, ctx: Ctx) -> ListResponse[EvaluationStage]:
    ctx.principal.require("write:stages", "read:templates")
    rows = await stages.reorder(ctx.db, ctx.company_id, template_id, body.stage_ids, ctx.clock)
    await audit.record(
        ctx, "template.stages_reordered", "template", template_id, {"stage_ids": body.stage_ids}
    )
    return ListResponse(data=[stages.to_model(r) for r in rows], next_cursor=None)
