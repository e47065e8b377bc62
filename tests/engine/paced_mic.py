"""The microphone of a scripted WebSocket client (the join page's fallback, a telephony provider): one
20 ms frame every 20 ms in real time, silence or the speech queued, each queued piece resolving with the
time its last frame went out; and the runs of sound heard back, by arrival."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

__all__ = ["FRAME_S", "PacedMic", "note_sound"]

FRAME_S = 0.02
# Sound arriving within this of the last run's end continues that run.
RUN_GAP_S = 0.1


class PacedMic:
    """`silence`: one frame of silence in the wire's encoding (its length is the frame's)."""

    def __init__(self, silence: bytes, now: Callable[[], float]) -> None:
        self._silence = silence
        self._frame = len(silence)
        self._now = now
        self._speech: deque[tuple[bytes, asyncio.Future[float]]] = deque()
        self._offset = 0

    def queue(self, audio: bytes) -> asyncio.Future[float]:
        done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._speech.append((audio, done))
        return done

    async def run(self, send: Callable[[bytes], Awaitable[None]]) -> None:
        """Sends a frame every 20 ms until cancelled."""
        origin = self._now()
        sent = 0
        while True:
            wait = origin + sent * FRAME_S - self._now()
            if wait > 0:
                await asyncio.sleep(wait)
            sent += 1
            await send(self._next())

    def _next(self) -> bytes:
        if not self._speech:
            return self._silence
        audio, done = self._speech[0]
        chunk = audio[self._offset : self._offset + self._frame]
        self._offset += self._frame
        if self._offset >= len(audio):
            self._speech.popleft()
            self._offset = 0
            if not done.done():
                done.set_result(self._now())
        return chunk + self._silence[: self._frame - len(chunk)]


def note_sound(runs: list[tuple[float, float]], now: float) -> None:
    """A frame with sound arrived at `now`: extend the last (first, last) run, or start one."""
    if runs and now - runs[-1][1] <= RUN_GAP_S:
        runs[-1] = (runs[-1][0], now)
    else:
        runs.append((now, now))
