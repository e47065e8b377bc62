"""Participants: one person evaluated against one template (or none, for generic interviews)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from config.enums import SessionStatus
from config.participants import (
    BulkResult,
    BulkRowResult,
    Participant,
    ParticipantSpec,
    ParticipantUpdate,
    ResumeClaim,
)
from engine.clock import Clock
from engine.errors import Conflict
from engine.services import events, resume_files, templates
from engine.services.common import body_field, get_owned, new_id, validate_as
from engine.store.pagination import Page, paginate
from engine.store.tables import ParticipantRow, ParticipantTagRow, ResumeFileRow, SessionRow

__all__ = [
    "ParticipantFilter",
    "assign_template",
    "bulk_create",
    "create",
    "dedupe_key",
    "delete",
    "get",
    "list_page",
    "to_model",
    "update",
]

LABEL = "participant"
# Keeps each IN (...) list well under every backend's bound-parameter limit.
LOOKUP_CHUNK = 250


@dataclass(frozen=True, slots=True)
class ParticipantFilter:
    template_id: str | None = None
    tag: str | None = None
    email: str | None = None
    external_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def dedupe_key(template_id: str | None, email: str) -> str:
    return f"{template_id or '-'}:{email}"


def to_model(row: ParticipantRow, resume: ResumeFileRow | None = None) -> Participant:
    """`resume`: the participant's kept resume file (engine.services.resume_files), if any."""
    return Participant.model_validate(
        {
            **row.spec,
            "resume": None if resume is None else resume_files.stored_resume(resume),
            "id": row.id,
            "email": row.email,
            "phone": row.phone,
            "evaluation_template_id": row.template_id,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }
    )


def _duplicate(email: str, existing_id: str | None, field: str = "email") -> Conflict:
    return Conflict(
        f"{field}: a participant with email {email} already exists for this template",
        {"fields": [body_field(field, "duplicate", "conflict")], "existing_id": existing_id},
    )


async def _existing_id(session: AsyncSession, company_id: str, key: str) -> str | None:
    return await session.scalar(
        select(ParticipantRow.id).where(
            ParticipantRow.company_id == company_id,
            ParticipantRow.dedupe_key == key,
            ParticipantRow.deleted_at.is_(None),
        )
    )


def _new_row(company_id: str, spec: ParticipantSpec, now: datetime) -> ParticipantRow:
    return ParticipantRow(
        id=new_id(),
        company_id=company_id,
        template_id=spec.evaluation_template_id,
        name=spec.name,
        email=spec.email,
        dedupe_key=dedupe_key(spec.evaluation_template_id, spec.email),
        external_id=spec.external_id,
        phone=spec.phone,
        spec=_stored_spec(spec),
        created_at=now,
        updated_at=now,
    )


def _stored_spec(spec: ParticipantSpec) -> dict[str, Any]:
    """What the `spec` column keeps: everything but the fields that have columns of their own."""
    return spec.model_dump(
        mode="json", by_alias=True, exclude={"evaluation_template_id", "phone", "resume_file_id"}
    )


def _resume_file_id(spec: ParticipantSpec) -> str | None:
    # Create bodies (ParticipantCreate, a session's inline participant) may name an uploaded resume;
    # participants made from a spreadsheet or a public link are plain specs and never do.
    return spec.resume_file_id if isinstance(spec, ResumeClaim) else None


def _created_event(session: AsyncSession, row: ParticipantRow) -> None:
    data = {"participant_id": row.id, "external_id": row.external_id, "template_id": row.template_id}
    events.record(session, row.company_id, "participant.created", data, row.created_at)


async def _set_tags(session: AsyncSession, row: ParticipantRow, tags: list[str]) -> None:
    await session.execute(sql_delete(ParticipantTagRow).where(ParticipantTagRow.participant_id == row.id))
    session.add_all(ParticipantTagRow(participant_id=row.id, tag=t, company_id=row.company_id) for t in tags)


async def _flush_unique(session: AsyncSession, row: ParticipantRow, field: str) -> None:
    try:
        await session.flush()
    except IntegrityError:
        # A concurrent request took the email between our check and the insert.
        raise _duplicate(row.email, None, field) from None


