"""Every error leaves the API as `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from engine.api.access_log import redact_path
from engine.api.plain_messages import plain
from engine.errors import ApiError, field_errors
from engine.observability.context import REQUEST_ID_HEADER, current_request_id

__all__ = ["error_body", "install_error_handlers"]

logger = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details if details is not None else {}}}


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else {}
    headers.update(exc.headers)
    return JSONResponse(
        error_body(exc.code, exc.message, exc.details), exc.status_code, headers=headers or None
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = [dict(e) for e in exc.errors()]
    # FastAPI hands a body whose Content-Type is not JSON to validation as raw bytes.
    if any(tuple(e.get("loc", ())) == ("body",) and isinstance(e.get("input"), bytes) for e in raw):
        sent = request.headers.get("content-type", "none")[:100]
        return JSONResponse(
            error_body(
                "unsupported_media_type",
                f"send the body as JSON with 'Content-Type: application/json' (got {sent!r})",
            ),
            415,
        )
    if any(e.get("type") == "json_invalid" for e in raw):
        ctx = next(e.get("ctx", {}) for e in raw if e.get("type") == "json_invalid")
        return JSONResponse(
            error_body(
                "malformed_json", f"request body is not valid JSON: {ctx.get('error', 'parse error')}"
            ),
            400,
        )
    fields = field_errors([plain(e) for e in raw])  # patterns in words, never a regex
    first = fields[0]
    return JSONResponse(
        error_body("validation_failed", f"{first['path']}: {first['message']}", {"fields": fields}), 422
    )


_HTTP_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"})


def _allowed_methods(request: Request) -> str | None:
    """Every method the request's path supports. Starlette's own `Allow` names only the first route
    whose path matched, so `OPTIONS /v1/sessions` would claim POST is all there is."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods.update(m.upper() for m in operations if m.upper() in _HTTP_METHODS)
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods)) if methods else None


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # FastAPI's "error parsing the body": bytes that are not UTF-8, a number too long to convert, ...
        reason = str(exc.__cause__).split(";")[0][:200]
        return JSONResponse(error_body("malformed_json", f"request body is not valid JSON: {reason}"), 400)
    if exc.status_code == 405 and (allowed := _allowed_methods(request)) is not None:
        headers["Allow"] = allowed
    code = HTTP_CODES.get(exc.status_code, "http_error")
    return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=headers or None)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Never echo the exception: it may carry SQL, paths or secrets. The log has the traceback (and the
    # path with any join or public-link token redacted).
    logger.error("unhandled error on %s %s", request.method, redact_path(request.url.path), exc_info=exc)
    # Sent from outside the access-log middleware, which adds the header to every other response.
    request_id = current_request_id()
    headers = {REQUEST_ID_HEADER: request_id} if request_id else None
    return JSONResponse(
        error_body("internal_error", "internal error; it has been logged"), 500, headers=headers
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
