"""Shares speech recognition between live sessions: priorities, load shedding and batching on worker lanes.

Finals (a finished utterance: the transcript the interview runs on) always go before partials (a running
hypothesis shown while someone speaks). Each lane is an asyncio task that takes the next batch and runs
the blocking `SpeechRecognizer.transcribe_batch` on the scheduler's own thread pool, one call at a time,
so `workers` bounds the CPU the model uses however many sessions there are.

Queueing rules:
- finals are FIFO and never dropped;
- revisions (a whole answer transcribed again in one pass, `revise`) are FIFO and never dropped either,
  but run only when no final waits, one per lane call: they improve the stored transcript, while a
  final is what a conversation waits for. With `revision_quiet_s`, a revision also waits until no other
  job has been asked for during that long (nobody is speaking: while anyone does, caption partials and
  speculations keep coming), or until it has waited `revision_max_wait_s`: a revision cannot be
  interrupted once it runs (it decodes the whole answer, up to a 30 s window), and a final or a
  speculation that a turn waits for would otherwise queue behind it;
- at most one partial per key (e.g. per session) waits: a newer one takes the older one's place in the
  queue and the older one's caller gets None; a caption partial (not a speculation) is decoded with the
  recognizer's `transcribe_draft` when it has one (no second passes on hard audio);
- a speculative partial (`partial(..., speculative=True)`: a final guessed at a pause, which the turn
  may be waiting for) follows the same rules but goes before revisions and ordinary partials, right
  after finals; its queue wait counts with the finals' (`final_wait_s`). Under load, caption partials
  from several sessions queued ahead of a speculation held up every reply behind them;
- while any final waits, new partials are shed: they get None at once (a partial that would only be
  decoded after the queued finals is stale by then, and the speaker produces a fresher one anyway);
  partials queued before the finals stay queued, behind them;
- a batch is all finals or all partials, at most `max_batch` (and at most the recognizer's own
  `max_batch` attribute, when it has one), split evenly when several lanes are idle;
- a batch of at least `hurry_batch` finals or speculations (several answers ended at once, and every
  one of them waits for the whole batch) is decoded with the recognizer's `transcribe_hurried` when it
  has one: a shorter encoder window, about half the batch's time, results marked `hurried` so the
  caller can have the answer heard again whole (`revise`) once the rush is over.

Batching trades latency for throughput: every result of a batch waits for the whole batch. A lane only
batches what queued up while it was busy, so at light load each job runs alone; under load, bigger
batches cost less per utterance (on a 2-core CPU, 4 at a time saves ~9% with 30 s windows and ~19% with
WhisperRecognizer's default 20 s ones; see bench/asr_batching.py).

A caller that is cancelled while waiting leaves the queue; if its job is already being decoded, the
result is discarded. On exit, queued finals fail with `AsrSchedulerClosed`, queued partials get None,
and the batches in flight finish (threads cannot be interrupted) before the pool is shut down.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar

import numpy as np

from media.asr import FloatAudio, Recognition, SpeechRecognizer, TimedTranscript, pcm_to_float
from media.asr_stats import JOB_KINDS, AsrCounters, AsrStats

__all__ = ["JOB_KINDS", "AsrScheduler", "AsrSchedulerClosed", "AsrStats", "RecognizerFactory"]

logger = logging.getLogger(__name__)

RecognizerFactory = Callable[[], SpeechRecognizer]
_T = TypeVar("_T")


class AsrSchedulerClosed(RuntimeError):
    """The scheduler is not running (not entered yet, or closed)."""


@dataclass(eq=False, slots=True)
class _Job:
    audio: FloatAudio
    future: asyncio.Future[Any]  # Recognition | None; TimedTranscript | None for a revision
    final: bool
    key: Hashable = None
    prompt: str = ""
    revision: bool = False
    speculative: bool = False
    queued_at: float = 0.0  # time.monotonic() when queued (finals' and speculations' waits are counted)

    @property
    def kind(self) -> str:
        """One of `JOB_KINDS`."""
        if self.revision:
            return "revision"
        if self.final:
            return "final"
        return "speculation" if self.speculative else "draft"


def _as_audio(audio: FloatAudio | bytes) -> FloatAudio:
    if isinstance(audio, bytes | bytearray | memoryview):
        return pcm_to_float(bytes(audio))
    array = np.asarray(audio)
    if array.ndim != 1 or array.dtype.kind != "f":
        # Integer arrays would be taken as unscaled floats; PCM belongs in `bytes`.
        raise ValueError(
            f"audio must be 1-D float samples or int16 PCM bytes, got {array.dtype} {array.shape}"
        )
    return array.astype(np.float32, copy=False)


class AsrScheduler:
    """Use as `async with AsrScheduler(factory, workers=1, max_batch=8) as asr: await asr.final(audio)`.

    `recognizer_factory` is called once per lane, in a worker thread (loading a model blocks); return a
    shared thread-safe instance from it if lanes should share one model. Audio is float32 mono 16 kHz or
    int16 PCM bytes.
    """

    def __init__(
        self,
        recognizer_factory: RecognizerFactory,
        *,
        workers: int = 1,
        max_batch: int = 8,
        revision_quiet_s: float = 0.0,
        revision_max_wait_s: float = 30.0,
        hurry_batch: int = 0,
    ) -> None:
        if workers < 1 or max_batch < 1:
            raise ValueError("workers and max_batch must be >= 1")
        if hurry_batch < 0:
            raise ValueError("hurry_batch must be >= 0 (0: never)")
        self._hurry_batch = hurry_batch
        if revision_quiet_s < 0 or revision_max_wait_s < 0:
            raise ValueError("revision_quiet_s and revision_max_wait_s must be >= 0")
        self._factory = recognizer_factory
        self._revision_quiet_s = revision_quiet_s
        self._revision_max_wait_s = revision_max_wait_s
        self._last_request = -math.inf  # time.monotonic() of the latest final or partial asked for
        self._workers = workers
        self._max_batch = max_batch
        self._finals: deque[_Job] = deque()
        self._revisions: deque[_Job] = deque()
        self._partials: dict[Hashable, _Job] = {}  # insertion order = queue order
        self._speculative: dict[Hashable, _Job] = {}  # the same, taken before revisions and partials
        self._counters = AsrCounters()
        self._recognizers: list[SpeechRecognizer | None] = [None] * workers
        self._loading: list[asyncio.Future[SpeechRecognizer] | None] = [None] * workers
        self._lanes: list[asyncio.Task[None]] = []
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._wakeup = asyncio.Event()  # set whenever there is work or the state changes
        self._idle_lanes = 0
        self._state = "new"  # new -> running -> closed

    # -- lifecycle ---------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._state != "new":
            raise RuntimeError("an AsrScheduler can only be entered once")
        self._executor = concurrent.futures.ThreadPoolExecutor(self._workers, thread_name_prefix="asr-lane")
        self._state = "running"
        self._lanes = [
            asyncio.create_task(self._lane(lane), name=f"asr-lane-{lane}") for lane in range(self._workers)
        ]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop: fail what is queued, let batches in flight finish, stop lanes and threads. Idempotent."""
        if self._state != "running":
            self._state = "closed"
            return
        self._state = "closed"
        for queue in (self._finals, self._revisions):
            while queue:
                job = queue.popleft()
                if not job.future.done():
                    job.future.set_exception(AsrSchedulerClosed("ASR scheduler closed"))
                    job.future.exception()  # mark retrieved: the caller may be gone
        for queued in (self._speculative, self._partials):
            for job in queued.values():
                self._resolve_dropped(job)
            queued.clear()
        assert self._executor is not None
        self._wakeup.set()
        try:
            # Lanes exit once their batch in flight is delivered; warm-up loads may still be running too
            # (gathering them also retrieves the error of a failed load that nobody waited for).
            await asyncio.gather(*self._lanes, return_exceptions=True)
            await asyncio.gather(
                *(load for load in self._loading if load is not None), return_exceptions=True
            )
        except asyncio.CancelledError:
            # Closing was itself cancelled: stop the lanes (their callers get AsrSchedulerClosed) and let
            # a call already running in a thread finish there on its own.
            for lane in self._lanes:
                lane.cancel()
            self._executor.shutdown(wait=False, cancel_futures=True)
            raise
        # Every thread is idle now, so this join returns at once.
        self._executor.shutdown(wait=True)

    # -- public API --------------------------------------------------------------------------------

    async def warm_up(self) -> None:
        """Load every lane's recognizer now (in worker threads) instead of on the first job."""
        self._check_running()
        await asyncio.gather(*(self._recognizer(lane) for lane in range(self._workers)))

    async def final(self, audio: FloatAudio | bytes, prompt: str = "") -> Recognition:
        """Transcribe a finished utterance; high priority, FIFO, never dropped. `prompt` is what the
        speaker said just before it (see `SpeechRecognizer.transcribe_batch`)."""
        self._check_running()
        job = _Job(
            _as_audio(audio),
            asyncio.get_running_loop().create_future(),
            final=True,
            prompt=prompt,
            queued_at=time.monotonic(),
        )
        self._last_request = job.queued_at
        self._finals.append(job)
        self._wakeup.set()
        try:
            result: Recognition | None = await job.future
        except asyncio.CancelledError:
            with contextlib.suppress(ValueError):
                self._finals.remove(job)
            raise
        assert result is not None
        return result

    async def revise(self, audio: FloatAudio | bytes, prompt: str = "") -> TimedTranscript | None:
        """Transcribe a whole answer again in one pass, with word times (the recognizer's
        `transcribe_timed`); after any waiting final, never dropped. None when the recognizer cannot."""
        self._check_running()
        job = _Job(
            _as_audio(audio),
            asyncio.get_running_loop().create_future(),
            final=True,
            prompt=prompt,
            revision=True,
            queued_at=time.monotonic(),
        )
        self._revisions.append(job)
        self._wakeup.set()
        try:
            result: TimedTranscript | None = await job.future
        except asyncio.CancelledError:
            with contextlib.suppress(ValueError):
                self._revisions.remove(job)
            raise
        return result

    async def partial(
        self, key: Hashable, audio: FloatAudio | bytes, prompt: str = "", *, speculative: bool = False
    ) -> Recognition | None:
        """Transcribe an utterance in progress; None when superseded by a newer partial for `key` or shed.
        `speculative`: a guess at a final that a turn may wait for, queued ahead of ordinary partials."""
        self._check_running()
        self._last_request = time.monotonic()
        if self._finals:
            self._counters.dropped_partials += 1
            return None
        job = _Job(
            _as_audio(audio),
            asyncio.get_running_loop().create_future(),
            final=False,
            key=key,
            prompt=prompt,
            speculative=speculative,
            queued_at=time.monotonic(),
        )
        queued = self._speculative if speculative else self._partials
        older = queued.get(key)
        queued[key] = job  # an existing key keeps its place in the queue
        if older is not None:
            self._resolve_dropped(older)
        self._wakeup.set()
        try:
            partial: Recognition | None = await job.future
            return partial
        except asyncio.CancelledError:
            if queued.get(key) is job:
                del queued[key]
            raise

    @property
    def loaded(self) -> bool:
        """Whether every lane's recognizer is in memory (after `warm_up` or the lanes' first jobs)."""
        return all(recognizer is not None for recognizer in self._recognizers)

    def stats(self) -> AsrStats:
        return self._counters.snapshot(
            queued_finals=len(self._finals), queued_partials=len(self._partials) + len(self._speculative)
        )

    # -- internals ---------------------------------------------------------------------------------

    def _check_running(self) -> None:
        if self._state != "running":
            raise AsrSchedulerClosed(f"ASR scheduler is {self._state}; use it inside `async with`")

    def _resolve_dropped(self, job: _Job) -> None:
        if not job.future.done():
            job.future.set_result(None)
            self._counters.dropped_partials += 1

    async def _in_thread(self, fn: Callable[..., _T], *args: Any) -> _T:
        """Run blocking `fn` on the lanes' pool (lane batches and model loads are its only callers, and
        closing waits for both, so no call outlives the scheduler)."""
        assert self._executor is not None
        return await asyncio.wrap_future(self._executor.submit(fn, *args))

    async def _recognizer(self, lane: int) -> SpeechRecognizer:
        recognizer = self._recognizers[lane]
        if recognizer is not None:
            return recognizer
        loading = self._loading[lane]
        if loading is None:
            loading = self._loading[lane] = asyncio.ensure_future(self._in_thread(self._factory))
        try:
            # Shielded: one impatient waiter must not abort a load that others (or the lane) wait for.
            recognizer = await asyncio.shield(loading)
        except Exception:
            if self._loading[lane] is loading:
                self._loading[lane] = None  # let the next job try again
            raise
        self._recognizers[lane] = recognizer
        return recognizer

    def _has_work(self) -> bool:
        return bool(self._finals or self._speculative or self._partials) or (
            bool(self._revisions) and self._revision_due_in(time.monotonic()) <= 0
        )

    def _revision_due_in(self, now: float) -> float:
        """Seconds until the first queued revision may run (<= 0: now)."""
        quiet = self._last_request + self._revision_quiet_s - now
        overdue = self._revisions[0].queued_at + self._revision_max_wait_s - now
        return min(quiet, overdue)

    def _take(self, limit: int) -> list[_Job]:
        batch: list[_Job] = []
        now = time.monotonic()
        if self._finals:
            while self._finals and len(batch) < limit:
                job = self._finals.popleft()
                if not job.future.done():
                    batch.append(job)
            return self._waited(batch, now)
        if self._speculative:
            while self._speculative and len(batch) < limit:
                job = self._speculative.pop(next(iter(self._speculative)))
                if not job.future.done():
                    batch.append(job)
            return self._waited(batch, now)
        while self._revisions and self._revision_due_in(now) <= 0:
            job = self._revisions.popleft()
            if not job.future.done():
                return [job]  # alone: a different call
        while self._partials and len(batch) < limit:
            key = next(iter(self._partials))
            job = self._partials.pop(key)
            if not job.future.done():
                batch.append(job)
        return batch

    def _waited(self, batch: list[_Job], now: float) -> list[_Job]:
        """Counts how long these finals (or speculative finals) waited for a lane."""
        for job in batch:
            self._counters.final_wait_s += now - job.queued_at
            self._counters.final_waits += 1
        return batch

    async def _next_batch(self, lane: int) -> list[_Job] | None:
        self._idle_lanes += 1
        try:
            while not self._has_work() and self._state == "running":
                self._wakeup.clear()
                if self._revisions:
                    # Only revisions wait, for a quiet moment: wake when it may have come.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(max(0.01, self._revision_due_in(time.monotonic()))):
                            await self._wakeup.wait()
                else:
                    await self._wakeup.wait()
            if self._state != "running":
                return None
            recognizer = self._recognizers[lane]
            limit = min(self._max_batch, getattr(recognizer, "max_batch", self._max_batch))
            # Leave a share for the other idle lanes (woken by the same event) instead of taking it all.
            pending = (
                len(self._finals) or len(self._speculative) or len(self._partials) or len(self._revisions)
            )
            limit = max(1, min(limit, math.ceil(pending / self._idle_lanes)))
            return self._take(limit)
        finally:
            self._idle_lanes -= 1

    async def _lane(self, lane: int) -> None:
        while True:
            batch = await self._next_batch(lane)
            if batch is None:
                return
            if batch:
                await self._run_batch(lane, batch)

    async def _run_batch(self, lane: int, batch: list[_Job]) -> None:
        counters = self._counters
        counters.in_flight.update(batch)
        started = time.perf_counter()
        try:
            recognizer = await self._recognizer(lane)
            if batch[0].revision:
                (job,) = batch
                timed = getattr(recognizer, "transcribe_timed", None)
                revised = None if timed is None else await self._in_thread(timed, job.audio, job.prompt)
                if not job.future.done():
                    job.future.set_result(revised)
                if revised is not None:
                    counters.audio_s += revised.recognition.audio_s
                    counters.compute_s += revised.recognition.compute_s
                counters.batches += 1
                return
            transcribe = recognizer.transcribe_batch
            if not batch[0].final and not batch[0].speculative:
                # Caption partials: a recognizer's cheap draft when it has one (no second passes).
                transcribe = getattr(recognizer, "transcribe_draft", transcribe)
            elif self._hurry_batch and len(batch) >= self._hurry_batch:
                # Answers that ended together all wait for this batch: a shorter window for each.
                transcribe = getattr(recognizer, "transcribe_hurried", transcribe)
            results = await self._in_thread(
                transcribe, [job.audio for job in batch], [job.prompt for job in batch]
            )
            if len(results) != len(batch):
                raise RuntimeError(f"recognizer returned {len(results)} results for {len(batch)} utterances")
        except asyncio.CancelledError:
            # Only when closing is itself cancelled: don't leave these callers waiting forever.
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(AsrSchedulerClosed("ASR scheduler closed"))
                    job.future.exception()  # mark retrieved: the caller may be gone
            raise
        except Exception as exc:
            counters.failed_batches += 1
            logger.warning("ASR batch of %s failed on lane %s: %r", len(batch), lane, exc)
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(exc)
            return
        finally:
            counters.in_flight.difference_update(batch)
            elapsed = time.perf_counter() - started
            counters.busy_s += elapsed
            counters.busy_by_kind[batch[0].kind] += elapsed  # a batch is of one kind
        counters.batches += 1
        for job, result in zip(batch, results, strict=True):
            if job.final:
                counters.finals += 1
            else:
                counters.partials += 1
            counters.audio_s += result.audio_s
            counters.compute_s += result.compute_s
            counters.hurried += result.hurried
            if not job.future.done():  # the caller may have been cancelled meanwhile
                job.future.set_result(result)
            else:
                counters.discarded += 1
                counters.discarded_s += elapsed / len(batch)
