"""/v1/sessions/{id}/live (WebSocket): a signed-in recruiter (or an API key with read:sessions) watches
an interview while it happens: its transcript lines and the interviewer's state.

Authorised exactly like reading the session (engine.api.context): the dashboard's sign-in cookie, or
`Authorization: Bearer <key>`, `?company_id=` for a partner key. A refusal (no credential, a missing
scope, another company's session or none at all) closes the socket with 1008 before anything is sent,
its reason saying why, as a 404 or 403 would. With the cookie the handshake's Origin must be this server
(a WebSocket is not covered by CORS). The sign-in is checked again every REAUTH_S, so a revoked one or
a removed scope stops the stream as it stops every other request.

The stream (engine.services.live_view shapes it) starts with a snapshot, then each line and state as
the session publishes it to its feed (engine/live/feed.py); watching changes nothing for the candidate.
A watcher that falls behind is dropped by the feed, and re-subscribed here with a fresh snapshot; the
candidate reloading their page (the session is replaced) carries on with the new connection's lines.
A session not live on this engine gets `not_live` and a normal close.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy.ext.asyncio import AsyncSession

from config.base import ID_PATTERN
from engine import browser_sessions
from engine.api.context import Services
from engine.auth import KeyCheck, Principal, check_key, for_company, record_use
from engine.errors import ApiError, BadRequest, NotFound, ServiceUnavailable, TooManyRequests
from engine.live.feed import Watcher
from engine.live.session import EndReason, LiveSession
from engine.services import audit, sessions
from engine.services.live_view import JSON, ViewState, not_live, session_summary, snapshot
from engine.store.tables import SessionRow

__all__ = ["MAX_WATCHERS", "router"]

logger = logging.getLogger(__name__)

router = APIRouter()

MAX_WATCHERS = 10  # per interview: each costs a queue and a socket, and ten is a whole hiring panel
KEEPALIVE_S = 15.0  # a quiet stream sends {"type": "keepalive"}, so proxies and clients see it alive
REAUTH_S = 60.0  # how stale a watcher's authorisation may get
SEND_TIMEOUT_S = 10.0  # a client that reads nothing for this long is let go
RESUBSCRIBE = 3  # times in a row a watcher that fell behind is given a fresh snapshot
REPLACED_WAIT_S = 15.0  # how long to wait for the candidate's new connection after a page reload
CLIENT_MESSAGES = 20  # the stream takes no messages; a client sending more than this is closed
REASON_BYTES = 120  # a close frame's reason is at most 123 bytes

# RFC 6455 close codes: 1008 policy violation (refused), 1013 try again later, 1011 server error.
REFUSED, TRY_LATER, SERVER_ERROR, NORMAL = 1008, 1013, 1011, 1000

# What a send or receive raises once the client has gone (Starlette's, or the server's own).
GONE = (WebSocketDisconnect, OSError, RuntimeError)

Outcome = Literal["ended", "dropped", "replaced"]


@dataclass(slots=True)
class Access:
    """Who watches which session; re-checked every REAUTH_S."""

    services: Services
    session_id: str
    authorization: str | None
    cookie: str | None
    company_id: str | None
    checked_at: float = 0.0

    async def check(self, db: AsyncSession) -> tuple[KeyCheck, SessionRow]:
        services = self.services
        if self.authorization or not self.cookie:
            found = await check_key(db, self.authorization, services.clock, self.company_id)
        else:
            principal, _row = await browser_sessions.resolve(
                db, self.cookie, services.clock, services.settings.signin
            )
            found = KeyCheck(for_company(principal, self.company_id), use_due=False)
        found.principal.require("read:sessions")
        row = await sessions.get(db, found.principal.company_id, self.session_id)
        self.checked_at = time.monotonic()
        return found, row

    async def recheck(self) -> None:
        """Raises the API error that would refuse a request now, once REAUTH_S has passed."""
        if time.monotonic() - self.checked_at < REAUTH_S:
            return
        async with self.services.database.transaction() as db:
            await self.check(db)


@router.websocket("/v1/sessions/{session_id}/live")
async def watch_live(websocket: WebSocket, session_id: str) -> None:
    services: Services = websocket.app.state.services
    access = Access(
        services,
        session_id,
        websocket.headers.get("authorization"),
        websocket.cookies.get(browser_sessions.COOKIE),
        websocket.query_params.get("company_id"),
    )
    try:
        live, first = await _open(websocket, access)
    except ApiError as error:
        await _refuse(websocket, error)
        return
    await websocket.accept()
    if live is None:
        with contextlib.suppress(*GONE, TimeoutError):
            await _send(websocket, first)
            await websocket.close(NORMAL)
        return
    try:
        # Again after the handshake (others may have joined meanwhile). Watchers opening at the very same
        # moment may still pass together: the cap bounds resources, it need not be exact.
        _check_room(live)
    except ServiceUnavailable as error:
        await websocket.close(TRY_LATER, error.message)
        return
    logger.info("session %s: a watcher joined (%d watching)", access.session_id, live.feed.watchers + 1)
    try:
        await _serve(websocket, access, live, first["session"])
    finally:
        logger.info("session %s: a watcher left", access.session_id)


async def _open(websocket: WebSocket, access: Access) -> tuple[LiveSession | None, JSON]:
    """Authorises the watcher (raising the API error a request would get) and finds the live session:
    (None, the not_live message) when there is none here, else (it, {"session": summary})."""
    services = access.services
    if not re.fullmatch(ID_PATTERN, access.session_id):
        raise NotFound("session not found")
    if access.company_id is not None and len(access.company_id) > 64:
        raise BadRequest("company_id is at most 64 characters", {"fields": [{"path": "company_id"}]})
    async with services.database.transaction() as db:
        if access.cookie and not access.authorization:
            browser_sessions.check_origin(websocket.headers)
        found, row = await access.check(db)
        await services.rates.caller(found.principal.rate_key)
        live = services.live.get(row.id)
        summary = session_summary(row, transport=live.transport_kind if live is not None else None)
        if live is None:
            node = services.live.node
            gone = await not_live(db, row, node.id if node else None, node.fresh_since() if node else None)
            first = gone.as_message(summary)
        else:
            _check_room(live)
            # Watching is reading the transcript as it is written: recorded like any other view.
            await audit.record(
                db,
                found.principal,
                "transcript.viewed",
                "session",
                row.id,
                now=services.clock.now(),
                detail={"live": True},
            )
            first = {"session": summary}
    if found.use_due:
        await _record_use(services, found.principal)
    return live, first


def _check_room(live: LiveSession) -> None:
    if live.feed.watchers >= MAX_WATCHERS:
        raise ServiceUnavailable(f"{MAX_WATCHERS} people are watching this interview already; try later")


async def _record_use(services: Services, caller: Principal) -> None:
    # As engine.api.context does for every request: in a short transaction of its own.
    try:
        async with services.database.transaction() as db:
            await record_use(db, caller.key_id, services.clock.now(), partner=caller.partner)
    except Exception:
        logger.warning("could not record the use of API key %s", caller.key_id, exc_info=True)


async def _refuse(websocket: WebSocket, error: ApiError) -> None:
    """Accepted only to be closed with a code and a reason a client can read (a refused handshake
    would be a bare 403); nothing else is sent."""
    code = TRY_LATER if isinstance(error, TooManyRequests | ServiceUnavailable) else REFUSED
    logger.info("live view of session refused (%s): %s", error.code, error.message)
    with contextlib.suppress(*GONE):
        await websocket.accept()
        await websocket.close(code, _reason(error.message))


def _reason(text: str) -> str:
    raw = text.encode()[:REASON_BYTES]
    return raw.decode(errors="ignore")


async def _send(websocket: WebSocket, message: JSON) -> None:
    async with asyncio.timeout(SEND_TIMEOUT_S):
        await websocket.send_text(json.dumps(message, separators=(",", ":")))


async def _serve(websocket: WebSocket, access: Access, live: LiveSession, summary: JSON) -> None:
    """The stream and a listener for the client's close, each ending the other."""
    close: tuple[int, str] = (NORMAL, "")  # code 0: the client is gone, nothing to close

    async def stream() -> None:
        nonlocal close
        try:
            close = await _stream(websocket, access, live, summary)
        except ApiError as error:  # the sign-in ended, or the scope was taken away
            close = (REFUSED, _reason(error.message))
        except TimeoutError:
            close = (TRY_LATER, "the stream could not be delivered in time")
        except GONE:
            close = (0, "")
        except Exception:
            logger.exception("live view of session %s failed", access.session_id)
            close = (SERVER_ERROR, "the live view failed; try again")

    async def listen() -> None:
        nonlocal close
        count = 0
        try:
            while (await websocket.receive())["type"] != "websocket.disconnect":
                count += 1
                if count > CLIENT_MESSAGES:
                    close = (REFUSED, "this stream takes no messages")
                    return
        except GONE:
            pass
        close = (0, "")

    async with asyncio.TaskGroup() as tasks:
        streaming = tasks.create_task(stream())
        listening = tasks.create_task(listen())
        streaming.add_done_callback(lambda _t: listening.cancel())
        listening.add_done_callback(lambda _t: streaming.cancel())
    if close[0]:
        with contextlib.suppress(*GONE):
            await websocket.close(*close)


