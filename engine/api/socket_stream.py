"""What the two WebSocket endpoints that carry an interview share: the join page's fallback
(engine/api/join_stream.py) and a telephony provider's media stream (engine/api/phone_socket.py).

`SocketPeer` reads with an idle limit and the size and rate gate (engine/live/stream_limits.py), writes
the transport's messages and closes with a reason. `start_live` starts the session with the socket
already being read (the other side's audio then waits in the transport's bounded queue rather than in
the socket, where a backlog would trip the rate limit) and closes the socket with the reason a session
that cannot start gets. `until_ended` holds the connection until the session ends: a stream that broke a
rule is closed with the code that says why, and the session then ends as a lost connection (everything
recorded is kept and the interview stays resumable); a stream cancelled with the server still tells the
session it is gone, so the session never waits on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketState

from engine.api.context import Services
from engine.errors import ApiError, ServiceUnavailable
from engine.live.node import LiveElsewhere
from engine.live.session import EndReason, LiveSession
from engine.live.stream import StreamTransport, WireMessage
from engine.live.stream_limits import NORMAL, POLICY, SERVER_ERROR, TRY_AGAIN, MessageGate, StreamViolation
from engine.live.stream_limits import close_reason as _close_reason

__all__ = ["Disconnected", "SocketPeer", "refusal", "start_live", "until_ended"]

logger = logging.getLogger(__name__)

Reader = asyncio.Task[StreamViolation | None]


class Disconnected(Exception):
    """The other side closed the socket."""


class SocketPeer:
    """One accepted WebSocket. `label` names the stream in the log ("join stream", "phone stream")."""

    def __init__(self, websocket: WebSocket, gate: MessageGate, label: str) -> None:
        self._ws = websocket
        self._gate = gate
        self.label = label

    async def receive(self, idle_s: float | None) -> str | bytes:
        """The next message, text or bytes, once through the gate. Raises `Disconnected`, or
        `StreamViolation` when nothing came for `idle_s` (None: no limit) or the gate refuses it."""
        try:
            async with asyncio.timeout(idle_s):
                message = await self._ws.receive()
        except TimeoutError:
            raise StreamViolation(POLICY, f"nothing received for {idle_s:g} s") from None
        if message["type"] == "websocket.disconnect":
            raise Disconnected
        text = message.get("text")
        data: str | bytes = text if text is not None else (message.get("bytes") or b"")
        self._gate.admit(data)
        return data

    async def send(self, message: WireMessage) -> None:
        if isinstance(message, str):
            await self._ws.send_text(message)
        else:
            await self._ws.send_bytes(message)

    async def close(self, code: int, reason: str) -> None:
        if self._ws.application_state is WebSocketState.DISCONNECTED:
            return
        try:
            await self._ws.close(code, _close_reason(reason))
        except Exception as exc:  # the other side closed it first
            logger.debug("closing a %s failed: %s", self.label, exc)


def refusal(exc: BaseException, elsewhere: str, label: str) -> tuple[int, str]:
    """The close code and reason for a stream the session could not take. `elsewhere`: what to tell the
    other side when the interview is held by another engine (a WebSocket cannot be forwarded the way a
    WebRTC offer is)."""
    if isinstance(exc, LiveElsewhere):
        return TRY_AGAIN, elsewhere
    if isinstance(exc, ServiceUnavailable):
        return TRY_AGAIN, str(exc)
    if isinstance(exc, ApiError | ValueError):
        return POLICY, str(exc)
    logger.error("a %s could not start its session", label, exc_info=exc)
    return SERVER_ERROR, "the interview could not start on the server"


async def start_live(
    services: Services,
    peer: SocketPeer,
    token: str,
    transport: StreamTransport,
    read: Coroutine[Any, Any, StreamViolation | None],
    *,
    elsewhere: str,
    name: str,
) -> tuple[LiveSession, Reader] | None:
    """The session started on `transport`, and the task running `read` (started first); None when the
    session could not start (the socket is then closed with the reason)."""
    reader = asyncio.create_task(read, name=name)
    try:
        live = await services.live.connect(token, transport)
    except BaseException as exc:
        # The registry closed the transport; nothing will read what the reader gathers.
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        if not isinstance(exc, Exception):
            raise
        await peer.close(*refusal(exc, elsewhere, peer.label))
        return None
    return live, reader


async def until_ended(
    peer: SocketPeer,
    live: LiveSession,
    transport: StreamTransport,
    reader: Reader,
    close_reasons: Mapping[str, str],
    *,
    after_session: Callable[[], Awaitable[None]] | None = None,
) -> str:
    """Until the session has ended and the socket is closed; the session's end reason. `after_session`
    runs when the session ended first (before the socket is closed)."""
    closed = asyncio.create_task(transport.wait_closed())
    try:
        await asyncio.wait({reader, closed}, return_when=asyncio.FIRST_COMPLETED)
        if reader.done():
            violation = reader.result()
            if violation is not None:
                logger.info("%s of session %s closed: %s", peer.label, live.session_id, violation.reason)
                await peer.close(violation.code, violation.reason)
            # The session ends on its own (hang-up or lost) and closes the transport.
            await closed
        elif after_session is not None:
            await after_session()
        # The transport flushed the session's last messages before it closed.
        reason = live.end_reason or EndReason.LOST
        await peer.close(NORMAL, close_reasons.get(reason, "the interview has ended"))
    finally:
        if not transport.ended:  # cancelled (the server stopping): the session must not wait on it
            transport.lost()
        for task in (reader, closed):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(reader, closed, return_exceptions=True)
    return reason
