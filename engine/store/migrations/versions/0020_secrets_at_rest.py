"""Webhook signing secrets, and stored idempotent responses, encrypted at rest.

Every `webhook_endpoints.secret` and `previous_secret` still in plain text (they start with `whsec_`)
is replaced by its Fernet token under the engine's secrets key (engine/secret_box.py: IE_SECRETS__KEY,
or the install's generated key file); so is every stored `idempotency_keys.body` (a replayed response
can hold a new webhook secret or a participant's details). The column types stay as they are: a token of
a 50-character secret is 164 characters, within VARCHAR(200). Downgrade decrypts them back.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 05:40:00.000000
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from engine.secret_box import SecretBox, SecretKeyError, box_of
from engine.webhooks.signing import SECRET_PREFIX

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_SECRETS = ("secret", "previous_secret")


def _convert(table: str, columns: tuple[str, ...], change: Callable[[Any], Any]) -> None:
    """Rewrites each non-null value `change` returns a new value for (None: leave it)."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, {', '.join(columns)} FROM {table}")).all()  # noqa: S608 - fixed names
    for row in rows:
        values = {c: v for c, v in zip(columns, row[1:], strict=True) if v is not None}
        updated = {c: new for c, v in values.items() if (new := change(v)) is not None}
        if updated:
            assignments = ", ".join(f"{c} = :{c}" for c in updated)
            bind.execute(
                sa.text(f"UPDATE {table} SET {assignments} WHERE id = :id"),  # noqa: S608 - fixed names
                {**updated, "id": row[0]},
            )


def _is_token(box: SecretBox, value: Any) -> bool:
    try:
        box.decrypt_bytes(bytes(value))
    except SecretKeyError:  # not a token: a body stored in plain
        return False
    return True


def upgrade() -> None:
    box = box_of(op.get_bind().dialect)
    # Only plain values: a token never starts with the secret prefix, so a rerun changes nothing.
    _convert("webhook_endpoints", _SECRETS, lambda v: box.encrypt(v) if v.startswith(SECRET_PREFIX) else None)
    _convert(
        "idempotency_keys", ("body",), lambda v: None if _is_token(box, v) else box.encrypt_bytes(bytes(v))
    )


def downgrade() -> None:
    box = box_of(op.get_bind().dialect)
    _convert("webhook_endpoints", _SECRETS, lambda v: None if v.startswith(SECRET_PREFIX) else box.decrypt(v))
    _convert(
        "idempotency_keys", ("body",), lambda v: box.decrypt_bytes(bytes(v)) if _is_token(box, v) else None
    )
