"""What the shared recogniser has done since start (`AsrScheduler.stats`): counts of jobs and batches,
audio and compute, how long finals waited, what the lanes were busy with. `/metrics`, the load signal
(engine/live/load.py) and the benchmarks read it."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

__all__ = ["JOB_KINDS", "AsrCounters", "AsrStats"]

# What a lane can be busy with: a final, a speculative final at a pause, a caption draft, a whole-answer
# revision.
JOB_KINDS = ("final", "speculation", "draft", "revision")


@dataclass(frozen=True, slots=True)
class AsrStats:
    """Counters since start. `compute_s` sums `Recognition.compute_s`; `busy_s` is lane wall time in
    `transcribe_batch` (they differ by per-call overhead); `dropped_partials` counts partials answered None."""

    finals: int
    partials: int
    batches: int
    failed_batches: int
    audio_s: float
    compute_s: float
    busy_s: float
    dropped_partials: int
    queued_finals: int
    queued_partials: int
    in_flight: int
    # How long finals and speculative finals waited in the queue before a lane took them (summed, and
    # how many): the engine's overload signal reads their mean over the last seconds (engine/live/load.py).
    final_wait_s: float = 0.0
    final_waits: int = 0
    # `busy_s` split by the kind of job the lane ran (`JOB_KINDS`): what the finals compete with.
    busy_by_kind: dict[str, float] = field(default_factory=dict)
    # Finals and speculations decoded in a burst's shorter window (`hurry_batch`).
    hurried: int = 0
    # Jobs decoded whose caller had gone by the time the result came (a speculation whose speaker went
    # on, a caption the session no longer wanted, a hang-up), and their share of the lanes' time: work
    # the other sessions waited behind for nothing.
    discarded: int = 0
    discarded_s: float = 0.0

    @property
    def jobs(self) -> int:
        return self.finals + self.partials

    @property
    def real_time_factor(self) -> float:
        """Compute seconds per second of audio (below 1 keeps up with speech)."""
        return self.compute_s / self.audio_s if self.audio_s else 0.0


@dataclass(slots=True)
class AsrCounters:
    """The scheduler's running counts (event loop only); `snapshot` is what `AsrScheduler.stats` returns."""

    finals: int = 0
    partials: int = 0
    batches: int = 0
    failed_batches: int = 0
    audio_s: float = 0.0
    compute_s: float = 0.0
    busy_s: float = 0.0
    dropped_partials: int = 0
    in_flight: set[Hashable] = field(default_factory=set)
    final_wait_s: float = 0.0
    final_waits: int = 0
    busy_by_kind: dict[str, float] = field(default_factory=lambda: dict.fromkeys(JOB_KINDS, 0.0))
    hurried: int = 0
    discarded: int = 0
    discarded_s: float = 0.0

    def snapshot(self, *, queued_finals: int, queued_partials: int) -> AsrStats:
        return AsrStats(
            finals=self.finals,
            partials=self.partials,
            batches=self.batches,
            failed_batches=self.failed_batches,
            audio_s=self.audio_s,
            compute_s=self.compute_s,
            busy_s=self.busy_s,
            dropped_partials=self.dropped_partials,
            queued_finals=queued_finals,
            queued_partials=queued_partials,
            in_flight=len(self.in_flight),
            final_wait_s=self.final_wait_s,
            final_waits=self.final_waits,
            busy_by_kind=dict(self.busy_by_kind),
            hurried=self.hurried,
            discarded=self.discarded,
            discarded_s=self.discarded_s,
        )
