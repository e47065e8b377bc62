"""retention and erasure

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 05:40:00.000000

- `companies.retention_days`: participants inactive this long are erased by the retention job
  (engine.services.retention); null (every existing company) keeps them until their own
  gdpr_expiry_date, or forever.
- `participants.erased_at`: when the participant's personal data was erased (engine.services.erasure).
- `erasure_files`: files of erased participants still to delete (recordings on disk and in the object
  store, resume files), so a crash between the erasure's commit and the deletions loses nothing.

Downgrading drops the columns and the table: erased participants stay scrubbed (their rows are
soft-deleted), and files still listed in `erasure_files` are then no longer deleted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.tables

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TIME = engine.store.tables.UTCDateTime()


def upgrade() -> None:
    # recreate="never": SQLite adds and drops a plain column in place (3.35+), so neither table (nor
    # the participants' partial unique index) is copied.
    with op.batch_alter_table("companies", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("participants", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("erased_at", TIME, nullable=True))
    op.create_table(
        "erasure_files",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("participant_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=600), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("keep_until", TIME, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_erasure_files_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participants.id"], name=op.f("fk_erasure_files_participant_id_participants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_files")),
    )
    op.create_index(
        op.f("ix_erasure_files_participant_id"), "erasure_files", ["participant_id"], unique=False
    )
    op.create_index(op.f("ix_erasure_files_keep_until"), "erasure_files", ["keep_until"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_erasure_files_keep_until"), table_name="erasure_files")
    op.drop_index(op.f("ix_erasure_files_participant_id"), table_name="erasure_files")
    op.drop_table("erasure_files")
    with op.batch_alter_table("participants", recreate="never") as batch_op:
        batch_op.drop_column("erased_at")
    with op.batch_alter_table("companies", recreate="never") as batch_op:
        batch_op.drop_column("retention_days")