async def create(
    session: AsyncSession, company_id: str, spec: ParticipantSpec, clock: Clock, field_prefix: str = ""
) -> ParticipantRow:
    if spec.evaluation_template_id is not None:
        await templates.get(
            session, company_id, spec.evaluation_template_id, field=f"{field_prefix}evaluation_template_id"
        )
    key = dedupe_key(spec.evaluation_template_id, spec.email)
    existing = await _existing_id(session, company_id, key)
    if existing is not None:
        raise _duplicate(spec.email, existing, f"{field_prefix}email")
    row = _new_row(company_id, spec, clock.now())
    session.add(row)
    await _flush_unique(session, row, f"{field_prefix}email")
    await _set_tags(session, row, spec.tags)
    _created_event(session, row)
    file_id = _resume_file_id(spec)
    if file_id is not None:
        field = f"{field_prefix}resume_file_id"
        await resume_files.claim(session, company_id, file_id, row.id, row.created_at, field)
    return row


async def get(
    session: AsyncSession, company_id: str, participant_id: str, field: str | None = None
) -> ParticipantRow:
    return await get_owned(session, ParticipantRow, participant_id, company_id, LABEL, field)


async def update(
    session: AsyncSession, company_id: str, participant_id: str, patch: ParticipantUpdate, clock: Clock
) -> ParticipantRow:
    row = await get(session, company_id, participant_id)
    current = {**row.spec, "email": row.email, "phone": row.phone, "evaluation_template_id": row.template_id}
    changes = patch.model_dump(mode="json", by_alias=True, exclude_unset=True)
    spec = validate_as(ParticipantSpec, {**current, **changes})
    if spec.evaluation_template_id != row.template_id:
        if spec.evaluation_template_id is not None:
            await templates.get(
                session, company_id, spec.evaluation_template_id, field="evaluation_template_id"
            )
        await _check_no_sessions_elsewhere(session, row, spec.evaluation_template_id)
    key = dedupe_key(spec.evaluation_template_id, spec.email)
    if key != row.dedupe_key:
        existing = await _existing_id(session, company_id, key)
        if existing is not None:
            raise _duplicate(spec.email, existing)
    row.template_id, row.name, row.email, row.dedupe_key = (
        spec.evaluation_template_id,
        spec.name,
        spec.email,
        key,
    )
    row.external_id, row.phone = spec.external_id, spec.phone
    row.spec = _stored_spec(spec)
    row.updated_at = clock.now()
    await _flush_unique(session, row, "email")
    if "tags" in changes:
        await _set_tags(session, row, spec.tags)
    return row


async def _check_no_sessions_elsewhere(
    session: AsyncSession, row: ParticipantRow, template_id: str | None
) -> None:
    """A participant is evaluated against one template: once it has sessions under one, it cannot move.

    Template-less (generic) sessions do not tie it to a template, so a participant with only those may
    still be given one, as booking a session under a template does (`assign_template`).
    """
    stmt = select(SessionRow.id).where(
        SessionRow.participant_id == row.id,
        SessionRow.deleted_at.is_(None),
        SessionRow.template_id.is_not(None),
    )
    if template_id is not None:
        stmt = stmt.where(SessionRow.template_id != template_id)
    tied = list((await session.scalars(stmt.limit(20))).all())
    if tied:
        raise Conflict(
            "evaluation_template_id: the participant has sessions under its current template; "
            "create a new participant for the other template instead",
            {
                "fields": [body_field("evaluation_template_id", "has sessions", "conflict")],
                "session_ids": tied,
            },
        )


async def assign_template(
    session: AsyncSession, row: ParticipantRow, template_id: str, clock: Clock, field: str
) -> None:
    """Attach a template-less participant to a template (seed 004: assigned when a session names one)."""
    key = dedupe_key(template_id, row.email)
    existing = await _existing_id(session, row.company_id, key)
    if existing is not None:
        raise Conflict(
            f"{field}: participant {existing} already has email {row.email} under this template; "
            "book the session for that participant instead",
            {"fields": [body_field(field, "duplicate", "conflict")], "existing_id": existing},
        )
    row.template_id, row.dedupe_key, row.updated_at = template_id, key, clock.now()
    await _flush_unique(session, row, field)


async def delete(session: AsyncSession, company_id: str, participant_id: str, clock: Clock) -> None:
    row = await get(session, company_id, participant_id)
    open_sessions = (
        await session.scalars(
            select(SessionRow.id).where(
                SessionRow.participant_id == row.id,
                SessionRow.deleted_at.is_(None),
                SessionRow.status.in_([SessionStatus.SCHEDULED, SessionStatus.IN_PROGRESS]),
            )
        )
    ).all()
    if open_sessions:
        raise Conflict(
            "participant has open sessions; cancel them first", {"session_ids": list(open_sessions)}
        )
    row.deleted_at = clock.now()


