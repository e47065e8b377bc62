"""`create_app(settings)`: everything the server needs is built here or in the lifespan, never at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from config.settings import Settings
from engine.api import events, participants, profiles, sessions, stages, templates
from engine.api.context import Services
from engine.api.errors import install_error_handlers
from engine.api.limits import BodySizeLimit
from engine.clock import Clock, SystemClock
from engine.store.database import Database

__all__ = ["create_app"]

DESCRIPTION = """Configure agent profiles, evaluation templates and their stages, participants and
sessions. Authenticate with `Authorization: Bearer <API key>`; each key belongs to one company and
carries scopes such as `read:sessions`. Errors are `{"error": {"code", "message", "details"}}`."""


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


def _document_errors(operation: dict[str, Any], method: str) -> None:
    """Declare the error responses a /v1 operation can give, all in the one error shape (FastAPI would
    declare only a 422 in its own `{"detail": [...]}` shape, which this API never sends)."""
    params = operation.get("parameters", [])
    has_body = "requestBody" in operation
    statuses = {
        "401": "Missing or invalid API key.",
        "403": "The API key lacks a scope this operation needs, or the resource is another company's.",
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


def create_app(settings: Settings, *, clock: Clock | None = None) -> FastAPI:
    time_source = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(settings.resolved_database_url)
        try:
            await database.migrate()
            app.state.services = Services(settings=settings, database=database, clock=time_source)
            yield
        finally:
            await database.dispose()

    app = FastAPI(title="interview-engine", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    install_error_handlers(app)
    for module in (profiles, templates, stages, participants, sessions, events):
        app.include_router(module.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)

    @app.get("/healthz", tags=["health"], summary="Liveness probe (no authentication)")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            components = schema.setdefault("components", {})
            components["securitySchemes"] = {
                "apiKey": {"type": "http", "scheme": "bearer", "description": "API key of your company."}
            }
            schemas = components.setdefault("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
            schemas.update(ERROR_SCHEMAS)
            for path, ops in schema["paths"].items():
                if path.startswith("/v1/"):
                    for method, op in ops.items():
                        op["security"] = [{"apiKey": []}]
                        _document_errors(op, method)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
