"""Phone interviews: one-time stream tokens and call attempt logs.

- `phone_stream_tokens`: what `GET /v1/sessions/{id}/phone-stream` issues: the SHA-256 of a one-time
  token (the token itself is only in the URL handed to the telephony provider), its expiry, and when a
  call's media stream spent it (engine.services.phone).
- `call_attempts`: each phone call to a session's interview (seed 003): the provider's call id, when its
  stream started and ended, the duration and the outcome (answered, no_answer, busy, failed, hung_up,
  completed).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.tables

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

TIME = engine.store.tables.UTCDateTime()
TOKENS = "phone_stream_tokens"
ATTEMPTS = "call_attempts"


def upgrade() -> None:
    op.create_table(
        TOKENS,
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.Column("used_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_phone_stream_tokens_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_phone_stream_tokens_session_id_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_stream_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_phone_stream_tokens_token_hash")),
    )
    op.create_index(op.f("ix_phone_stream_tokens_session_id"), TOKENS, ["session_id"], unique=False)
    op.create_index(op.f("ix_phone_stream_tokens_expires_at"), TOKENS, ["expires_at"], unique=False)
    op.create_table(
        ATTEMPTS,
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("ended_at", TIME, nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_call_attempts_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_call_attempts_session_id_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_attempts")),
    )
    op.create_index("ix_call_attempts_session_started", ATTEMPTS, ["session_id", "started_at"], unique=False)


def downgrade() -> None:
    # The call logs go with the tables; unused stream URLs stop working.
    op.drop_index("ix_call_attempts_session_started", table_name=ATTEMPTS)
    op.drop_table(ATTEMPTS)
    op.drop_index(op.f("ix_phone_stream_tokens_expires_at"), table_name=TOKENS)
    op.drop_index(op.f("ix_phone_stream_tokens_session_id"), table_name=TOKENS)
    op.drop_table(TOKENS)
