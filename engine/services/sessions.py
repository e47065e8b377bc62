"""Sessions: booking (with seed 004's id-or-inline rules), status changes, cancel, retake, join links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from config.emails import EmailKind
from config.enums import Focus, SessionStatus, TransportKind
from config.sessions import (
    MAX_SCHEDULE_AHEAD_DAYS,
    IllegalTransition,
    Session,
    SessionCreate,
    SessionUpdate,
    check_transition,
)
from engine.auth import Principal
from engine.clock import Clock
from engine.errors import BadRequest, Conflict, ValidationFailed
from engine.link_tokens import issue
from engine.notifications import outbox
from engine.services import analyses, events, participants, profiles, stages, templates, usage
from engine.services.common import get_owned, new_id
from engine.store.tables import (
    ParticipantRow,
    ProfileRow,
    SessionRow,
    StageRow,
    TemplateRow,
)
from scoring.synthetic import TEST_DURATION_SECONDS, synthetic_analysis

__all__ = [
    "cancel",
    "change_status",
    "check_schedule",
    "create",
    "delete",
    "get",
    "join_url",
    "retake",
    "to_model",
    "update",
]

LABEL = "session"
# Clients' clocks drift; a start time a moment in the past means "now", not an error.
SCHEDULE_SKEW = timedelta(minutes=2)
STATUS_EVENTS = {
    SessionStatus.SCHEDULED: "session.scheduled",
    SessionStatus.IN_PROGRESS: "session.started",
    SessionStatus.COMPLETED: "session.completed",
    SessionStatus.CANCELLED: "session.cancelled",
    SessionStatus.FAILED: "session.failed",
}


def join_url(base_url: str, row: SessionRow) -> str:
    """The session's join URL, for its recruiters and its emails only: the token is decrypted here
    (the database holds its hash and an encrypted copy, engine/link_tokens.py)."""
    return f"{base_url}/join/{row.join_token_encrypted.reveal()}"


def to_model(row: SessionRow, person: ParticipantRow | None, base_url: str) -> Session:
    return Session(
        id=row.id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        participant_id=row.participant_id,
        template_id=row.template_id,
        stage_id=row.stage_id,
        agent_profile_id=row.agent_profile_id,
        status=SessionStatus(row.status),
        schedule_time=row.schedule_time,
        started_at=row.started_at,
        completed_at=row.completed_at,
        duration_seconds=row.duration_seconds,
        transport=None if row.transport is None else TransportKind(row.transport),
        metadata=row.metadata_,
        is_test=row.is_test,
        retake_of=row.retake_of,
        external_id=None if person is None else person.external_id,
        participant_name=None if person is None else person.name,
        participant_email=None if person is None else person.email,
        join_url=None if SessionStatus(row.status).is_terminal else join_url(base_url, row),
        analysis_status=row.analysis_status,
        analysis=row.analysis,
        stage_result=row.stage_result,
    )


def _conflict(message: str, *fields: str) -> BadRequest:
    return BadRequest(message, {"fields": [{"path": f, "message": "conflicts"} for f in fields]})


def _check_shape(body: SessionCreate, principal: Principal) -> None:
    """Seed 004's XOR rules, then the scopes each chosen source needs."""
    for id_field, inline in (
        ("participant_id", "participant"),
        ("template_id", "template"),
        ("agent_profile_id", "agent_profile"),
    ):
        if getattr(body, id_field) is not None and getattr(body, inline) is not None:
            raise _conflict(f"send either {id_field} or {inline}, not both", id_field, inline)
    if body.participant is not None and body.participant.evaluation_template_id is not None:
        clash = [f for f in ("template_id", "template") if getattr(body, f) is not None]
        if clash:
            raise _conflict(
                f"participant.evaluation_template_id cannot be combined with {clash[0]}: choose one way "
                "to name the template",
                "participant.evaluation_template_id",
                clash[0],
            )
    if body.participant_id is None and body.participant is None:
        raise ValidationFailed.field("participant_id", "send participant_id or an inline participant")
    needed = ["write:sessions"]
    needed += ["read:participants"] if body.participant_id else ["write:participants"]
    names_template = body.template_id is not None or (
        body.participant is not None and body.participant.evaluation_template_id is not None
    )
    needed += ["write:templates"] if body.template else (["read:templates"] if names_template else [])
    needed += ["write:agent_profiles"] if body.agent_profile else ["read:agent_profiles"]
    needed += ["read:stages"] if body.stage_id else []
    principal.require(*needed)


