"""A template's public link (seed 002): anyone holding `{base_url}/public/{token}` may start a session.

The token is the credential: no API key is involved. A candidate sends a name and an email; the
company's participant for this template with that email is found or created, and a returning candidate
gets the session they had not finished back ("return to the same link and continue where they left
off"). A new session goes through `sessions.create`, so every booking rule and event applies, under a
principal built here for the template's company only, with just the scopes that booking needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.enums import Focus, SessionStatus, StageType
from config.participants import ParticipantSpec, normalize_email
from config.sessions import SessionCreate
from engine.auth import Principal
from engine.clock import Clock
from engine.dialogue.plan import build_plan
from engine.errors import Conflict, NotFound
from engine.link_tokens import digest
from engine.services import participants, profiles, sessions, templates, usage
from engine.store.tables import ParticipantRow, ProfileRow, SessionRow, StageRow, TemplateRow

__all__ = [
    "COMPLETED_MESSAGE",
    "INVALID_LINK_MESSAGE",
    "NOT_SET_UP_MESSAGE",
    "UNAVAILABLE_MESSAGE",
    "LinkState",
    "Started",
    "find_template",
    "start",
    "start_for",
    "state",
]

INVALID_LINK_MESSAGE = "This link is not valid or no longer active"
COMPLETED_MESSAGE = "You have already completed this interview."
NOT_SET_UP_MESSAGE = "This interview is not set up yet. Please try again later."
UNAVAILABLE_MESSAGE = (
    "This interview is not available right now. Please try again later or contact the recruiter."
)
# `secrets.token_urlsafe(32)` gives 43 of these; the column holds 64. Anything else cannot be a token,
# and is answered like an unknown one without reaching the store (a NUL would not even bind there).
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# What booking through `sessions.create` with a participant_id and a stage_id checks, and nothing more.
BOOKING_SCOPES = frozenset({"write:sessions", "read:participants", "read:agent_profiles", "read:stages"})
OPEN_STATUSES = (SessionStatus.SCHEDULED.value, SessionStatus.IN_PROGRESS.value)


@dataclass(frozen=True, slots=True)
class LinkState:
    """What the public page shows before the candidate enters their details."""

    interview_title: str
    interviewer_name: str | None
    duration_minutes: int | None


@dataclass(frozen=True, slots=True)
class Started:
    session: SessionRow
    participant: ParticipantRow
    resumed: bool


async def find_template(session: AsyncSession, token: str) -> TemplateRow:
    """The live template whose enabled public link has exactly this token; 404 otherwise."""
    if not TOKEN_SHAPE.fullmatch(token):
        raise NotFound(INVALID_LINK_MESSAGE)
    row = (
        await session.scalars(
            select(TemplateRow).where(
                TemplateRow.public_token_hash == digest(token),  # no token is stored: engine/link_tokens.py
                TemplateRow.public_enabled.is_(True),
                TemplateRow.deleted_at.is_(None),
            )
        )
    ).first()
    if row is None:
        raise NotFound(INVALID_LINK_MESSAGE)
    return row


async def _entry_stage(session: AsyncSession, template: TemplateRow) -> tuple[StageRow, ProfileRow] | None:
    """The first stage in pipeline order that an AI interviewer can run: it names a live, non-generic
    agent profile and is not a human-only step. None when the template has no such stage yet."""
    rows = await session.execute(
        select(StageRow, ProfileRow)
        .join(ProfileRow, ProfileRow.id == StageRow.agent_profile_id)
        .where(
            StageRow.template_id == template.id,
            StageRow.company_id == template.company_id,
            StageRow.deleted_at.is_(None),
            ProfileRow.company_id == template.company_id,
            ProfileRow.deleted_at.is_(None),
            ProfileRow.focus != Focus.GENERIC.value,
        )
        .order_by(StageRow.order_index)
    )
    for stage, profile in rows:
        if _stage_type(stage).needs_interviewer:
            return stage, profile
    return None


def _stage_type(stage: StageRow) -> StageType:
    try:
        return StageType(stage.spec.get("type", StageType.AI_INTERVIEW.value))
    except ValueError:
        return StageType.AI_INTERVIEW


def _duration(template: TemplateRow, stage: StageRow | None) -> int | None:
    """The stage's own session length when it sets one, else the template's."""
    for spec in (stage.spec if stage is not None else {}, template.spec):
        value = spec.get("duration_minutes")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _expected(template: TemplateRow, stage: StageRow, profile: ProfileRow) -> int | None:
    """The length the entry stage's interview plan states (nobody's background yet): the duration,
    or less when the plan's questions run out first."""
    minutes = _duration(template, stage)
    plan = build_plan(profiles.spec_of(profile), templates.spec_of(template), duration_minutes=minutes)
    return plan.stated_minutes


