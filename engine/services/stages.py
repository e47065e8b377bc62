"""Evaluation stages: a template's ordered pipeline."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from config.enums import Focus, SessionStatus
from config.stages import EvaluationStage, EvaluationStageSpec, EvaluationStageUpdate
from engine.clock import Clock
from engine.errors import Conflict
from engine.services import profiles, templates
from engine.services.common import body_field, field_invalid, get_owned, new_id, validate_as
from engine.store.tables import SessionRow, StageRow

__all__ = ["create", "delete", "get", "pipeline", "reorder", "to_model", "update"]

LABEL = "evaluation stage"
# Reordering parks stages above every real position first, so the unique (template, order) index
# never sees two stages on one position mid-way.
PARKING_OFFSET = 1000
MAX_ORDER = 99  # the highest position a stage may hold (EvaluationStageSpec.order)


def to_model(row: StageRow) -> EvaluationStage:
    return EvaluationStage.model_validate(
        {
            **row.spec,
            "id": row.id,
            "template_id": row.template_id,
            "order": row.order_index,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }
    )


async def _check_profile(session: AsyncSession, company_id: str, profile_id: str | None) -> None:
    if profile_id is None:
        return
    profile = await profiles.get(session, company_id, profile_id, field="agent_profile_id")
    if profiles.spec_of(profile).focus is Focus.GENERIC:
        raise field_invalid(
            "agent_profile_id",
            "a generic-focus agent profile runs template-less sessions and cannot conduct a template's stage",
        )


async def _next_order(session: AsyncSession, template_id: str) -> int:
    highest = await session.scalar(
        select(func.max(StageRow.order_index)).where(
            StageRow.template_id == template_id, StageRow.deleted_at.is_(None)
        )
    )
    return 0 if highest is None else highest + 1


async def _flush_order(session: AsyncSession, order: int) -> None:
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(
            f"order: position {order} is taken by another stage of this template",
            {"fields": [body_field("order", "taken", "conflict")]},
        ) from None


async def create(
    session: AsyncSession, company_id: str, template_id: str, spec: EvaluationStageSpec, clock: Clock
) -> StageRow:
    template = await templates.get(session, company_id, template_id)
    await _check_profile(session, company_id, spec.agent_profile_id)
    order = spec.order if spec.order is not None else await _next_order(session, template.id)
    if order > MAX_ORDER:
        raise Conflict(
            f"order: the pipeline has no free position after {MAX_ORDER}; send an order or reorder the stages",
            {"fields": [body_field("order", "no free position", "conflict")]},
        )
    now = clock.now()
    row = StageRow(
        id=new_id(),
        company_id=company_id,
        template_id=template.id,
        agent_profile_id=spec.agent_profile_id,
        order_index=order,
        spec=spec.model_dump(mode="json", exclude={"order"}),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await _flush_order(session, order)
    return row


async def get(session: AsyncSession, company_id: str, stage_id: str, field: str | None = None) -> StageRow:
    return await get_owned(session, StageRow, stage_id, company_id, LABEL, field)


async def update(
    session: AsyncSession, company_id: str, stage_id: str, patch: EvaluationStageUpdate, clock: Clock
) -> StageRow:
    row = await get(session, company_id, stage_id)
    changes = patch.model_dump(mode="json", exclude_unset=True)
    spec = validate_as(EvaluationStageSpec, {**row.spec, "order": row.order_index, **changes})
    if "agent_profile_id" in changes:
        await _check_profile(session, company_id, spec.agent_profile_id)
    order = spec.order if spec.order is not None else row.order_index
    row.spec = spec.model_dump(mode="json", exclude={"order"})
    row.agent_profile_id, row.order_index, row.updated_at = spec.agent_profile_id, order, clock.now()
    await _flush_order(session, order)
    return row


async def delete(session: AsyncSession, company_id: str, stage_id: str, clock: Clock) -> None:
    row = await get(session, company_id, stage_id)
    open_sessions = (
        await session.scalars(
            select(SessionRow.id).where(
                SessionRow.stage_id == row.id,
                SessionRow.deleted_at.is_(None),
                SessionRow.status.in_([SessionStatus.SCHEDULED, SessionStatus.IN_PROGRESS]),
            )
        )
    ).all()
    if open_sessions:
        raise Conflict(
            "stage has open sessions; finish or cancel them first", {"session_ids": list(open_sessions)}
        )
    row.deleted_at = clock.now()


async def reorder(
    session: AsyncSession, company_id: str, template_id: str, stage_ids: list[str], clock: Clock
) -> list[StageRow]:
    template = await templates.get(session, company_id, template_id)
    rows = (
        await session.scalars(
            select(StageRow).where(StageRow.template_id == template.id, StageRow.deleted_at.is_(None))
        )
    ).all()
    by_id = {r.id: r for r in rows}
    if len(set(stage_ids)) != len(stage_ids) or set(stage_ids) != set(by_id):
        raise field_invalid("stage_ids", f"must list each of the template's {len(by_id)} stages exactly once")
    now = clock.now()
    for row in rows:
        row.order_index += PARKING_OFFSET
    await session.flush()
    for position, stage_id in enumerate(stage_ids):
        by_id[stage_id].order_index = position
        by_id[stage_id].updated_at = now
    await session.flush()
    return [by_id[s] for s in stage_ids]


async def pipeline(session: AsyncSession, company_id: str, template_id: str) -> list[StageRow]:
    template = await templates.get(session, company_id, template_id)
    stmt = (
        select(StageRow)
        .where(StageRow.template_id == template.id, StageRow.deleted_at.is_(None))
        .order_by(StageRow.order_index)
    )
    return list((await session.scalars(stmt)).all())
