"""`/v1/phone-streams/{token}`: the WebSocket a telephony provider streams a call to (Twilio Media
Streams' protocol, engine/live/phone.py; docs/phone.md).

The token in the path is the credential (from `GET /v1/sessions/{id}/phone-stream`). A connection with a
token that cannot start anything is closed at once; otherwise its first messages must be `connected`
and `start` within IE_PHONE__START_TIMEOUT_S, and `start` spends the token: no audio is accepted before
it. Then the call runs as the session's transport until either side ends it. Every message passes the
size and rate gate (engine/live/stream_limits.py), and a stream that breaks a rule is closed with the
code that says why; the session then ends as a lost connection, so everything recorded so far is kept
and the interview stays resumable. Each call that spends a token is logged as a call attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketState

from config.phone import CallOutcome
from engine.api.context import Services
from engine.errors import ApiError, ServiceUnavailable
from engine.live.node import LiveElsewhere
from engine.live.phone import Connected, Dtmf, Event, Mark, Media, PhoneTransport, Stop, StreamStart, parse
from engine.live.session import EndReason, LiveSession
from engine.live.stream import WireMessage
from engine.live.stream_limits import (
    NORMAL,
    POLICY,
    SERVER_ERROR,
    TRY_AGAIN,
    UNSUPPORTED,
    MessageGate,
    StreamViolation,
    close_reason,
)
from engine.services import phone

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter()

# After the interview ends, how long the caller may take to hear the last line (its mark coming back)
# before the stream is closed, which ends the call.
LAST_LINE_S = 3.0

OUTCOMES: dict[str, CallOutcome] = {
    EndReason.COMPLETED: "completed",
    EndReason.HANGUP: "hung_up",
    EndReason.LOST: "failed",
    EndReason.ERROR: "failed",
}
CLOSE_REASONS = {
    EndReason.COMPLETED: "the interview is complete",
    EndReason.HANGUP: "the caller hung up",
    EndReason.REPLACED: "the interview continued on another connection",
    EndReason.IDLE: "the caller was silent too long; call again to continue",
    EndReason.SHUTDOWN: "the server is stopping; call again to continue",
    EndReason.LOST: "the call was lost; call again to continue",
    EndReason.ERROR: "the interview failed on the server",
}


class _Disconnected(Exception):
    """The provider closed the socket."""


@router.websocket("/v1/phone-streams/{token}")
async def phone_stream(websocket: WebSocket, token: str) -> None:
    await websocket.accept()
    services: Services = websocket.app.state.services
    await PhoneCall(websocket, services, token).run()


class PhoneCall:
    def __init__(self, websocket: WebSocket, services: Services, token: str) -> None:
        self._ws = websocket
        self._services = services
        self._token = token
        limits = services.settings.phone
        self._limits = limits
        self._gate = MessageGate(limits.max_message_bytes, limits.max_messages_per_s, limits.message_burst)

    async def run(self) -> None:
        try:
            async with self._services.database.transaction() as db:
                valid = await phone.valid_token(db, self._token, self._services.clock.now())
            if not valid:
                raise StreamViolation(POLICY, "unknown, used or expired stream token")
            start = await self._until_start()
            now = self._services.clock.now()
            async with self._services.database.transaction() as db:
                grant = await phone.spend_token(db, self._token, now)
                attempt = await phone.start_attempt(db, grant, start.call_sid, now)
        except StreamViolation as violation:
            await self._close(violation.code, violation.reason)
            return
        except phone.InvalidToken:
            await self._close(POLICY, "unknown, used or expired stream token")
            return
        except _Disconnected:
            return
        logger.info("phone call %s started for session %s", start.call_sid, grant.session_id)
        outcome: CallOutcome = "failed"
        try:
            outcome = await self._call(grant, start)
        finally:
            async with self._services.database.transaction() as db:
                await phone.end_attempt(db, attempt, outcome, self._services.clock.now())
            logger.info("phone call %s ended: %s", start.call_sid, outcome)

    async def _call(self, grant: phone.Grant, start: StreamStart) -> CallOutcome:
        transport = PhoneTransport(self._send, start, max_queued_frames=self._limits.max_queued_frames)
        # Read from now on, while the session starts: the caller's audio waits in the transport's bounded
        # queue rather than in the socket, where a backlog would trip the rate limit.
        reader = asyncio.create_task(self._read(transport), name=f"phone-reader-{start.call_sid[:12]}")
        try:
            live = await self._services.live.connect(grant.join_token, transport)
        except BaseException as exc:
            # The registry closed the transport; nothing will read what the reader gathers.
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            if not isinstance(exc, Exception):
                raise
            await self._close(*_refusal(exc))
            return "failed"
        return await self._until_ended(live, transport, reader)

    async def _until_ended(
        self, live: LiveSession, transport: PhoneTransport, reader: asyncio.Task[StreamViolation | None]
    ) -> CallOutcome:
        closed = asyncio.create_task(transport.wait_closed())
        try:
            await asyncio.wait({reader, closed}, return_when=asyncio.FIRST_COMPLETED)
            if reader.done():
                violation = reader.result()
                if violation is not None:
                    logger.info("phone stream of session %s closed: %s", live.session_id, violation.reason)
                    await self._close(violation.code, violation.reason)
                # The session ends on its own (hang-up or lost) and closes the transport.
                await closed
            else:
                await self._last_line_heard(transport)
            # After `stop` the provider closes the socket itself; otherwise this ends the call.
            reason = live.end_reason or EndReason.LOST
            await self._close(NORMAL, CLOSE_REASONS.get(reason, "the interview has ended"))
        finally:
            if not transport.ended:  # cancelled (the server stopping): the session must not wait on it
                transport.lost()
            for task in (reader, closed):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(reader, closed, return_exceptions=True)
        return OUTCOMES.get(live.end_reason or EndReason.LOST, "answered")

    async def _last_line_heard(self, transport: PhoneTransport) -> None:
        """The session has ended: wait (briefly) for the mark behind its last line to come back."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(LAST_LINE_S):
                await transport.wait_heard()

    # -- reading ----------------------------------------------------------------------------------------

    async def _until_start(self) -> StreamStart:
        try:
            async with asyncio.timeout(self._limits.start_timeout_s):
                while True:
                    event = await self._next(None)
                    if isinstance(event, StreamStart):
                        return event
                    if not isinstance(event, Connected):
                        raise StreamViolation(POLICY, f"{_name(event)} before start: send start first")
        except TimeoutError:
            raise StreamViolation(POLICY, f"no start within {self._limits.start_timeout_s:g} s") from None

    async def _read(self, transport: PhoneTransport) -> StreamViolation | None:
        """Feeds the transport until the stream ends: None when the provider stopped or closed it, the
        violation when it broke a rule (the transport is told either way)."""
        try:
            while True:
                event = await self._next(self._limits.idle_timeout_s)
                if isinstance(event, Media):
                    transport.media(event)
                elif isinstance(event, Mark):
                    transport.played(event)
                elif isinstance(event, Stop):
                    transport.check_sid(event.stream_sid)
                    transport.stop()
                    return None
                elif isinstance(event, StreamStart):
                    raise StreamViolation(POLICY, "a second start on one stream")
                elif isinstance(event, Dtmf):
                    transport.check_sid(event.stream_sid)
                # `connected` again changes nothing.
        except StreamViolation as violation:
            transport.lost()
            return violation
        except _Disconnected:
            transport.lost()
            return None
        except Exception:
            logger.exception("reading a phone stream failed")
            transport.lost()
            return StreamViolation(SERVER_ERROR, "the engine failed reading the stream")

    async def _next(self, idle_s: float | None) -> Event:
        try:
            async with asyncio.timeout(idle_s):
                message = await self._ws.receive()
        except TimeoutError:
            raise StreamViolation(POLICY, f"nothing received for {idle_s:g} s") from None
        if message["type"] == "websocket.disconnect":
            raise _Disconnected
        text = message.get("text")
        if text is None:
            self._gate.admit(message.get("bytes") or b"")
            raise StreamViolation(UNSUPPORTED, "binary message: the protocol is JSON text")
        self._gate.admit(text)
        return parse(text)

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
        except Exception as exc:  # the provider closed it first
            logger.debug("closing a phone stream failed: %s", exc)


def _name(event: Event) -> str:
    return type(event).__name__.lower()


def _refusal(exc: BaseException) -> tuple[int, str]:
    """The close code and reason for a call the session could not take."""
    if isinstance(exc, LiveElsewhere):
        # Several engines: the interview is live on (or, this one draining, belongs to) another engine,
        # and a media stream cannot be forwarded the way a WebRTC offer is. The provider's next call
        # (with a new stream URL) may reach the right one.
        return TRY_AGAIN, "this interview is held by another server; please call again in a moment"
    if isinstance(exc, ServiceUnavailable):
        return TRY_AGAIN, str(exc)
    if isinstance(exc, ApiError):
        return POLICY, str(exc)
    if isinstance(exc, ValueError):
        return POLICY, str(exc)
    logger.error("a phone call could not start its session", exc_info=exc)
    return SERVER_ERROR, "the interview could not start on the server"
