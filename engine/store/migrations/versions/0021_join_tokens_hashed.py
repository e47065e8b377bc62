"""Join-link and public-link tokens stored as hashes (lookup) and encrypted copies.

`sessions.join_token` and `templates.public_token` held the link tokens in plain text: a leaked database
let anyone join an interview or sign up through a public link. Each becomes `<name>_hash`, the SHA-256
(hex, 64 characters) of the token, which every lookup by token uses, and gains `<name>_encrypted`, the
token as a Fernet token under the engine's secrets key (engine/secret_box.py, as in 0020), because the
URLs must be shown again: the session's join URL, the invitation emails, a template's public URL
(engine/link_tokens.py).

The plain columns are renamed rather than dropped and re-added: SQLite cannot drop a column with a
UNIQUE constraint in place, and copying `sessions` (which many tables reference) is not possible with
foreign keys enforced inside the migration's transaction. So the unique constraints keep their names
(`uq_sessions_join_token`, `uq_templates_public_token`) and now hold the hashes. The new encrypted
columns are nullable for the same reason (SQLite adds a NOT NULL column in place only with a default).

Downgrade decrypts each token back into the renamed column and drops the encrypted copies. A session
without an encrypted copy (none is written that way) gets a fresh random token: its old link cannot be
recovered.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 10:30:00.000000
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import sqlalchemy as sa
from alembic import op

from engine.secret_box import SecretBox, box_of

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# (table, plain column, hash column, encrypted column)
LINKS = (
    ("sessions", "join_token", "join_token_hash", "join_token_encrypted"),
    ("templates", "public_token", "public_token_hash", "public_token_encrypted"),
)
# Rows converted per executemany (large installs have many sessions).
PAGE = 500


def _sha256(token: str) -> str:
    # Inlined, not imported from engine.link_tokens: a migration must keep doing what it did.
    return hashlib.sha256(token.encode()).hexdigest()


def _rewrite(table: str, updates: list[dict[str, Any]], assignments: str) -> None:
    bind = op.get_bind()
    statement = sa.text(f"UPDATE {table} SET {assignments} WHERE id = :row_id")  # noqa: S608 - fixed names
    for start in range(0, len(updates), PAGE):
        bind.execute(statement, updates[start : start + PAGE])


def _hash_and_encrypt(box: SecretBox, table: str, hashed: str, encrypted: str) -> None:
    # Before this runs, `hashed` holds the plain token (renamed). Rows with an encrypted copy are done.
    rows = op.get_bind().execute(
        sa.text(f"SELECT id, {hashed} FROM {table} WHERE {hashed} IS NOT NULL AND {encrypted} IS NULL")  # noqa: S608 - fixed names
    )
    updates = [
        {"row_id": row_id, "digest": _sha256(str(token)), "sealed": box.encrypt(str(token))}
        for row_id, token in rows.all()
    ]
    _rewrite(table, updates, f"{hashed} = :digest, {encrypted} = :sealed")


def _decrypt(box: SecretBox, table: str, hashed: str, encrypted: str) -> None:
    rows = op.get_bind().execute(
        sa.text(f"SELECT id, {encrypted} FROM {table} WHERE {hashed} IS NOT NULL")  # noqa: S608 - fixed names
    )
    updates = [
        {"row_id": row_id, "plain": secrets.token_urlsafe(32) if sealed is None else box.decrypt(str(sealed))}
        for row_id, sealed in rows.all()
    ]
    _rewrite(table, updates, f"{hashed} = :plain")


def upgrade() -> None:
    box = box_of(op.get_bind().dialect)
    for table, plain, hashed, encrypted in LINKS:
        # recreate="never": SQLite renames and adds a column in place (3.25+), without copying the table.
        with op.batch_alter_table(table, recreate="never") as batch_op:
            batch_op.alter_column(plain, new_column_name=hashed, existing_type=sa.String(length=64))
            batch_op.add_column(sa.Column(encrypted, sa.String(length=200), nullable=True))
        _hash_and_encrypt(box, table, hashed, encrypted)


def downgrade() -> None:
    box = box_of(op.get_bind().dialect)
    for table, plain, hashed, encrypted in reversed(LINKS):
        _decrypt(box, table, hashed, encrypted)
        # An unconstrained column: SQLite drops it in place (3.35+).
        with op.batch_alter_table(table, recreate="never") as batch_op:
            batch_op.drop_column(encrypted)
            batch_op.alter_column(hashed, new_column_name=plain, existing_type=sa.String(length=64))
