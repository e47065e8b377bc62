"""API keys and scopes. Keys are shown once and stored only as a SHA-256 hash of their secret part.

A key looks like `ie_<key id>_<secret>`: the id finds the row, the secret proves possession. The secret
carries 256 random bits, so a fast hash is enough: there is nothing to brute-force as with passwords.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.clock import Clock
from engine.errors import Forbidden, Unauthorized, ValidationFailed
from engine.store.tables import ApiKeyRow, CompanyRow

__all__ = [
    "ALL_SCOPES",
    "RESOURCES",
    "IssuedKey",
    "Principal",
    "authenticate",
    "ensure_company",
    "hash_secret",
    "issue_api_key",
    "parse_api_key",
]

RESOURCES = (
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
ALL_SCOPES: tuple[str, ...] = tuple(f"{a}:{r}" for r in RESOURCES for a in ACTIONS)
KEY_PREFIX = "ie"
# Recording every use would turn each read into a write; a minute's precision is plenty for audits.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a company and what its key (or signed-in recruiter) may do."""

    company_id: str
    key_id: str
    scopes: frozenset[str]
    recruiter_id: str | None = None

    @property
    def actor(self) -> str:
        """Who to record as having made a decision."""
        return f"recruiter:{self.recruiter_id}" if self.recruiter_id else f"api_key:{self.key_id}"

    def require(self, *scopes: str) -> None:
        missing = sorted(s for s in scopes if s not in self.scopes)
        if missing:
            who = "this recruiter" if self.recruiter_id else "this API key"
            raise Forbidden(f"{who} lacks the scope(s): {', '.join(missing)}", {"missing_scopes": missing})


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: str
    company_id: str
    secret_key: str  # the full key; shown once, never stored
    scopes: tuple[str, ...]


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_api_key(raw: str) -> tuple[str, str] | None:
    prefix, _, rest = raw.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != KEY_PREFIX or len(key_id) != 16 or not secret or len(secret) > 128:
        return None
    if any(c not in "0123456789abcdef" for c in key_id):
        return None
    return key_id, secret


def validate_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(scopes))
    unknown = [s for s in chosen if s not in ALL_SCOPES]
    if unknown:
        raise ValidationFailed.field("scopes", f"unknown scope(s) {', '.join(unknown)}")
    return chosen


async def ensure_company(session: AsyncSession, name: str, clock: Clock) -> CompanyRow:
    company = (await session.scalars(select(CompanyRow).where(CompanyRow.name == name))).first()
    if company is None:
        company = CompanyRow(id=str(uuid.uuid4()), name=name, created_at=clock.now())
        session.add(company)
        await session.flush()
    return company


async def issue_api_key(
    session: AsyncSession,
    company_name: str,
    clock: Clock,
    scopes: Iterable[str] | None = None,
    name: str = "default",
) -> IssuedKey:
    """Create a key for the company (created if new). The returned secret is not recoverable later."""
    chosen = validate_scopes(ALL_SCOPES if scopes is None else scopes)
    company = await ensure_company(session, company_name, clock)
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiKeyRow(
            id=key_id,
            company_id=company.id,
            name=name,
            secret_hash=hash_secret(secret),
            scopes=list(chosen),
            created_at=clock.now(),
        )
    )
    await session.flush()
    return IssuedKey(key_id, company.id, f"{KEY_PREFIX}_{key_id}_{secret}", chosen)


async def authenticate(session: AsyncSession, authorization: str | None, clock: Clock) -> Principal:
    if not authorization:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("malformed Authorization header: expected 'Bearer <key>'")
    parsed = parse_api_key(token.strip())
    if parsed is None:
        raise Unauthorized("invalid API key")
    key_id, secret = parsed
    row = await session.get(ApiKeyRow, key_id)
    if row is None or row.revoked_at is not None:
        raise Unauthorized("invalid API key")
    if not hmac.compare_digest(row.secret_hash, hash_secret(secret)):
        raise Unauthorized("invalid API key")
    now = clock.now()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
    return Principal(company_id=row.company_id, key_id=row.id, scopes=frozenset(row.scopes))
