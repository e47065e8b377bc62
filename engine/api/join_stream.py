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
import logging

from fastapi import APIRouter, WebSocket

from config.enums import SessionStatus
from engine.api.context import Services
from engine.api.socket_stream import Disconnected, SocketPeer, start_live, until_ended
from engine.errors import ApiError
from engine.live.browser_stream import MAX_FRAME_BYTES, BrowserStreamTransport, consent_given
from engine.live.channel import MAX_INBOUND_BYTES
from engine.live.session import EndReason
from engine.live.stream_limits import POLICY, SERVER_ERROR, MessageGate, StreamViolation
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
# Several engines: the interview is live on (or, this one draining, belongs to) another engine, and a
# WebSocket cannot be forwarded the way an offer is. The page reconnects in a moment.
ELSEWHERE = "this interview is held by another server; please reconnect in a moment"

CLOSE_REASONS = {
    EndReason.COMPLETED: "the interview is complete",
    EndReason.HANGUP: "the candidate ended the interview",
    EndReason.REPLACED: "the interview continued on another connection",
    EndReason.IDLE: "the candidate was silent too long; reconnect to continue",
    EndReason.SHUTDOWN: "the server is stopping; reconnect to continue",
    EndReason.LOST: "the connection was lost; reconnect to continue",
    EndReason.ERROR: "the interview failed on the server",
}


@router.websocket("/join/{token}/stream")
async def join_stream(websocket: WebSocket, token: str) -> None:
    await websocket.accept()
    services: Services = websocket.app.state.services
    consent = websocket.query_params.get("consent") == "true"
    await BrowserStream(websocket, services, token).run(consent=consent)


class BrowserStream:
    def __init__(self, websocket: WebSocket, services: Services, token: str) -> None:
        self._peer = SocketPeer(
            websocket, MessageGate(MAX_MESSAGE_BYTES, MAX_MESSAGES_PER_S, MESSAGE_BURST), "join stream"
        )
        self._services = services
        self._token = token

    async def run(self, *, consent: bool) -> None:
        try:
            await self._check_token()
            if not consent:
                await self._until_consent()
        except StreamViolation as violation:
            await self._peer.close(violation.code, violation.reason)
            return
        except Disconnected:
            return
        transport = BrowserStreamTransport(self._peer.send, max_queued_frames=MAX_QUEUED_FRAMES)
        started = await start_live(
            self._services,
            self._peer,
            self._token,
            transport,
            self._read(transport),
            elsewhere=ELSEWHERE,
            name="join-stream-reader",
        )
        if started is None:
            return
        live, reader = started
        logger.info("session %s continues over the WebSocket fallback", live.session_id)
        await until_ended(self._peer, live, transport, reader, CLOSE_REASONS)

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
                message = await self._peer.receive(None)
        except TimeoutError:
            raise StreamViolation(POLICY, f"no start within {START_TIMEOUT_S:g} s") from None
        if isinstance(message, bytes):
            raise StreamViolation(POLICY, "audio before consent: send start first")
        if not consent_given(message):
            raise StreamViolation(POLICY, CONSENT_REQUIRED)

    async def _read(self, transport: BrowserStreamTransport) -> StreamViolation | None:
        """Feeds the transport until the stream ends: None when the page closed it, the violation when it
        broke a rule (the transport is told either way)."""
        try:
            while True:
                message = await self._peer.receive(IDLE_TIMEOUT_S)
                if isinstance(message, bytes):
                    transport.audio(message)
                else:
                    transport.text(message)
        except StreamViolation as violation:
            transport.lost()
            return violation
        except Disconnected:
            transport.lost()
            return None
        except Exception:
            logger.exception("reading a join stream failed")
            transport.lost()
            return StreamViolation(SERVER_ERROR, "the engine failed reading the stream")
