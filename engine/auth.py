"""API keys and scopes. Keys are shown once and stored only as a SHA-256 hash of their secret part.

A key looks like `ie_<key id>_<secret>`: the id finds the row, the secret proves possession. The secret
carries 256 random bits, so a fast hash is enough: there is nothing to brute-force as with passwords.

A partner (integrator) key, `iep_<key id>_<secret>`, belongs to no company: it acts for one of the
companies granted to it, named per request (`?company_id=`), with its own scopes in each, and is then
that company's caller like any other (engine.services.partner_keys). Any other key naming a company
must name its own. A company that does not exist and one the key may not act for get the same 403.

A revoked key is refused at once; its row stays, so a list of keys keeps showing what existed and when it
was last used. `last_used_at` is kept to the minute (LAST_USED_RESOLUTION): `check_key` only says that a
use is due for recording, and the caller records it with `record_use`, in the request's transaction or,
for the API, in a short one of its own after it (engine.api.context), so no request holds the key's row.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from engine.clock import Clock
from engine.errors import Forbidden, Unauthorized, ValidationFailed
from engine.store.tables import ApiKeyRow, CompanyRow, PartnerGrantRow, PartnerKeyRow

__all__ = [
    "ACTIONS",
    "ALL_SCOPES",
    "PARTNER_KEY_PREFIX",
    "RESOURCES",
    "IssuedKey",
    "KeyCheck",
    "Principal",
    "authenticate",
    "check_key",
    "ensure_company",
    "for_company",
    "grantable",
    "hash_secret",
    "issue_api_key",
    "key_prefix",
    "new_key",
    "parse_api_key",
    "record_use",
    "validate_scopes",
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
    # Managing the company's API keys (engine/api/api_keys.py). Keys and recruiters that held every
    # other scope were granted these by migration 0007, so "all scopes" still means all of them.
    "api_keys",
)
ACTIONS = ("read", "write", "delete")
ALL_SCOPES: tuple[str, ...] = tuple(f"{a}:{r}" for r in RESOURCES for a in ACTIONS)
KEY_PREFIX = "ie"
PARTNER_KEY_PREFIX = "iep"
# Recording every use would turn each read into a write; a minute's precision is plenty for audits.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a company and what its key (or signed-in recruiter) may do."""

    company_id: str
    key_id: str
    scopes: frozenset[str]
    recruiter_id: str | None = None
    # A partner key acting, this request, for `company_id` (one of the companies granted to it).
    partner: bool = False

    @property
    def actor(self) -> str:
        """Who to record as having made a decision."""
        if self.recruiter_id:
            return f"recruiter:{self.recruiter_id}"
        return f"partner_key:{self.key_id}" if self.partner else f"api_key:{self.key_id}"

    @property
    def rate_key(self) -> str:
        """Whose budget a request spends: a partner key has one per company, so one busy customer of an
        integrator does not starve its others."""
        return f"{self.key_id}@{self.company_id}" if self.partner else self.key_id

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


def parse_api_key(raw: str, expected: str = KEY_PREFIX) -> tuple[str, str] | None:
    prefix, _, rest = raw.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != expected or len(key_id) != 16 or not secret or len(secret) > 128:
        return None
    if any(c not in "0123456789abcdef" for c in key_id):
        return None
    return key_id, secret


def key_prefix(key_id: str) -> str:
    """The start of a key, which is enough to recognise it and reveals nothing of its secret."""
    return f"{KEY_PREFIX}_{key_id}_"


def validate_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(scopes))
    unknown = [s for s in chosen if s not in ALL_SCOPES]
    if unknown:
        raise ValidationFailed.field("scopes", f"unknown scope(s) {', '.join(unknown)}")
    return chosen


def grantable(principal: Principal, requested: Iterable[str]) -> tuple[str, ...]:
    """Known scopes that the caller holds itself: a narrow key cannot mint a wider key or account."""
    chosen = validate_scopes(requested)
    beyond = sorted(s for s in chosen if s not in principal.scopes)
    if beyond:
        raise Forbidden(
            f"you cannot grant scope(s) you do not hold: {', '.join(beyond)}", {"missing_scopes": beyond}
        )
    return chosen


async def ensure_company(session: AsyncSession, name: str, clock: Clock) -> CompanyRow:
    company = (await session.scalars(select(CompanyRow).where(CompanyRow.name == name))).first()
    if company is None:
        company = CompanyRow(id=str(uuid.uuid4()), name=name, created_at=clock.now())
        session.add(company)
        await session.flush()
    return company


async def new_key(
    session: AsyncSession,
    company_id: str,
    clock: Clock,
    scopes: Iterable[str],
    name: str,
    created_by: str | None = None,
) -> tuple[ApiKeyRow, IssuedKey]:
    """A key of an existing company: its row, and the one copy of its secret."""
    chosen = validate_scopes(scopes)
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    row = ApiKeyRow(
        id=key_id,
        company_id=company_id,
        name=name,
        secret_hash=hash_secret(secret),
        scopes=list(chosen),
        created_at=clock.now(),
        created_by=created_by,
    )
    session.add(row)
    await session.flush()
    return row, IssuedKey(key_id, company_id, f"{key_prefix(key_id)}{secret}", chosen)