def check_schedule(requested: datetime | None, now: datetime, field: str = "schedule_time") -> datetime:
    """When a session asked for at `requested` starts: now when omitted; a 422 naming `field` when it is
    in the past (beyond clock skew) or past the booking horizon."""
    if requested is None:
        return now
    when = requested.astimezone(UTC)
    if when < now - SCHEDULE_SKEW:
        raise ValidationFailed.field(field, "must not be in the past")
    if when > now + timedelta(days=MAX_SCHEDULE_AHEAD_DAYS):
        raise ValidationFailed.field(field, f"must be at most {MAX_SCHEDULE_AHEAD_DAYS} days ahead")
    return max(when, now)


def _template_field(body: SessionCreate) -> str:
    """The request field the session's template came from, for error details (seed 004's priority)."""
    if body.template is not None:
        return "template"
    if body.template_id is not None:
        return "template_id"
    if body.participant is not None and body.participant.evaluation_template_id is not None:
        return "participant.evaluation_template_id"
    if body.stage_id is not None:
        return "stage_id"
    return "participant_id"  # the existing participant's own template


async def _resolve_template(
    session: AsyncSession, principal: Principal, body: SessionCreate, clock: Clock
) -> TemplateRow | None:
    """Seed 004's priority: inline template > template_id > participant.evaluation_template_id."""
    cid = principal.company_id
    if body.template is not None:
        return await templates.create(session, cid, body.template.spec(), clock)
    if body.template_id is not None:
        return await templates.get(session, cid, body.template_id, field="template_id")
    if body.participant is not None and body.participant.evaluation_template_id is not None:
        return await templates.get(
            session, cid, body.participant.evaluation_template_id, field="participant.evaluation_template_id"
        )
    return None


