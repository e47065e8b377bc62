"""/v1/sessions/{id}/phone-stream (a one-time stream URL for a telephony provider) and
/v1/sessions/{id}/call-attempts (the session's phone calls). The stream itself is engine/api/phone_socket.py;
docs/phone.md tells how to point a phone number at it."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Request

from config.enums import SessionStatus
from config.phone import CallAttempts, PhoneStream
from config.settings import Settings
from engine.api.context import Ctx
from engine.api.openapi import error_responses
from engine.api.params import IdPath
from engine.errors import Conflict
from engine.services import phone, sessions

__all__ = ["router", "status_callback_url", "stream_url"]

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])

STREAM_PATH = "/v1/phone-streams/"


def stream_url(settings: Settings, request: Request, token: str) -> str:
    """The stream's WebSocket URL on the engine's public address (IE_PUBLIC_BASE_URL) or, without one,
    the address this request came to: wss for https, ws for http."""
    base = settings.public_base_url or str(request.base_url)
    parts = urlsplit(base.rstrip("/"))
    scheme = "wss" if parts.scheme in ("https", "wss") else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + STREAM_PATH + token, "", ""))


def status_callback_url(settings: Settings, request: Request, token: str) -> str:
    """Where the provider posts the call's status (engine/api/phone_status.py): https or http, as the
    engine's public address (or this request) is."""
    base = settings.public_base_url or str(request.base_url)
    parts = urlsplit(base.rstrip("/"))
    path = parts.path.rstrip("/") + STREAM_PATH + token + "/status"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


@router.get(
    "/{session_id}/phone-stream",
    summary="A one-time WebSocket URL that connects a phone call to this session (409 once it is final)",
    description='Hand the URL to the telephony provider (Twilio: `<Connect><Stream url="..."/></Connect>`) '
    "as the call comes in. Each call needs a URL of its own: the first stream that starts on it spends it, "
    "and it expires after IE_PHONE__TOKEN_TTL_S (15 minutes) if unused. A call to a session that is "
    "already live replaces the earlier connection, as a reopened join link does. See docs/phone.md.",
    responses=error_responses(_409="The session is completed, cancelled or failed."),
)
async def phone_stream(session_id: IdPath, ctx: Ctx, request: Request) -> PhoneStream:
    ctx.principal.require("read:sessions")
    row = await sessions.get(ctx.db, ctx.company_id, session_id)
    if SessionStatus(row.status).is_terminal:
        raise Conflict(f"session is {row.status}; a call can no longer join it", {"status": row.status})
    ttl = timedelta(seconds=ctx.settings.phone.token_ttl_s)
    token, expires_at = await phone.issue_token(ctx.db, row, ctx.clock.now(), ttl)
    return PhoneStream(
        url=stream_url(ctx.settings, request, token),
        expires_at=expires_at,
        status_callback_url=status_callback_url(ctx.settings, request, token),
    )


@router.get(
    "/{session_id}/call-attempts", summary="The session's phone calls (call attempt logs), oldest first"
)
async def call_attempts(session_id: IdPath, ctx: Ctx) -> CallAttempts:
    ctx.principal.require("read:sessions")
    row = await sessions.get(ctx.db, ctx.company_id, session_id)
    rows = await phone.list_attempts(ctx.db, ctx.company_id, row.id)
    return CallAttempts(session_id=row.id, call_attempts=[phone.to_model(r) for r in rows])
