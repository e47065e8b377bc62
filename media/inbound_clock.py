"""Where each inbound audio frame belongs on the session timeline: by its RTP timestamp, anchored by
the frames that arrived fastest.

A frame's RTP timestamp says when it was captured relative to the stream's first frame; what remains
unknown is the anchor, the session time at which the first frame was captured. Every frame that reaches
the engine bounds it from above:

    anchor <= arrival - elapsed - hold

where `elapsed` is the frame's timestamp relative to the first one and `hold` is the receiver's fixed
delay before it hands a frame over (none for the engine's own reorder buffer, `media/audio_jitter.py`;
aiortc's own audio jitter buffer releases a frame only once four more have arrived: 80 ms of 20 ms
frames). Any delay on the way (network jitter, a frame waiting while the
engine was stalled) only makes the bound larger, so the clock keeps the least bound seen over a sliding
window (`WINDOW_S`):

* a backlog drained after a stall arrives late and changes nothing: a stall shifts nothing and, as
  long as the recorder still holds the positions, loses nothing;
* the window lets the anchor follow a slow drift between the sender's clock and ours (tens of ppm: a
  few milliseconds a minute), or a lasting change of route.

At the very start there is no bound yet, and the first frames read may be a backlog (the engine started
reading late: a busy first session, a stall just as the peer connected). Until frames come at the
stream's own pace (`settled`: one arrives at least half its duration after the one before, or
`SETTLE_MAX_S` of audio is waiting) the caller holds them, then places them all with the anchor the
latest one gave. A backlog is read back to back in a few milliseconds, so holding it costs nothing;
settling before all of it has been read would anchor the stream late by what is still unread (a 3 s
stall with a 2 s limit put the first second of the call 1 s late, where the frames read next then
overwrote it). The caller's recorder must keep that much of the candidate's channel open meanwhile
(`engine/live/session.py` widens its lag limit until the clock has settled).

What it cannot know: the delay before the first bound (capture, encoding, the network's one-way
delay) is the same for every frame and so cannot be seen from timestamps. The session subtracts the
part it can estimate (the page reports its round trip; see `engine/live/session.py`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

__all__ = ["AIORTC_HOLD_FRAMES", "SETTLE_MAX_S", "WINDOW_S", "InboundClock"]

# aiortc's RTCRtpReceiver gives audio a JitterBuffer(capacity=16, prefetch=4): a frame is handed over
# when the packet four frames later arrives. The engine replaces it (media/audio_jitter.py, hold 0); the
# scripted candidate keeps it, as a client would. tests/engine/test_live_alignment.py fails if either
# figure is wrong.
AIORTC_HOLD_FRAMES = 4
WINDOW_S = 30.0
SETTLE_MAX_S = 5.0
_WRAP = 1 << 32


@dataclass(slots=True)
class InboundClock:
    hold_frames: int = AIORTC_HOLD_FRAMES
    window_s: float = WINDOW_S
    _last_pts: int | None = None
    _total: int = 0  # samples from the first frame's timestamp to the last one's
    _last_arrival: float | None = None
    _last_elapsed: float = 0.0
    _first_arrival: float | None = None
    _settled: bool = False
    # (arrival, bound), bounds increasing: the front is the least bound in the window.
    _bounds: deque[tuple[float, float]] = field(default_factory=deque)
    _next_start: float | None = None  # for frames without a timestamp: right after the previous one

    @property
    def settled(self) -> bool:
        """True once frames come at the stream's pace: the anchor can be trusted."""
        return self._settled

    def observe(self, pts: int | None, rate: int, arrival: float, samples: int) -> None:
        """Take one frame's arrival (session seconds) into account; call before `start_of` for it."""
        if pts is None or rate <= 0:
            self._settled = True
            return
        elapsed = self._elapsed(pts, rate, advance=True)
        hold = self.hold_frames * samples / rate
        bound = arrival - elapsed - hold
        while self._bounds and self._bounds[-1][1] >= bound:
            self._bounds.pop()
        self._bounds.append((arrival, bound))
        while self._bounds[0][0] < arrival - self.window_s:
            self._bounds.popleft()
        if not self._settled:
            if self._first_arrival is None:
                self._first_arrival = arrival
            elif (
                self._last_arrival is not None
                and arrival - self._last_arrival >= 0.5 * (elapsed - self._last_elapsed)
            ) or elapsed >= SETTLE_MAX_S:
                self._settled = True
        self._last_arrival, self._last_elapsed = arrival, elapsed

    def start_of(self, pts: int | None, rate: int, samples: int, arrival: float) -> float:
        """Session time at which the frame's first sample was captured (as far as can be known)."""
        if pts is None or rate <= 0 or self._last_pts is None or not self._bounds:
            start = arrival if self._next_start is None else self._next_start
        else:
            start = self._bounds[0][1] + self._elapsed(pts, rate, advance=False)
        self._next_start = start + samples / rate if rate > 0 else start
        return start

    def _elapsed(self, pts: int, rate: int, *, advance: bool) -> float:
        """Seconds from the first frame's timestamp; timestamps are 32-bit and wrap (every 24 h at
        48 kHz), so each is taken as the nearest step from the last one seen, either way."""
        if self._last_pts is None:
            self._last_pts, self._total = pts, 0
            return 0.0
        step = (pts - self._last_pts + _WRAP // 2) % _WRAP - _WRAP // 2
        total = self._total + step
        if advance:
            self._last_pts, self._total = pts, total
        return total / rate
