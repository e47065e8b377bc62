"""Access log with the credentials in URLs redacted.

Join and public-link tokens travel in the path (`/join/{token}`, `/public/{token}`) and are as good as
a password for that interview, so uvicorn's own access log (which prints the raw path) is turned off
and this middleware logs each request instead.
"""

from __future__ import annotations

import logging
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AccessLog", "redact_path"]

logger = logging.getLogger("engine.access")

TOKEN_PATH = re.compile(r"^/(join|public)/[^/]+")


def redact_path(path: str) -> str:
    return TOKEN_PATH.sub(r"/\1/<token>", path)


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            client = scope.get("client")
            logger.info(
                '%s "%s %s" %d %.1fms',
                client[0] if client else "-",
                scope["method"],
                redact_path(scope["path"]),
                status,
                (time.perf_counter() - started) * 1000,
            )
