"""How loaded this engine is, measured, and what it does about it: space out partials, then refuse joins.

On a CPU host the candidates already talking lose first when the engine takes on more than its cores
can carry: their finals wait for the recogniser, their audio hops wait for the event loop, and replies
come late. A fixed session cap (`IE_MEDIA__MAX_LIVE_SESSIONS`) cannot know the host, the models or
how talkative the candidates are, so admission also looks at two measured signals, each averaged over
the last `window_s` seconds:

- event-loop lag: how late a 100 ms sleep wakes up. Every session's frames, signalling, pacing and
  replies go through this one loop, and on a saturated core it wakes late for all of them alike;
- final wait: how long finished utterances wait for a recogniser lane (`AsrStats.final_wait_s`), the
  queue in front of every transcript and reply.

`OverloadGate` turns them into a level, a pure state machine with an injectable clock (unit-tested
without a loop or a CPU to saturate): OK; SHEDDING from the `shed_*` thresholds, where partial
hypotheses come `shed_partial_factor` times less often; FULL from the `refuse_*` thresholds, where no
partials are asked for at all and a new live session gets 503 with Retry-After. Finals are never
dropped at any level.

A measured signal lags what it measures: a candidate who joins hears the greeting and the first
question before saying a word, so a new session's load shows in the window only tens of seconds
later. Many joins at once (interviews booked for 9:00 sharp) would all be let in before the signal
rises. So admission also counts: at most `join_burst` new sessions within one `window_s`; past that a
join gets 503 with Retry-After for when the oldest of them leaves the window (the join page waits and
tries again by itself), and the signal meanwhile shows what the admitted ones cost. A level holds for `hold_s` after the signal last reached it, so admission does
not flap from one sample to the next. bench/capacity.py measures the signal beside the replies' latency
(docs/benchmarks.md "Capacity per engine core"); the defaults and what they do and do not protect are
in docs/media.md "Capacity and overload".

`LoadMonitor` feeds the gate from a task on the engine's loop and is what the rest of the engine asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from config.settings import LoadSettings
from engine.errors import ServiceUnavailable
from media.asr_stats import AsrStats

__all__ = ["REFUSAL_REASONS", "EngineAtCapacity", "LoadLevel", "LoadMonitor", "LoadSignal", "OverloadGate"]

logger = logging.getLogger(__name__)

TICK_S = 0.1
# Why a join was refused for load (`details.reason` of the 503, a label on /metrics).
REFUSAL_REASONS = ("overloaded", "join_burst")
# The mean over a window needs a few samples before it says anything (a start-up hiccup is one sample).
MIN_LAG_SAMPLES = 5


class LoadLevel(enum.IntEnum):
    OK = 0
    SHEDDING = 1  # partials spaced out
    FULL = 2  # no partials; new sessions refused


class EngineAtCapacity(ServiceUnavailable):
    """503 with Retry-After: this engine takes no new live session now (another node, or later, may)."""

    def __init__(self, message: str, retry_after_s: int, reason: str) -> None:
        super().__init__(message, {"reason": reason, "retry_after_s": retry_after_s})
        self.retry_after_s = retry_after_s

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


@dataclass(frozen=True, slots=True)
class LoadSignal:
    """The window's means (ms) and the level they give (with the hold applied)."""

    loop_lag_ms: float
    final_wait_ms: float
    level: LoadLevel


