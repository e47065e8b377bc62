"""How a live interview's audio and page messages travel: the seam between `LiveSession` and the wire.

A session does not care whether the candidate is on a WebRTC peer connection (engine/live/webrtc.py), a
phone call bridged by a telephony provider's media stream (engine/live/phone.py), or a browser that
could not use WebRTC. Each transport gives the session:

- the candidate's audio as `av.AudioFrame`s from `recv()` (any rate; the session resamples), raising
  `MediaStreamError` when the stream is over;
- a way out for the interviewer's audio: `start(track)` hands it the session's `InterviewerTrack`, whose
  `recv()` yields paced 20 ms frames at 48 kHz (a WebRTC sender pulls them itself; the others pump them);
- the page's messages (captions, state) through `send()`, and what the candidate's side says through the
  `TransportHandler` the session binds (hang-up, focus, delays, and the connection's state).

`kind` is stored with the session when it starts (`transport`: "webrtc", "phone", "websocket";
config.enums.Transport), so a recruiter knows how the interview was held.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import av

from config.enums import TransportKind
from media.outbound import InterviewerTrack

__all__ = ["ConnectionState", "PageSink", "Transport", "TransportHandler", "TransportKind"]

# The peer connection's states, which the other transports map onto: "connected" once audio flows,
# "disconnected" while it may come back, "failed"/"closed" when it will not.
ConnectionState = Literal["new", "connecting", "connected", "disconnected", "failed", "closed"]


@dataclass(slots=True)
class TransportHandler:
    """What the session does with what arrives from the candidate's side."""

    on_message: Callable[[dict[str, Any]], None]
    on_state: Callable[[ConnectionState], None]
    # The candidate hung up on purpose (a phone call's `stop`): not a lost connection.
    on_hangup: Callable[[], None]


class PageSink(Protocol):
    def send(self, message: dict[str, Any]) -> None:
        """A message for the candidate's page."""


class Transport(Protocol):
    kind: TransportKind
    # Seconds the codec adds in each direction (Opus's look-ahead on WebRTC, 0 for G.711).
    codec_delay: float
    # Frames the transport holds back before handing one over (a jitter buffer's prefetch; 0 when it
    # hands each over as it arrives): the inbound clock places each frame that much earlier.
    inbound_hold_frames: int

    def bind(self, handler: TransportHandler) -> None:
        """Called once, before `start`."""

    async def start(self, track: InterviewerTrack) -> None:
        """Begin carrying `track` to the candidate. Raises `ValueError` for an unusable offer or stream
        (the session then closes the transport)."""

    async def recv(self) -> av.AudioFrame:
        """The candidate's next frame; `MediaStreamError` once there will be none."""

    def send(self, message: dict[str, Any]) -> None:
        """A page message (captions, state); dropped by transports without a page."""

    def interrupted(self) -> None:
        """The interviewer was cut off (barge-in): drop whatever audio is still buffered on the way."""

    async def close(self) -> None:
        """Idempotent; ends `recv()`."""