async def _stream(websocket: WebSocket, access: Access, live: LiveSession, summary: JSON) -> tuple[int, str]:
    """Feeds the watcher until the interview ends; returns how to close."""
    send: Callable[[JSON], Awaitable[None]] = lambda message: _send(websocket, message)  # noqa: E731
    view: ViewState | None = None
    previous: LiveSession | None = None
    drops = 0
    while True:
        async with live.feed.watch() as watcher:
            first, fresh, ended = snapshot(watcher.snapshot, summary)
            if previous is not None and previous is not live:
                # The candidate's new connection: its lines follow the ones already shown.
                for line in first["lines"]:
                    await send({"type": "line", **line, "final": True})
                if fresh.state is not None and (view is None or fresh.state != view.state):
                    await send({"type": "state", "state": fresh.state})
            else:
                await send(first)
            view, previous = fresh, live
            if ended:
                await send({"type": "ended", "reason": _ended_reason(watcher)})
                return NORMAL, ""
            outcome = await _pump(send, watcher, view, access)
        if outcome == "ended":
            return NORMAL, ""
        if outcome == "dropped":
            drops += 1
            if drops > RESUBSCRIBE:
                return TRY_LATER, "this connection cannot keep up with the interview"
            continue
        drops = 0
        replacement = await _replacement(access, live)
        if replacement is None:
            await send({"type": "ended", "reason": EndReason.REPLACED})
            return NORMAL, ""
        live = replacement


def _ended_reason(watcher: Watcher) -> str | None:
    reason = watcher.snapshot[-1].get("reason")
    return reason if isinstance(reason, str) else None


async def _pump(
    send: Callable[[JSON], Awaitable[None]], watcher: Watcher, view: ViewState, access: Access
) -> Outcome:
    while True:
        try:
            async with asyncio.timeout(KEEPALIVE_S):
                message = await watcher.next()
        except TimeoutError:
            await access.recheck()
            await send({"type": "keepalive"})
            continue
        if message is None:
            if watcher.dropped:
                return "dropped"
            await send({"type": "ended", "reason": None})  # the feed closed without saying why
            return "ended"
        if message.get("type") == "ended" and message.get("reason") == EndReason.REPLACED:
            return "replaced"
        await access.recheck()
        for out in view.apply(message):
            await send(out)
            if out["type"] == "ended":
                return "ended"


async def _replacement(access: Access, old: LiveSession) -> LiveSession | None:
    """The session's next live connection, once the page that reloaded has connected again."""
    deadline = time.monotonic() + REPLACED_WAIT_S
    while time.monotonic() < deadline:
        current = access.services.live.get(access.session_id)
        if current is not None and current is not old:
            return current
        await asyncio.sleep(0.2)
    return None