async def stored_ids(session: AsyncSession, company_id: str, keys: list[str]) -> dict[str, str]:
    """Dedupe key -> id of the live participant that holds it, looked up in chunks (bounded IN lists)."""
    found: dict[str, str] = {}
    unique = sorted(set(keys))
    for start in range(0, len(unique), LOOKUP_CHUNK):
        chunk = unique[start : start + LOOKUP_CHUNK]
        rows = await session.execute(
            select(ParticipantRow.dedupe_key, ParticipantRow.id).where(
                ParticipantRow.company_id == company_id,
                ParticipantRow.dedupe_key.in_(chunk),
                ParticipantRow.deleted_at.is_(None),
            )
        )
        found.update({key: row_id for key, row_id in rows})
    return found


async def bulk_create(
    session: AsyncSession, company_id: str, specs: list[ParticipantSpec], clock: Clock
) -> tuple[BulkResult, list[ParticipantRow]]:
    """Create what is new; skip duplicates of stored rows or of earlier rows in the batch, per row."""
    for template_id in sorted({s.evaluation_template_id for s in specs if s.evaluation_template_id}):
        index = next(i for i, s in enumerate(specs) if s.evaluation_template_id == template_id)
        await templates.get(
            session, company_id, template_id, field=f"participants[{index}].evaluation_template_id"
        )
    keys = [dedupe_key(s.evaluation_template_id, s.email) for s in specs]
    stored = await stored_ids(session, company_id, keys)
    now = clock.now()
    results: list[BulkRowResult] = []
    created: list[tuple[ParticipantRow, ParticipantSpec]] = []
    first_in_batch: dict[str, tuple[int, str]] = {}  # dedupe key -> (request row, new id)
    claims: list[tuple[int, str, str]] = []  # (request row, resume file id, new participant id)
    for index, (spec, key) in enumerate(zip(specs, keys, strict=True)):
        if key in stored:
            reason = "a participant with this email already exists for this template"
            results.append(BulkRowResult(index=index, status="skipped", id=stored[key], reason=reason))
        elif key in first_in_batch:
            row_index, row_id = first_in_batch[key]
            reason = f"same email and template as row {row_index} of this request"
            results.append(BulkRowResult(index=index, status="skipped", id=row_id, reason=reason))
        else:
            row = _new_row(company_id, spec, now)
            first_in_batch[key] = (index, row.id)
            created.append((row, spec))
            if (file_id := _resume_file_id(spec)) is not None:
                claims.append((index, file_id, row.id))
            results.append(BulkRowResult(index=index, status="created", id=row.id))
    session.add_all(row for row, _ in created)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("a concurrent request created some of these participants; retry the import") from None
    for row, spec in created:
        session.add_all(
            ParticipantTagRow(participant_id=row.id, tag=t, company_id=company_id) for t in spec.tags
        )
        _created_event(session, row)
    for index, file_id, row_id in claims:
        field = f"participants[{index}].resume_file_id"
        await resume_files.claim(session, company_id, file_id, row_id, now, field)
    await session.flush()
    summary = BulkResult(created=len(created), skipped=len(specs) - len(created), results=results)
    return summary, [row for row, _ in created]


async def list_page(
    session: AsyncSession, company_id: str, flt: ParticipantFilter, limit: int, cursor: str | None
) -> Page[ParticipantRow]:
    stmt = select(ParticipantRow).where(
        ParticipantRow.company_id == company_id, ParticipantRow.deleted_at.is_(None)
    )
    if flt.template_id:
        stmt = stmt.where(ParticipantRow.template_id == flt.template_id)
    if flt.email:
        stmt = stmt.where(ParticipantRow.email == flt.email.strip().lower())
    if flt.external_id:
        stmt = stmt.where(ParticipantRow.external_id == flt.external_id)
    if flt.tag:
        tagged = select(ParticipantTagRow.participant_id).where(
            ParticipantTagRow.company_id == company_id, ParticipantTagRow.tag == flt.tag
        )
        stmt = stmt.where(ParticipantRow.id.in_(tagged))
    if flt.created_after:
        stmt = stmt.where(ParticipantRow.created_at >= flt.created_after)
    if flt.created_before:
        stmt = stmt.where(ParticipantRow.created_at < flt.created_before)
    return await paginate(session, stmt, ParticipantRow.created_at, ParticipantRow.id, limit, cursor)
