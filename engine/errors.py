"""The engine's exception tree. Every API error is one of these and renders as
`{"error": {"code", "message", "details"}}` with the status code below.

    EngineError
    └── ApiError
        ├── BadRequest           400  malformed JSON, bad cursor, conflicting inputs
        ├── Unauthorized         401  missing or unknown API key
        ├── Forbidden            403  missing scope, another company's resource
        ├── NotFound             404
        ├── Conflict             409  duplicates, illegal state transitions, resources in use
        ├── PayloadTooLarge      413
        ├── RangeNotSatisfiable  416  a Range header outside the file
        ├── TooManyRequests      429  too many failed sign-ins, or a rate limit (Retry-After, RateLimit-*)
        ├── ValidationFailed     422  a field's value breaks a rule
        └── ServiceUnavailable   503  no capacity for another live session, or shutting down
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "ApiError",
    "BadRequest",
    "Conflict",
    "EngineError",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "RangeNotSatisfiable",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "ValidationFailed",
]


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


class ApiError(EngineError):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, message: str, details: dict[str, Any] | list[Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details if details is not None else {}

    @property
    def headers(self) -> dict[str, str]:
        """Response headers the error needs (e.g. Content-Range on a 416)."""
        return {}


class BadRequest(ApiError):
    status_code = 400
    code = "bad_request"


class Unauthorized(ApiError):
    status_code = 401
    code = "unauthorized"


class Forbidden(ApiError):
    status_code = 403
    code = "forbidden"


class NotFound(ApiError):
    status_code = 404
    code = "not_found"


class Conflict(ApiError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(ApiError):
    status_code = 413
    code = "payload_too_large"


class ValidationFailed(ApiError):
    status_code = 422
    code = "validation_failed"

    @classmethod
    def field(cls, path: str, message: str) -> ValidationFailed:
        return cls(f"{path}: {message}", {"fields": [{"path": path, "message": message}]})


def field_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """Render a pydantic error location as `rubric[0].weight`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def field_errors(errors: list[dict[str, Any]], drop_prefix: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """Pydantic errors as `[{path, message, type}]`, skipping pydantic's own location prefixes."""
    rendered = []
    for err in errors:
        loc = list(err.get("loc", ()))
        where = ""
        if loc and loc[0] in ("body", "query", "path", "header"):
            where = str(loc.pop(0))
        # Tagged unions and function validators add their own names to the location; hide them.
        loc = [
            p for p in loc if p not in drop_prefix and not (isinstance(p, str) and p.startswith("function-"))
        ]
        entry = {
            "path": field_path(loc) or "(body)",
            "message": str(err.get("msg", "invalid")),
            "type": str(err.get("type", "value_error")),
        }
        if where:
            entry["in"] = where
        rendered.append(entry)
    return rendered


class ServiceUnavailable(ApiError):
    status_code = 503
    code = "service_unavailable"


class RangeNotSatisfiable(ApiError):
    status_code = 416
    code = "range_not_satisfiable"

    def __init__(self, size: int) -> None:
        super().__init__(f"the requested range lies outside the {size} bytes of the file", {"size": size})
        self.size = size

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Range": f"bytes */{self.size}"}


class TooManyRequests(ApiError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after_s: int, *, limit: int | None = None) -> None:
        super().__init__(message, {"retry_after_s": retry_after_s})
        self.retry_after_s = retry_after_s
        self.limit = limit

    @property
    def headers(self) -> dict[str, str]:
        headers = {"Retry-After": str(self.retry_after_s)}
        if self.limit is not None:
            # The IETF RateLimit header fields (draft), for a limit that is used up.
            headers |= {
                "RateLimit-Limit": str(self.limit),
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": str(self.retry_after_s),
            }
        return headers
