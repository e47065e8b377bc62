"""Recruiter accounts in the store, and checking a recruiter's password with a lock after repeated
failures. Password hashing runs in a worker thread: Argon2id is deliberately slow. Emails are unique
across companies (sign-in takes no company name), so an email held in another company cannot be used;
the 409 then says so without telling which company, or that an account exists there."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from config.recruiters import REVIEWER_SCOPES, Recruiter, RecruiterCreate, RecruiterUpdate
from config.settings import SignInSettings
from engine import browser_sessions
from engine.auth import Principal, grantable
from engine.clock import Clock
from engine.errors import Conflict
from engine.passwords import PasswordHasher, policy_problem
from engine.services.common import field_invalid, get_owned, new_id
from engine.store.pagination import Page, paginate
from engine.store.tables import RecruiterRow

__all__ = [
    "HASHER",
    "PasswordCheck",
    "check_password",
    "create",
    "delete",
    "get",
    "list_page",
    "to_model",
    "update",
]

LABEL = "recruiter"
HASHER = PasswordHasher()


def to_model(row: RecruiterRow) -> Recruiter:
    return Recruiter(
        id=row.id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        email=row.email,
        name=row.name,
        scopes=list(row.scopes),
        last_login_at=row.last_login_at,
        locked_until=row.locked_until,
    )


def _grantable(principal: Principal, requested: list[str] | None) -> list[str]:
    """A caller can hand out only what it holds, so a narrow key cannot mint a wider account."""
    return list(grantable(principal, REVIEWER_SCOPES if requested is None else requested))


async def _hash(password: str) -> str:
    problem = policy_problem(password)
    if problem:
        raise field_invalid("password", problem)
    return await asyncio.to_thread(HASHER.hash, password)


async def _email_holder(db: AsyncSession, email: str) -> str | None:
    """The company of the live account with this email, if any."""
    found: str | None = await db.scalar(
        select(RecruiterRow.company_id).where(RecruiterRow.email == email, RecruiterRow.deleted_at.is_(None))
    )
    return found


def _email_conflict(principal: Principal, email: str, holder: str | None) -> Conflict:
    if holder == principal.company_id:
        # The caller can list its own team: saying so plainly reveals nothing.
        return Conflict(f"a recruiter with email {email} already exists in your company", {"field": "email"})
    # Another company's (or unknown, after a race): neither the company nor the account is confirmed.
    return Conflict("this email cannot be used for a new account; use another address", {"field": "email"})


async def create(db: AsyncSession, principal: Principal, body: RecruiterCreate, clock: Clock) -> RecruiterRow:
    scopes = _grantable(principal, body.scopes)
    holder = await _email_holder(db, body.email)
    if holder is not None:
        raise _email_conflict(principal, body.email, holder)
    now = clock.now()
    row = RecruiterRow(
        id=new_id(),
        company_id=principal.company_id,
        email=body.email,
        name=body.name,
        password_hash=await _hash(body.password),
        scopes=scopes,
        failed_logins=0,
        created_at=now,
        updated_at=now,
    )
    db.add(row)
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError:
        # Two creates raced past the check above; the unique index decided. Not looked up again (the
        # failed row is still pending in this session): the generic answer fits either company.
        raise _email_conflict(principal, body.email, None) from None
    return row


async def get(db: AsyncSession, company_id: str, recruiter_id: str) -> RecruiterRow:
    return await get_owned(db, RecruiterRow, recruiter_id, company_id, LABEL)


async def list_page(db: AsyncSession, company_id: str, limit: int, cursor: str | None) -> Page[RecruiterRow]:
    stmt = select(RecruiterRow).where(
        RecruiterRow.company_id == company_id, RecruiterRow.deleted_at.is_(None)
    )
    return await paginate(db, stmt, RecruiterRow.created_at, RecruiterRow.id, limit, cursor)


async def update(
    db: AsyncSession, principal: Principal, recruiter_id: str, body: RecruiterUpdate, clock: Clock
) -> RecruiterRow:
    row = await get(db, principal.company_id, recruiter_id)
    now = clock.now()
    if body.name is not None:
        row.name = body.name
    if body.scopes is not None:
        row.scopes = _grantable(principal, body.scopes)
    if body.unlock:
        row.locked_until, row.failed_logins = None, 0
    if body.password is not None:
        row.password_hash = await _hash(body.password)
        row.locked_until, row.failed_logins = None, 0
        await browser_sessions.revoke_recruiter(db, row.id, clock)
    row.updated_at = now
    return row


async def delete(db: AsyncSession, principal: Principal, recruiter_id: str, clock: Clock) -> None:
    """Delete an account of the caller's company and end its sign-ins. A recruiter may not delete their
    own account (409): the sign-in would end mid-request, and a company could lose its last admin."""
    row = await get(db, principal.company_id, recruiter_id)
    if row.id == principal.recruiter_id:
        raise Conflict(
            "you cannot delete your own account; ask another admin, or delete it with an API key",
            {"id": recruiter_id},
        )
    row.deleted_at = row.updated_at = clock.now()
    await browser_sessions.revoke_recruiter(db, row.id, clock)


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    """The outcome of a sign-in attempt. The caller commits either way (a failure is counted) and only
    then refuses, so the count survives the refusal."""

    recruiter: RecruiterRow | None
    locked_for_s: int = 0


def _locked_for(row: RecruiterRow, now: datetime) -> int:
    if row.locked_until is None or row.locked_until <= now:
        return 0
    return max(1, int((row.locked_until - now).total_seconds() + 0.999))


async def check_password(
    db: AsyncSession, email: str, password: str, clock: Clock, settings: SignInSettings
) -> PasswordCheck:
    row = (
        await db.scalars(
            select(RecruiterRow).where(RecruiterRow.email == email, RecruiterRow.deleted_at.is_(None))
        )
    ).first()
    if row is None:
        # As slow as a real check, so timing does not tell which emails have accounts.
        await asyncio.to_thread(HASHER.burn, password)
        return PasswordCheck(None)
    now = clock.now()
    locked = _locked_for(row, now)
    if locked:
        return PasswordCheck(None, locked)
    if not await asyncio.to_thread(HASHER.verify, password, row.password_hash):
        row.failed_logins += 1
        if row.failed_logins >= settings.max_failures:
            row.locked_until = now + timedelta(seconds=settings.lockout_s)
            row.failed_logins = 0
            return PasswordCheck(None, _locked_for(row, now))
        return PasswordCheck(None)
    row.failed_logins, row.locked_until, row.last_login_at = 0, None, now
    # A legacy scrypt hash (or Argon2id at older costs) becomes a current Argon2id hash now that the
    # password is known; the caller commits it with the sign-in.
    if HASHER.needs_rehash(row.password_hash):
        row.password_hash = await asyncio.to_thread(HASHER.hash, password)
    return PasswordCheck(row)
