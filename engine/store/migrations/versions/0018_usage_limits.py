"""usage limits

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 05:40:00.000000

- `companies.monthly_interview_minutes_limit`: the interview minutes a company may use per calendar
  month (UTC) before new sessions are refused (engine.services.usage); null (every existing company)
  means no limit, so upgrading changes nothing for anyone.
- `ix_sessions_company_started`: a month's minutes are summed from the sessions that started in it, at
  every booking while a limit is set.

Usage itself needs no table: it is summed from the sessions' start and end times.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # recreate="never": SQLite adds and drops a plain column in place (3.35+), without copying the table.
    with op.batch_alter_table("companies", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("monthly_interview_minutes_limit", sa.Integer(), nullable=True))
    op.create_index("ix_sessions_company_started", "sessions", ["company_id", "started_at"], unique=False)


def downgrade() -> None:
    # The limits set are lost; sessions and their times (what usage is summed from) stay.
    op.drop_index("ix_sessions_company_started", table_name="sessions")
    with op.batch_alter_table("companies", recreate="never") as batch_op:
        batch_op.drop_column("monthly_interview_minutes_limit")
