"""The interviewer's outbound audio track: paced 20 ms frames, speech when there is some, silence otherwise.

Pacing matters twice: the browser's jitter buffer expects a steady 50 frames per second, and the
recording places the interviewer's voice by the time each frame actually left, so the right channel
lines up with what the candidate heard.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.audio import BYTES_PER_SAMPLE, FRAME_MS, OUTPUT_RATE, SAMPLE_RATE
from media.opus import FrameEncoder, silence_packet
from media.tts import WordMark

__all__ = ["InterviewerTrack", "Playback", "PlaybackResult", "SenderTrack", "Utterance"]

logger = logging.getLogger(__name__)

OUT_SAMPLES = OUTPUT_RATE * FRAME_MS // 1000  # 960 per frame at 48 kHz
REC_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000  # the same 20 ms at 16 kHz
FRAME_SECONDS = FRAME_MS / 1000


@dataclass(frozen=True, slots=True)
class Utterance:
    """One thing the interviewer says, pre-rendered for the wire (48 kHz) and the recording (16 kHz)."""

    text: str
    pcm_out: bytes
    pcm_rec: bytes
    words: tuple[WordMark, ...] = ()
    # The line as Opus packets, one per frame (media/opus.py), where it was rendered for WebRTC; a call
    # encodes the frames of a line without them itself.
    opus: tuple[bytes, ...] = ()

    @property
    def frames(self) -> int:
        # The packets can take one frame more than the samples fill: the encoder's look-ahead.
        return max(-(-len(self.pcm_out) // (OUT_SAMPLES * BYTES_PER_SAMPLE)), len(self.opus))

    def spoken_text(self, played_s: float) -> str:
        """The words whose start was played: what the candidate actually heard of a cut-off line."""
        if not self.words:
            return self.text if played_s * OUTPUT_RATE * BYTES_PER_SAMPLE >= len(self.pcm_out) else ""
        heard = [w for w in self.words if w.start_s < played_s]
        return self.text[: heard[-1].text_end] if heard else ""


@dataclass(frozen=True, slots=True)
class PlaybackResult:
    interrupted: bool
    played_s: float
    ended_at: float | None = None
    """When its last frame finished playing (session time); None when none played. Later than
    start + played_s when it was paused in between."""


@dataclass(eq=False)
class Playback:
    """Handle on a queued utterance: when its first frame left, and how it ended."""

    utterance: Utterance
    started: asyncio.Future[float]
    done: asyncio.Future[PlaybackResult]
    frames_sent: int = 0
    last_frame_end: float | None = None


@dataclass(slots=True)
class _Pacer:
    clock: Callable[[], float]
    origin: float | None = None
    sent: int = 0

    def next_due(self) -> float:
        if self.origin is None:
            self.origin = self.clock()
        return self.origin + self.sent * FRAME_SECONDS


class InterviewerTrack(MediaStreamTrack):
    """`play()` queues speech; `pause()` silences it in place until `resume()` (the candidate talks
    over it); `interrupt()` cuts it (barge-in) and drops the queue.

    `clock` is the session clock (seconds); `on_audio(time, pcm16k)` hears every speech frame as it
    leaves, for the recording. Times it reports (`on_audio`, a playback's start and end) are when the
    candidate hears the frame: when it left plus `heard_delay`, the one-way network delay and the
    client's jitter buffer, which the session learns from the page.
    """

    kind = "audio"

    def __init__(
        self, clock: Callable[[], float], on_audio: Callable[[float, bytes], None] | None = None
    ) -> None:
        super().__init__()
        self.clock = clock
        self.on_audio = on_audio
        self._queue: deque[Playback] = deque()
        self._paused = False
        self._pacer = _Pacer(clock)
        self._silence = np.zeros((1, OUT_SAMPLES), dtype=np.int16)
        self._time_base = fractions.Fraction(1, OUTPUT_RATE)
        self.heard_delay = 0.0
        # Told when speech is cut off (barge-in), so a transport that buffers ahead can drop it.
        self.on_interrupt: Callable[[], None] | None = None

    @property
    def speaking(self) -> bool:
        return bool(self._queue)

    def play(self, utterance: Utterance) -> Playback:
        loop = asyncio.get_running_loop()
        playback = Playback(utterance, loop.create_future(), loop.create_future())
        if utterance.frames == 0:
            self._finish(playback, interrupted=False)
        else:
            self._queue.append(playback)
        return playback

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    def interrupt(self) -> None:
        self._paused = False
        cut = bool(self._queue)
        while self._queue:
            self._finish(self._queue.popleft(), interrupted=True)
        if cut and self.on_interrupt is not None:
            self.on_interrupt()

    def stop(self) -> None:
        self.interrupt()
        super().stop()

    async def recv(self) -> av.AudioFrame:
        due, pts = await self._next_due()
        samples = self._next_samples(due)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = OUTPUT_RATE
        frame.time_base = self._time_base
        frame.pts = pts
        return frame

    async def recv_encoded(self, encoder: FrameEncoder) -> av.Packet[Any]:
        """The next frame as an Opus packet (`EncodedTrack`): the line's own packet, one silence packet,
        or, for a line rendered without packets, `encoder`'s in a worker thread."""
        due, pts = await self._next_due()
        sent = self._advance(due)
        if sent is None:
            payload = silence_packet()
        else:
            playback, index = sent
            packets = playback.utterance.opus
            if index < len(packets):
                payload = packets[index]
            else:
                payload = await asyncio.to_thread(encoder.encode, self._chunk(playback.utterance, index))
        packet = av.Packet(payload)
        packet.pts = pts
        packet.time_base = self._time_base
        return packet

    async def _next_due(self) -> tuple[float, int]:
        """Waits until the next frame is due; its due time and its timestamp (in samples)."""
        if self.readyState != "live":
            raise MediaStreamError
        pacer = self._pacer
        due = pacer.next_due()
        wait = due - self.clock()
        if wait > 0:
            await asyncio.sleep(wait)
        elif wait < -0.2:
            # The loop stalled; skip ahead rather than burst frames the browser would drop anyway.
            behind = int(-wait / FRAME_SECONDS)
            pacer.sent += behind
            due += behind * FRAME_SECONDS
        pts = pacer.sent * OUT_SAMPLES
        pacer.sent += 1
        return due, pts

    def _next_samples(self, due: float) -> np.ndarray:
        sent = self._advance(due)
        if sent is None:
            return self._silence
        chunk = self._chunk(sent[0].utterance, sent[1])
        return np.frombuffer(chunk, dtype="<i2").reshape(1, -1)

    @staticmethod
    def _chunk(utterance: Utterance, index: int) -> bytes:
        """Frame `index` of the line at 48 kHz, padded to a whole frame."""
        out_bytes = OUT_SAMPLES * BYTES_PER_SAMPLE
        chunk = utterance.pcm_out[index * out_bytes : (index + 1) * out_bytes]
        return chunk + bytes(out_bytes - len(chunk))

    def _advance(self, due: float) -> tuple[Playback, int] | None:
        """The line and frame that go out at `due` (None: silence), with the bookkeeping: the line's
        start and end, and the recording's copy of the frame."""
        if not self._queue or self._paused:
            return None
        playback = self._queue[0]
        index = playback.frames_sent
        due += self.heard_delay
        if index == 0 and not playback.started.done():
            playback.started.set_result(due)
        rec_bytes = REC_SAMPLES * BYTES_PER_SAMPLE
        rec = playback.utterance.pcm_rec[index * rec_bytes : (index + 1) * rec_bytes]
        playback.frames_sent += 1
        playback.last_frame_end = due + FRAME_SECONDS
        if playback.frames_sent >= playback.utterance.frames:
            self._queue.popleft()
            self._finish(playback, interrupted=False)
        if self.on_audio is not None and rec:
            try:
                self.on_audio(due, rec)
            except Exception:
                # The listener (the recorder) must never silence the interviewer.
                logger.exception("interviewer audio listener failed")
        return playback, index

    @staticmethod
    def _finish(playback: Playback, *, interrupted: bool) -> None:
        if not playback.started.done():
            playback.started.cancel()
        if not playback.done.done():
            played = playback.frames_sent * FRAME_SECONDS
            playback.done.set_result(PlaybackResult(interrupted, played, playback.last_frame_end))


class SenderTrack(MediaStreamTrack):
    """The interviewer's track as a WebRTC sender takes it: Opus packets (`recv_encoded`) once the call
    has settled on Opus (`opus`, set by the transport from its answer), frames otherwise (aiortc
    encodes G.711 itself, cheaply)."""

    kind = "audio"

    def __init__(self, track: InterviewerTrack) -> None:
        super().__init__()
        self.track = track
        self.opus = False
        self._encoder: FrameEncoder | None = None

    async def recv(self) -> av.AudioFrame | av.Packet[Any]:
        if self.readyState != "live":
            raise MediaStreamError
        if not self.opus:
            return await self.track.recv()
        if self._encoder is None:
            self._encoder = FrameEncoder()
        return await self.track.recv_encoded(self._encoder)
