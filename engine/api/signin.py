"""/v1/auth: browser sign-in for the review pages (engine.browser_sessions explains the cookie and CSRF).

A recruiter signs in with email and password; an integrator can exchange an API key instead. Both get
the same HttpOnly cookie, with the scopes of the recruiter or of the key.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from config.recruiters import CompanyRef, LoginRequest, RecruiterRef, SignedIn
from config.settings import Settings
from engine import browser_sessions
from engine.api.context import Services
from engine.auth import authenticate
from engine.errors import ApiError, TooManyRequests, Unauthorized
from engine.services import recruiters
from engine.store.tables import BrowserSessionRow, CompanyRow, RecruiterRow

__all__ = ["router"]

router = APIRouter(prefix="/v1/auth", tags=["sign-in"])
WRONG = "wrong email or password"
NO_STORE = {"Cache-Control": "no-store"}


def _secure(settings: Settings) -> bool:
    if settings.signin.secure_cookie is not None:
        return settings.signin.secure_cookie
    return settings.base_url.startswith("https://")


async def _signed_in(db: AsyncSession, row: BrowserSessionRow, token: str, scopes: list[str]) -> SignedIn:
    company = await db.get(CompanyRow, row.company_id)
    assert company is not None  # a foreign key
    person = await db.get(RecruiterRow, row.recruiter_id) if row.recruiter_id else None
    return SignedIn(
        csrf_token=browser_sessions.csrf_token(token),
        expires_at=row.expires_at,
        company=CompanyRef(id=company.id, name=company.name),
        recruiter=None
        if person is None
        else RecruiterRef(id=person.id, name=person.name, email=person.email),
        scopes=sorted(scopes),
    )


async def _with_password(
    db: AsyncSession, email: str, password: str, services: Services
) -> browser_sessions.BrowserSignIn | ApiError:
    check = await recruiters.check_password(db, email, password, services.clock, services.settings.signin)
    if check.locked_for_s:
        return TooManyRequests(
            f"too many failed sign-ins; try again in {check.locked_for_s} s", check.locked_for_s
        )
    if check.recruiter is None:
        return Unauthorized(WRONG)
    return await browser_sessions.open_sign_in(
        db,
        company_id=check.recruiter.company_id,
        scopes=list(check.recruiter.scopes),
        clock=services.clock,
        settings=services.settings.signin,
        recruiter_id=check.recruiter.id,
    )


async def _with_key(db: AsyncSession, api_key: str, services: Services) -> browser_sessions.BrowserSignIn:
    principal = await authenticate(db, f"Bearer {api_key}", services.clock)
    return await browser_sessions.open_sign_in(
        db,
        company_id=principal.company_id,
        scopes=sorted(principal.scopes),
        clock=services.clock,
        settings=services.settings.signin,
        api_key_id=principal.key_id,
    )


@router.post(
    "/login",
    summary="Sign in a browser (email and password, or an API key); sets the HttpOnly sign-in cookie",
)
async def login(body: LoginRequest, request: Request, response: Response) -> SignedIn:
    services: Services = request.app.state.services
    browser_sessions.check_origin(request.headers)
    await services.rates.sign_in(request.client.host if request.client else "unknown")
    async with services.database.transaction() as db:
        if body.api_key is not None:
            opened: browser_sessions.BrowserSignIn | ApiError = await _with_key(db, body.api_key, services)
        else:
            opened = await _with_password(db, body.email or "", body.password or "", services)
        out = None
        if isinstance(opened, browser_sessions.BrowserSignIn):
            out = await _signed_in(db, opened.row, opened.token, opened.row.scopes)
    # A refusal is raised only now, after the commit, so the failed attempt stays counted.
    if isinstance(opened, ApiError):
        raise opened
    assert out is not None
    response.set_cookie(
        browser_sessions.COOKIE,
        opened.token,
        max_age=int(services.settings.signin.session_ttl_s),
        path="/",
        secure=_secure(services.settings),
        httponly=True,
        samesite="strict",
    )
    response.headers.update(NO_STORE)
    return out


@router.get("/me", summary="The browser's current sign-in, with its CSRF token (401 when signed out)")
async def me(request: Request, response: Response) -> SignedIn:
    services: Services = request.app.state.services
    token = request.cookies.get(browser_sessions.COOKIE)
    if not token:
        raise Unauthorized("not signed in")
    async with services.database.transaction() as db:
        principal, row = await browser_sessions.resolve(db, token, services.clock, services.settings.signin)
        out = await _signed_in(db, row, token, sorted(principal.scopes))
    response.headers.update(NO_STORE)
    return out


@router.post("/logout", status_code=204, summary="End the browser's sign-in (needs X-CSRF-Token)")
async def logout(request: Request) -> Response:
    services: Services = request.app.state.services
    token = request.cookies.get(browser_sessions.COOKIE)
    if token:
        browser_sessions.check_csrf(request.method, token, request.headers)
        async with services.database.transaction() as db:
            await browser_sessions.revoke(db, token, services.clock)
    out = Response(status_code=204, headers=NO_STORE)
    out.delete_cookie(browser_sessions.COOKIE, path="/", secure=_secure(services.settings), httponly=True)
    return out
