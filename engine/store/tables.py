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
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from engine.link_tokens import Sealed, SealedString
from engine.secret_box import EncryptedBytes, EncryptedString

__all__ = [
    "AnalysisRow",
    "ApiKeyRow",
    "AuditEventRow",
    "Base",
    "BrowserSessionRow",
    "CallAttemptRow",
    "CompanyRow",
    "EmailRow",
    "EmailTemplateRow",
    "EngineNodeRow",
    "ErasureFileRow",
    "LiveOwnerRow",
    "OutboxEventRow",
    "ParticipantRow",
    "ParticipantTagRow",
    "PartnerGrantRow",
    "PartnerKeyRow",
    "PhoneStreamTokenRow",
    "ProfileRow",
    "PublicLinkSignUpRow",
    "RecordingRow",
    "RecruiterRow",
    "ResumeFileRow",
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
    # Revision 0016: participants inactive this many days are erased (engine.services.retention);
    # null keeps them until their own gdpr_expiry_date, or forever.
    retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Revision 0018: interview minutes per calendar month (UTC) beyond which new sessions are refused
    # (engine.services.usage); null: no limit.
    monthly_interview_minutes_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[Any]] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    # Who made it: `recruiter:<id>` or `api_key:<id>` through the API, `cli` or `first-run`; null for
    # keys made before migration 0007.
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class PartnerKeyRow(Base):
    """An integrator's key (engine.services.partner_keys): no company's own; it acts for one of the
    companies granted to it (PartnerGrantRow) per request, with the same scopes in each. Apart from the
    company, a row like ApiKeyRow; a table of its own so no query over a company's keys can meet it."""

    __tablename__ = "partner_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[Any]] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class PartnerGrantRow(Base):
    """A company a partner key may act for. Revoking the grant deletes the row: refused from the next
    request on."""

    __tablename__ = "partner_key_companies"
    key_id: Mapped[str] = mapped_column(ForeignKey("partner_keys.id"), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"), primary_key=True, index=True)
    granted_at: Mapped[datetime] = mapped_column(nullable=False)


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
    # Revision 0021: the link's token as its SHA-256 (the lookup) and encrypted (to show the URL again);
    # engine/link_tokens.py. The unique constraint keeps the name it was made with, on `public_token`.
    public_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    public_token_encrypted: Mapped[Sealed | None] = mapped_column(SealedString(200), nullable=True)
    public_enabled: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # A public-link sign-up must be confirmed from the candidate's inbox first (revision 0022).
    public_email_verification: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )
    __table_args__ = (
        Index("ix_templates_company_created", "company_id", "created_at", "id"),
        UniqueConstraint("public_token_hash", name="uq_templates_public_token"),
    )


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
    # Revision 0009: a column rather than a key of `spec`, so it can be filtered on or indexed later
    # without rewriting every row's JSON.
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    spec: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    # Revision 0016: when their personal data was erased (engine.services.erasure); the row stays,
    # soft-deleted and named "erased", so counts over sessions still add up.
    erased_at: Mapped[datetime | None] = mapped_column(nullable=True)
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
    # Revision 0024: how the interview was held (config.enums.Transport), the latest connection's.
    transport: Mapped[str | None] = mapped_column(String(16), nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", nullable=False)
    is_test: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    retake_of: Mapped[str | None] = mapped_column(ForeignKey("sessions.id"), nullable=True)
    # Revision 0021: the join token as its SHA-256 (the lookup) and encrypted (to show the URL again);
    # engine/link_tokens.py. Nullable only because SQLite cannot add a NOT NULL column in place: every
    # session has both. The unique constraint keeps the name it was made with, on `join_token`.
    join_token_hash: Mapped[str] = mapped_column(String(64))
    join_token_encrypted: Mapped[Sealed] = mapped_column(SealedString(200), nullable=True)
    analysis_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    analysis: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    # Where the live interview is (question index, ...), so a reconnect resumes instead of restarting.
    dialogue_state: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    # The stage pipeline's decision on this session (engine.services.pipeline), once it is analysed.
    stage_result: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    # Revision 0026: stage_result's outcome as a column of its own, so the results waiting for a person
    # (`awaiting_approval`) are one indexed query (GET /v1/sessions?stage_outcome=...), not a JSON scan.
    stage_outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)
    __table_args__ = (
        Index("ix_sessions_company_created", "company_id", "created_at", "id"),
        Index("ix_sessions_company_status", "company_id", "status"),
        Index("ix_sessions_company_stage_outcome", "company_id", "stage_outcome"),
        # A month's interview minutes (engine.services.usage), summed at every booking under a limit.
        Index("ix_sessions_company_started", "company_id", "started_at"),
        UniqueConstraint("join_token_hash", name="uq_sessions_join_token"),
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
    # Set once the finished file is confirmed in the object store (engine.storage.uploads); a "ready"
    # recording without it is an upload still pending, retried until it succeeds.
    object_key: Mapped[str | None] = mapped_column(String(600), nullable=True)
    uploaded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # When this node deleted its local copy after the upload (IE_OBJECT_STORE__DELETE_LOCAL).
    local_deleted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # The Opus transcode (engine.storage.transcodes): `path`/`content_type` name the Opus file from
    # `transcoded_at` on; `source_path` is the WAV still to delete (cleared once it is gone). The lease
    # (`transcode_token` until `transcode_until`) keeps two engines off one file; `transcode_error` is
    # set when the WAV cannot be transcoded (it then stays the recording).
    transcoded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    source_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    transcode_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    transcode_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    transcode_until: Mapped[datetime | None] = mapped_column(nullable=True)
    transcode_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # When an analysis worker first asked for this recording and could not read it (no shared disk, not
    # in the bucket yet): the engine that has the file then transcodes and uploads it without waiting
    # IE_RECORDINGS__OPUS_AFTER_S (engine.storage.transcodes, engine.analysis.audio_source).
    wanted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # The transcode pass looks for "ready" WAVs every IE_RECORDINGS__POLL_S: most rows are Opus by then.
    __table_args__ = (Index("ix_recordings_content_type_status", "content_type", "status"),)


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
    # The worker's lease while PROCESSING (engine.services.leases): who, which claim, until when.
    claimed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(nullable=True)
    # A PENDING analysis is not claimed before this: a worker that waits for the session's recording to
    # reach the bucket hands the analysis back until then (engine.analysis.worker).
    not_before: Mapped[datetime | None] = mapped_column(nullable=True)
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
    # Encrypted at rest (engine/secret_box.py): a 50-character secret is a 164-character Fernet token.
    secret: Mapped[str] = mapped_column(EncryptedString(200))
    previous_secret: Mapped[str | None] = mapped_column(EncryptedString(200), nullable=True)
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
    # The lease of the worker sending it (engine.services.leases): who, which claim, until when.
    claimed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(nullable=True)
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


class EmailTemplateRow(Base):
    """A company's own template for one kind of email; without a row the built-in default is used."""

    __tablename__ = "email_templates"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(300))
    html: Mapped[str] = mapped_column(Text, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)
    __table_args__ = (UniqueConstraint("company_id", "kind"),)


