"""`Idempotency-Key` on every `POST /v1/...`: a client that retries after a timeout or a dropped
connection gets the first response again instead of a second session or participant.

* The first request with a key runs and its response (any status below 500 except 429) is kept for 24
  hours; a repeat with the same key and the same request (method, path, query, content type and body)
  gets that response replayed, with `Idempotent-Replayed: true`.
* The same key with a different request is refused with 422 (`idempotency_key_reused`).
* Concurrent duplicates get one result: the second waits for the first (up to `WAIT_S`, then 409 with
  `Retry-After`).
* A 5xx, a 429 or a request that never finished releases the key, so the retry runs for real.
* Keys are per caller: scoped by a hash of the credential that made the request (the `Authorization`
  header, or the dashboard's sign-in cookie), never by the key alone, and of the company it names
  (`?company_id=`): a partner key's keys are per company, so one company's replay never reaches another.

Why not a library: the maintained ones are for Django or Flask, or keep keys in one process's memory;
engines behind one balancer must share them, so they live in the database (engine.services.idempotency).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import IntegrityError
from starlette.datastructures import QueryParams
from starlette.requests import cookie_parser
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.api.context import Services
from engine.api.errors import error_body
from engine.browser_sessions import COOKIE
from engine.services import idempotency
from engine.services.idempotency import Claim, Stored
from engine.store.database import Database

__all__ = ["HEADER", "Idempotency"]

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
MAX_KEY_CHARS = 255
WAIT_S = 30.0
POLL_S = 0.1
# Not replayed: they belong to the response that carried them (a request id, a sign-in cookie).
_NOT_KEPT = frozenset({"x-request-id", "set-cookie", "date", "server", "content-length"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _credential(scope: Scope) -> str:
    authorization = _header(scope, b"authorization")
    if authorization:
        return f"authorization:{authorization}"
    cookie = cookie_parser(_header(scope, b"cookie") or "").get(COOKIE)
    return f"cookie:{cookie}" if cookie else "anonymous"


def _caller(scope: Scope) -> str:
    """The credential and, where the request names one, the company it acts for (as the API reads it:
    the last `company_id`). Without one, exactly the credential, as before partner keys."""
    company = QueryParams(bytes(scope.get("query_string", b""))).get("company_id")
    credential = _credential(scope)
    return credential if company is None else f"{credential}\0company_id:{company}"


def _valid(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_CHARS and all(0x20 < ord(c) < 0x7F for c in key)


class Idempotency:
    def __init__(self, app: ASGIApp, *, wait_s: float = WAIT_S) -> None:
        self.app = app
        self.wait_s = wait_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, HEADER.lower().encode()) if scope["type"] == "http" else None
        if key is None or scope["method"] != "POST" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        if not _valid(key):
            await self._refuse(
                scope,
                receive,
                send,
                400,
                "invalid_idempotency_key",
                f"{HEADER} must be 1 to {MAX_KEY_CHARS} visible ASCII characters",
            )
            return
        body, disconnected = await _read_body(receive)
        if disconnected:
            return
        digest = hashlib.sha256()
        for part in (
            scope["method"],
            scope["path"],
            bytes(scope.get("query_string", b"")).decode("latin-1"),
            _header(scope, b"content-type") or "",
        ):
            digest.update(part.encode() + b"\0")
        digest.update(body)
        key_id = idempotency.row_id(_caller(scope), key)
        services: Services = scope["app"].state.services
        outcome = await self._claim(services, key_id, digest.hexdigest())
        if isinstance(outcome, Stored):
            headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in outcome.headers]
            headers.append((b"idempotent-replayed", b"true"))
            headers.append((b"content-length", str(len(outcome.body)).encode()))
            await send({"type": "http.response.start", "status": outcome.status_code, "headers": headers})
            await send({"type": "http.response.body", "body": outcome.body})
            return
        if outcome is Claim.MISMATCH:
            await self._refuse(
                scope,
                receive,
                send,
                422,
                "idempotency_key_reused",
                f"this {HEADER} was used for a different request (method, path or body); use a new key",
            )
            return
        if outcome is Claim.RUNNING:
            await self._refuse(
                scope,
                receive,
                send,
                409,
                "idempotency_key_in_use",
                f"a request with this {HEADER} is still being answered; retry shortly",
                retry_after=1,
            )
            return
        await self._run(scope, body, receive, send, services, key_id)

    async def _claim(self, services: Services, key_id: str, request_hash: str) -> Claim | Stored:
        """Claims the key, waiting while another request with it runs (concurrent duplicates get one
        result), up to `wait_s`."""
        database, clock = services.database, services.clock
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_s
        while True:
            try:
                async with database.transaction() as db:
                    outcome = await idempotency.claim(db, key_id, request_hash, clock.now())
            except IntegrityError:
                outcome = Claim.RUNNING  # claimed by a concurrent request between our read and insert
            if outcome is not Claim.RUNNING or loop.time() >= deadline:
                return outcome
            await asyncio.sleep(POLL_S)

    async def _run(
        self, scope: Scope, body: bytes, receive: Receive, send: Send, services: Services, key_id: str
    ) -> None:
        database = services.database
        status = 0
        headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []
        complete = False
        sent_body = False

        async def replayed_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def capturing_send(message: Message) -> None:
            nonlocal status, complete
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for name, value in message.get("headers", ()):
                    text = bytes(name).decode("latin-1").lower()
                    if text not in _NOT_KEPT:
                        headers.append((text, bytes(value).decode("latin-1")))
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
                complete = not message.get("more_body", False)
            await send(message)

        try:
            await self.app(scope, replayed_receive, capturing_send)
        finally:
            keep = complete and status < 500 and status != 429
            # Shielded: a client hanging up mid-request cancels us, and the key must not stay "running"
            # for a day.
            await asyncio.shield(_settle(database, key_id, Stored(status, headers, b"".join(chunks)), keep))

    @staticmethod
    async def _refuse(
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        code: str,
        message: str,
        *,
        retry_after: int | None = None,
    ) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        response = JSONResponse(error_body(code, message, {"header": HEADER}), status, headers=headers)
        await response(scope, receive, send)


async def _settle(database: Database, key_id: str, response: Stored, keep: bool) -> None:
    try:
        async with database.transaction() as db:
            if keep:
                await idempotency.finish(db, key_id, response)
            else:
                await idempotency.release(db, key_id)
    except Exception:
        # The key then stays "running" until it expires: repeats get 409 rather than a second run.
        logger.exception("idempotency key could not be settled")


async def _read_body(receive: Callable[[], Awaitable[Message]]) -> tuple[bytes, bool]:
    """The whole request body (already bounded by engine.api.limits), and whether the client left."""
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"", True
        parts.append(bytes(message.get("body", b"")))
        if not message.get("more_body", False):
            return b"".join(parts), False
