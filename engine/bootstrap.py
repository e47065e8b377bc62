"""Start-up chores outside a request: migrating, the first-run admin key, keys managed from the CLI."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from config.api_keys import ApiKey
from config.recruiters import RecruiterCreate
from config.settings import Settings
from engine.auth import ALL_SCOPES, IssuedKey, Principal, ensure_company, issue_api_key
from engine.clock import Clock
from engine.errors import NotFound
from engine.secret_box import settings_box
from engine.services import api_keys, recruiters
from engine.store.database import Database
from engine.store.tables import CompanyRow

__all__ = ["DEFAULT_COMPANY", "create_key", "create_recruiter", "first_run_key", "list_keys", "revoke_key"]

DEFAULT_COMPANY = "default"


async def first_run_key(settings: Settings, clock: Clock) -> IssuedKey | None:
    """On an empty store, make the default company and an all-scopes admin key; otherwise nothing."""
    database = Database(settings.resolved_database_url, settings_box(settings))
    try:
        await database.migrate()
        async with database.transaction() as session:
            if await session.scalar(select(func.count()).select_from(CompanyRow)):
                return None
            return await issue_api_key(
                session, DEFAULT_COMPANY, clock, name="admin (first run)", created_by="first-run"
            )
    finally:
        await database.dispose()


async def create_key(
    settings: Settings, company: str, scopes: Sequence[str] | None, clock: Clock, name: str = "cli"
) -> IssuedKey:
    database = Database(settings.resolved_database_url, settings_box(settings))
    try:
        await database.migrate()
        async with database.transaction() as session:
            return await issue_api_key(session, company, clock, scopes=scopes, name=name, created_by="cli")
    finally:
        await database.dispose()


async def _company(session: AsyncSession, name: str) -> CompanyRow:
    """An existing company by name; listing or revoking never creates one."""
    company = (await session.scalars(select(CompanyRow).where(CompanyRow.name == name))).first()
    if company is None:
        raise NotFound(f"no company named {name!r}")
    return company


async def list_keys(settings: Settings, company: str) -> list[ApiKey]:
    """Every key of the company, revoked ones included, newest first; never a secret."""
    database = Database(settings.resolved_database_url, settings_box(settings))
    try:
        await database.migrate()
        async with database.transaction() as session:
            owner = await _company(session, company)
            return [api_keys.to_model(row) for row in await api_keys.list_all(session, owner.id)]
    finally:
        await database.dispose()


async def revoke_key(settings: Settings, company: str, key_id: str, clock: Clock) -> ApiKey:
    """Revoke one of the company's keys (any of them: the operator is not a key); NotFound if it has none
    with that id. Revoking a revoked key changes nothing."""
    database = Database(settings.resolved_database_url, settings_box(settings))
    try:
        await database.migrate()
        async with database.transaction() as session:
            owner = await _company(session, company)
            operator = Principal(owner.id, "cli", frozenset(ALL_SCOPES))
            return api_keys.to_model(await api_keys.revoke(session, operator, key_id, clock))
    finally:
        await database.dispose()


async def create_recruiter(settings: Settings, company: str, body: RecruiterCreate, clock: Clock) -> str:
    """A recruiter account from the command line (the operator holds every scope); returns its id."""
    database = Database(settings.resolved_database_url, settings_box(settings))
    try:
        await database.migrate()
        async with database.transaction() as session:
            owner = await ensure_company(session, company, clock)
            operator = Principal(owner.id, "cli", frozenset(ALL_SCOPES))
            return (await recruiters.create(session, operator, body, clock)).id
    finally:
        await database.dispose()
