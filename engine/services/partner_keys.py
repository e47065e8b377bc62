"""Partner (integrator) keys: one key serving several companies, which an operator grants it one by one.

A partner key names the company of each request (`?company_id=`; engine.auth checks the grant on every
request) and then acts as a key of that company would, with the key's scopes: the same in every company
granted to it. An integrator who needs different rights per company gets a key per set of rights.

Only the operator (the command line: `interview-engine partner-key ...`) issues them and grants
companies: the API has no caller above a company to do it. Scopes that mint credentials of a company
(`write:api_keys`, `write:recruiters`) are never granted to a partner key: what it made would outlive
its grant, so revoking a grant would not end the partner's access.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.auth import ALL_SCOPES, PARTNER_KEY_PREFIX, hash_secret, validate_scopes
from engine.clock import Clock
from engine.errors import NotFound, ValidationFailed
from engine.store.tables import CompanyRow, PartnerGrantRow, PartnerKeyRow

__all__ = [
    "NOT_FOR_PARTNERS",
    "PARTNER_SCOPES",
    "IssuedPartnerKey",
    "PartnerKey",
    "grant",
    "issue",
    "list_all",
    "revoke",
    "revoke_grant",
]

NOT_FOR_PARTNERS = frozenset({"write:api_keys", "write:recruiters"})
PARTNER_SCOPES: tuple[str, ...] = tuple(s for s in ALL_SCOPES if s not in NOT_FOR_PARTNERS)


@dataclass(frozen=True, slots=True)
class IssuedPartnerKey:
    key_id: str
    secret_key: str  # the full key; shown once, never stored
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PartnerKey:
    """A partner key as the operator's list shows it: never its secret."""

    row: PartnerKeyRow
    companies: tuple[CompanyRow, ...]


def _scopes(requested: Iterable[str] | None) -> tuple[str, ...]:
    chosen = validate_scopes(PARTNER_SCOPES if requested is None else requested)
    refused = sorted(s for s in chosen if s in NOT_FOR_PARTNERS)
    if refused:
        raise ValidationFailed.field(
            "scopes", f"not for partner keys (they would outlive a revoked grant): {', '.join(refused)}"
        )
    return chosen


async def issue(
    db: AsyncSession, name: str, clock: Clock, scopes: Iterable[str] | None = None, created_by: str = "cli"
) -> IssuedPartnerKey:
    """A new partner key with no company yet (grant them with `grant`); the secret is not kept."""
    chosen = _scopes(scopes)
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    db.add(
        PartnerKeyRow(
            id=key_id,
            name=name,
            secret_hash=hash_secret(secret),
            scopes=list(chosen),
            created_at=clock.now(),
            created_by=created_by,
        )
    )
    await db.flush()
    return IssuedPartnerKey(key_id, f"{PARTNER_KEY_PREFIX}_{key_id}_{secret}", chosen)


async def _key(db: AsyncSession, key_id: str) -> PartnerKeyRow:
    row = await db.get(PartnerKeyRow, key_id)
    if row is None:
        raise NotFound(f"no partner key {key_id}", {"id": key_id})
    return row


async def grant(db: AsyncSession, key_id: str, company: CompanyRow, clock: Clock) -> bool:
    """Let the key act for `company`; False if it already could."""
    await _key(db, key_id)
    if await db.get(PartnerGrantRow, (key_id, company.id)) is not None:
        return False
    db.add(PartnerGrantRow(key_id=key_id, company_id=company.id, granted_at=clock.now()))
    await db.flush()
    return True


async def revoke_grant(db: AsyncSession, key_id: str, company: CompanyRow) -> bool:
    """Refuse the key for `company` from the next request on; False if it had no grant there."""
    await _key(db, key_id)
    result = await db.execute(
        delete(PartnerGrantRow)
        .where(PartnerGrantRow.key_id == key_id, PartnerGrantRow.company_id == company.id)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def revoke(db: AsyncSession, key_id: str, clock: Clock) -> PartnerKeyRow:
    """Refuse the key everywhere from now on; its row and grants stay, for the list. Idempotent."""
    row = await _key(db, key_id)
    if row.revoked_at is None:
        row.revoked_at = clock.now()
    return row


async def list_all(db: AsyncSession) -> Sequence[PartnerKey]:
    """Every partner key, revoked ones included, newest first, with the companies granted to each."""
    rows = (
        await db.scalars(select(PartnerKeyRow).order_by(PartnerKeyRow.created_at.desc(), PartnerKeyRow.id))
    ).all()
    grants = (
        await db.execute(
            select(PartnerGrantRow.key_id, CompanyRow)
            .join(CompanyRow, CompanyRow.id == PartnerGrantRow.company_id)
            .order_by(CompanyRow.name)
        )
    ).all()
    by_key: dict[str, list[CompanyRow]] = {}
    for key_id, company in grants:
        by_key.setdefault(key_id, []).append(company)
    return [PartnerKey(row, tuple(by_key.get(row.id, ()))) for row in rows]
