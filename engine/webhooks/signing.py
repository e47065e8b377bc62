"""Standard Webhooks signatures (https://www.standardwebhooks.com/): what a receiver verifies.

A secret is `whsec_` followed by base64 of at least 24 random bytes (32 here). Each delivery carries
`webhook-id` (the event id: the same on every retry, so a receiver can drop duplicates),
`webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`: space-separated
`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}" keyed with the secret's bytes>`, one per secret
in use (two for a while after a rotation, so receivers can switch over without losing events).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

__all__ = ["SECRET_PREFIX", "headers", "new_secret", "sign"]

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(secrets_in_use: Sequence[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt, signed with every secret in use."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, message_id, timestamp, body) for s in secrets_in_use),
    }
