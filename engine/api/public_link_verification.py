"""Email verification of public-link sign-ups, over HTTP (engine.services.public_link_verification).

- `sign_up`: what `POST /public/{token}/sessions` answers (202) when the template wants verification.
- `GET /public/verify/{token}`: the one-time link in the email. It books (or resumes) the session and
  redirects (303) to the join page; a link unknown, used, expired or refused gets a small HTML page
  saying so with the matching status (404, 410, 409, 402, 429), never a JSON error or a 500: a person
  opened it from their inbox.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from config.base import ApiModel
from config.settings import Settings
from engine.api.context import Services
from engine.errors import ApiError
from engine.services import public_link_verification, sessions
from engine.store.tables import TemplateRow

__all__ = ["SIGN_UP_RESPONSES", "PublicVerificationSent", "router", "sign_up"]

router = APIRouter(prefix="/public/verify", tags=["candidate"])

PAGE_PACKAGE = "engine.web"
PAGE_PATH = ("static", "public-verify.html")
# As on the public page: the token is in the URL, keep it out of Referer headers, caches and indexes.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}
TITLES = {
    404: "This link is not valid",
    410: "This link can no longer be used",
    409: "The interview cannot start",
    402: "The interview is not available",
    429: "Please wait a moment",
}


class PublicVerificationSent(ApiModel):
    """The sign-up is waiting for the candidate to confirm their email."""

    verification_required: bool = Field(
        description="Always true: nothing is booked until the link in the email is followed."
    )
    email: str = Field(description="The address the confirmation link is sent to, as the candidate typed it.")
    expires_at: datetime = Field(description="Until when the link in the email books the session.")


SIGN_UP_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {
        "model": PublicVerificationSent,
        "description": "The template wants email verification: a one-time link was sent to the address "
        "(the same answer whatever the address's history, and also when its hourly share of emails is used "
        "up: IE_EMAIL__VERIFICATION_MAX_PER_HOUR). Following it books the session and opens the join page.",
    }
}


async def sign_up(
    db: AsyncSession, template: TemplateRow, name: str, email: str, now: datetime, settings: Settings
) -> PublicVerificationSent:
    await public_link_verification.request(db, template, name, email, now, settings.email)
    expires = now + timedelta(seconds=settings.email.verification_ttl_s)
    return PublicVerificationSent(verification_required=True, email=email, expires_at=expires)


def _read_page() -> str:
    return resources.files(PAGE_PACKAGE).joinpath(*PAGE_PATH).read_text(encoding="utf-8")


async def _page(status: int, message: str, headers: dict[str, str]) -> HTMLResponse:
    page = await anyio.to_thread.run_sync(_read_page)
    title = TITLES.get(status, "Something went wrong")
    body = page.replace("{{title}}", html.escape(title)).replace("{{message}}", html.escape(message))
    return HTMLResponse(body, status_code=status, headers={**PRIVATE_HEADERS, **headers})


@router.get("/{token}", include_in_schema=False, response_model=None)
async def verify(token: str, request: Request) -> Response:
    services: Services = request.app.state.services
    try:
        await services.rates.public_verification(request.client.host if request.client else "unknown")
        async with services.database.transaction() as db:
            confirmed = await public_link_verification.confirm(db, token, services.clock)
            target = sessions.join_url(services.settings.base_url, confirmed.session)
    except ApiError as exc:  # a 429's Retry-After included
        return await _page(exc.status_code, exc.message, exc.headers)
    return RedirectResponse(target, status_code=303, headers=PRIVATE_HEADERS)
