"""An analysis that waits for its recording: `analyses.not_before` (a worker that cannot read the
recording yet hands the analysis back until then) and `recordings.wanted_at` (when a worker first asked
for a recording it could not read: the engine that has the file transcodes and uploads it without the
usual wait, engine.storage.transcodes).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 23:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.tables

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

TIME = engine.store.tables.UTCDateTime()


def upgrade() -> None:
    # Nullable plain columns: SQLite adds them in place (recreate="never"), without copying the tables.
    with op.batch_alter_table("analyses", recreate="never") as batch:
        batch.add_column(sa.Column("not_before", TIME, nullable=True))
    with op.batch_alter_table("recordings", recreate="never") as batch:
        batch.add_column(sa.Column("wanted_at", TIME, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recordings", recreate="never") as batch:
        batch.drop_column("wanted_at")
    with op.batch_alter_table("analyses", recreate="never") as batch:
        batch.drop_column("not_before")
