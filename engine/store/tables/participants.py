"""The people interviewed: participants, their tags and resumes, and public-link sign-ups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.secret_box import EncryptedString
from engine.store.tables.base import NOT_DELETED, Base, Timestamps

__all__ = ["ParticipantRow", "ParticipantTagRow", "PublicLinkSignUpRow", "ResumeFileRow"]


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
