"""Evaluation templates, including their public link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.enums import SuccessOutcome, UseCase
from config.templates import (
    EvaluationTemplate,
    EvaluationTemplateSpec,
    EvaluationTemplateUpdate,
    PublicLink,
)
from engine.clock import Clock
from engine.errors import Conflict
from engine.link_tokens import issue
from engine.services.common import get_owned, new_id, validate_as
from engine.store.pagination import Page, paginate
from engine.store.tables import ParticipantRow, SessionRow, StageRow, TemplateRow

__all__ = [
    "TemplateFilter",
    "create",
    "delete",
    "get",
    "list_page",
    "public_url",
    "set_public_link",
    "spec_of",
    "to_model",
    "update",
]

LABEL = "evaluation template"


@dataclass(frozen=True, slots=True)
class TemplateFilter:
    use_case: UseCase | None = None
    name: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def public_url(base_url: str, token: str) -> str:
    return f"{base_url}/public/{token}"


def to_model(row: TemplateRow, base_url: str) -> EvaluationTemplate:
    sealed = row.public_token_encrypted
    link = PublicLink(
        enabled=row.public_enabled,
        # Decrypted only here, to show the URL to the template's recruiters (engine/link_tokens.py).
        url=None if sealed is None else public_url(base_url, sealed.reveal()),
        email_verification=row.public_email_verification,
    )
    return EvaluationTemplate.model_validate(
        {
            **row.spec,
            "id": row.id,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
            "public_link": link,
        }
    )


def spec_of(row: TemplateRow) -> EvaluationTemplateSpec:
    return EvaluationTemplateSpec.model_validate(row.spec)


async def create(
    session: AsyncSession, company_id: str, spec: EvaluationTemplateSpec, clock: Clock
) -> TemplateRow:
    now = clock.now()
    row = TemplateRow(
        id=new_id(),
        company_id=company_id,
        name=spec.name,
        use_case=spec.use_case.value,
        spec=spec.model_dump(mode="json"),
        public_enabled=False,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def get(
    session: AsyncSession, company_id: str, template_id: str, field: str | None = None
) -> TemplateRow:
    return await get_owned(session, TemplateRow, template_id, company_id, LABEL, field)


async def update(
    session: AsyncSession, company_id: str, template_id: str, patch: EvaluationTemplateUpdate, clock: Clock
) -> TemplateRow:
    row = await get(session, company_id, template_id)
    changes = patch.model_dump(mode="json", exclude_unset=True)
    merged = {**row.spec, **changes}
    if changes.get("use_case", row.use_case) != row.use_case and "success_outcome" not in changes:
        # A new use case brings its own verdict vocabulary: derive the outcome again. Re-sending the
        # current use case changes nothing, so an explicitly chosen outcome survives it.
        merged["success_outcome"] = None
    if "custom_outcome_labels" not in changes and _outcome_of(merged) is not SuccessOutcome.CUSTOM:
        # Stored labels only fit a custom outcome; once the outcome is no longer custom they go too,
        # rather than making every such change also send `custom_outcome_labels: null`.
        merged["custom_outcome_labels"] = None
    spec = validate_as(EvaluationTemplateSpec, merged)
    row.spec = spec.model_dump(mode="json")
    row.name, row.use_case, row.updated_at = spec.name, spec.use_case.value, clock.now()
    await session.flush()
    return row


def _outcome_of(merged: dict[str, Any]) -> SuccessOutcome | None:
    """The success outcome a merged template body ends up with; None when it is not valid anyway."""
    try:
        if merged.get("success_outcome") is not None:
            return SuccessOutcome(merged["success_outcome"])
        return SuccessOutcome.for_use_case(UseCase(str(merged.get("use_case"))))
    except ValueError:
        return None  # validation of the merged body reports it


async def delete(session: AsyncSession, company_id: str, template_id: str, clock: Clock) -> None:
    row = await get(session, company_id, template_id)
    participants = (
        await session.scalars(
            select(ParticipantRow.id)
            .where(ParticipantRow.template_id == row.id, ParticipantRow.deleted_at.is_(None))
            .limit(20)
        )
    ).all()
    sessions = (
        await session.scalars(
            select(SessionRow.id)
            .where(SessionRow.template_id == row.id, SessionRow.deleted_at.is_(None))
            .limit(20)
        )
    ).all()
    if participants or sessions:
        raise Conflict(
            "template has participants or sessions; delete those first",
            {"participant_ids": list(participants), "session_ids": list(sessions)},
        )
    now = clock.now()
    for stage in (
        await session.scalars(
            select(StageRow).where(StageRow.template_id == row.id, StageRow.deleted_at.is_(None))
        )
    ).all():
        stage.deleted_at = now
    row.deleted_at = now
    row.public_enabled = False


async def set_public_link(
    session: AsyncSession,
    company_id: str,
    template_id: str,
    enabled: bool,
    clock: Clock,
    email_verification: bool | None = None,
) -> TemplateRow:
    """Enabling keeps an earlier token, so a link already shared works again when re-enabled.
    `email_verification` None keeps the current setting."""
    row = await get(session, company_id, template_id)
    if email_verification is not None:
        row.public_email_verification = email_verification
    if enabled and row.public_token_hash is None:
        link = issue()
        row.public_token_hash, row.public_token_encrypted = link.digest, link.sealed
    row.public_enabled = enabled
    row.updated_at = clock.now()
    await session.flush()
    return row


async def list_page(
    session: AsyncSession, company_id: str, flt: TemplateFilter, limit: int, cursor: str | None
) -> Page[TemplateRow]:
    stmt = select(TemplateRow).where(TemplateRow.company_id == company_id, TemplateRow.deleted_at.is_(None))
    if flt.use_case is not None:
        stmt = stmt.where(TemplateRow.use_case == flt.use_case.value)
    if flt.name:
        stmt = stmt.where(TemplateRow.name == flt.name)
    if flt.created_after:
        stmt = stmt.where(TemplateRow.created_at >= flt.created_after)
    if flt.created_before:
        stmt = stmt.where(TemplateRow.created_at < flt.created_before)
    return await paginate(session, stmt, TemplateRow.created_at, TemplateRow.id, limit, cursor)
