"""api key management: who made each key, and the api_keys scopes for holders of every other scope

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:00:00.000000

The `api_keys` resource (read:/write:/delete:api_keys) is new. A key or recruiter that held every scope
before it (a first-run admin key, a key made with the CLI's default "all scopes") is granted the new
ones, so it keeps holding every scope; narrower ones are left as they were.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
# Every scope as of revision 0006, frozen here: the code's ALL_SCOPES moves on, this migration must not.
RESOURCES_0006 = (
    "agent_profiles",
    "templates",
    "stages",
    "participants",
    "sessions",
    "events",
    "webhooks",
    "recruiters",
)
ACTIONS = ("read", "write", "delete")
SCOPES_0006 = frozenset(f"{a}:{r}" for r in RESOURCES_0006 for a in ACTIONS)
NEW_SCOPES = tuple(f"{a}:api_keys" for a in ACTIONS)
HOLDERS = ("api_keys", "recruiters")


def _rewrite_scopes(table_name: str, change: Callable[[list[str]], list[str]]) -> None:
    table = sa.table(table_name, sa.column("id", sa.String()), sa.column("scopes", JSON))
    bind = op.get_bind()
    for row_id, scopes in bind.execute(sa.select(table.c.id, table.c.scopes)).all():
        changed = change(list(scopes or []))
        if changed != scopes:
            bind.execute(sa.update(table).where(table.c.id == row_id).values(scopes=changed))


def _grant(scopes: list[str]) -> list[str]:
    if not set(scopes) >= SCOPES_0006:
        return scopes
    return [*scopes, *(s for s in NEW_SCOPES if s not in scopes)]


def _withdraw(scopes: list[str]) -> list[str]:
    return [s for s in scopes if s not in NEW_SCOPES]


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by", sa.String(length=64), nullable=True))
    for table_name in HOLDERS:
        _rewrite_scopes(table_name, _grant)


def downgrade() -> None:
    for table_name in HOLDERS:
        _rewrite_scopes(table_name, _withdraw)
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("created_by")
