"""Access log with the credentials in URLs redacted, the request id, and the HTTP metrics.

Join and public-link tokens travel in the path (`/join/{token}`, `/public/{token}`) and are as good as
a password for that interview, so uvicorn's own access log (which prints the raw path) is turned off
and this middleware logs each request instead.

It is the outermost middleware, so it also gives each request its id (engine/observability/context.py)
and returns it in the `X-Request-ID` header, and counts the request for `GET /metrics` under its route
template (`/v1/sessions/{session_id}`), never the raw path, which would make one series per id.
"""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.observability.context import REQUEST_ID_HEADER, bind_request, request_id_from

if TYPE_CHECKING:
    from engine.observability.prometheus import Telemetry

__all__ = ["AccessLog", "redact_path", "route_template"]

logger = logging.getLogger("engine.access")

TOKEN_PATH = re.compile(r"^/(join|public)/[^/]+")
_HEADER = REQUEST_ID_HEADER.lower().encode("latin-1")


def redact_path(path: str) -> str:
    return TOKEN_PATH.sub(r"/\1/<token>", path)


def route_template(scope: Scope) -> str | None:
    """The path template of the route that handled the request (set by the router); None when no route
    matched (a 404 for an unknown path)."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else None


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == _HEADER:
            return bytes(value).decode("latin-1")
    return None


class AccessLog:
    def __init__(self, app: ASGIApp, telemetry: Telemetry | None = None) -> None:
        self.app = app
        self.telemetry = telemetry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(_incoming_id(scope))
        # Never reset: the server-error handler and uvicorn's report of an unhandled exception run after
        # this middleware has returned, in the same task, and their lines belong to this request too.
        # Each request has a task (and so a context) of its own under uvicorn, so nothing leaks.
        bind_request(request_id, scope)
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != _HEADER]
                headers.append((_HEADER, request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            elapsed = time.perf_counter() - started
            client = scope.get("client")
            logger.info(
                '%s "%s %s" %d %.1fms',
                client[0] if client else "-",
                scope["method"],
                redact_path(scope["path"]),
                status,
                elapsed * 1000,
            )
            if self.telemetry is not None:
                self.telemetry.observe_request(scope["method"], route_template(scope), status, elapsed)
