"""recruiters and browser sign-ins

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 19:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import engine.store.tables

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIME = engine.store.tables.UTCDateTime()
LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "recruiters",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", TIME, nullable=True),
        sa.Column("last_login_at", TIME, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("deleted_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_recruiters_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recruiters")),
    )
    op.create_index(op.f("ix_recruiters_company_id"), "recruiters", ["company_id"], unique=False)
    op.create_index(
        "uq_recruiters_email_live",
        "recruiters",
        ["email"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    op.create_table(
        "browser_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("recruiter_id", sa.String(length=36), nullable=True),
        sa.Column("api_key_id", sa.String(length=32), nullable=True),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.Column("last_seen_at", TIME, nullable=False),
        sa.Column("revoked_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_browser_sessions_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["recruiter_id"], ["recruiters.id"], name=op.f("fk_browser_sessions_recruiter_id_recruiters")
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_browser_sessions_api_key_id_api_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_browser_sessions")),
    )
    op.create_index(
        op.f("ix_browser_sessions_recruiter_id"), "browser_sessions", ["recruiter_id"], unique=False
    )
    op.create_index(op.f("ix_browser_sessions_api_key_id"), "browser_sessions", ["api_key_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_browser_sessions_api_key_id"), table_name="browser_sessions")
    op.drop_index(op.f("ix_browser_sessions_recruiter_id"), table_name="browser_sessions")
    op.drop_table("browser_sessions")
    op.drop_index(
        "uq_recruiters_email_live", table_name="recruiters", sqlite_where=LIVE, postgresql_where=LIVE
    )
    op.drop_index(op.f("ix_recruiters_company_id"), table_name="recruiters")
    op.drop_table("recruiters")
