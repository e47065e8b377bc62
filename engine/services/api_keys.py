"""A company's API keys: list, create (the secret leaves once), revoke.

Another company's key answers as an unknown one (404), unlike other resources (403): a key id is part of
a credential, and the API does not confirm that it exists elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.api_keys import ApiKey, ApiKeyCreate, ApiKeyWithSecret
from engine.auth import Principal, grantable, key_prefix, new_key
from engine.clock import Clock
from engine.errors import Conflict, NotFound
from engine.store.pagination import Page, paginate
from engine.store.tables import ApiKeyRow

__all__ = ["create", "get", "list_all", "list_page", "revoke", "to_model"]


def to_model(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        name=row.name,
        prefix=key_prefix(row.id),
        scopes=list(row.scopes),
        created_at=row.created_at,
        created_by=row.created_by,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


async def list_page(db: AsyncSession, company_id: str, limit: int, cursor: str | None) -> Page[ApiKeyRow]:
    stmt = select(ApiKeyRow).where(ApiKeyRow.company_id == company_id)
    return await paginate(db, stmt, ApiKeyRow.created_at, ApiKeyRow.id, limit, cursor)


async def list_all(db: AsyncSession, company_id: str) -> Sequence[ApiKeyRow]:
    """Every key of the company, newest first (the CLI's list)."""
    stmt = (
        select(ApiKeyRow)
        .where(ApiKeyRow.company_id == company_id)
        .order_by(ApiKeyRow.created_at.desc(), ApiKeyRow.id.desc())
    )
    return (await db.scalars(stmt)).all()


async def get(db: AsyncSession, company_id: str, key_id: str) -> ApiKeyRow:
    row = (
        await db.scalars(select(ApiKeyRow).where(ApiKeyRow.id == key_id, ApiKeyRow.company_id == company_id))
    ).first()
    if row is None:
        raise NotFound(f"API key {key_id} not found", {"id": key_id})
    return row


async def create(
    db: AsyncSession, principal: Principal, body: ApiKeyCreate, clock: Clock
) -> ApiKeyWithSecret:
    scopes = grantable(principal, body.scopes)
    row, issued = await new_key(db, principal.company_id, clock, scopes, body.name, principal.actor)
    return ApiKeyWithSecret(**to_model(row).model_dump(), key=issued.secret_key)


async def revoke(db: AsyncSession, principal: Principal, key_id: str, clock: Clock) -> ApiKeyRow:
    """Revoke a key of the caller's company; revoking a revoked key changes nothing. A key may not revoke
    itself (409): the caller would lose access mid-request, and a company could lock itself out."""
    row = await get(db, principal.company_id, key_id)
    if row.id == principal.key_id:
        raise Conflict(
            "an API key cannot revoke itself; revoke it with another key, a recruiter's sign-in, or "
            "`interview-engine api-key revoke`",
            {"id": key_id},
        )
    if row.revoked_at is None:
        row.revoked_at = clock.now()
    return row