class EmailRow(Base):
    """One email to a participant, written in the transaction of the change it announces: queued until
    the SMTP server accepts it (sent), retried on the schedule, failed after it, or not_sent with the
    reason. `dedupe_key` makes each email once-only; `claimed_until` leases it to the worker sending it.
    Subject and bodies are filled in when it is prepared for sending."""

    __tablename__ = "emails"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    to_address: Mapped[str] = mapped_column(String(320))
    # What the email announces (the session's scheduled time it was queued for).
    context: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    subject: Mapped[str | None] = mapped_column(String(500), nullable=True)
    html_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    text_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # queued, sent, failed, not_sent
    attempts: Mapped[int] = mapped_column(Integer, nullable=False)
    next_attempt_at: Mapped[datetime | None] = mapped_column(nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)
    __table_args__ = (Index("ix_emails_due", "status", "next_attempt_at"),)


class ResumeFileRow(Base):
    """A resume file uploaded with POST /v1/resumes/parse (engine/services/resume_files.py): unclaimed,
    it expires at `expires_at`; claimed by the participant created from it, it lives as long as they do.
    The bytes are on local disk (`storage` "local", `key` relative to <data_dir>/resumes) or in the
    object store (`storage` "bucket", `key` the object key)."""

    __tablename__ = "resume_files"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    participant_id: Mapped[str | None] = mapped_column(ForeignKey("participants.id"), nullable=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64))
    storage: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(600))
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    # Null once claimed: a participant's file does not expire.
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    __table_args__ = (
        # One kept file per participant; NULLs (unclaimed uploads) never collide.
        Index("uq_resume_files_participant", "participant_id", unique=True),
        Index("ix_resume_files_expires", "expires_at"),
    )