async def state(session: AsyncSession, token: str) -> LinkState:
    template = await find_template(session, token)
    entry = await _entry_stage(session, template)
    return LinkState(
        interview_title=template.name,
        interviewer_name=entry[1].name if entry is not None else None,
        duration_minutes=_expected(template, *entry) if entry is not None else _duration(template, None),
    )


async def _participant(session: AsyncSession, template: TemplateRow, email: str) -> ParticipantRow | None:
    """The company's live participant for this template and email, locked (on PostgreSQL) until the
    transaction ends, so two requests for one candidate cannot both book a session."""
    return (
        await session.scalars(
            select(ParticipantRow)
            .where(
                ParticipantRow.company_id == template.company_id,
                ParticipantRow.dedupe_key == participants.dedupe_key(template.id, email),
                ParticipantRow.deleted_at.is_(None),
            )
            .with_for_update()
        )
    ).first()


async def _find_or_create_participant(
    session: AsyncSession, template: TemplateRow, name: str, email: str, clock: Clock
) -> ParticipantRow:
    found = await _participant(session, template, email)
    if found is not None:
        return found  # the company's record stays as it is: the name typed here does not overwrite it
    spec = ParticipantSpec.model_validate(
        {"name": name, "email": email, "evaluation_template_id": template.id}
    )
    try:
        # A savepoint: when a concurrent request inserted the same participant first, only this insert is
        # undone and the transaction goes on with theirs.
        async with session.begin_nested():
            return await participants.create(session, template.company_id, spec, clock)
    except Conflict:
        found = await _participant(session, template, email)
        if found is None:
            raise
        return found


async def _latest_sessions(
    session: AsyncSession, template: TemplateRow, person: ParticipantRow
) -> list[SessionRow]:
    """The participant's live, real (not test) sessions under this template, newest first."""
    return list(
        (
            await session.scalars(
                select(SessionRow)
                .where(
                    SessionRow.company_id == template.company_id,
                    SessionRow.participant_id == person.id,
                    SessionRow.template_id == template.id,
                    SessionRow.deleted_at.is_(None),
                    SessionRow.is_test.is_(False),
                )
                .order_by(SessionRow.created_at.desc(), SessionRow.id.desc())
            )
        ).all()
    )


def _principal(template: TemplateRow) -> Principal:
    """Acts for the template's company only, with only what booking needs. Never leaves this module."""
    return Principal(
        company_id=template.company_id, key_id=f"public-link:{template.id}", scopes=BOOKING_SCOPES
    )


async def start(session: AsyncSession, token: str, name: str, email: str, clock: Clock) -> Started:
    """Resume the candidate's unfinished session, or book a new one at the template's entry stage.

    409 when their latest session is completed (a retake is the company's decision, seed 002) or when the
    template has no stage an AI interviewer can run yet.
    """
    return await start_for(session, await find_template(session, token), name, email, clock)


async def start_for(
    session: AsyncSession, template: TemplateRow, name: str, email: str, clock: Clock
) -> Started:
    """`start` for a template already found (a confirmed email verification holds no link token)."""
    entry = await _entry_stage(session, template)
    person = await _find_or_create_participant(session, template, name, normalize_email(email), clock)
    history = await _latest_sessions(session, template, person)
    unfinished = next((s for s in history if s.status in OPEN_STATUSES), None)
    if unfinished is not None:
        return Started(unfinished, person, resumed=True)
    if history and history[0].status == SessionStatus.COMPLETED.value:
        raise Conflict(COMPLETED_MESSAGE)
    if entry is None:
        raise Conflict(NOT_SET_UP_MESSAGE)
    stage, _profile = entry
    body = SessionCreate.model_validate({"participant_id": person.id, "stage_id": stage.id})
    # The candidate is on the page already: no invitation email.
    try:
        row, person = await sessions.create(session, _principal(template), body, clock, invite=False)
    except usage.UsageLimitReached:
        # The company's monthly limit is its own business: the candidate gets a plain message, no numbers.
        raise usage.UsageLimitReached(UNAVAILABLE_MESSAGE) from None
    return Started(row, person, resumed=False)
