"""engine nodes and live-interview owners

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 23:30:00.000000

Several engines on one PostgreSQL database (engine.live.node, engine.services.nodes): `engine_nodes`
holds each running engine (where the others reach it, its last heartbeat, whether it is draining);
`live_owners` which engine holds a session's live interview while it is live, so a join link that
reaches another engine is forwarded there, and one whose engine died is taken over. Both hold only
transient state: downgrading drops them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.tables

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TIME = engine.store.tables.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "engine_nodes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("heartbeat_at", TIME, nullable=False),
        sa.Column("draining", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engine_nodes")),
    )
    op.create_table(
        "live_owners",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("since", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_live_owners_session_id_sessions")
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_live_owners")),
    )
    op.create_index(op.f("ix_live_owners_node_id"), "live_owners", ["node_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_live_owners_node_id"), table_name="live_owners")
    op.drop_table("live_owners")
    op.drop_table("engine_nodes")
