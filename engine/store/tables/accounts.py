"""Companies and who acts for them: API keys, partner keys and grants, recruiters and their browser sessions."""

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

from engine.store.tables.base import NOT_DELETED, Base, Timestamps

__all__ = ["ApiKeyRow", "BrowserSessionRow", "CompanyRow", "PartnerGrantRow", "PartnerKeyRow", "RecruiterRow"]


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
