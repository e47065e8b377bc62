"""Per-request context: one database transaction (committed before the response is sent) and the
authenticated caller."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Header, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import Settings
from engine import browser_sessions
from engine.analysis.worker import AnalysisWorker
from engine.api.rate_limits import RateLimiter
from engine.auth import KeyCheck, Principal, check_key, for_company, record_use
from engine.clock import Clock
from engine.live.registry import LiveSessions
from engine.notifications.worker import EmailWorker
from engine.store.database import Database
from engine.webhooks.dispatcher import WebhookDispatcher

__all__ = ["Ctx", "ListResponse", "RequestCtx", "Services"]

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    """What `create_app` builds once and every request shares."""

    settings: Settings
    database: Database
    clock: Clock
    live: LiveSessions
    analysis: AnalysisWorker
    webhooks: WebhookDispatcher
    emails: EmailWorker
    rates: RateLimiter


@dataclass(frozen=True, slots=True)
class RequestCtx:
    db: AsyncSession
    principal: Principal
    clock: Clock
    settings: Settings

    @property
    def company_id(self) -> str:
        return self.principal.company_id

    def limit(self, requested: int | None) -> int:
        return min(requested or self.settings.default_page_size, self.settings.max_page_size)


async def _principal(
    request: Request, db: AsyncSession, services: Services, authorization: str | None, company_id: str | None
) -> KeyCheck:
    """An API key wins; without one, the review pages' sign-in cookie (CSRF-checked when unsafe)."""
    token = request.cookies.get(browser_sessions.COOKIE)
    if authorization or not token:
        return await check_key(db, authorization, services.clock, company_id)
    principal, _row = await browser_sessions.resolve(db, token, services.clock, services.settings.signin)
    browser_sessions.check_csrf(request.method, token, request.headers)
    return KeyCheck(for_company(principal, company_id), use_due=False)


async def _record_use(services: Services, caller: Principal) -> None:
    """In a short transaction of its own, after the request's: recording a key's use (once a minute)
    never holds the key's row for a whole request, and a refused request (403, 404, ...) counts too."""
    try:
        async with services.database.transaction() as db:
            await record_use(db, caller.key_id, services.clock.now(), partner=caller.partner)
    except Exception:
        # Bookkeeping only: the request it follows has its answer already.
        logger.warning("could not record the use of API key %s", caller.key_id, exc_info=True)


# On every authenticated operation (it is this dependency's): OpenAPI shows it on each.
CompanyIdQuery = Annotated[
    str | None,
    Query(
        description="The company this request is for: required with a partner key (one of the companies "
        "granted to it); with any other credential optional, and if given it must be the caller's own "
        "company. A company the credential cannot act for is a 403, whether or not it exists.",
        max_length=64,
    ),
]


async def _context(
    request: Request,
    authorization: Annotated[
        str | None, Header(description="`Bearer <API key>`", include_in_schema=False)
    ] = None,
    company_id: CompanyIdQuery = None,
) -> AsyncIterator[RequestCtx]:
    services: Services = request.app.state.services
    due: Principal | None = None
    try:
        async with services.database.transaction() as db:
            check = await _principal(request, db, services, authorization, company_id)
            # Per credential: an API key by its id, a dashboard sign-in by its own (key_id names it too),
            # a partner key per company it acts for.
            await services.rates.caller(check.principal.rate_key)
            due = check.principal if check.use_due else None
            yield RequestCtx(db, check.principal, services.clock, services.settings)
    finally:
        if due is not None:
            await _record_use(services, due)


# scope="function": the transaction commits before the response leaves, so a 2xx is never sent for a
# change that then fails to commit.
Ctx = Annotated[RequestCtx, Depends(_context, scope="function")]


class ListResponse(BaseModel, Generic[T]):
    data: list[T] = Field(description="This page of results, newest first.")
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last.")
