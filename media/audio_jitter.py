"""The inbound audio's reorder buffer: each RTP packet handed to the decoder as soon as it arrives.

aiortc gives every audio receiver `JitterBuffer(capacity=16, prefetch=4)`. It was written for playout
and costs a speech engine twice:

* it hands a frame over only once the packet four places later has come, so everything the engine
  hears of the candidate (the VAD's end of speech, the end-of-turn model's verdict, the final
  transcript) is 80 ms late on every turn;
* after a single lost packet it waits for the missing one until sixteen later ones have piled up, then
  skips it but goes on handing over one frame per packet received, so it stays fourteen frames behind
  for the rest of the call: one lost packet adds 280 ms to every later reply (aiortc issue #543, closed
  without a fix). Real networks lose packets; loopback tests never do.

The engine is not a loudspeaker: it places each frame on its timeline by the RTP timestamp
(`media/inbound_clock.py`), so it needs no buffer to smooth arrival times, only the packets in order.
`PromptAudioBuffer` therefore hands each packet over on arrival when it is newer than the last one
handed over (a WebRTC audio packet is one whole frame, so there is nothing to reassemble), and drops a
packet that comes after a newer one has gone (reordered, or a duplicate). What that costs: a reordered
packet (rare on real paths) is lost like a dropped one, 20 ms of audio the decoder conceals and the
timeline keeps as a gap; holding it instead would need the newer packet held back too, and the API
(one frame out per packet in) could never catch that delay up again.

A sender that restarts its sequence numbers (or a long outage) would make every packet look old: after
`RESYNC_AFTER` packets in a row that look old, the buffer takes the stream up from the next one.

`install(receiver)` puts one in place of aiortc's in an audio `RTCRtpReceiver`, before packets flow. It
reaches into aiortc's private attribute, because aiortc offers no setting for it; if a later aiortc
renames it, `install` leaves aiortc's buffer and says so (the session's clock then counts aiortc's hold,
`AIORTC_HOLD_FRAMES`), and `tests/engine/test_webrtc_transport.py` fails.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiortc import RTCRtpReceiver
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket

__all__ = ["RESYNC_AFTER", "PromptAudioBuffer", "install"]

logger = logging.getLogger(__name__)

RESYNC_AFTER = 50  # packets in a row older than the last one handed over: 1 s of 20 ms frames
_HALF = 1 << 15
_MASK = (1 << 16) - 1
# aiortc's receiver keeps its buffer here (name-mangled `__jitter_buffer`).
_ATTRIBUTE = "_RTCRtpReceiver__jitter_buffer"


@dataclass(slots=True)
class PromptAudioBuffer:
    """A drop-in for aiortc's `JitterBuffer` on an audio receiver that holds nothing back."""

    capacity: int = 16  # aiortc reads it; nothing is stored here
    last: int | None = None  # sequence number of the last packet handed over
    handed: int = 0
    gaps: int = 0  # packets never seen (skipped over when a later one came)
    dropped: int = 0  # packets that came after a newer one had been handed over
    resyncs: int = 0
    _old_run: int = 0

    def summary(self) -> str:
        """What the network did to the stream, for the log: empty when nothing was lost or late."""
        if not (self.gaps or self.dropped or self.resyncs):
            return ""
        return (
            f"{self.gaps} of {self.handed + self.gaps} packets lost, {self.dropped} late or repeated, "
            f"{self.resyncs} resyncs"
        )

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        """Take one packet; return (picture loss flag, always False for audio; the frame to decode)."""
        seq = packet.sequence_number
        if self.last is not None:
            ahead = (seq - self.last) & _MASK
            if ahead == 0 or ahead >= _HALF:  # a duplicate, or older than what has gone
                self._old_run += 1
                if self._old_run < RESYNC_AFTER:
                    self.dropped += 1
                    return False, None
                self.resyncs += 1
                logger.info("inbound audio: sequence numbers jumped back; following the stream again")
            else:
                self.gaps += ahead - 1
        self._old_run = 0
        self.last = seq
        self.handed += 1
        # aiortc's buffer sets `_data` (the depayloaded frame) on the packet before `add`.
        data: bytes = getattr(packet, "_data", packet.payload)
        return False, JitterFrame(data=data, timestamp=packet.timestamp)


def install(receiver: RTCRtpReceiver) -> PromptAudioBuffer | None:
    """Put a `PromptAudioBuffer` in place of an audio receiver's aiortc buffer; the one in place, or None
    when aiortc's is kept."""
    current = getattr(receiver, _ATTRIBUTE, None)
    if isinstance(current, PromptAudioBuffer):
        return current
    if not isinstance(current, JitterBuffer):
        logger.warning(
            "inbound audio: aiortc's receiver has no audio jitter buffer where expected (%s); keeping "
            "aiortc's, which holds every frame 80 ms and more after a lost packet",
            type(current).__name__,
        )
        return None
    buffer = PromptAudioBuffer()
    setattr(receiver, _ATTRIBUTE, buffer)
    return buffer
