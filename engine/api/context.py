"""Per-request context: one database transaction (committed before the response is sent) and the
authenticated caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Header, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import Settings
from engine import browser_sessions
from engine.analysis.worker import AnalysisWorker
from engine.api.rate_limits import RateLimiter
from engine.auth import Principal, authenticate
from engine.clock import Clock
from engine.live.registry import LiveSessions
from engine.store.database import Database
from engine.webhooks.dispatcher import WebhookDispatcher

__all__ = ["Ctx", "ListResponse", "RequestCtx", "Services"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Services:
    """What `create_app` builds once and every request shares."""

    settings: Settings
    database: Database
    clock: Clock
    live: LiveSessions
    analysis: AnalysisWorker
    webhooks: WebhookDispatcher
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
    request: Request, db: AsyncSession, services: Services, authorization: str | None
) -> Principal:
    """An API key wins; without one, the review pages' sign-in cookie (CSRF-checked when unsafe)."""
    token = request.cookies.get(browser_sessions.COOKIE)
    if authorization or not token:
        return await authenticate(db, authorization, services.clock)
    principal, _row = await browser_sessions.resolve(db, token, services.clock, services.settings.signin)
    browser_sessions.check_csrf(request.method, token, request.headers)
    return principal


async def _context(
    request: Request,
    authorization: Annotated[
        str | None, Header(description="`Bearer <API key>`", include_in_schema=False)
    ] = None,
) -> AsyncIterator[RequestCtx]:
    services: Services = request.app.state.services
    async with services.database.transaction() as db:
        principal = await _principal(request, db, services, authorization)
        yield RequestCtx(db, principal, services.clock, services.settings)


# scope="function": the transaction commits before the response leaves, so a 2xx is never sent for a
# change that then fails to commit.
Ctx = Annotated[RequestCtx, Depends(_context, scope="function")]


class ListResponse(BaseModel, Generic[T]):
    data: list[T] = Field(description="This page of results, newest first.")
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last.")
