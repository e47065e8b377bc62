"""recordings uploaded to the object store

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:00:00.000000

`object_key` and `uploaded_at` are set once a finished recording is confirmed in the S3-compatible
bucket (IE_OBJECT_STORE__*). Nullable: a recording stored before, or on an engine without a bucket,
has none, and one left "ready" without them is an upload still to do. `local_deleted_at`: when the
local copy was deleted after the upload (IE_OBJECT_STORE__DELETE_LOCAL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.tables

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TIME = engine.store.tables.UTCDateTime()


def upgrade() -> None:
    # recreate="never": SQLite adds and drops plain columns in place (3.35+): no table copy.
    with op.batch_alter_table("recordings", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("object_key", sa.String(length=600), nullable=True))
        batch_op.add_column(sa.Column("uploaded_at", TIME, nullable=True))
        batch_op.add_column(sa.Column("local_deleted_at", TIME, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recordings", recreate="never") as batch_op:
        batch_op.drop_column("local_deleted_at")
        batch_op.drop_column("uploaded_at")
        batch_op.drop_column("object_key")
