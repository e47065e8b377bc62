"""audit events

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 05:40:00.000000

`audit_events`: who (an API key or a signed-in recruiter) viewed a recording or scorecard, decided a
stage result, or changed a profile, template, stage, key, recruiter or webhook endpoint, and when
(engine.services.audit). Append-only: triggers on both backends refuse UPDATE and DELETE, so not even
a bug in the engine (or a hand-run statement through its role) can rewrite the trail.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import engine.store.tables

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TIME = engine.store.tables.UTCDateTime()
REFUSAL = "audit events are append-only"

PG_FUNCTION = f"""
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{REFUSAL}';
END;
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("actor_label", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_audit_events_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_company_at", "audit_events", ["company_id", "at", "id"], unique=False)
    op.create_index(
        "ix_audit_events_company_target", "audit_events", ["company_id", "target_id", "at"], unique=False
    )
    if op.get_context().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )


def downgrade() -> None:
    # Dropping the table drops its triggers on both backends; PostgreSQL's function stands alone.
    op.drop_index("ix_audit_events_company_target", table_name="audit_events")
    op.drop_index("ix_audit_events_company_at", table_name="audit_events")
    op.drop_table("audit_events")
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_events_append_only()")
