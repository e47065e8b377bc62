"""Join links seen from the candidate's side: what a token opens, and what the interviewer needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.enums import SessionStatus
from config.profiles import AgentProfileSpec
from config.templates import EvaluationTemplateSpec
from engine.errors import NotFound
from engine.link_tokens import digest
from engine.services import profiles, templates
from engine.store.tables import ParticipantRow, ProfileRow, SessionRow, StageRow, TemplateRow

__all__ = ["Interview", "by_token", "interview_of", "status_message"]

MESSAGES = {
    SessionStatus.COMPLETED: "This interview is already complete. Thank you for your time.",
    SessionStatus.CANCELLED: "This interview has been cancelled. Please contact the recruiter if you think "
    "this is a mistake.",
    SessionStatus.FAILED: "This interview could not be completed because of a technical problem. Please "
    "contact the recruiter to arrange a new session.",
}
INVALID_LINK = "This link is not valid. Please check that you copied the whole address."


@dataclass(frozen=True, slots=True)
class Interview:
    """Everything a live session needs to know about its interview, read once at connect time."""

    session_id: str
    company_id: str
    status: SessionStatus
    profile: AgentProfileSpec
    template: EvaluationTemplateSpec | None
    candidate_name: str
    progress: dict[str, Any]
    participant: dict[str, Any]
    stage: dict[str, Any] | None


def status_message(status: SessionStatus) -> str:
    return MESSAGES.get(status, "")


async def by_token(db: AsyncSession, token: str) -> SessionRow:
    """The session a join token opens; 404 for anything else. Tokens carry 256 random bits, and are
    looked up by their SHA-256 (engine/link_tokens.py): the database holds no token."""
    if not 20 <= len(token) <= 64 or not token.replace("-", "").replace("_", "").isalnum():
        raise NotFound(INVALID_LINK)
    row = (
        await db.scalars(
            select(SessionRow).where(
                SessionRow.join_token_hash == digest(token), SessionRow.deleted_at.is_(None)
            )
        )
    ).first()
    # No constant-time comparison is needed any more: the index compares digests, and a caller cannot
    # steer a digest towards a stored one to learn anything from near-misses.
    if row is None:
        raise NotFound(INVALID_LINK)
    return row


async def interview_of(db: AsyncSession, row: SessionRow) -> Interview:
    profile = await db.get(ProfileRow, row.agent_profile_id)
    person = await db.get(ParticipantRow, row.participant_id)
    template = await db.get(TemplateRow, row.template_id) if row.template_id else None
    stage = await db.get(StageRow, row.stage_id) if row.stage_id else None
    # Foreign keys, and rows are only ever soft-deleted.
    assert profile is not None
    assert person is not None
    return Interview(
        session_id=row.id,
        company_id=row.company_id,
        status=SessionStatus(row.status),
        profile=profiles.spec_of(profile),
        template=templates.spec_of(template) if template is not None else None,
        candidate_name=person.name,
        progress=dict(row.dialogue_state or {}),
        participant=dict(person.spec),
        stage=dict(stage.spec) if stage is not None else None,
    )