async def issue_api_key(
    session: AsyncSession,
    company_name: str,
    clock: Clock,
    scopes: Iterable[str] | None = None,
    name: str = "default",
    created_by: str | None = None,
) -> IssuedKey:
    """Create a key for the company (created if new). The returned secret is not recoverable later."""
    chosen = validate_scopes(ALL_SCOPES if scopes is None else scopes)
    company = await ensure_company(session, company_name, clock)
    _row, issued = await new_key(session, company.id, clock, chosen, name, created_by)
    return issued


@dataclass(frozen=True, slots=True)
class KeyCheck:
    principal: Principal
    use_due: bool  # last_used_at is older than LAST_USED_RESOLUTION: record this use (record_use)


def _no_access(company_id: str) -> Forbidden:
    # The same answer whether the company exists or not: a key learns nothing of companies beyond its own.
    return Forbidden(f"this credential cannot act for company {company_id!r}", {"company_id": company_id})


def for_company(principal: Principal, company_id: str | None) -> Principal:
    """A company's own caller naming a company (`?company_id=`): only its own, which changes nothing."""
    if company_id is not None and company_id != principal.company_id:
        raise _no_access(company_id)
    return principal


async def _partner(
    session: AsyncSession, key_id: str, secret: str, company_id: str | None, clock: Clock
) -> KeyCheck:
    row = await session.get(PartnerKeyRow, key_id)
    if row is None or row.revoked_at is not None:
        raise Unauthorized("invalid API key")
    if not hmac.compare_digest(row.secret_hash, hash_secret(secret)):
        raise Unauthorized("invalid API key")
    if company_id is None:
        message = "required with a partner key: the id of the company this request is for"
        raise ValidationFailed(
            f"company_id: {message}",
            {"fields": [{"path": "company_id", "message": message, "type": "missing", "in": "query"}]},
        )
    # Read on every request, never cached: revoking a grant takes effect at the next request. A NUL
    # (`%00`) names no company, and PostgreSQL would refuse it in a query: a 403, not a 500.
    if "\x00" in company_id or await session.get(PartnerGrantRow, (row.id, company_id)) is None:
        raise _no_access(company_id)
    due = row.last_used_at is None or clock.now() - row.last_used_at > LAST_USED_RESOLUTION
    principal = Principal(company_id=company_id, key_id=row.id, scopes=frozenset(row.scopes), partner=True)
    return KeyCheck(principal, due)


async def check_key(
    session: AsyncSession, authorization: str | None, clock: Clock, company_id: str | None = None
) -> KeyCheck:
    """The caller an Authorization header stands for, acting for `company_id` where the request names
    one (required with a partner key; a company key may name only its own); Unauthorized for anything
    but a live key. Reads only: recording the use is the caller's (`record_use`)."""
    if not authorization:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("malformed Authorization header: expected 'Bearer <key>'")
    partner = parse_api_key(token.strip(), PARTNER_KEY_PREFIX)
    if partner is not None:
        return await _partner(session, *partner, company_id, clock)
    parsed = parse_api_key(token.strip())
    if parsed is None:
        raise Unauthorized("invalid API key")
    key_id, secret = parsed
    row = await session.get(ApiKeyRow, key_id)
    if row is None or row.revoked_at is not None:
        raise Unauthorized("invalid API key")
    if not hmac.compare_digest(row.secret_hash, hash_secret(secret)):
        raise Unauthorized("invalid API key")
    due = row.last_used_at is None or clock.now() - row.last_used_at > LAST_USED_RESOLUTION
    principal = Principal(company_id=row.company_id, key_id=row.id, scopes=frozenset(row.scopes))
    return KeyCheck(for_company(principal, company_id), due)


async def record_use(session: AsyncSession, key_id: str, now: datetime, *, partner: bool = False) -> None:
    """Set last_used_at to `now` unless a use within LAST_USED_RESOLUTION is already recorded (by a
    concurrent request, say); never moves it back."""
    table: type[ApiKeyRow] | type[PartnerKeyRow] = PartnerKeyRow if partner else ApiKeyRow
    await session.execute(
        update(table)
        .where(
            table.id == key_id,
            or_(table.last_used_at.is_(None), table.last_used_at < now - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


async def authenticate(session: AsyncSession, authorization: str | None, clock: Clock) -> Principal:
    """`check_key` for a company's own key, recording a due use in the caller's transaction. A partner
    key is refused: it is no one company's, and a sign-in is (engine.api.signin)."""
    if authorization and parse_api_key(authorization.partition(" ")[2].strip(), PARTNER_KEY_PREFIX):
        raise Unauthorized("a partner key cannot sign in; use it with the API, naming `company_id`")
    check = await check_key(session, authorization, clock)
    if check.use_due:
        await record_use(session, check.principal.key_id, clock.now())
    return check.principal
