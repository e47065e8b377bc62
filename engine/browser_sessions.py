"""Browser sign-ins: an HttpOnly cookie carries a random token; the store keeps only its SHA-256.

CSRF: the cookie is SameSite=Strict, and every unsafe request made with it must also send
`X-CSRF-Token`, a value derived from the token that only a page able to read the sign-in response (or
`/v1/auth/me`) can know; another site can neither read it nor set a custom header without CORS, which
the engine never grants. A present `Origin` header must also name the engine itself.

A sign-in ends at `expires_at`, after `idle_timeout_s` without use, at sign-out, or when its recruiter
is deleted or changes password (its API key is revoked). Scopes are re-read on every request, so a
change applies to open sign-ins at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import SignInSettings
from engine.auth import Principal
from engine.clock import Clock
from engine.errors import Forbidden, Unauthorized
from engine.store.tables import ApiKeyRow, BrowserSessionRow, RecruiterRow

__all__ = [
    "COOKIE",
    "CSRF_HEADER",
    "SAFE_METHODS",
    "BrowserSignIn",
    "check_csrf",
    "check_origin",
    "csrf_token",
    "open_sign_in",
    "resolve",
    "revoke",
    "revoke_recruiter",
]

COOKIE = "ie_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Writing last_seen_at on every request would turn each read into a write.
SEEN_RESOLUTION = timedelta(minutes=1)
EXPIRED = "your sign-in has ended; sign in again"


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(token: str) -> str:
    """Derived, not stored: knowing it proves the page could read a response meant for the signed-in
    browser. One-way, so it reveals nothing about the cookie's token."""
    digest = hashlib.sha256(b"ie-csrf\0" + token.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class BrowserSignIn:
    token: str  # the cookie's value; shown once to the browser, never stored
    row: BrowserSessionRow

    @property
    def csrf_token(self) -> str:
        return csrf_token(self.token)


async def open_sign_in(
    db: AsyncSession,
    *,
    company_id: str,
    scopes: list[str],
    clock: Clock,
    settings: SignInSettings,
    recruiter_id: str | None = None,
    api_key_id: str | None = None,
) -> BrowserSignIn:
    token = secrets.token_urlsafe(32)
    now = clock.now()
    # Ended sign-ins are of no further use; clearing them here keeps the table the size of the
    # signed-in population without a background job.
    await db.execute(
        delete(BrowserSessionRow).where(
            or_(BrowserSessionRow.expires_at <= now, BrowserSessionRow.revoked_at.is_not(None))
        )
    )
    row = BrowserSessionRow(
        id=_token_id(token),
        company_id=company_id,
        recruiter_id=recruiter_id,
        api_key_id=api_key_id,
        scopes=list(scopes),
        created_at=now,
        expires_at=now + timedelta(seconds=settings.session_ttl_s),
        last_seen_at=now,
    )
    db.add(row)
    await db.flush()
    return BrowserSignIn(token, row)


def _live(row: BrowserSessionRow | None, now: datetime, settings: SignInSettings) -> bool:
    if row is None or row.revoked_at is not None or now >= row.expires_at:
        return False
    return now - row.last_seen_at < timedelta(seconds=settings.idle_timeout_s)


async def resolve(
    db: AsyncSession, token: str, clock: Clock, settings: SignInSettings
) -> tuple[Principal, BrowserSessionRow]:
    """The caller a cookie stands for; Unauthorized if the sign-in has ended for any reason."""
    if not token or len(token) > 100:
        raise Unauthorized(EXPIRED)
    now = clock.now()
    row = await db.get(BrowserSessionRow, _token_id(token))
    if row is None or not _live(row, now, settings):
        raise Unauthorized(EXPIRED)
    if row.recruiter_id is not None:
        recruiter = await db.get(RecruiterRow, row.recruiter_id)
        if recruiter is None or recruiter.deleted_at is not None:
            raise Unauthorized(EXPIRED)
        scopes = frozenset(recruiter.scopes)
        key_id = f"signin:{row.id[:16]}"
    else:
        key = await db.get(ApiKeyRow, row.api_key_id) if row.api_key_id else None
        if key is None or key.revoked_at is not None:
            raise Unauthorized(EXPIRED)
        scopes, key_id = frozenset(key.scopes), key.id
    if now - row.last_seen_at > SEEN_RESOLUTION:
        row.last_seen_at = now
    return Principal(row.company_id, key_id, scopes, recruiter_id=row.recruiter_id), row


def check_origin(headers: Mapping[str, str]) -> None:
    """Browsers send Origin on cross-site POSTs; one naming another site is refused outright (this also
    stops login CSRF, where a hostile page signs the victim in to the attacker's account)."""
    origin = headers.get("origin")
    if origin is not None and urlsplit(origin).netloc.lower() != headers.get("host", "").lower():
        raise Forbidden("cross-site request refused: Origin does not match this server")


def check_csrf(method: str, token: str, headers: Mapping[str, str]) -> None:
    """Raise Forbidden unless an unsafe request made with the cookie proves it came from our pages."""
    if method.upper() in SAFE_METHODS:
        return
    check_origin(headers)
    sent = headers.get(CSRF_HEADER)
    if not sent or not hmac.compare_digest(sent.encode(), csrf_token(token).encode()):
        raise Forbidden(
            "missing or wrong X-CSRF-Token header: requests made with the sign-in cookie must send the "
            "csrf_token from /v1/auth/login or /v1/auth/me",
            {"header": "X-CSRF-Token"},
        )


async def revoke(db: AsyncSession, token: str, clock: Clock) -> None:
    row = await db.get(BrowserSessionRow, _token_id(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = clock.now()


async def revoke_recruiter(db: AsyncSession, recruiter_id: str, clock: Clock) -> None:
    await db.execute(
        update(BrowserSessionRow)
        .where(BrowserSessionRow.recruiter_id == recruiter_id, BrowserSessionRow.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