class ErasureFileRow(Base):
    """A file of an erased participant still to delete (engine.services.erasure): written in the
    erasure's transaction, deleted once the file is gone, so a crash between the two loses nothing.
    `kind`: recording (relative to the recordings directory, with its siblings `<stem>.*`),
    recording_object (a key in the object store), resume_local or resume_bucket (engine.storage
    .resume_files). Kept until `keep_until` even when done: a transcode or upload pass that was midway
    when the rows went may still write the file once more."""

    __tablename__ = "erasure_files"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(600))
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    keep_until: Mapped[datetime] = mapped_column(nullable=False, index=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)


class EngineNodeRow(Base):
    """One running engine (engine.live.node): where the others reach it, when it last said it was alive,
    and whether it is draining (stopping: it takes no new interviews). Deleted when it stops cleanly;
    a dead one's row is left until the others prune it."""

    __tablename__ = "engine_nodes"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(nullable=False)
    heartbeat_at: Mapped[datetime] = mapped_column(nullable=False)
    draining: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)


class LiveOwnerRow(Base):
    """Which engine holds a session's live interview, while it is live (engine.services.nodes). No
    foreign key to engine_nodes: a row whose node is gone or silent is one any engine may take over."""

    __tablename__ = "live_owners"
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    node_id: Mapped[str] = mapped_column(String(64), index=True)
    since: Mapped[datetime] = mapped_column(nullable=False)


class IdempotencyRow(Base):
    """A POST made with an `Idempotency-Key` (engine.api.idempotency): the request it stood for and, once
    answered, the response to replay. Keyed by a hash of the caller's credential and the key, so two
    callers' keys never meet and no credential is stored."""

    __tablename__ = "idempotency_keys"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # "running", then "done"
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    headers: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON [[name, value], ...]
    # Encrypted at rest (engine/secret_box.py): a response can hold a new webhook secret or a person's data.
    body: Mapped[bytes | None] = mapped_column(EncryptedBytes(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False, index=True)


class AuditEventRow(Base):
    """Who viewed or changed what, and when (engine.services.audit). Append-only: written in the same
    transaction as what it records, never updated or deleted (migration 0017 adds triggers refusing
    both). Holds ids and a display label of the actor, never the content viewed or changed."""

    __tablename__ = "audit_events"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    at: Mapped[datetime] = mapped_column(nullable=False)
    actor_kind: Mapped[str] = mapped_column(String(16))  # "api_key" or "recruiter"
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_label: Mapped[str] = mapped_column(String(320))  # the key's name or the recruiter's email
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    __table_args__ = (
        Index("ix_audit_events_company_at", "company_id", "at", "id"),
        Index("ix_audit_events_company_target", "company_id", "target_id", "at"),
    )


class PublicLinkSignUpRow(Base):
    """A sign-up through a public link that waits for the candidate to confirm their email
    (engine.services.public_link_verification). Only the SHA-256 of the one-time token is kept for the
    lookup; `sealed_token` (encrypted at rest) exists only until the email has gone out, which this row
    also tracks like an outbox email. Once used, name and email are blanked (the participant holds them);
    the retention job deletes the row after its expiry."""

    __tablename__ = "public_link_sign_ups"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    template_id: Mapped[str] = mapped_column(ForeignKey("templates.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # A 43-character token is a 140-character Fernet token.
    sealed_token: Mapped[str | None] = mapped_column(EncryptedString(200), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    expires_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    session_id: Mapped[str | None] = mapped_column(ForeignKey("sessions.id"), nullable=True)
    email_status: Mapped[str] = mapped_column(String(16))  # queued, sent, failed, not_sent
    attempts: Mapped[int] = mapped_column(Integer, nullable=False)
    next_attempt_at: Mapped[datetime | None] = mapped_column(nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)
    __table_args__ = (
        Index("ix_public_link_sign_ups_due", "email_status", "next_attempt_at"),
        Index("ix_public_link_sign_ups_recipient", "template_id", "email", "created_at"),
    )


class PhoneStreamTokenRow(Base):
    """A one-time token that connects a phone call's media stream to a session (revision 0023;
    engine.services.phone). Only its SHA-256 is kept: the token is in the URL handed to the telephony
    provider, and is spent when the stream starts."""

    __tablename__ = "phone_stream_tokens"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)


class CallAttemptRow(Base):
    """One phone call to a session's interview (revision 0023; seed 003's call attempt logs): written
    when its media stream starts, completed when it ends (engine.services.phone)."""

    __tablename__ = "call_attempts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"))
    call_sid: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)
    duration_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # answered, no_answer, busy, failed, hung_up, completed (config.phone.CallOutcome)
    outcome: Mapped[str] = mapped_column(String(16))
    __table_args__ = (Index("ix_call_attempts_session_started", "session_id", "started_at"),)
