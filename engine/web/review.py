"""The recruiter review pages: one static shell for every /review path; the page's scripts route on the
URL and read the v1 API with the sign-in cookie (engine.api.signin)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from engine.web import static_file

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

# The pages load only their own scripts, styles and media; no inline script or style sheet, never framed.
# Style attributes are allowed for one reason: the email templates page previews an email's HTML in an
# <iframe sandbox srcdoc>, which inherits this policy, and email HTML is styled with style="..." (the
# pages themselves never write markup, so no one else's style attribute reaches them).
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
        "media-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@router.get("/review")
@router.get("/review/{path:path}")
async def review_page(path: str = "") -> FileResponse:
    return FileResponse(static_file("review/index.html"), media_type="text/html", headers=HEADERS)
