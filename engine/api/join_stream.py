"""`/join/{token}/stream`: the join page's WebSocket fallback, for a browser whose WebRTC cannot connect
(engine/live/browser_stream.py; docs/media.md, "When WebRTC cannot connect").

Same origin as the page, and the join token in the path is the credential, as for the offer. The token is
checked before anything is read; consent is required exactly as the offer requires it: `?consent=true`
in the URL, or a first message `{"type": "start", "consent": true}` within START_TIMEOUT_S. No audio is
accepted before both. Every message passes the size and rate gate (engine/live/stream_limits.py), and a
stream that breaks a rule is closed with the code that says why; the session then ends as a lost
connection, so everything recorded is kept and the interview stays resumable. A socket that closes
without the page's `hangup` is a lost connection too; `hangup` ends the interview as the End button does.
A second connection for the same link replaces the first (engine/live/registry.py), as a reloaded page
does over WebRTC.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketState

from config.enums import SessionStatus
from engine.api.context import Services
from engine.errors import ApiError, ServiceUnavailable
from engine.live.browser_stream import MAX_FRAME_BYTES, BrowserStreamTransport, consent_given
from engine.live.channel import MAX_INBOUND_BYTES
from engine.live.node import LiveElsewhere
from engine.live.session import EndReason, LiveSession
from engine.live.stream import WireMessage
from engine.live.stream_limits import (
    NORMAL,
    POLICY,
    SERVER_ERROR,
    TRY_AGAIN,
    MessageGate,
    StreamViolation,
    close_reason,
)
from engine.services import join

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter()

# The page sends 50 audio messages a second and a text message now and then: twice that sustained, and
# a burst for the backlog a stalled network releases (5 s of audio).
MAX_MESSAGES_PER_S = 100.0
MESSAGE_BURST = 250
MAX_MESSAGE_BYTES = max(MAX_FRAME_BYTES, MAX_INBOUND_BYTES)
START_TIMEOUT_S = 10.0
# The page sends audio all the time (silence included), so a quiet socket is a dead one.
IDLE_TIMEOUT_S = 10.0
MAX_QUEUED_FRAMES = 250
CONSENT_REQUIRED = "the candidate must agree to the recording before the interview starts"

CLOSE_REASONS = {
    EndReason.COMPLETED: "the interview is complete",
    EndReason.HANGUP: "the candidate ended the interview",
    EndReason.REPLACED: "the interview continued on another connection",
    EndReason.IDLE: "the candidate was silent too long; reconnect to continue",
    EndReason.SHUTDOWN: "the server is stopping; reconnect to continue",
    EndReason.LOST: "the connection was lost; reconnect to continue",
    EndReason.ERROR: "the interview failed on the server",
}


class _Disconnected(Exception):
    """The page closed the socket."""


@router.websocket("/join/{token}/stream")
async def join_stream(websocket: WebSocket, token: str) -> None:
    await websocket.accept()
    services: Services = websocket.app.state.services
    consent = websocket.query_params.get("consent") == "true"
    await BrowserStream(websocket, services, token).run(consent=consent)


class BrowserStream:
    def __init__(self, websocket: WebSocket, services: Services, token: str) -> None:
        self._ws = websocket
        self._services = services
        self._token = token
        self._gate = MessageGate(MAX_MESSAGE_BYTES, MAX_MESSAGES_PER_S, MESSAGE_BURST)

    async def run(self, *, consent: bool) -> None:
        try:
            await self._check_token()
            if not consent:
                await self._until_consent()
        except StreamViolation as violation:
            await self._close(violation.code, violation.reason)
            return
        except _Disconnected:
            return
        transport = BrowserStreamTransport(self._send, max_queued_frames=MAX_QUEUED_FRAMES)
        # Read from now on, while the session starts: the page's audio waits in the transport's bounded
        # queue rather than in the socket, where a backlog would trip the rate limit.
        reader = asyncio.create_task(self._read(transport), name="join-stream-reader")
        try:
            live = await self._services.live.connect(self._token, transport)
        except BaseException as exc:
            # The registry closed the transport; nothing will read what the reader gathers.
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            if not isinstance(exc, Exception):
                raise
            await self._close(*_refusal(exc))
            return
        logger.info("session %s continues over the WebSocket fallback", live.session_id)
        await self._until_ended(live, transport, reader)

    async def _check_token(self) -> None:
        """Before anything is read: the link must open a session that can still be joined."""
        try:
            async with self._services.database.transaction() as db:
                row = await join.by_token(db, self._token)
        except ApiError:
            raise StreamViolation(POLICY, "unknown join link") from None
        message = join.status_message(SessionStatus(row.status))
        if message:
            raise StreamViolation(POLICY, message)

    async def _until_consent(self) -> None:
        try:
            async with asyncio.timeout(START_TIMEOUT_S):
                message = await self._receive(None)
        except TimeoutError:
            raise StreamViolation(POLICY, f"no start within {START_TIMEOUT_S:g} s") from None
        if isinstance(message, bytes):
            raise StreamViolation(POLICY, "audio before consent: send start first")
        if not consent_given(message):
            raise StreamViolation(POLICY, CONSENT_REQUIRED)

    async def _until_ended(
        self,
        live: LiveSession,
        transport: BrowserStreamTransport,
        reader: asyncio.Task[StreamViolation | None],
    ) -> None:
        closed = asyncio.create_task(transport.wait_closed())
        try:
            await asyncio.wait({reader, closed}, return_when=asyncio.FIRST_COMPLETED)
            if reader.done():
                violation = reader.result()
                if violation is not None:
                    logger.info("join stream of session %s closed: %s", live.session_id, violation.reason)
                    await self._close(violation.code, violation.reason)
                # The session ends on its own (hang-up or lost) and closes the transport.
                await closed
            # The transport flushed the session's `ended` message before it closed.
            reason = live.end_reason or EndReason.LOST
            await self._close(NORMAL, CLOSE_REASONS.get(reason, "the interview has ended"))
        finally:
            if not transport.ended:  # cancelled (the server stopping): the session must not wait on it
                transport.lost()
            for task in (reader, closed):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(reader, closed, return_exceptions=True)

    # -- reading ----------------------------------------------------------------------------------------

    async def _read(self, transport: BrowserStreamTransport) -> StreamViolation | None:
        """Feeds the transport until the stream ends: None when the page closed it, the violation when it
        broke a rule (the transport is told either way)."""
        try:
            while True:
                message = await self._receive(IDLE_TIMEOUT_S)
                if isinstance(message, bytes):
                    transport.audio(message)
                else:
                    transport.text(message)
        except StreamViolation as violation:
            transport.lost()
            return violation
        except _Disconnected:
            transport.lost()
            return None
        except Exception:
            logger.exception("reading a join stream failed")
            transport.lost()
            return StreamViolation(SERVER_ERROR, "the engine failed reading the stream")

    async def _receive(self, idle_s: float | None) -> str | bytes:
        try:
            async with asyncio.timeout(idle_s):
                message = await self._ws.receive()
        except TimeoutError:
            raise StreamViolation(POLICY, f"nothing received for {idle_s:g} s") from None
        if message["type"] == "websocket.disconnect":
            raise _Disconnected
        text = message.get("text")
        data: str | bytes = text if text is not None else (message.get("bytes") or b"")
        self._gate.admit(data)
        return data

    # -- writing ----------------------------------------------------------------------------------------

    async def _send(self, message: WireMessage) -> None:
        if isinstance(message, str):
            await self._ws.send_text(message)
        else:
            await self._ws.send_bytes(message)

    async def _close(self, code: int, reason: str) -> None:
        if self._ws.application_state is WebSocketState.DISCONNECTED:
            return
        try:
            await self._ws.close(code, close_reason(reason))
        except Exception as exc:  # the page closed it first
            logger.debug("closing a join stream failed: %s", exc)


def _refusal(exc: BaseException) -> tuple[int, str]:
    """The close code and reason for a stream the session could not take."""
    if isinstance(exc, LiveElsewhere):
        # Several engines: the interview is live on (or, this one draining, belongs to) another engine,
        # and a WebSocket cannot be forwarded the way an offer is. The page reconnects in a moment.
        return TRY_AGAIN, "this interview is held by another server; please reconnect in a moment"
    if isinstance(exc, ServiceUnavailable):
        return TRY_AGAIN, str(exc)
    if isinstance(exc, ApiError | ValueError):
        return POLICY, str(exc)
    logger.error("a join stream could not start its session", exc_info=exc)
    return SERVER_ERROR, "the interview could not start on the server"
