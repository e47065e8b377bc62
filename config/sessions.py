"""Session: one interview of one participant (seeds 002, 003, 004), its status machine and metadata limits."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from config.analysis import Analysis
from config.base import (
    ApiModel,
    Flag,
    InputModel,
    IsoDate,
    ResourceId,
    ResourceOut,
    UtcDatetime,
    find_unstorable,
)
from config.enums import SessionStatus, TransportKind
from config.participants import ParticipantSpec, ResumeClaim
from config.profiles import AgentProfileCreate
from config.stage_results import StageResult
from config.templates import EvaluationTemplateCreate

__all__ = [
    "ALLOWED_TRANSITIONS",
    "MAX_METADATA_BYTES",
    "MAX_METADATA_DEPTH",
    "MAX_METADATA_KEYS",
    "MAX_SCHEDULE_AHEAD_DAYS",
    "IllegalTransition",
    "InlineParticipant",
    "JoinLink",
    "Session",
    "SessionCreate",
    "SessionUpdate",
    "check_transition",
    "validate_metadata",
]

MAX_METADATA_BYTES = 10 * 1024
MAX_METADATA_DEPTH = 5
MAX_METADATA_KEYS = 50
MAX_SCHEDULE_AHEAD_DAYS = 30

ALLOWED_TRANSITIONS: dict[SessionStatus, frozenset[SessionStatus]] = {
    SessionStatus.SCHEDULED: frozenset(
        {SessionStatus.IN_PROGRESS, SessionStatus.CANCELLED, SessionStatus.FAILED}
    ),
    SessionStatus.IN_PROGRESS: frozenset(
        {SessionStatus.COMPLETED, SessionStatus.FAILED, SessionStatus.CANCELLED}
    ),
    SessionStatus.COMPLETED: frozenset(),
    SessionStatus.CANCELLED: frozenset(),
    SessionStatus.FAILED: frozenset(),
}


class IllegalTransition(ValueError):
    def __init__(self, current: SessionStatus, target: SessionStatus) -> None:
        allowed = sorted(s.value for s in ALLOWED_TRANSITIONS[current]) or ["none: it is final"]
        super().__init__(
            f"a {current.value} session cannot become {target.value}; allowed: {', '.join(allowed)}"
        )
        self.current = current
        self.target = target


def check_transition(current: SessionStatus, target: SessionStatus) -> None:
    if target not in ALLOWED_TRANSITIONS[current]:
        raise IllegalTransition(current, target)


def _depth_and_keys(value: Any, level: int) -> tuple[int, int]:
    """Deepest nesting level and total number of object keys below `value`."""
    if isinstance(value, dict):
        deepest, keys = level, len(value)
        for child in value.values():
            d, k = _depth_and_keys(child, level + 1)
            deepest, keys = max(deepest, d), keys + k
        return deepest, keys
    if isinstance(value, list):
        deepest, keys = level, 0
        for child in value:
            d, k = _depth_and_keys(child, level + 1)
            deepest, keys = max(deepest, d), keys + k
        return deepest, keys
    return level - 1, 0


def validate_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Enforce seed 004's limits: 10 KB serialised, 5 levels deep, 50 keys (counted across all levels)."""
    bad = find_unstorable(metadata)
    if bad is not None:
        raise ValueError(f"{bad}: text must be valid UTF-8 without NUL characters")
    try:
        encoded = json.dumps(metadata, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise ValueError("metadata must not contain NaN or Infinity") from None
    size = len(encoded.encode())
    if size > MAX_METADATA_BYTES:
        raise ValueError(f"metadata is {size} bytes serialised; the limit is {MAX_METADATA_BYTES}")
    depth, keys = _depth_and_keys(metadata, 1)
    if depth > MAX_METADATA_DEPTH:
        raise ValueError(f"metadata is nested {depth} levels deep; the limit is {MAX_METADATA_DEPTH}")
    if keys > MAX_METADATA_KEYS:
        raise ValueError(f"metadata has {keys} keys; the limit is {MAX_METADATA_KEYS}")
    return metadata


class InlineParticipant(ParticipantSpec, ResumeClaim):
    """A participant created together with the session (gdpr_expiry_date is required here)."""

    gdpr_expiry_date: IsoDate = Field(
        description="Date (ISO 8601) when the participant's data expires under GDPR. Required inline."
    )


class SessionCreate(InputModel):
    """Book a session. Each resource comes as an id or an inline object, never both."""

    participant_id: ResourceId | None = Field(
        default=None, description="Existing participant (XOR participant)."
    )
    participant: InlineParticipant | None = Field(
        default=None,
        description="Participant to create (XOR participant_id). Its evaluation_template_id is the compact "
        "way to name the template and must not be combined with template_id or template.",
    )
    template_id: ResourceId | None = Field(default=None, description="Existing template (XOR template).")
    template: EvaluationTemplateCreate | None = Field(
        default=None, description="Template to create (XOR template_id); takes priority over every other."
    )
    agent_profile_id: ResourceId | None = Field(
        default=None, description="Existing agent profile (XOR agent_profile); default: the stage's profile."
    )
    agent_profile: AgentProfileCreate | None = Field(
        default=None, description="Agent profile to create (XOR agent_profile_id)."
    )
    stage_id: ResourceId | None = Field(default=None, description="Stage of the template this session runs.")
    schedule_time: UtcDatetime | None = Field(
        default=None,
        description="When the session may start, with a UTC offset; at most 30 days ahead. Omit to start now.",
    )
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="Your data (max 10 KB serialised, 5 levels deep, 50 keys)."
    )
    is_test: Flag = Field(
        default=False,
        description="Test session: completes at once without media, with generated analysis marked as test.",
    )

    @field_validator("metadata")
    @classmethod
    def _metadata_limits(cls, metadata: dict[str, Any]) -> dict[str, Any]:
        return validate_metadata(metadata)


