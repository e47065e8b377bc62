"""The template's public link: `/public/{token}`, the page a candidate opens, and the two calls it makes.

No API key: the token in the path is the credential. An unknown token, a disabled link and a deleted
template all answer the same 404. Not rate limited here; put a limit in front of `/public/` in
production (each POST may create a participant and a session).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, BackgroundTasks, Depends, Path, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import EmailStr, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from config.base import ApiModel, InputModel, Name
from config.participants import normalize_email
from config.settings import Settings
from engine.api import public_link_verification as public_link_verification_api
from engine.api.context import Services
from engine.clock import Clock
from engine.errors import NotFound
from engine.services import public_links, sessions

__all__ = ["PublicSessionRequest", "PublicSessionStarted", "PublicState", "router"]

router = APIRouter(prefix="/public", tags=["candidate"])

PAGE_PACKAGE = "engine.web"
PAGE_PATH = ("static", "public.html")
# The token travels in the URL: keep it out of Referer headers, caches and search indexes.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
_NOT_FOUND = {"description": "The link is not valid or no longer active.", "content": _ERROR}
_UNEXPECTED = {"description": "Unexpected server error, in the same error shape.", "content": _ERROR}

Token = Annotated[str, Path(description="The token of the template's public link.")]


@dataclass(frozen=True, slots=True)
class PublicCtx:
    """A request's transaction (committed before the response is sent) without any caller identity."""

    db: AsyncSession
    clock: Clock
    settings: Settings


async def _context(request: Request) -> AsyncIterator[PublicCtx]:
    services: Services = request.app.state.services
    async with services.database.transaction() as db:
        yield PublicCtx(db, services.clock, services.settings)


PublicContext = Annotated[PublicCtx, Depends(_context, scope="function")]


class PublicState(ApiModel):
    interview_title: str = Field(description="The interview's title (the template's name).")
    interviewer_name: str | None = Field(
        description="Name of the agent profile that conducts the first stage; null until one is set up."
    )
    duration_minutes: int | None = Field(description="Planned length of the interview in minutes.")
    enabled: bool = Field(description="Whether the link accepts candidates; always true when answered.")


class PublicSessionRequest(InputModel):
    name: Name = Field(description="The candidate's full name.")
    email: EmailStr = Field(
        description="The candidate's email; returning with the same email continues their interview."
    )

    @field_validator("email")
    @classmethod
    def _lower(cls, email: str) -> str:
        return normalize_email(email)


class PublicSessionStarted(ApiModel):
    join_url: str = Field(description="Where the candidate takes the interview (the session's join link).")
    session_id: str = Field(description="The session's id.")
    resumed: bool = Field(
        description="True when this is the candidate's unfinished session, returned to continue it."
    )


def _read_page() -> bytes:
    return resources.files(PAGE_PACKAGE).joinpath(*PAGE_PATH).read_bytes()


@router.get("/{token}", include_in_schema=False, response_class=HTMLResponse)
async def public_page(token: str, ctx: PublicContext) -> HTMLResponse:
    await public_links.find_template(ctx.db, token)
    try:
        page = await anyio.to_thread.run_sync(_read_page)
    except OSError:
        raise NotFound("This page is not available") from None
    return HTMLResponse(page, headers=PRIVATE_HEADERS)


@router.get(
    "/{token}/state",
    summary="What the public page shows: title, interviewer, duration (no API key)",
    responses={404: _NOT_FOUND, "default": _UNEXPECTED},
)
async def public_state(token: Token, ctx: PublicContext, response: Response) -> PublicState:
    found = await public_links.state(ctx.db, token)
    response.headers.update(PRIVATE_HEADERS)
    return PublicState(
        interview_title=found.interview_title,
        interviewer_name=found.interviewer_name,
        duration_minutes=found.duration_minutes,
        enabled=True,
    )


_START_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed JSON body.", "content": _ERROR},
    404: _NOT_FOUND,
    409: {
        "description": "The candidate already completed this interview, or it is not set up yet.",
        "content": _ERROR,
    },
    402: {
        "description": "`usage_limit_reached`: the company cannot take new interviews right now (its monthly "
        "limit); the message says so plainly, without the company's figures.",
        "content": _ERROR,
    },
    413: {"description": "Request body larger than the server's limit.", "content": _ERROR},
    415: {"description": "Request body is not `application/json`.", "content": _ERROR},
    422: {"description": "`name` or `email` is invalid; `details.fields` says which.", "content": _ERROR},
    429: {
        "description": "Too many interviews started from this address or through this link just now "
        "(IE_RATE__PUBLIC_PER_ADDRESS, IE_RATE__PUBLIC_PER_LINK); `Retry-After` says when to try again.",
        "content": _ERROR,
    },
}


@router.post(
    "/{token}/sessions",
    status_code=201,
    response_model=PublicSessionStarted,
    summary="Start, or continue, the candidate's interview through the public link (no API key)",
    description="With the template's email verification on (`PUT /v1/templates/{id}/public-link`), nothing "
    "is booked yet: the answer is a 202 and the candidate gets an email with a one-time link that books "
    "the session and leads to the join page. The 202 is the same whatever the address's history.",
    responses={**_START_ERRORS, **public_link_verification_api.SIGN_UP_RESPONSES},
)
async def start_public_session(
    token: Token,
    body: PublicSessionRequest,
    ctx: PublicContext,
    response: Response,
    request: Request,
    background: BackgroundTasks,
) -> PublicSessionStarted | JSONResponse:
    services: Services = request.app.state.services
    await services.rates.public_sign_up(token, request.client.host if request.client else "unknown")
    template = await public_links.find_template(ctx.db, token)
    if template.public_email_verification:
        background.add_task(services.emails.wake)  # the verification email, after the commit
        sent = await public_link_verification_api.sign_up(
            ctx.db, template, body.name, body.email, ctx.clock.now(), ctx.settings
        )
        return JSONResponse(sent.model_dump(mode="json"), status_code=202, headers=PRIVATE_HEADERS)
    started = await public_links.start_for(ctx.db, template, body.name, body.email, ctx.clock)
    response.headers.update(PRIVATE_HEADERS)
    return PublicSessionStarted(
        join_url=sessions.join_url(ctx.settings.base_url, started.session),
        session_id=started.session.id,
        resumed=started.resumed,
    )
