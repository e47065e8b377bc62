"""`sessions.stage_outcome`: the stage result's outcome as an indexed column, so the results that wait for
a person (`awaiting_approval`) can be listed without reading every session's JSON; filled in from the
stored results.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 22:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable plain column: SQLite adds it in place (recreate="never"), without copying the table.
    with op.batch_alter_table("sessions", recreate="never") as batch:
        batch.add_column(sa.Column("stage_outcome", sa.String(24), nullable=True))
    # The stored results' outcomes, in each dialect's JSON syntax (stage_result is JSONB on PostgreSQL).
    outcome = (
        "stage_result->>'outcome'"
        if op.get_bind().dialect.name == "postgresql"
        else "json_extract(stage_result, '$.outcome')"
    )
    op.execute(f"UPDATE sessions SET stage_outcome = {outcome} WHERE stage_result IS NOT NULL")  # noqa: S608
    op.create_index("ix_sessions_company_stage_outcome", "sessions", ["company_id", "stage_outcome"])


def downgrade() -> None:
    op.drop_index("ix_sessions_company_stage_outcome", table_name="sessions")
    with op.batch_alter_table("sessions", recreate="never") as batch:
        batch.drop_column("stage_outcome")