class SessionUpdate(InputModel):
    schedule_time: UtcDatetime | None = Field(
        default=None, description="New start time (only while scheduled); at most 30 days ahead."
    )
    metadata: dict[str, Any] | None = Field(default=None, description="Replacement metadata.")
    status: SessionStatus | None = Field(
        default=None, description="New status; only legal transitions are accepted."
    )

    @field_validator("metadata")
    @classmethod
    def _metadata_limits(cls, metadata: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if metadata is None else validate_metadata(metadata)


class JoinLink(ApiModel):
    url: str = Field(description="Invite-only join URL; anyone holding it can join this session.")


class Session(ResourceOut):
    participant_id: str = Field(description="The participant interviewed.")
    template_id: str | None = Field(description="The template; null for generic, template-less sessions.")
    stage_id: str | None = Field(description="The stage this session runs, if any.")
    agent_profile_id: str = Field(description="The agent profile conducting the session.")
    status: SessionStatus = Field(description="scheduled, in_progress, completed, cancelled or failed.")
    schedule_time: datetime = Field(description="When the session may start.")
    started_at: datetime | None = Field(description="When the participant joined.")
    completed_at: datetime | None = Field(description="When the session ended.")
    duration_seconds: int | None = Field(description="Length of the interview, once ended.")
    transport: TransportKind | None = Field(
        default=None,
        description="How the interview was held: webrtc (the join page), websocket (the join page's backup "
        "connection, when WebRTC could not connect) or phone; the latest connection's when it resumed "
        "another way. Null before it started.",
    )
    metadata: dict[str, Any] = Field(description="Your data.")
    is_test: bool = Field(description="Whether this is a test session.")
    retake_of: str | None = Field(description="The earlier session this one retakes.")
    external_id: str | None = Field(description="The participant's external_id, for reconciliation.")
    participant_name: str | None = Field(default=None, description="The participant's name.")
    participant_email: str | None = Field(default=None, description="The participant's email.")
    join_url: str | None = Field(description="Invite-only join URL; null once the session is final.")
    analysis_status: Literal["PENDING", "PROCESSING", "COMPLETED", "FAILED"] | None = Field(
        description="PENDING, PROCESSING, COMPLETED or FAILED; null before the session completes."
    )
    analysis: Analysis | None = Field(description="The analysis (scorecard), once completed.")
    stage_result: StageResult | None = Field(
        default=None, description="The stage pipeline's decision once the analysis completed."
    )
