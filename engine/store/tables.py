"""Relational schema. Configuration bodies live in a JSON `spec` column; what queries filter on,
join on or must keep unique is a real column. Rows are soft-deleted so nothing referenced is lost."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AnalysisRow",
    "ApiKeyRow",
    "Base",
    "BrowserSessionRow",
    "CompanyRow",
    "OutboxEventRow",
    "ParticipantRow",
    "ParticipantTagRow",
    "ProfileRow",
    "RecordingRow",
    "RecruiterRow",
    "SessionRow",
    "StageRow",
    "TemplateRow",
    "TranscriptSegmentRow",
    "UTCDateTime",
    "WebhookAttemptRow",
    "WebhookDeliveryRow",
    "WebhookEndpointRow",
]

NOT_DELETED = text("deleted_at IS NULL")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC on every backend and hands back aware UTC, so ordering and comparison agree."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


JsonType = JSON().with_variant(JSONB(), "postgresql")

naming = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=naming)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JsonType, list[Any]: JsonType}


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(nullable=True)


class CompanyRow(Base):
    __tablename__ = "companies"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[Any]] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class RecruiterRow(Timestamps, Base):
    """A person who signs in to the review pages. Emails are unique across companies, so signing in
    needs no company name."""

    __tablename__ = "recruiters"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    scopes: Mapped[list[Any]] = mapped_column(nullable=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    locked_until: Mapped[datetime | None] = mapped_column(nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(nullable=True)
    __table_args__ = (
        Index(
            "uq_recruiters_email_live",
            "email",
            unique=True,
            sqlite_where=NOT_DELETED,
            postgresql_where=NOT_DELETED,
        ),
    )


class BrowserSessionRow(Base):
    """A signed-in browser. The id is the SHA-256 of the cookie's token, so a leaked table signs no one in."""

    __tablename__ = "browser_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    recruiter_id: Mapped[str | None] = mapped_column(ForeignKey("recruiters.id"), nullable=True, index=True)
    api_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"), nullable=True, index=True)
    scopes: Mapped[list[Any]] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ProfileRow(Timestamps, Base):
    __tablename__ = "agent_profiles"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    name: Mapped[str] = mapped_column(String(200))
    focus: Mapped[str] = mapped_column(String(32))
    spec: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    __table_args__ = (Index("ix_agent_profiles_company_created", "company_id", "created_at", "id"),)


class TemplateRow(Timestamps, Base):
    __tablename__ = "templates"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    name: Mapped[str] = mapped_column(String(200))
    use_case: Mapped[str] = mapped_column(String(32))
    spec: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    public_token: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    public_enabled: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    __table_args__ = (Index("ix_templates_company_created", "company_id", "created_at", "id"),)


class StageRow(Timestamps, Base):
    __tablename__ = "stages"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"), index=True)
    template_id: Mapped[str] = mapped_column(ForeignKey("templates.id"))
    agent_profile_id: Mapped[str | None] = mapped_column(ForeignKey("agent_profiles.id"), nullable=True)
    order_index: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    __table_args__ = (
        Index(
            "uq_stages_template_order_live",
            "template_id",
            "order_index",
            unique=True,
            sqlite_where=NOT_DELETED,
            postgresql_where=NOT_DELETED,
        ),
    )


