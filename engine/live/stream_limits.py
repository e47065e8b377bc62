"""What a media stream's WebSocket may send, and the close codes that say why it was cut off.

Every stream gets the same gate: a message larger than `max_bytes` closes it with 1009; more messages
than a token bucket allows (a sustained rate plus a burst for the backlog a network stall releases)
with 1008. Codes are RFC 6455's, so any WebSocket client can tell the reason apart:

| code | meaning here |
|---|---|
| 1000 | the interview ended (or continued on another connection) |
| 1003 | a binary message, an unknown event, or a media format other than 8 kHz mono μ-law |
| 1007 | malformed JSON, a missing or mistyped field, or a payload that is not base64 |
| 1008 | a wrong, used or expired token; audio before `start`; too many messages; silence too long |
| 1009 | a message larger than the limit |
| 1011 | the engine failed |
| 1013 | try again later: the engine is full or draining, or another engine holds the interview |
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "INVALID_DATA",
    "NORMAL",
    "POLICY",
    "SERVER_ERROR",
    "TOO_BIG",
    "TRY_AGAIN",
    "UNSUPPORTED",
    "MessageGate",
    "StreamViolation",
    "close_reason",
]

NORMAL = 1000
UNSUPPORTED = 1003
INVALID_DATA = 1007
POLICY = 1008
TOO_BIG = 1009
SERVER_ERROR = 1011
TRY_AGAIN = 1013

MAX_REASON_BYTES = 123  # a close frame's reason, RFC 6455 5.5.1


class StreamViolation(Exception):
    """The stream broke a rule: it is closed with `code` and `reason`."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def close_reason(text: str) -> str:
    """`text` cut to fit a close frame (whole characters)."""
    data = text.encode()
    if len(data) <= MAX_REASON_BYTES:
        return text
    return data[: MAX_REASON_BYTES - 3].decode(errors="ignore") + "..."


@dataclass(slots=True)
class MessageGate:
    """Checks each message's size and the stream's message rate (a token bucket)."""

    max_bytes: int
    per_second: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _tokens: float = field(init=False)
    _at: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)

    def admit(self, message: str | bytes) -> None:
        """Raises StreamViolation for a message too large or one too many."""
        # A character is at most 4 bytes: only a long text needs encoding to know its size.
        size = len(message)
        if isinstance(message, str) and size * 4 > self.max_bytes:
            size = len(message.encode())
        if size > self.max_bytes:
            raise StreamViolation(TOO_BIG, f"message of {size} bytes; the limit is {self.max_bytes}")
        now = self.clock()
        if self._at is not None:
            self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.per_second)
        self._at = now
        if self._tokens < 1:
            raise StreamViolation(POLICY, f"more than {self.per_second:g} messages per second")
        self._tokens -= 1
