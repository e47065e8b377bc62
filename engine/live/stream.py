"""A transport whose audio travels as messages on one stream (a WebSocket): the base of the phone path
(engine/live/phone.py) and of a browser's WebSocket fallback.

Inbound, the wire's decoded PCM (`push_audio`) becomes `av.AudioFrame`s with `pts` counted in samples,
queued for the session's `recv()`. The queue is bounded: a session that stops reading (stalled, or
slower than the caller) must not grow memory, so the oldest frames are dropped and counted.

Outbound, a pump pulls the `InterviewerTrack`'s paced 20 ms frames (48 kHz), resamples them with one
stateful resampler to the wire's rate, cuts them into 20 ms chunks and hands each to `encode_audio`;
the wire messages go out through one writer, in order with the control messages a subclass `enqueue`s
(a phone's `mark` and `clear`). The pump keeps pulling even when the socket has gone: the track's pacing
is what records the interviewer's voice and completes its lines.

Resampling and encoding one 20 ms frame takes tens of microseconds (swresample; G.711 is a table
lookup), less than a hop to a worker thread would cost the loop, so it runs on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError

from engine.live.transport import ConnectionState, TransportHandler, TransportKind
from media.audio import BYTES_PER_SAMPLE, FRAME_MS
from media.outbound import InterviewerTrack

__all__ = ["StreamTransport", "WireMessage", "Write"]

logger = logging.getLogger(__name__)

WireMessage = str | bytes
Write = Callable[[WireMessage], Awaitable[None]]

DEFAULT_MAX_QUEUED_FRAMES = 250  # 5 s of 20 ms frames
# How long closing waits for what is still queued (the end of the last line, its mark) to be written.
FLUSH_S = 1.0
# Audio messages waiting for a slow socket: beyond this many (2 s) the oldest audio is dropped rather
# than delivered late; control messages are never dropped.
MAX_QUEUED_AUDIO = 100


class StreamTransport:
    """Subclasses set `kind`, implement `encode_audio`, and report the stream's state through
    `_state`/`_hangup` (e.g. when the wire's own start and stop messages arrive)."""

    kind: TransportKind
    inbound_hold_frames = 0  # each frame is handed over as it arrives

    def __init__(
        self,
        write: Write,
        *,
        in_rate: int,
        out_rate: int,
        max_queued_frames: int = DEFAULT_MAX_QUEUED_FRAMES,
    ) -> None:
        self._write = write
        self._in_rate = in_rate
        self._out_rate = out_rate
        self._time_base = fractions.Fraction(1, in_rate)
        self.codec_delay = 0.0
        self._handler: TransportHandler | None = None
        self._inbound: deque[av.AudioFrame] = deque()
        self._max_queued = max_queued_frames
        self._arrived = asyncio.Event()
        self._samples_in = 0
        self._outbox: deque[tuple[WireMessage, bool]] = deque()  # (message, is audio)
        # Control messages held behind audio still on its way (enqueue_after_audio), each with the count
        # of frames the pump must have taken before it goes; and that count so far.
        self._held: deque[tuple[WireMessage, int]] = deque()
        self._frames_taken = 0
        self._queued_audio = 0
        self._ready = asyncio.Event()
        self._wrote = asyncio.Event()  # set after each write, and when the writer gives up
        self._writable = True
        self._ended = False  # no more inbound audio: recv() raises once the queue is read
        self._runner: asyncio.Task[None] | None = None
        self._closed = asyncio.Event()
        self.dropped_inbound = 0
        self.dropped_outbound = 0

    # -- Transport ------------------------------------------------------------------------------------

    def bind(self, handler: TransportHandler) -> None:
        self._handler = handler

    async def start(self, track: InterviewerTrack) -> None:
        if self._runner is None:
            self._runner = asyncio.get_running_loop().create_task(
                self._run(track), name=f"{self.kind}-transport"
            )

    async def recv(self) -> av.AudioFrame:
        while not self._inbound:
            if self._ended:
                raise MediaStreamError
            self._arrived.clear()
            await self._arrived.wait()
        return self._inbound.popleft()

    def send(self, message: dict[str, Any]) -> None:
        """Page messages: dropped here (a phone has no page); a subclass may map some onto the wire."""

    def interrupted(self) -> None:
        """Barge-in: the audio not yet written is dropped (a subclass may also tell the far end)."""
        self._drop_queued_audio()

    async def close(self) -> None:
        self.end()
        await self._flush()
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
        self._closed.set()

    async def _flush(self) -> None:
        if self._runner is None or self._runner.done():
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FLUSH_S):
                while self._outbox and self._writable:
                    self._wrote.clear()
                    await self._wrote.wait()

    # -- for the wire side ----------------------------------------------------------------------------

    @property
    def ended(self) -> bool:
        """No more inbound audio will come (the stream stopped, broke or closed)."""
        return self._ended

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def wait_closed(self) -> None:
        """Until `close()` (the session calls it when it ends)."""
        await self._closed.wait()

    def push_audio(self, pcm: bytes) -> None:
        """The caller's audio: int16 mono at the inbound rate, any length."""
        if self._ended or len(pcm) < BYTES_PER_SAMPLE:
            return
        samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % BYTES_PER_SAMPLE], dtype="<i2")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self._in_rate
        frame.time_base = self._time_base
        # Counted, so a dropped frame leaves a gap in the timestamps rather than pulling the rest early.
        frame.pts = self._samples_in
        self._samples_in += samples.size
        if len(self._inbound) >= self._max_queued:
            self._inbound.popleft()
            self.dropped_inbound += 1
            if self.dropped_inbound == 1 or self.dropped_inbound % 250 == 0:
                logger.warning(
                    "%s stream: the session is behind; %d inbound frame(s) dropped",
                    self.kind,
                    self.dropped_inbound,
                )
        self._inbound.append(frame)
        self._arrived.set()

    def end(self) -> None:
        """No more audio will come: `recv()` raises `MediaStreamError` once the queue is read."""
        self._ended = True
        self._arrived.set()

    def enqueue(self, message: WireMessage) -> None:
        """A control message, sent in order with the audio around it (and behind any held one)."""
        if not self._writable:
            return
        if self._held:
            self._held.append((message, self._held[-1][1]))
            return
        self._outbox.append((message, False))
        self._ready.set()

    def enqueue_after_audio(self, message: WireMessage) -> None:
        """A control message that must follow every bit of audio the track has handed out so far (a
        phone mark behind a line). The end of the last frame is not on the wire yet when the track hands
        it over: the resampler holds a few samples back and the part of a 20 ms chunk it does not fill
        waits for the next frame. So the message is queued behind the audio of the first frame the pump
        asks the track for after the ask (released after the frame after that, 20-40 ms later: the track
        never pauses; the one frame of slack covers a last frame handed over as the ask was made), or
        when the track ends. Sent at once, a mark came
        back 17 ms before the line's last sound on a loaded machine: the far end reports the line heard
        before it is."""
        if self._writable:
            self._held.append((message, self._frames_taken + 2))

    def lost(self) -> None:
        """The socket closed or broke a rule: the connection is gone (a lost one, resumable, unless the
        wire said the other side ended it)."""
        raise NotImplementedError

    def encode_audio(self, pcm: bytes) -> WireMessage | None:
        """One 20 ms chunk of int16 mono at the outbound rate as a wire message (None: send nothing)."""
        raise NotImplementedError

    def _state(self, state: ConnectionState) -> None:
        if self._handler is not None:
            self._handler.on_state(state)

    def _hangup(self) -> None:
        if self._handler is not None:
            self._handler.on_hangup()

    def _message(self, message: dict[str, Any]) -> None:
        if self._handler is not None:
            self._handler.on_message(message)

    # -- outbound -------------------------------------------------------------------------------------

    async def _run(self, track: InterviewerTrack) -> None:
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._pump(track))
                tg.create_task(self._writer())
        except* Exception as group:
            # The session goes on without the interviewer's voice reaching the caller; its reader sees
            # the stream end soon enough.
            logger.error("%s stream: the outbound audio failed", self.kind, exc_info=group)

    async def _pump(self, track: InterviewerTrack) -> None:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=self._out_rate)
        chunk = self._out_rate * FRAME_MS // 1000 * BYTES_PER_SAMPLE
        pending = bytearray()
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                self._release(len(self._held))
                return
            for out in resampler.resample(frame):
                pending += bytes(out.planes[0])[: out.samples * BYTES_PER_SAMPLE]
            while len(pending) >= chunk:
                piece = bytes(pending[:chunk])
                del pending[:chunk]
                # Digital silence (the track between lines) is not sent: the far end plays silence
                # when nothing comes, and a phone line's bandwidth goes to speech.
                if piece.count(0) == chunk:
                    continue
                message = self.encode_audio(piece)
                if message is not None:
                    self._queue_audio(message)
            self._frames_taken += 1
            self._release(sum(1 for _, due in self._held if due <= self._frames_taken))

    def _release(self, count: int) -> None:
        """The first `count` held messages go out, behind the audio queued so far."""
        for _ in range(count):
            message, _due = self._held.popleft()
            if self._writable:
                self._outbox.append((message, False))
                self._ready.set()

    def _queue_audio(self, message: WireMessage) -> None:
        if not self._writable:
            return
        if self._queued_audio >= MAX_QUEUED_AUDIO:
            self._drop_oldest_audio()
        self._outbox.append((message, True))
        self._queued_audio += 1
        self._ready.set()

    def _drop_oldest_audio(self) -> None:
        for index, (_message, audio) in enumerate(self._outbox):
            if audio:
                del self._outbox[index]
                self._queued_audio -= 1
                self.dropped_outbound += 1
                return

    def _drop_queued_audio(self) -> None:
        kept = deque(item for item in self._outbox if not item[1])
        self.dropped_outbound += len(self._outbox) - len(kept)
        self._outbox = kept
        self._queued_audio = 0

    async def _writer(self) -> None:
        while True:
            while not self._outbox:
                self._ready.clear()
                await self._ready.wait()
            message, audio = self._outbox.popleft()
            if audio:
                self._queued_audio -= 1
            try:
                await self._write(message)
                self._wrote.set()
            except Exception as exc:
                # The socket is gone (the caller hung up, or it broke): the reader side reports that.
                logger.debug("%s stream: writing failed (%s); nothing more is sent", self.kind, exc)
                self._writable = False
                self._outbox.clear()
                self._queued_audio = 0
                self._wrote.set()
                return
