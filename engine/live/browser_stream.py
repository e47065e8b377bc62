"""The join page's WebSocket fallback: the transport a browser uses when WebRTC cannot connect (no UDP
path and no TURN server; docs/media.md, "When WebRTC cannot connect").

The wire is deliberately plain. Binary messages are raw 16-bit little-endian mono PCM at 16 kHz in both
directions (20 ms = 640 bytes); text messages are the same JSON page messages the WebRTC data channel
carries (engine/live/channel.py): the page's `hangup`, `visibility`, `focus`, `ping`, `delay` in, and
the session's `state`, `caption`, `transcript`, `ended` out, plus `clear` on barge-in so the page drops
the interviewer's audio it still has scheduled.

Why PCM rather than Opus: encoding Opus in a page needs WebCodecs' AudioEncoder (missing or partial in
some of the browsers this path exists for) or a WebAssembly codec shipped with the page; 256 kbit/s each
way is nothing for a connection that carries HTTPS, and a fallback must above all work everywhere. 16 kHz
is what the recogniser hears anyway, so nothing the session uses is lost.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from engine.live.channel import parse_message
from engine.live.stream import StreamTransport, Write
from engine.live.stream_limits import INVALID_DATA, TOO_BIG, UNSUPPORTED, StreamViolation
from engine.live.transport import TransportKind
from media.outbound import InterviewerTrack

__all__ = ["BROWSER_RATE", "FRAME_BYTES", "MAX_FRAME_BYTES", "BrowserStreamTransport"]

logger = logging.getLogger(__name__)

BROWSER_RATE = 16_000
FRAME_BYTES = BROWSER_RATE // 50 * 2  # 20 ms of int16 mono: 640 bytes
# A page may batch a few frames when its worklet runs late; more than 100 ms in one message is not audio
# from this page.
MAX_FRAME_BYTES = FRAME_BYTES * 5
# The page's first message when its URL does not say `consent=true` (mirrors the offer's `consent`).
START_TYPE = "start"
_CLEAR = json.dumps({"type": "clear"}, separators=(",", ":"))


def consent_given(text: str) -> bool:
    """Whether a first text message is `{"type": "start", "consent": true}`."""
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        raise StreamViolation(INVALID_DATA, "malformed JSON") from None
    return isinstance(message, dict) and message.get("type") == START_TYPE and message.get("consent") is True


class BrowserStreamTransport(StreamTransport):
    """One page's fallback stream. The wire side (engine/api/join_stream.py) reads the socket and calls
    `audio`, `text` and `lost`; the session reads `recv()` and sends page messages with `send()`."""

    kind = TransportKind.WEBSOCKET

    def __init__(self, write: Write, *, max_queued_frames: int) -> None:
        super().__init__(
            write, in_rate=BROWSER_RATE, out_rate=BROWSER_RATE, max_queued_frames=max_queued_frames
        )
        self._hung_up = False
        self.frames_in = 0

    async def start(self, track: InterviewerTrack) -> None:
        await super().start(track)
        # The socket was open before the session started: audio flows from now on, unless the page left
        # while the session was starting.
        if self._hung_up:
            self._hangup()
        elif self.ended:
            self._state("failed")
        else:
            self._state("connected")

    def encode_audio(self, pcm: bytes) -> bytes:
        return pcm  # already int16 little-endian at 16 kHz

    def send(self, message: dict[str, Any]) -> None:
        self.enqueue(json.dumps(message, separators=(",", ":")))

    def interrupted(self) -> None:
        super().interrupted()
        # The page schedules the interviewer's audio a little ahead: it drops that too.
        self.enqueue(_CLEAR)

    # -- the wire side --------------------------------------------------------------------------------

    def audio(self, data: bytes) -> None:
        """One binary message: the candidate's PCM (StreamViolation for a frame that cannot be PCM)."""
        if len(data) % 2:
            raise StreamViolation(INVALID_DATA, f"binary message of {len(data)} bytes: 16-bit PCM is even")
        if len(data) > MAX_FRAME_BYTES:
            raise StreamViolation(
                TOO_BIG, f"audio message of {len(data)} bytes; at most {MAX_FRAME_BYTES} (100 ms)"
            )
        self.frames_in += 1
        self.push_audio(data)

    def text(self, text: str) -> None:
        """One text message: a page message for the session (StreamViolation for anything else)."""
        message = parse_message(text)
        if message is None:
            violation = _malformed(text)
            if violation is None:
                return  # a repeated `start` (consent given in the URL as well) changes nothing
            raise violation
        if message["type"] == "hangup":
            self._hung_up = True
        self._message(message)

    def lost(self) -> None:
        """The socket closed or broke a rule: a lost connection (resumable), unless the page hung up."""
        if not self._hung_up and not self.ended:
            self._state("failed")
        self.end()

    @property
    def hung_up(self) -> bool:
        return self._hung_up


def _malformed(text: str) -> StreamViolation | None:
    """Why a text message is not a page message: malformed (1007) or of an unknown type (1003); None
    for a `start`, which is harmless once the stream runs."""
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        return StreamViolation(INVALID_DATA, "malformed JSON")
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return StreamViolation(INVALID_DATA, "expected a JSON object with a string type")
    kind = message["type"]
    if kind == START_TYPE:
        return None
    return StreamViolation(UNSUPPORTED, f"unknown message type {kind[:32]!r}")
