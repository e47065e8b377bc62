"""The OpenAPI document: bearer auth on every /v1 operation and the one error shape, declared per
operation with the statuses it can actually give."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from engine.api.openapi_headers import document_headers, restore_examples

__all__ = ["install_openapi"]

ERROR_SCHEMAS: dict[str, Any] = {
    "ErrorDetail": {
        "type": "object",
        "title": "ErrorDetail",
        "description": "What went wrong.",
        "required": ["code", "message", "details"],
        "properties": {
            "code": {
                "type": "string",
                "description": "Stable machine-readable code, e.g. `validation_failed`, `not_found`, `conflict`.",
            },
            "message": {"type": "string", "description": "Human-readable explanation."},
            "details": {
                "anyOf": [{"type": "object", "additionalProperties": True}, {"type": "array", "items": {}}],
                "description": "Structured context; for validation errors `fields` lists "
                "`{path, message, type, in}` per offending field.",
            },
        },
    },
    "ErrorResponse": {
        "type": "object",
        "title": "ErrorResponse",
        "description": "The body of every error response.",
        "required": ["error"],
        "properties": {
            "error": {"$ref": "#/components/schemas/ErrorDetail", "description": "The error."},
        },
    },
}
_ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}


def error_responses(**statuses: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route outside /v1: `_404="Unknown link."` declares a 404 in the error shape."""
    return {
        int(code.lstrip("_")): {"description": text, "content": _ERROR_CONTENT}
        for code, text in statuses.items()
    }


def _document_errors(operation: dict[str, Any], method: str) -> None:
    """Declare the error responses a /v1 operation can give, all in the one error shape (FastAPI would
    declare only a 422 in its own `{"detail": [...]}` shape, which this API never sends)."""
    params = operation.get("parameters", [])
    has_body = "requestBody" in operation
    statuses = {
        "401": "Missing or invalid API key.",
        "403": "The API key lacks a scope this operation needs, the resource is another company's, or "
        "`company_id` names a company this credential cannot act for.",
        "429": "Too many requests with this API key or sign-in (IE_RATE__PER_CALLER); see `Retry-After`.",
    }
    if has_body or any(p.get("name") == "cursor" for p in params):
        statuses["400"] = "Malformed JSON body or a `cursor` this API did not return."
    if any(p.get("in") == "path" for p in params):
        statuses["404"] = "No such resource in your company."
    if method in ("post", "put", "patch", "delete"):
        statuses["409"] = "Conflicts with the current state: a duplicate, an illegal transition, in use."
    if has_body:
        statuses["413"] = "Request body larger than the server's limit."
        statuses["415"] = "Request body is not `application/json`."
    responses = operation.setdefault("responses", {})
    if params or has_body or "422" in responses:
        statuses["422"] = "A field or parameter breaks a rule; `details.fields` says which."
    for status, description in statuses.items():
        responses[status] = {"description": description, "content": _ERROR_CONTENT}


# Operations anyone may call, and what their errors mean there.
PUBLIC_ERRORS = {
    "/v1/auth/login": {
        "401": "Wrong email or password, or an invalid API key.",
        "403": "Cross-site request: the Origin header names another site.",
        "429": "Too many failed sign-ins for this account; `Retry-After` says when to try again.",
    },
    # A telephony provider's call status callback: the token in the path is the credential.
    "/v1/phone-streams/{token}/status": {
        "400": "A malformed callback: not form-encoded, not UTF-8, CallSid or CallStatus missing or "
        "unknown, CallDuration not whole seconds; `details.fields` names it.",
        "401": "Not sent: the token in the path authorises the callback, no API key is needed.",
        "403": "X-Twilio-Signature missing or wrong (only with IE_PHONE__TWILIO_AUTH_TOKEN set).",
        "404": "No stream URL with this token is kept.",
        "415": "Not sent: a body that is not form-encoded gets 400.",
    },
}
# Called by other systems with no key: no Idempotency-Key either.
NOT_IDEMPOTENT = frozenset({"/v1/phone-streams/{token}/status"})


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                webhooks=app.webhooks.routes,
            )
            components = schema.setdefault("components", {})
            components["securitySchemes"] = {
                "apiKey": {"type": "http", "scheme": "bearer", "description": "API key of your company."},
                "signInCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "ie_session",
                    "description": "Set by /v1/auth/login for the review pages. POST, PATCH and DELETE "
                    "made with it must also send the sign-in's `X-CSRF-Token` header.",
                },
            }
            schemas = components.setdefault("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
            schemas.update(ERROR_SCHEMAS)
            for path, ops in schema["paths"].items():
                if path.startswith("/v1/"):
                    for method, op in ops.items():
                        public = PUBLIC_ERRORS.get(path)
                        op["security"] = [] if public else [{"apiKey": []}, {"signInCookie": []}]
                        _document_errors(op, method)
                        if method == "post" and path not in NOT_IDEMPOTENT:
                            _document_idempotency(op)
                        for status, text in (public or {}).items():
                            op["responses"][status] = {"description": text, "content": _ERROR_CONTENT}
            document_headers(schema)  # last: it heads every response, the error ones added above too
            restore_examples(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _document_idempotency(op: dict[str, Any]) -> None:
    """The `Idempotency-Key` header every POST /v1 operation accepts (engine.api.idempotency)."""
    op.setdefault("parameters", []).append(
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
            "description": "Makes a retry safe: the first response (below 500, not 429) is kept for 24 hours "
            "and replayed, with `Idempotent-Replayed: true`, for the same key and request from the same "
            "caller; the same key with a different request is a 422 (`idempotency_key_reused`); one "
            "still being answered is a 409 (`idempotency_key_in_use`) after up to 30 s of waiting.",
        }
    )
    responses = op.setdefault("responses", {})
    responses.setdefault(
        "400", {"description": "Malformed request, or an invalid Idempotency-Key.", "content": _ERROR_CONTENT}
    )
