"""Agent profiles: create, read, update, delete, list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.enums import Focus, SessionStatus
from config.profiles import AgentProfile, AgentProfileSpec, AgentProfileUpdate
from engine.clock import Clock
from engine.errors import Conflict
from engine.services.common import body_field, get_owned, new_id, validate_as
from engine.store.pagination import Page, paginate
from engine.store.tables import ProfileRow, SessionRow, StageRow

__all__ = ["ProfileFilter", "create", "delete", "get", "list_page", "to_model", "update"]

LABEL = "agent profile"


@dataclass(frozen=True, slots=True)
class ProfileFilter:
    focus: Focus | None = None
    name: str | None = None


def to_model(row: ProfileRow) -> AgentProfile:
    return AgentProfile.model_validate(
        {**row.spec, "id": row.id, "created_at": row.created_at, "updated_at": row.updated_at}
    )


def spec_of(row: ProfileRow) -> AgentProfileSpec:
    return AgentProfileSpec.model_validate(row.spec)


async def create(session: AsyncSession, company_id: str, spec: AgentProfileSpec, clock: Clock) -> ProfileRow:
    now = clock.now()
    row = ProfileRow(
        id=new_id(),
        company_id=company_id,
        name=spec.name,
        focus=spec.focus.value,
        spec=spec.model_dump(mode="json", by_alias=True),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def get(
    session: AsyncSession, company_id: str, profile_id: str, field: str | None = None
) -> ProfileRow:
    return await get_owned(session, ProfileRow, profile_id, company_id, LABEL, field)


async def update(
    session: AsyncSession, company_id: str, profile_id: str, patch: AgentProfileUpdate, clock: Clock
) -> ProfileRow:
    row = await get(session, company_id, profile_id)
    merged = {**row.spec, **patch.model_dump(mode="json", by_alias=True, exclude_unset=True)}
    spec = validate_as(AgentProfileSpec, merged)
    if spec.focus is Focus.GENERIC and row.focus != Focus.GENERIC.value:
        # Stages refuse generic-focus profiles; turning a stage's profile generic would bypass that.
        stages = await _live_stage_ids(session, row.id)
        if stages:
            raise Conflict(
                "focus: a generic-focus profile cannot conduct a template's stage, and stages use this one",
                {"fields": [body_field("focus", "used by stages", "conflict")], "stage_ids": stages},
            )
    row.spec = spec.model_dump(mode="json", by_alias=True)
    row.name, row.focus, row.updated_at = spec.name, spec.focus.value, clock.now()
    await session.flush()
    return row


async def _live_stage_ids(session: AsyncSession, profile_id: str) -> list[str]:
    stmt = select(StageRow.id).where(StageRow.agent_profile_id == profile_id, StageRow.deleted_at.is_(None))
    return list((await session.scalars(stmt)).all())


async def delete(session: AsyncSession, company_id: str, profile_id: str, clock: Clock) -> None:
    row = await get(session, company_id, profile_id)
    stages = await _live_stage_ids(session, row.id)
    open_sessions = (
        await session.scalars(
            select(SessionRow.id).where(
                SessionRow.agent_profile_id == row.id,
                SessionRow.deleted_at.is_(None),
                SessionRow.status.in_([SessionStatus.SCHEDULED, SessionStatus.IN_PROGRESS]),
            )
        )
    ).all()
    if stages or open_sessions:
        raise Conflict(
            "agent profile is in use; reassign its stages and finish or cancel its open sessions first",
            {"stage_ids": stages, "session_ids": list(open_sessions)},
        )
    row.deleted_at = clock.now()


async def list_page(
    session: AsyncSession, company_id: str, flt: ProfileFilter, limit: int, cursor: str | None
) -> Page[ProfileRow]:
    stmt = select(ProfileRow).where(ProfileRow.company_id == company_id, ProfileRow.deleted_at.is_(None))
    if flt.focus is not None:
        stmt = stmt.where(ProfileRow.focus == flt.focus.value)
    if flt.name:
        stmt = stmt.where(ProfileRow.name == flt.name)
    return await paginate(session, stmt, ProfileRow.created_at, ProfileRow.id, limit, cursor)
