"""leases on analyses and webhook deliveries

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 10:00:00.000000

Separate `interview-engine worker` processes share these queues: a claimed job records who holds it
(`claimed_by`), the claim's token (`claim_token`, checked when the job is marked done) and until when
(`claimed_until`, renewed while the worker works; once past, another worker may claim the job again).
Nullable columns: a row stored before has no claim. Downgrading drops them (leases are transient).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.tables

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("analyses", "webhook_deliveries")
TIME = engine.store.tables.UTCDateTime()


def upgrade() -> None:
    for table in TABLES:
        # recreate="never": SQLite adds and drops plain columns in place (3.35+): no table copy.
        with op.batch_alter_table(table, recreate="never") as batch_op:
            batch_op.add_column(sa.Column("claimed_by", sa.String(length=128), nullable=True))
            batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
            batch_op.add_column(sa.Column("claimed_until", TIME, nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, recreate="never") as batch_op:
            batch_op.drop_column("claimed_until")
            batch_op.drop_column("claim_token")
            batch_op.drop_column("claimed_by")
