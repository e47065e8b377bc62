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

from config.phone import CallOutcome
from engine.api.context import Services
from engine.api.socket_stream import Disconnected, SocketPeer, start_live, until_ended
from engine.live.phone import Connected, Dtmf, Event, Mark, Media, PhoneTransport, Stop, StreamStart, parse
from engine.live.session import EndReason
from engine.live.stream_limits import POLICY, SERVER_ERROR, UNSUPPORTED, MessageGate, StreamViolation
from engine.services import phone

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter()

# After the interview ends, how long the caller may take to hear the last line (its mark coming back)
# before the stream is closed, which ends the call.
LAST_LINE_S = 3.0
# Several engines: the interview is live on (or, this one draining, belongs to) another engine, and a
# media stream cannot be forwarded the way a WebRTC offer is. The provider's next call (with a new stream
# URL) may reach the right one.
ELSEWHERE = "this interview is held by another server; please call again in a moment"

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


@router.websocket("/v1/phone-streams/{token}")
async def phone_stream(websocket: WebSocket, token: str) -> None:
    await websocket.accept()
    services: Services = websocket.app.state.services
    await PhoneCall(websocket, services, token).run()


class PhoneCall:
    def __init__(self, websocket: WebSocket, services: Services, token: str) -> None:
        limits = services.settings.phone
        gate = MessageGate(limits.max_message_bytes, limits.max_messages_per_s, limits.message_burst)
        self._peer = SocketPeer(websocket, gate, "phone stream")
        self._services = services
        self._token = token
        self._limits = limits

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
            await self._peer.close(violation.code, violation.reason)
            return
        except phone.InvalidToken:
            await self._peer.close(POLICY, "unknown, used or expired stream token")
            return
        except Disconnected:
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
        transport = PhoneTransport(self._peer.send, start, max_queued_frames=self._limits.max_queued_frames)
        started = await start_live(
            self._services,
            self._peer,
            grant.join_token,
            transport,
            self._read(transport),
            elsewhere=ELSEWHERE,
            name=f"phone-reader-{start.call_sid[:12]}",
        )
        if started is None:
            return "failed"
        live, reader = started

        async def last_line_heard() -> None:
            """The session has ended: wait (briefly) for the mark behind its last line to come back. After
            `stop` the provider closes the socket itself; otherwise closing it ends the call."""
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(LAST_LINE_S):
                    await transport.wait_heard()

        reason = await until_ended(
            self._peer, live, transport, reader, CLOSE_REASONS, after_session=last_line_heard
        )
        return OUTCOMES.get(reason, "answered")

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
        except Disconnected:
            transport.lost()
            return None
        except Exception:
            logger.exception("reading a phone stream failed")
            transport.lost()
            return StreamViolation(SERVER_ERROR, "the engine failed reading the stream")

    async def _next(self, idle_s: float | None) -> Event:
        message = await self._peer.receive(idle_s)
        if isinstance(message, bytes):
            raise StreamViolation(UNSUPPORTED, "binary message: the protocol is JSON text")
        return parse(message)


def _name(event: Event) -> str:
    return type(event).__name__.lower()
