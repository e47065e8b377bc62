"""Start-up chores outside a request: migrating, the first-run admin key, keys made from the CLI."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from config.recruiters import RecruiterCreate
from config.settings import Settings
from engine.auth import ALL_SCOPES, IssuedKey, Principal, ensure_company, issue_api_key
from engine.clock import Clock
from engine.services import recruiters
from engine.store.database import Database
from engine.store.tables import CompanyRow

__all__ = ["DEFAULT_COMPANY", "create_key", "create_recruiter", "first_run_key"]

DEFAULT_COMPANY = "default"


async def first_run_key(settings: Settings, clock: Clock) -> IssuedKey | None:
    """On an empty store, make the default company and an all-scopes admin key; otherwise nothing."""
    database = Database(settings.resolved_database_url)
    try:
        await database.migrate()
        async with database.transaction() as session:
            if await session.scalar(select(func.count()).select_from(CompanyRow)):
                return None
            return await issue_api_key(session, DEFAULT_COMPANY, clock, name="admin (first run)")
    finally:
        await database.dispose()


async def create_key(
    settings: Settings, company: str, scopes: Sequence[str] | None, clock: Clock, name: str = "cli"
) -> IssuedKey:
    database = Database(settings.resolved_database_url)
    try:
        await database.migrate()
        async with database.transaction() as session:
            return await issue_api_key(session, company, clock, scopes=scopes, name=name)
    finally:
        await database.dispose()


async def create_recruiter(settings: Settings, company: str, body: RecruiterCreate, clock: Clock) -> str:
    """A recruiter account from the command line (the operator holds every scope); returns its id."""
    database = Database(settings.resolved_database_url)
    try:
        await database.migrate()
        async with database.transaction() as session:
            owner = await ensure_company(session, company, clock)
            operator = Principal(owner.id, "cli", frozenset(ALL_SCOPES))
            return (await recruiters.create(session, operator, body, clock)).id
    finally:
        await database.dispose()
