"""Request body size limit as pure ASGI middleware, so an oversized body is refused while streaming
rather than after it has been read into memory.

JSON bodies stay small (`max_body_bytes`); the few routes that take a file upload get a larger limit
(`upload_bytes`), and each of them limits its own file again, more tightly."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.api.errors import error_body

__all__ = ["UPLOAD_PATHS", "BodySizeLimit"]

# Routes that take multipart file uploads (exact paths, POST): the spreadsheet import and resume parsing.
UPLOAD_PATHS: tuple[str, ...] = ("/v1/participants/import", "/v1/resumes/parse")


class _TooLarge(HTTPException):
    """Raised from `receive` once the body passes the limit. An HTTPException because FastAPI turns any
    other exception raised while it reads the body into "400: There was an error parsing the body";
    this one it re-raises, and the error handlers render it as 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body exceeds {max_bytes} bytes")


class BodySizeLimit:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        upload_bytes: int | None = None,
        upload_paths: tuple[str, ...] = UPLOAD_PATHS,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = max_bytes if upload_bytes is None else upload_bytes
        self.upload_paths = frozenset(upload_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_bytes if scope.get("path") in self.upload_paths else self.max_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await self._reject(send, 400, "bad_request", "Content-Length is not a number")
                    return
                if declared > limit:
                    await self._reply_too_large(send, limit)
                    return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not response_started:
                await self._reply_too_large(send, limit)

    async def _reply_too_large(self, send: Send, limit: int) -> None:
        await self._reject(send, 413, "payload_too_large", f"request body exceeds {limit} bytes")

    @staticmethod
    async def _reject(send: Send, status: int, code: str, message: str) -> None:
        body = json.dumps(error_body(code, message)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