async def create(
    session: AsyncSession, principal: Principal, body: SessionCreate, clock: Clock, *, invite: bool = True
) -> tuple[SessionRow, ParticipantRow]:
    """Books the session and, with `invite` (all but a candidate who books through a public link and is
    already on the page), queues the participant's invitation email."""
    _check_shape(body, principal)
    cid = principal.company_id
    # Validated before anything is written; re-read below so the session and its events come after the
    # inline resources this request creates (their created_at and participant.created event).
    requested_time = check_schedule(body.schedule_time, clock.now())
    template = await _resolve_template(session, principal, body, clock)

    stage = None
    if body.stage_id is not None:
        stage = await stages.get(session, cid, body.stage_id, field="stage_id")
        if template is None:
            template = await templates.get(session, cid, stage.template_id)
        elif stage.template_id != template.id:
            raise _conflict(
                f"stage_id belongs to another template than the session's (from {_template_field(body)})",
                "stage_id",
                _template_field(body),
            )

    if body.participant_id is not None:
        person = await participants.get(session, cid, body.participant_id, field="participant_id")
        if template is None and person.template_id is not None:
            template = await templates.get(session, cid, person.template_id)
        elif template is not None and person.template_id is None:
            await participants.assign_template(session, person, template.id, clock, "participant_id")
        elif template is not None and person.template_id != template.id:
            raise _conflict(
                f"participant_id: the participant belongs to template {person.template_id}, but "
                f"{_template_field(body)} names template {template.id}; a participant is evaluated "
                "against one template, so create a participant for this one",
                "participant_id",
                _template_field(body),
            )
    else:
        assert body.participant is not None
        inline = body.participant.model_copy(
            update={"evaluation_template_id": template.id if template else None}
        )
        person = await participants.create(session, cid, inline, clock, field_prefix="participant.")

    profile = await _resolve_profile(session, cid, body, stage.agent_profile_id if stage else None, clock)
    focus = profiles.spec_of(profile).focus
    profile_field = (
        "agent_profile"
        if body.agent_profile is not None
        else ("agent_profile_id" if body.agent_profile_id is not None else "stage_id")
    )
    if focus is Focus.GENERIC and template is not None:
        raise _conflict(
            f"{profile_field}: a generic-focus agent profile interviews without a template, but "
            f"{_template_field(body)} gives this session one ({template.id}); use a non-generic profile "
            "or a participant without a template",
            profile_field,
            _template_field(body),
        )
    if focus is not Focus.GENERIC and template is None:
        raise _conflict(
            f"{profile_field}: a {focus.value}-focus agent profile needs a template: send template_id or "
            "template, or a participant that belongs to a template (only generic-focus profiles run "
            "without one)",
            profile_field,
            "template_id",
        )

    now = clock.now()
    schedule_time = max(requested_time, now)
    if not body.is_test:  # test sessions never count; everything else must fit the monthly limit
        await usage.check_booking(session, cid, template, stage, schedule_time, now)
    link = issue()
    row = SessionRow(
        id=new_id(),
        company_id=cid,
        participant_id=person.id,
        template_id=template.id if template else None,
        stage_id=stage.id if stage else None,
        agent_profile_id=profile.id,
        status=SessionStatus.SCHEDULED.value,
        schedule_time=schedule_time,
        metadata_=body.metadata,
        is_test=body.is_test,
        join_token_hash=link.digest,
        join_token_encrypted=link.sealed,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    events.record(session, cid, "session.scheduled", events.session_data(row, person), now)
    if invite:
        await outbox.queue(session, row, person, EmailKind.INVITATION, now)
    if body.is_test:
        await _complete_test(session, row, person, profile, template, now)
    return row, person


async def _resolve_profile(
    session: AsyncSession, cid: str, body: SessionCreate, stage_profile: str | None, clock: Clock
) -> ProfileRow:
    if body.agent_profile is not None:
        return await profiles.create(session, cid, body.agent_profile, clock)
    if body.agent_profile_id is not None:
        return await profiles.get(session, cid, body.agent_profile_id, field="agent_profile_id")
    if stage_profile is not None:
        return await profiles.get(session, cid, stage_profile, field="stage_id")
    raise ValidationFailed.field(
        "agent_profile_id", "send agent_profile_id or agent_profile, or a stage_id whose stage has a profile"
    )


async def _complete_test(
    session: AsyncSession,
    row: SessionRow,
    person: ParticipantRow,
    profile: ProfileRow,
    template: TemplateRow | None,
    now: datetime,
) -> None:
    """Seed 004's test mode: completed at once, five minutes long, with generated analysis and events."""
    row.status = SessionStatus.COMPLETED.value
    row.started_at = now - timedelta(seconds=TEST_DURATION_SECONDS)
    row.completed_at = now
    row.duration_seconds = TEST_DURATION_SECONDS
    result = synthetic_analysis(
        row.id, profiles.spec_of(profile), templates.spec_of(template) if template else None, person.name, now
    )
    await analyses.create_version(session, row, "test", now, result=result, scorer="synthetic")
    data = events.session_data(row, person)
    events.record(session, row.company_id, "session.completed", data, now)
    assert row.analysis is not None
    events.record(
        session,
        row.company_id,
        "analysis.completed",
        {**data, "analysis": analyses.summary(row.analysis)},
        now,
    )


async def get(session: AsyncSession, company_id: str, session_id: str) -> SessionRow:
    return await get_owned(session, SessionRow, session_id, company_id, LABEL)


async def participant_of(session: AsyncSession, row: SessionRow) -> ParticipantRow:
    person = await session.get(ParticipantRow, row.participant_id)
    assert person is not None  # foreign key; participants are only ever soft-deleted
    return person


async def change_status(
    session: AsyncSession, row: SessionRow, target: SessionStatus, clock: Clock, now: datetime | None = None
) -> None:
    try:
        check_transition(SessionStatus(row.status), target)
    except IllegalTransition as exc:
        raise Conflict(str(exc), {"fields": [{"path": "status", "message": "illegal transition"}]}) from None
    now = now or clock.now()
    row.status, row.updated_at = target.value, now
    if target is SessionStatus.IN_PROGRESS:
        row.started_at = now
    elif target.is_terminal:
        row.completed_at = now
        if row.started_at is not None:
            row.duration_seconds = int((now - row.started_at).total_seconds())
        if target is SessionStatus.COMPLETED:
            # Committed with the completion, so a crash right after cannot lose the analysis.
            await analyses.create_version(session, row, "completed", now)
    person = await participant_of(session, row)
    events.record(session, row.company_id, STATUS_EVENTS[target], events.session_data(row, person), now)
    if target is SessionStatus.CANCELLED:
        await outbox.queue(session, row, person, EmailKind.CANCELLATION, now)


async def cancel(session: AsyncSession, company_id: str, session_id: str, clock: Clock) -> SessionRow:
    row = await get(session, company_id, session_id)
    await change_status(session, row, SessionStatus.CANCELLED, clock)
    return row


async def update(
    session: AsyncSession, company_id: str, session_id: str, patch: SessionUpdate, clock: Clock
) -> SessionRow:
    row = await get(session, company_id, session_id)
    changes = patch.model_fields_set
    now = clock.now()  # one change, one timestamp: updated_at equals started_at/completed_at it sets
    if "schedule_time" in changes:
        if row.status != SessionStatus.SCHEDULED.value:
            raise Conflict(f"schedule_time: a {row.status} session cannot be rescheduled")
        moved = check_schedule(patch.schedule_time, now)
        if moved != row.schedule_time:
            row.schedule_time = moved
            await outbox.queue(session, row, await participant_of(session, row), EmailKind.RESCHEDULE, now)
    if "metadata" in changes:
        row.metadata_ = patch.metadata or {}
    if "status" in changes and patch.status is not None and patch.status.value != row.status:
        await change_status(session, row, patch.status, clock, now)
    row.updated_at = now
    await session.flush()
    return row


async def retake(
    session: AsyncSession, company_id: str, session_id: str, metadata: dict[str, Any] | None, clock: Clock
) -> tuple[SessionRow, ParticipantRow]:
    """A new session for the same participant and stage; the earlier one stays as it was (seed 002)."""
    original = await get(session, company_id, session_id)
    if not SessionStatus(original.status).is_terminal:
        raise Conflict(
            f"session is {original.status}; a retake follows a finished session (the participant can resume "
            "this one through the same link, or cancel it first)"
        )
    person, profile, template = await _retake_resources(session, original)
    now = clock.now()
    if not original.is_test:
        stage = await session.get(StageRow, original.stage_id) if original.stage_id else None
        await usage.check_booking(session, company_id, template, stage, now, now)
    row = await follow_up(
        session,
        original,
        person,
        now,
        metadata=original.metadata_ if metadata is None else metadata,
        retake_of=original.id,
    )
    if row.is_test:
        await _complete_test(session, row, person, profile, template, now)
    return row, person


async def follow_up(
    session: AsyncSession,
    original: SessionRow,
    person: ParticipantRow,
    now: datetime,
    *,
    stage: StageRow | None = None,
    metadata: dict[str, Any] | None = None,
    retake_of: str | None = None,
) -> SessionRow:
    """A new scheduled session for `original`'s participant, at once: a retake of the same stage, or the
    next `stage` of the pipeline (with that stage's profile). Records its `session.scheduled` event,
    which carries what an integrator needs to send the invite, and queues the invitation email."""
    link = issue()
    row = SessionRow(
        id=new_id(),
        company_id=original.company_id,
        participant_id=original.participant_id,
        template_id=original.template_id,
        stage_id=stage.id if stage is not None else original.stage_id,
        agent_profile_id=(stage.agent_profile_id if stage is not None else None) or original.agent_profile_id,
        status=SessionStatus.SCHEDULED.value,
        schedule_time=now,
        metadata_=original.metadata_ if metadata is None else metadata,
        is_test=original.is_test,
        retake_of=retake_of,
        join_token_hash=link.digest,
        join_token_encrypted=link.sealed,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    events.record(session, original.company_id, "session.scheduled", events.session_data(row, person), now)
    await outbox.queue(session, row, person, EmailKind.INVITATION, now)
    return row


async def _retake_resources(
    session: AsyncSession, original: SessionRow
) -> tuple[ParticipantRow, ProfileRow, TemplateRow | None]:
    """The earlier session's participant, profile, template and stage, each still live: a retake must not
    book a session against a resource deleted since (409 naming it, not a 404 on an existing session)."""
    person = await session.get(ParticipantRow, original.participant_id)
    profile = await session.get(ProfileRow, original.agent_profile_id)
    template = await session.get(TemplateRow, original.template_id) if original.template_id else None
    stage = await session.get(StageRow, original.stage_id) if original.stage_id else None
    gone = [
        name
        for name, row, wanted in (
            ("participant", person, True),
            ("agent profile", profile, True),
            ("evaluation template", template, original.template_id is not None),
            ("evaluation stage", stage, original.stage_id is not None),
        )
        if wanted and (row is None or row.deleted_at is not None)
    ]
    if gone:
        raise Conflict(
            f"cannot retake: the session's {', '.join(gone)} has been deleted since",
            {"deleted": gone},
        )
    assert person is not None
    assert profile is not None
    return person, profile, template


async def delete(session: AsyncSession, company_id: str, session_id: str, clock: Clock) -> None:
    row = await get(session, company_id, session_id)
    if row.status == SessionStatus.IN_PROGRESS.value:
        raise Conflict("session is in progress; cancel it before deleting it")
    row.deleted_at = clock.now()
