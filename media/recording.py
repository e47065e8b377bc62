"""Crash-safe, incremental stereo recording of a session: channel 0 is the candidate (left), channel 1 the
interviewer (right).

Audio arrives as mono int16 PCM chunks placed at absolute sample positions (stream time), from the event
loop or from any thread. `StereoRecorder.write` only enqueues; one writer thread owns the file and does all
blocking I/O, so the event loop is never blocked by the disk.

Placement rules (the writer keeps, per channel, a buffer of pending samples from the first position not yet
written out, `committed`, to that channel's high-water mark):

* Gaps are zero-filled (silence), both inside a channel and when one channel has no audio at all.
* Overlapping writes inside the pending window: the later write wins (no mixing: a channel carries one
  speaker, and a re-sent chunk should replace, not double, the audio).
* Output advances to the smaller of the two high-water marks, so the channels stay aligned. When one
  channel lags more than `max_lag_s` behind the other it is zero-filled up to `leader - max_lag_s`, so a
  stalled inbound stream (or an interviewer who is not speaking) does not hold back the recording.
  `set_max_lag` changes the limit from the next queued write on (a live session keeps it wide while
  the candidate's first frames are held back, so that they still land).
* Audio that arrives for a position already written out cannot be placed any more: it is dropped and
  counted, per channel (`late_by_channel`, and `late_samples` for both, reported in `RecordingInfo`):
  a non-zero count on a channel means some of that side's audio is missing from the file.

Every `flush_interval_s` (wall clock) the writer appends the new interleaved frames, fsyncs them, then
rewrites the RIFF and data chunk sizes and fsyncs again, so the header never claims audio that is not on
disk. After a SIGKILL the file is a valid WAV holding everything up to the last flush: at most about
`flush_interval_s + max_lag_s` of audio is lost. `media.wav_file.repair_wav` fixes the header sizes from the file length
(for a kill in the middle of a flush, or a power loss), truncating a trailing partial frame.

Errors in the writer thread (disk full, ...) are logged, stop the recording, and surface as
`RecordingError` from `close()`/`aclose()`; they never hang the caller.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Final

import numpy as np

from media.wav_file import (
    CHANNELS,
    FRAME_BYTES,
    HEADER_BYTES,
    MAX_DATA_BYTES,
    SAMPLE_WIDTH,
    RecordingInfo,
    repair_wav,
    wav_header,
)

__all__ = ["RecordingError", "StereoRecorder"]

logger = logging.getLogger(__name__)


class RecordingError(Exception):
    """The writer thread failed (for example, the disk is full); the recording stopped at that point."""


@dataclass(frozen=True, slots=True)
class _Write:
    channel: int
    start: int
    pcm: bytes


@dataclass(frozen=True, slots=True)
class _Flush:
    done: threading.Event


@dataclass(frozen=True, slots=True)
class _Lag:
    frames: int


class _Close:
    """Sentinel: everything queued before it is written, then the file is finished."""


_CLOSE: Final = _Close()
_QueueItem = _Write | _Flush | _Lag | _Close


class StereoRecorder:
    """Incremental stereo 16-bit WAV writer placed by absolute sample positions (see the module docstring).

    `write()` is non-blocking and safe from any thread or the event loop. `start()` opens the file (quick,
    no fsync); `close()` blocks until everything is on disk, so call `aclose()` from the event loop. A
    recorder must be closed: its writer thread is a daemon, and whatever it had not flushed is lost at
    interpreter exit otherwise.
    """

    def __init__(
        self,
        path: Path,
        *,
        sample_rate: int = 16000,
        flush_interval_s: float = 1.0,
        max_lag_s: float = 2.0,
    ) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        if flush_interval_s <= 0:
            raise ValueError(f"flush_interval_s must be positive, got {flush_interval_s}")
        if max_lag_s < 0:
            raise ValueError(f"max_lag_s must not be negative, got {max_lag_s}")
        self._path = Path(path)
        self._sample_rate = sample_rate
        self._flush_interval_s = flush_interval_s
        self._max_lag = round(max_lag_s * sample_rate)

        self._queue: queue.SimpleQueue[_QueueItem] = queue.SimpleQueue()
        # Guards the started/closing flags together with the enqueue, so no write can slip in after the
        # close sentinel and be silently lost.
        self._lock = threading.Lock()
        self._started = False
        self._closing = False
        self._thread: threading.Thread | None = None
        self._file: BinaryIO | None = None
        self._error: BaseException | None = None
        self._info: RecordingInfo | None = None
        self._dropped_after_error = False

        # Writer-thread state (read from other threads only as plain ints).
        self._committed = 0  # frames decided (written out or about to be at the next flush)
        self._frames_on_disk = 0
        self._late = [0, 0]  # per channel
        self._high_water = [0, 0]
        self._pending = [bytearray(), bytearray()]  # samples from `_committed` on, per channel
        self._out_chunks: list[bytes] = []  # interleaved frames committed but not yet in the file

    # -- properties ------------------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self._path

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    @property
    def frames_written(self) -> int:
        """Frames durably in the file (and counted by its header) as of the last flush."""
        return self._frames_on_disk

    @property
    def late_samples(self) -> int:
        """Samples dropped so far because they arrived for a position already written out."""
        return sum(self._late)

    @property
    def late_by_channel(self) -> tuple[int, int]:
        """`late_samples` per channel: (candidate, interviewer)."""
        return self._late[0], self._late[1]

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self, *, append: bool = False, from_frame: int = 0) -> int:
        """Create parent folders, open the file and start the writer.

        A new file (or any file when `append` is false) is truncated to an empty-but-valid header. With
        `append`, an existing recording of this format (a session resumed after a reconnect or a crash)
        is repaired and continued: positions stay absolute, so the next audio goes at or after
        `frames_written`. A file shorter than `from_frame` is first filled with silence up to it: the
        session's timeline is already that long (an interview resumed on another engine, whose earlier
        part was recorded elsewhere, or after a crash that lost the last unflushed second), and what
        comes next must not be placed over times the transcript already holds. Returns the frames of
        silence added.
        """
        if from_frame < 0:
            raise ValueError(f"from_frame must not be negative, got {from_frame}")
        with self._lock:
            if self._closing:
                raise RuntimeError("recorder is closed")
            if self._started:
                raise RuntimeError("recorder already started")
            self._path.parent.mkdir(parents=True, exist_ok=True)
            existing = 0
            if append and self._path.exists() and self._path.stat().st_size >= HEADER_BYTES:
                info = repair_wav(self._path)
                if (info.sample_rate, info.channels) != (self._sample_rate, CHANNELS):
                    raise ValueError(
                        f"cannot append {self._sample_rate} Hz stereo to {self._path} "
                        f"({info.sample_rate} Hz, {info.channels} channels)"
                    )
                existing = info.frames
            file = self._path.open("r+b" if existing else "w+b")
            try:
                if not existing:
                    file.write(wav_header(self._sample_rate, 0))
                padded = max(0, from_frame - existing)
                if padded:
                    # Zeros are silence in int16 PCM; extending by truncate writes no data (sparse).
                    file.seek(0)
                    file.write(wav_header(self._sample_rate, from_frame * FRAME_BYTES))
                    existing = from_frame
                file.truncate(HEADER_BYTES + existing * FRAME_BYTES)
                file.flush()
            except BaseException:
                file.close()
                raise
            self._committed = self._frames_on_disk = existing
            self._high_water = [existing, existing]
            self._file = file
            self._thread = threading.Thread(target=self._run, name=f"recorder:{self._path.name}", daemon=True)
            self._thread.start()
            self._started = True
        logger.debug("recording started: %s (from frame %d)", self._path, existing)
        return padded

    def write(self, channel: int, start_sample: int, pcm: bytes | bytearray | memoryview) -> None:
        """Place mono int16 little-endian `pcm` on `channel` (0 candidate, 1 interviewer) from absolute
        sample `start_sample`. Never blocks on I/O; raises RuntimeError once the recorder is closed."""
        if channel not in (0, 1):
            raise ValueError(f"channel must be 0 or 1, got {channel}")
        if start_sample < 0:
            raise ValueError(f"start_sample must not be negative, got {start_sample}")
        data = bytes(pcm)
        if len(data) % SAMPLE_WIDTH:
            raise ValueError(f"pcm must hold whole int16 samples, got {len(data)} bytes")
        with self._lock:
            if self._closing:
                raise RuntimeError("recorder is closed")
            if self._error is not None:
                # The writer is gone; queueing would only grow memory. close() reports the error.
                if not self._dropped_after_error:
                    self._dropped_after_error = True
                    logger.warning("recording %s failed; dropping further audio", self._path)
                return
            if data:
                self._queue.put(_Write(channel, start_sample, data))

    def set_max_lag(self, seconds: float) -> None:
        """Change `max_lag_s`. Queued like a write: it takes effect once everything written before it
        has been placed, so narrowing it cannot make audio already written late. Never blocks."""
        if seconds < 0:
            raise ValueError(f"max_lag_s must not be negative, got {seconds}")
        with self._lock:
            if self._closing:
                raise RuntimeError("recorder is closed")
            self._queue.put(_Lag(round(seconds * self._sample_rate)))

    def flush(self, timeout: float | None = None) -> None:
        """Blocking: write out what the placement rules allow now, rewrite the header and fsync.

        Does not pad the lagging channel beyond `max_lag_s` (that is `close()`'s job). Meant for tests and
        checkpoints from a worker thread; the writer flushes by itself every `flush_interval_s`.
        """
        with self._lock:
            if self._closing:
                raise RuntimeError("recorder is closed")
            if not self._started or self._thread is None:
                raise RuntimeError("recorder not started")
            request = _Flush(threading.Event())
            self._queue.put(request)
            thread = self._thread
        deadline = None if timeout is None else time.monotonic() + timeout
        # Poll the thread as well as the event: a writer that died would never set it.
        while not request.done.wait(0.05):
            if not thread.is_alive():
                break
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"recording {self._path} did not flush within {timeout} s")
        self._raise_if_failed()

    def close(self) -> RecordingInfo:
        """Blocking: write everything queued, pad both channels to the same length, finish the header,
        fsync, join the writer thread. Idempotent: later calls return the same info (or raise the same
        error). A recorder that was never started creates no file and reports 0 frames."""
        with self._lock:
            first = not self._closing
            self._closing = True
            thread = self._thread
            if first and thread is not None:
                self._queue.put(_CLOSE)
        if thread is not None:
            thread.join()
        self._raise_if_failed()
        if self._info is None:
            self._info = RecordingInfo(
                path=self._path,
                sample_rate=self._sample_rate,
                channels=CHANNELS,
                frames=self._frames_on_disk,
                duration_s=self._frames_on_disk / self._sample_rate,
                late_samples=self.late_samples,
                late_by_channel=self.late_by_channel,
            )
            if first and thread is not None:
                logger.info(
                    "recording closed: %s (%.1f s, late samples dropped: %s candidate, %s interviewer)",
                    self._path,
                    self._info.duration_s,
                    *self._info.late_by_channel,
                )
        return self._info

    async def aclose(self) -> RecordingInfo:
        """`close()` in a worker thread, so the event loop keeps running while the file is finished."""
        return await asyncio.to_thread(self.close)

    def __enter__(self) -> StereoRecorder:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> StereoRecorder:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise RecordingError(f"recording {self._path} failed: {self._error!r}") from self._error

    # -- writer thread ---------------------------------------------------------------------------------

    def _run(self) -> None:
        file = self._file
        assert file is not None
        next_flush = time.monotonic() + self._flush_interval_s
        waiting: _Flush | None = None
        try:
            while True:
                try:
                    item = self._queue.get(timeout=max(0.0, next_flush - time.monotonic()))
                except queue.Empty:
                    item = None
                if isinstance(item, _Write):
                    self._place(item)
                elif isinstance(item, _Lag):
                    self._max_lag = item.frames
                elif isinstance(item, _Flush):
                    # Released only after success; on failure the error is recorded first (below).
                    waiting = item
                    self._advance(final=False)
                    self._flush_to_disk(file)
                    item.done.set()
                    waiting = None
                    next_flush = time.monotonic() + self._flush_interval_s
                elif isinstance(item, _Close):
                    self._advance(final=True)
                    self._flush_to_disk(file)
                    return
                if time.monotonic() >= next_flush:
                    self._advance(final=False)
                    self._flush_to_disk(file)
                    next_flush = time.monotonic() + self._flush_interval_s
        except BaseException as err:  # a writer must report, never die silently
            logger.exception("recording %s failed after %s frames", self._path, self._frames_on_disk)
            with self._lock:
                self._error = err
            if waiting is not None:
                waiting.done.set()
            self._release_waiters()
        finally:
            self._pending = [bytearray(), bytearray()]
            self._out_chunks = []
            try:
                file.close()
            except OSError:
                logger.warning("closing %s failed", self._path, exc_info=True)

    def _release_waiters(self) -> None:
        """After a failure, wake flush() callers still queued so nobody waits for a dead writer."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _Flush):
                item.done.set()

    def _place(self, item: _Write) -> None:
        start, pcm = item.start, item.pcm
        end = start + len(pcm) // SAMPLE_WIDTH
        committed = self._committed
        if end <= committed:
            self._late[item.channel] += end - start
            return
        if start < committed:
            self._late[item.channel] += committed - start
            pcm = pcm[(committed - start) * SAMPLE_WIDTH :]
            start = committed
        buf = self._pending[item.channel]
        offset = (start - committed) * SAMPLE_WIDTH
        if len(buf) < offset:
            buf.extend(bytes(offset - len(buf)))  # gap: silence
        buf[offset : offset + len(pcm)] = pcm  # later write wins over what is pending there
        if end > self._high_water[item.channel]:
            self._high_water[item.channel] = end

    def _advance(self, *, final: bool) -> None:
        """Commit frames up to where the placement rules allow and interleave them for the next write."""
        lead = max(self._high_water)
        target = lead if final else max(min(self._high_water), lead - self._max_lag)
        frames = target - self._committed
        if frames <= 0:
            return
        nbytes = frames * SAMPLE_WIDTH
        out = np.zeros((frames, CHANNELS), dtype="<i2")
        for channel, buf in enumerate(self._pending):
            take = min(len(buf), nbytes)
            if take:
                out[: take // SAMPLE_WIDTH, channel] = np.frombuffer(
                    buf, dtype="<i2", count=take // SAMPLE_WIDTH
                )
                del buf[:take]  # cheap: bytearray deletes from the front without copying the rest
        self._out_chunks.append(out.tobytes())
        self._committed = target

    def _flush_to_disk(self, file: BinaryIO) -> None:
        if not self._out_chunks:
            return
        data = b"".join(self._out_chunks)
        self._out_chunks = []
        data_bytes = (self._frames_on_disk * FRAME_BYTES) + len(data)
        if data_bytes > MAX_DATA_BYTES:
            raise RecordingError(f"WAV size limit reached ({MAX_DATA_BYTES} data bytes)")
        file.seek(0, os.SEEK_END)
        file.write(data)
        file.flush()
        # Data first, header second: the header must never claim frames that are not durable yet.
        os.fsync(file.fileno())
        header = wav_header(self._sample_rate, data_bytes)
        file.seek(4)
        file.write(header[4:8])
        file.seek(40)
        file.write(header[40:44])
        file.flush()
        os.fsync(file.fileno())
        self._frames_on_disk = data_bytes // FRAME_BYTES
