"""Running the engine: nodes and live-session owners, phone calls, idempotency keys, the audit log and erasure's file list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.secret_box import EncryptedBytes
from engine.store.tables.base import Base

__all__ = [
    "AuditEventRow",
    "CallAttemptRow",
    "EngineNodeRow",
    "ErasureFileRow",
    "IdempotencyRow",
    "LiveOwnerRow",
    "PhoneStreamTokenRow",
]


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