class ParticipantRow(Timestamps, Base):
    __tablename__ = "participants"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    template_id: Mapped[str | None] = mapped_column(ForeignKey("templates.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    # "<template id or '-'>:<email>": one unique index covers template-less participants too,
    # which a plain (template_id, email) index would not because NULLs never collide.
    dedupe_key: Mapped[str] = mapped_column(String(400))
    external_id: Mapped[str | None] = mapped_column(String(500), nullable=True)
    spec: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    __table_args__ = (
        Index("ix_participants_company_created", "company_id", "created_at", "id"),
        Index("ix_participants_company_external", "company_id", "external_id"),
        Index(
            "uq_participants_company_dedupe_live",
            "company_id",
            "dedupe_key",
            unique=True,
            sqlite_where=NOT_DELETED,
            postgresql_where=NOT_DELETED,
        ),
    )


class ParticipantTagRow(Base):
    __tablename__ = "participant_tags"
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    __table_args__ = (Index("ix_participant_tags_company_tag", "company_id", "tag"),)


class SessionRow(Timestamps, Base):
    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    template_id: Mapped[str | None] = mapped_column(ForeignKey("templates.id"), nullable=True, index=True)
    stage_id: Mapped[str | None] = mapped_column(ForeignKey("stages.id"), nullable=True)
    agent_profile_id: Mapped[str] = mapped_column(ForeignKey("agent_profiles.id"))
    status: Mapped[str] = mapped_column(String(16))
    schedule_time: Mapped[datetime] = mapped_column(nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    duration_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", nullable=False)
    is_test: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    retake_of: Mapped[str | None] = mapped_column(ForeignKey("sessions.id"), nullable=True)
    join_token: Mapped[str] = mapped_column(String(64), unique=True)
    analysis_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    analysis: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    # Where the live interview is (question index, ...), so a reconnect resumes instead of restarting.
    dialogue_state: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    # The stage pipeline's decision on this session (engine.services.pipeline), once it is analysed.
    stage_result: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    __table_args__ = (
        Index("ix_sessions_company_created", "company_id", "created_at", "id"),
        Index("ix_sessions_company_status", "company_id", "status"),
    )


class OutboxEventRow(Base):
    """Events written in the same transaction as the change that caused them; delivered later."""

    __tablename__ = "outbox_events"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    dispatched_at: Mapped[datetime | None] = mapped_column(nullable=True)
    __table_args__ = (
        Index("ix_outbox_events_company_created", "company_id", "created_at", "id"),
        Index("ix_outbox_events_dispatched", "dispatched_at"),
    )


class TranscriptSegmentRow(Base):
    """One final utterance, appended as soon as it is final; times are seconds on the recording's timeline."""

    __tablename__ = "transcript_segments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"))
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    speaker: Mapped[str] = mapped_column(String(16))
    start_s: Mapped[float] = mapped_column(Float, nullable=False)
    end_s: Mapped[float] = mapped_column(Float, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    __table_args__ = (UniqueConstraint("session_id", "seq"),)


class RecordingRow(Base):
    """The session's stereo recording (candidate left, interviewer right); one file per session."""

    __tablename__ = "recordings"
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    # Relative to the recordings directory, so the directory can move.
    path: Mapped[str] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(64))
    sample_rate: Mapped[int] = mapped_column(Integer, nullable=False)
    channels: Mapped[int] = mapped_column(Integer, nullable=False)
    duration_s: Mapped[float] = mapped_column(Float, nullable=False)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)


class AnalysisRow(Base):
    """One version of a session's analysis. A rerun adds a version; earlier ones are kept. The newest
    is mirrored on the session (`analysis_status`, `analysis`) for listing."""

    __tablename__ = "analyses"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16))  # PENDING, PROCESSING, COMPLETED, FAILED
    reason: Mapped[str] = mapped_column(String(16))  # completed, rerun, test
    scorer: Mapped[str | None] = mapped_column(String(32), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)
    __table_args__ = (
        UniqueConstraint("session_id", "version"),
        Index("ix_analyses_status", "status"),
    )


class WebhookEndpointRow(Timestamps, Base):
    """Where a company wants its events. The secret signs deliveries, so it is kept (never logged, shown
    once); after a rotation the previous one keeps signing too until `previous_secret_expires_at`."""

    __tablename__ = "webhook_endpoints"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    event_types: Mapped[list[Any]] = mapped_column(nullable=False)  # empty: every event
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    disabled_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    secret: Mapped[str] = mapped_column(String(200))
    previous_secret: Mapped[str | None] = mapped_column(String(200), nullable=True)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)


class WebhookDeliveryRow(Base):
    """One event for one endpoint: pending until a 2xx, retried on the schedule, failed after it."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(64), index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    status: Mapped[str] = mapped_column(String(16))  # pending, succeeded, failed
    attempts: Mapped[int] = mapped_column(Integer, nullable=False)
    next_attempt_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )


class WebhookAttemptRow(Base):
    """One HTTP attempt of a delivery, kept for the API's delivery log."""

    __tablename__ = "webhook_attempts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
