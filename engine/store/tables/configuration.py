"""What recruiters configure: agent profiles, evaluation templates, stages, email templates."""

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
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.link_tokens import Sealed, SealedString
from engine.store.tables.base import NOT_DELETED, Base, Timestamps

__all__ = ["EmailTemplateRow", "ProfileRow", "StageRow", "TemplateRow"]


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
