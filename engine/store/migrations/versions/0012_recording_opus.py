"""recordings transcoded to Opus

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 23:45:00.000000

Finished recordings are transcoded from WAV to Ogg Opus (engine.storage.transcodes, IE_RECORDINGS__OPUS).
`transcoded_at`: when `path` and `content_type` switched to the Opus file; `source_path`: the WAV still
to delete (cleared once deleted); `transcode_token`/`transcode_until`: the lease of the engine doing it
(a crashed one's lease runs out and the job is done again); `transcode_attempts`, and `transcode_error`
when the WAV cannot be transcoded (it then stays the recording); an index for the pass's look-up of
WAVs still due. Existing rows stay WAV until the pass
takes them (only those not uploaded yet).

Numbered 0012 but applied after 0013: the numbers were handed out before the revisions landed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.tables

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TIME = engine.store.tables.UTCDateTime()


def upgrade() -> None:
    # recreate="never": SQLite adds and drops plain columns in place (3.35+): no table copy.
    with op.batch_alter_table("recordings", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("transcoded_at", TIME, nullable=True))
        batch_op.add_column(sa.Column("source_path", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column("transcode_attempts", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(sa.Column("transcode_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("transcode_until", TIME, nullable=True))
        batch_op.add_column(sa.Column("transcode_error", sa.Text(), nullable=True))
        batch_op.create_index("ix_recordings_content_type_status", ["content_type", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("recordings", recreate="never") as batch_op:
        batch_op.drop_index("ix_recordings_content_type_status")
        batch_op.drop_column("transcode_error")
        batch_op.drop_column("transcode_until")
        batch_op.drop_column("transcode_token")
        batch_op.drop_column("transcode_attempts")
        batch_op.drop_column("source_path")
        batch_op.drop_column("transcoded_at")
