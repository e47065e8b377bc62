"""Interviews and what they leave: sessions, transcript segments, recordings, analyses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.link_tokens import Sealed, SealedString
from engine.store.tables.base import Base, Timestamps

__all__ = ["AnalysisRow", "RecordingRow", "SessionRow", "TranscriptSegmentRow"]


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
