"""participants' phone numbers

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 10:00:00.000000

A nullable column: every participant stored before has no phone. Downgrading drops the numbers, since
the code of revision 0008 has nowhere to show them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # recreate="never": SQLite adds and drops a plain column in place (3.35+), so the table, with its
    # partial unique index, is never copied.
    with op.batch_alter_table("participants", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participants", recreate="never") as batch_op:
        batch_op.drop_column("phone")
