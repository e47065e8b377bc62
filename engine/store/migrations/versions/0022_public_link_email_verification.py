"""Public links: optional email verification before a session is booked.

- `templates.public_email_verification`: whether a sign-up through the template's public link must first
  be confirmed from the candidate's inbox. False for every existing template, so upgrading changes
  nothing for anyone.
- `public_link_sign_ups`: a sign-up waiting for its confirmation (engine.services.public_link_verification).
  It holds the SHA-256 of the one-time token (the lookup; the token itself is only in the email), the
  token encrypted under the secrets key only until the email has gone out (`sealed_token`), the name and
  email typed, the expiry, and the email's own delivery state (it is sent by the email worker like an
  invitation, engine.notifications.verification). Expired rows are deleted by the retention job.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 10:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.tables

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

TIME = engine.store.tables.UTCDateTime()
TABLE = "public_link_sign_ups"


def upgrade() -> None:
    # recreate="never": SQLite adds a plain column in place (3.35+), without copying the table.
    with op.batch_alter_table("templates", recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("public_email_verification", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        TABLE,
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("template_id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_token", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.Column("used_at", TIME, nullable=True),
        sa.Column("session_id", sa.String(length=36), nullable=True),
        sa.Column("email_status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIME, nullable=True),
        sa.Column("claimed_until", TIME, nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("sent_at", TIME, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_public_link_sign_ups_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"], ["templates.id"], name=op.f("fk_public_link_sign_ups_template_id_templates")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_public_link_sign_ups_session_id_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_link_sign_ups")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_public_link_sign_ups_token_hash")),
    )
    op.create_index("ix_public_link_sign_ups_due", TABLE, ["email_status", "next_attempt_at"], unique=False)
    op.create_index(
        "ix_public_link_sign_ups_recipient", TABLE, ["template_id", "email", "created_at"], unique=False
    )
    op.create_index(op.f("ix_public_link_sign_ups_expires_at"), TABLE, ["expires_at"], unique=False)


def downgrade() -> None:
    # Sign-ups waiting for their confirmation are lost: their links stop working.
    op.drop_index(op.f("ix_public_link_sign_ups_expires_at"), table_name=TABLE)
    op.drop_index("ix_public_link_sign_ups_recipient", table_name=TABLE)
    op.drop_index("ix_public_link_sign_ups_due", table_name=TABLE)
    op.drop_table(TABLE)
    with op.batch_alter_table("templates", recreate="never") as batch_op:
        batch_op.drop_column("public_email_verification")
