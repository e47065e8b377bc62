"""What a log line belongs to: the HTTP request being handled and the interview session, when known.

Held in context variables, so every line logged while handling a request carries its id without the id
being passed around: asyncio tasks and `asyncio.to_thread` copy the context they start in. The request
id comes from a sane incoming `X-Request-ID` (a proxy's or the caller's, so their logs and ours join
up) or is generated here; it goes back in the response's `X-Request-ID` header.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

__all__ = [
    "REQUEST_ID_HEADER",
    "bind_request",
    "bind_session",
    "current_request_id",
    "current_session_id",
    "request_id_from",
    "safe_id",
]

REQUEST_ID_HEADER = "X-Request-ID"

# Letters, digits and ._- only: the id lands in log lines and a response header, so nothing that could
# forge a second log line, break JSON or smuggle a header through.
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_session_id: ContextVar[str | None] = ContextVar("session_id", default=None)
# The ASGI scope of the request: the router puts the path parameters in it once the route is known,
# and `session_id` among them names the session a `/v1/sessions/{session_id}/...` request is about.
_scope: ContextVar[Mapping[str, Any] | None] = ContextVar("scope", default=None)


def safe_id(value: str | None) -> str | None:
    """`value` when it is a sane id (at most 128 of [A-Za-z0-9._-]), else None."""
    if value is None or _SAFE_ID.fullmatch(value) is None:
        return None
    return value


def request_id_from(incoming: str | None) -> str:
    """The caller's id when sane, else a new one (32 hex digits)."""
    return safe_id(incoming) or uuid.uuid4().hex


def bind_request(request_id: str, scope: Mapping[str, Any]) -> None:
    """Mark the current context as handling this request (see `AccessLog` for why it is never unbound)."""
    _request_id.set(request_id)
    _session_id.set(None)
    _scope.set(scope)


def bind_session(session_id: str) -> None:
    """Mark the current context (a live session's task and the tasks it starts) as this session's; the
    request that started it is over, so its id is dropped."""
    _request_id.set(None)
    _scope.set(None)
    _session_id.set(session_id)


def current_request_id() -> str | None:
    return _request_id.get()


def current_session_id() -> str | None:
    bound = _session_id.get()
    if bound is not None:
        return bound
    scope = _scope.get()
    params = scope.get("path_params") if scope is not None else None
    if not isinstance(params, Mapping):
        return None
    value = params.get("session_id")
    return safe_id(value) if isinstance(value, str) else None
