"""partner keys

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 05:40:00.000000

`partner_keys`: integrators' keys (`iep_<id>_<secret>`), which belong to no company; like `api_keys`,
only a hash of the secret is kept. `partner_key_companies`: the companies each may act for, naming one
per request with `?company_id=` (engine.auth, engine.services.partner_keys).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import engine.store.tables

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

TIME = engine.store.tables.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "partner_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "scopes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("last_used_at", TIME, nullable=True),
        sa.Column("revoked_at", TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_keys")),
    )
    op.create_table(
        "partner_key_companies",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("granted_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"], ["partner_keys.id"], name=op.f("fk_partner_key_companies_key_id_partner_keys")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_partner_key_companies_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("key_id", "company_id", name=op.f("pk_partner_key_companies")),
    )
    op.create_index(
        op.f("ix_partner_key_companies_company_id"), "partner_key_companies", ["company_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_partner_key_companies_company_id"), table_name="partner_key_companies")
    op.drop_table("partner_key_companies")
    op.drop_table("partner_keys")
