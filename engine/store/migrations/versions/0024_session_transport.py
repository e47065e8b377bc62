"""How each interview was held: `sessions.transport` (webrtc, websocket or phone; config.enums.Transport),
written when a live connection starts the interview, so a recruiter and an integrator can tell a phone
interview from one on the join page (and one held over the page's backup connection).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: sessions held before this revision, and those not started yet, have none. recreate="never":
    # SQLite adds (and drops, 3.35+) a plain column in place, without copying the table.
    with op.batch_alter_table("sessions", recreate="never") as batch:
        batch.add_column(sa.Column("transport", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions", recreate="never") as batch:
        batch.drop_column("transport")
