"""Finding a company's sessions: the filters of `GET /v1/sessions` and the review pages' list (status,
template, participant, stage, test, tag, dates, stage outcome, a search over the participant's name,
email and external id), one page at a time, with the page's participants in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from config.enums import SessionStatus
from engine.store.pagination import Page, paginate
from engine.store.tables import ParticipantRow, ParticipantTagRow, SessionRow

__all__ = ["SessionFilter", "list_page", "participants_of"]


@dataclass(frozen=True, slots=True)
class SessionFilter:
    status: SessionStatus | None = None
    template_id: str | None = None
    participant_id: str | None = None
    stage_id: str | None = None
    is_test: bool | None = None
    tag: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = None
    stage_outcome: str | None = None  # config.stage_results.StageOutcome


async def list_page(
    session: AsyncSession, company_id: str, flt: SessionFilter, limit: int, cursor: str | None
) -> Page[SessionRow]:
    stmt = select(SessionRow).where(SessionRow.company_id == company_id, SessionRow.deleted_at.is_(None))
    for column, value in (
        (SessionRow.template_id, flt.template_id),
        (SessionRow.participant_id, flt.participant_id),
        (SessionRow.stage_id, flt.stage_id),
        (SessionRow.is_test, flt.is_test),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if flt.status is not None:
        stmt = stmt.where(SessionRow.status == flt.status.value)
    if flt.stage_outcome is not None:
        stmt = stmt.where(SessionRow.stage_outcome == flt.stage_outcome)
    if flt.tag:
        tagged = select(ParticipantTagRow.participant_id).where(
            ParticipantTagRow.company_id == company_id, ParticipantTagRow.tag == flt.tag
        )
        stmt = stmt.where(SessionRow.participant_id.in_(tagged))
    if flt.created_after:
        stmt = stmt.where(SessionRow.created_at >= flt.created_after)
    if flt.created_before:
        stmt = stmt.where(SessionRow.created_at < flt.created_before)
    if flt.search:
        stmt = stmt.where(SessionRow.participant_id.in_(_matching_participants(company_id, flt.search)))
    return await paginate(session, stmt, SessionRow.created_at, SessionRow.id, limit, cursor)


def _matching_participants(company_id: str, text: str) -> Select[str]:
    """Participants whose name, email or external_id contains `text`, ignoring case. LIKE's wildcards in
    the text match only themselves."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return select(ParticipantRow.id).where(
        ParticipantRow.company_id == company_id,
        or_(
            func.lower(ParticipantRow.name).like(pattern, escape="\\"),
            func.lower(ParticipantRow.email).like(pattern, escape="\\"),
            func.lower(func.coalesce(ParticipantRow.external_id, "")).like(pattern, escape="\\"),
        ),
    )


async def participants_of(session: AsyncSession, rows: list[SessionRow]) -> dict[str, ParticipantRow]:
    """participant id -> participant for a page of sessions, in one query."""
    ids = {r.participant_id for r in rows}
    if not ids:
        return {}
    found = await session.scalars(select(ParticipantRow).where(ParticipantRow.id.in_(ids)))
    return {person.id: person for person in found}
