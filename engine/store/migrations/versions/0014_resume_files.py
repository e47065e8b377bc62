"""resume files kept with participants

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 23:00:00.000000

`resume_files`: a resume uploaded with POST /v1/resumes/parse, kept for 24 hours unclaimed
(`expires_at`) and for the life of the participant created from it (`participant_id`, one file each).
The bytes live on local disk or in the object store (`storage`, `key`), never in the database.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.tables

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TIME = engine.store.tables.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "resume_files",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("participant_id", sa.String(length=36), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=600), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=True),
        sa.Column("claimed_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_resume_files_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participants.id"], name=op.f("fk_resume_files_participant_id_participants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resume_files")),
    )
    op.create_index("uq_resume_files_participant", "resume_files", ["participant_id"], unique=True)
    op.create_index("ix_resume_files_expires", "resume_files", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_resume_files_expires", table_name="resume_files")
    op.drop_index("uq_resume_files_participant", table_name="resume_files")
    op.drop_table("resume_files")