class OverloadGate:
    """Pure: observations in, a level out. `clock` gives seconds (monotonic)."""

    def __init__(self, limits: LoadSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._clock = clock
        self._lags: deque[tuple[float, float]] = deque()  # (when, lag s)
        self._waits: deque[tuple[float, float, int]] = deque()  # (when, summed wait s, finals)
        # When the signal last reached each level (-inf: never).
        self._reached = {LoadLevel.SHEDDING: -float("inf"), LoadLevel.FULL: -float("inf")}

    def lag(self, seconds: float) -> None:
        """One event-loop lag sample."""
        self._lags.append((self._clock(), max(0.0, seconds)))
        self._update()

    def final_waits(self, total_s: float, count: int) -> None:
        """Finals taken by the recogniser since the last call and their summed queue wait."""
        if count > 0:
            self._waits.append((self._clock(), max(0.0, total_s), count))
            self._update()

    def signal(self) -> LoadSignal:
        now = self._update()
        lag_ms, wait_ms = self._means()
        return LoadSignal(lag_ms, wait_ms, self._held(now))

    @property
    def level(self) -> LoadLevel:
        return self.signal().level

    def _prune(self, now: float) -> None:
        horizon = now - self._limits.window_s
        while self._lags and self._lags[0][0] < horizon:
            self._lags.popleft()
        while self._waits and self._waits[0][0] < horizon:
            self._waits.popleft()

    def _means(self) -> tuple[float, float]:
        lag_ms = 1000 * sum(lag for _, lag in self._lags) / len(self._lags) if self._lags else 0.0
        finals = sum(count for _, _, count in self._waits)
        wait_ms = 1000 * sum(total for _, total, _ in self._waits) / finals if finals else 0.0
        return lag_ms, wait_ms

    def _update(self) -> float:
        """Note the levels the window's signal reaches now; returns now."""
        now = self._clock()
        self._prune(now)
        lag_ms, wait_ms = self._means()
        if len(self._lags) < MIN_LAG_SAMPLES:
            lag_ms = 0.0
        limits = self._limits
        if lag_ms >= limits.refuse_lag_ms or wait_ms >= limits.refuse_wait_ms:
            self._reached[LoadLevel.FULL] = now
        if lag_ms >= limits.shed_lag_ms or wait_ms >= limits.shed_wait_ms:
            self._reached[LoadLevel.SHEDDING] = now
        return now

    def _held(self, now: float) -> LoadLevel:
        """The highest level the signal reached within the last `hold_s` (or reaches now)."""
        for level in (LoadLevel.FULL, LoadLevel.SHEDDING):
            if now - self._reached[level] <= self._limits.hold_s:
                return level
        return LoadLevel.OK


class LoadMonitor:
    """The gate fed from the engine's loop: use as `async with LoadMonitor(settings, asr.stats)`."""

    def __init__(
        self,
        settings: LoadSettings,
        asr_stats: Callable[[], AsrStats],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.gate = OverloadGate(settings, clock)
        self._asr_stats = asr_stats
        self._task: asyncio.Task[None] | None = None
        self._level = LoadLevel.OK
        self._clock = clock
        self._admitted: deque[float] = deque()  # when each session of the current window was admitted
        # Sessions refused for load since start, by reason (counters for /metrics).
        self.refused_by = dict.fromkeys(REFUSAL_REASONS, 0)

    async def __aenter__(self) -> Self:
        self._task = asyncio.get_running_loop().create_task(self._sample(), name="load-monitor")
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def signal(self) -> LoadSignal:
        return self.gate.signal()

    @property
    def level(self) -> LoadLevel:
        """The level as of the last sample (at most `TICK_S` old): cheap, and safe to read from the
        sessions' audio threads, which must not walk the gate's windows while the loop appends to them."""
        return self._level

    @property
    def refused(self) -> int:
        """Sessions refused for load since start, for any reason."""
        return sum(self.refused_by.values())

    def partial_interval_ms(self, base_ms: int) -> int | None:
        """The least new audio between two partials now; None: ask for none."""
        level = self._level
        if level is LoadLevel.FULL:
            return None
        if level is LoadLevel.SHEDDING:
            return base_ms * self.settings.shed_partial_factor
        return base_ms

    def admit(self, talking: int) -> None:
        """Count a new live session in, or raise `EngineAtCapacity` when it would slow down the ones
        already here: the `talking` ones (connected now) when the measured signal is FULL, or the ones
        admitted within the last `window_s` when there are `join_burst` of them (their load is not in
        the signal yet). With nobody talking and no recent admission there is nobody to protect, and
        whatever loads the engine (its start-up, a burst of API calls) is not the sessions' doing."""
        if not self.settings.admission:
            return
        now = self._clock()
        while self._admitted and self._admitted[0] <= now - self.settings.window_s:
            self._admitted.popleft()
        burst = self.settings.join_burst
        if burst and len(self._admitted) >= burst:
            self.refused_by["join_burst"] += 1
            wait_s = max(1, math.ceil(self._admitted[0] + self.settings.window_s - now))
            logger.warning(
                "refusing a new live session: %d joined within %.0f s (IE_LOAD__JOIN_BURST), retry in %d s",
                len(self._admitted),
                self.settings.window_s,
                wait_s,
            )
            raise EngineAtCapacity(
                "many interviews are starting on this server right now; yours starts in a few seconds",
                wait_s,
                "join_burst",
            )
        if talking > 0:
            self._refuse_when_full()
        self._admitted.append(now)

    def _refuse_when_full(self) -> None:
        signal = self.gate.signal()
        if signal.level is LoadLevel.FULL:
            self.refused_by["overloaded"] += 1
            logger.warning(
                "refusing a new live session: engine at capacity (loop lag %.0f ms, final wait %.0f ms)",
                signal.loop_lag_ms,
                signal.final_wait_ms,
            )
            raise EngineAtCapacity(
                "this interview server is at capacity; please try again in a minute",
                self.settings.retry_after_s,
                "overloaded",
            )

    async def _sample(self) -> None:
        loop = asyncio.get_running_loop()
        stats = self._asr_stats()
        waited, finals = stats.final_wait_s, stats.final_waits
        while True:
            started = loop.time()
            await asyncio.sleep(TICK_S)
            self.gate.lag(loop.time() - started - TICK_S)
            stats = self._asr_stats()
            self.gate.final_waits(stats.final_wait_s - waited, stats.final_waits - finals)
            waited, finals = stats.final_wait_s, stats.final_waits
            self.refresh()

    def refresh(self) -> None:
        """Re-read the gate's level (each sample does; so may a caller that has just fed the gate)."""
        signal = self.gate.signal()
        if signal.level is not self._level:
            logger.info(
                "engine load %s -> %s (loop lag %.0f ms, final wait %.0f ms over %.0f s)",
                self._level.name,
                signal.level.name,
                signal.loop_lag_ms,
                signal.final_wait_ms,
                self.settings.window_s,
            )
            self._level = signal.level
