"""Join-link and public-link tokens at rest: a SHA-256 digest to find them, an encrypted copy to show them.

A join link (`{base_url}/join/{token}`) and a template's public link (`{base_url}/public/{token}`) are
credentials: whoever holds the token joins that interview or signs up through that link. The database
therefore never holds a token in plain text, so a leaked copy of it (a backup, a disk image) opens
nothing:

- `sessions.join_token_hash` / `templates.public_token_hash`: the SHA-256 (hex) of the token, unique
  and indexed. Every lookup by token goes through it (`digest`). A plain hash, not a slow password
  hash, because the token carries 256 random bits: nothing can be guessed, and an unsalted digest keeps
  the lookup one indexed equality.
- `sessions.join_token_encrypted` / `templates.public_token_encrypted`: the token as a Fernet token
  under the engine's secrets key (engine.secret_box, the key that protects webhook secrets, rotated
  with it). Unlike an API key, which is shown once, these URLs must be shown again: `GET
  /v1/sessions/{id}` and the join-link endpoint return the join URL, every invitation and reminder email
  carries it, and a template shows its public URL for as long as the link exists.

The encrypted column's type (`SealedString`) does not decrypt when a row is read: it hands back a
`Sealed` value, and only `Sealed.reveal()` decrypts, called where a URL is rendered for an authorised
caller (engine.services.sessions.join_url, which the emails use too, and
engine.services.templates.to_model). Loading a session to run the interview or analyse it never touches
the key, and a wrong key breaks only the showing of links.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from engine.secret_box import SecretBox, box_of

__all__ = ["REDACTED", "Issued", "Sealed", "SealedString", "digest", "issue", "redact"]

# What stands in for a token in text kept as a record (the emails' stored bodies).
REDACTED = "[link-token-removed]"


def digest(token: str) -> str:
    """The lookup key of a token: its SHA-256, 64 hex characters."""
    return hashlib.sha256(token.encode()).hexdigest()


class Sealed:
    """A token as a row holds it. Read from the database it is the stored ciphertext and the box to open
    it with; made by `issue` it is the plain token, encrypted when the row is written."""

    __slots__ = ("_box", "_plain", "_stored")

    def __init__(
        self, *, plain: str | None = None, stored: str | None = None, box: SecretBox | None = None
    ) -> None:
        if (plain is None) == (stored is None or box is None):
            raise ValueError("a sealed token is either plain or stored with its box")
        self._plain, self._stored, self._box = plain, stored, box

    def reveal(self) -> str:
        """The token itself: only to render a URL for a caller allowed to see it."""
        if self._plain is not None:
            return self._plain
        # __init__ allows nothing else
        assert self._stored is not None
        assert self._box is not None
        return self._box.decrypt(self._stored)

    def stored(self, dialect: Dialect) -> str:
        """What the column holds: the ciphertext read, or the plain token encrypted now."""
        if self._stored is not None:
            return self._stored
        assert self._plain is not None
        return box_of(dialect).encrypt(self._plain)

    def __repr__(self) -> str:  # never the token, not even in a debugger or a log of the row
        return "Sealed(...)"


class SealedString(TypeDecorator[Sealed]):
    """A `Sealed` stored as its Fernet token (a 43-character token becomes 140 characters)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Sealed | None, dialect: Dialect) -> str | None:
        return None if value is None else value.stored(dialect)

    def process_result_value(self, value: Any, dialect: Dialect) -> Sealed | None:
        return None if value is None else Sealed(stored=str(value), box=box_of(dialect))


@dataclass(frozen=True, slots=True, repr=False)
class Issued:
    """A new token, with both columns' values."""

    token: str
    digest: str
    sealed: Sealed


def issue() -> Issued:
    """A new link token: 256 random bits, url-safe (43 characters)."""
    token = secrets.token_urlsafe(32)
    return Issued(token, digest(token), Sealed(plain=token))


def redact(text: str, token: str) -> str:
    """`text` with the token replaced, for copies kept only as a record."""
    return text.replace(token, REDACTED)
