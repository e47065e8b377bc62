"""/docs: Swagger UI served by the engine itself, so the reference works offline and tells no CDN who
reads it. The assets come from the swagger-ui-bundle-v2 package (Swagger UI's own dist files, Apache-2.0);
ReDoc is not served."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

from engine.errors import NotFound

__all__ = ["ASSETS_URL", "router"]

ASSETS_URL = "/docs/assets"
SWAGGER_DIR = Path(str(swagger_ui_path))
# Only what the page loads; the package's other files (its own index page, templates) stay unserved.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}

router = APIRouter(include_in_schema=False)


def _page() -> str:
    html = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="interview-engine API",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
        oauth2_redirect_url=None,
        # No validator badge: Swagger UI would send the schema's URL to validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False},
    )
    return bytes(html.body).decode().replace("<html>", '<html lang="en">', 1)


PAGE = _page()


def _inline_script_hashes(html: str) -> str:
    """CSP sources for the page's inline start-up script: allowed by its hash, nothing else inline."""
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    digests = (base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in scripts)
    return " ".join(f"'sha256-{d}'" for d in digests)


HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; script-src 'self' {_inline_script_hashes(PAGE)}; style-src 'self'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return HTMLResponse(PAGE, headers=HEADERS)


@router.get(f"{ASSETS_URL}/{{name}}")
async def swagger_asset(name: str) -> FileResponse:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise NotFound(f"no documentation asset named {name}")
    return FileResponse(
        SWAGGER_DIR / name, media_type=media_type, headers={"X-Content-Type-Options": "nosniff"}
    )
