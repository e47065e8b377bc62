"""The engine-wide log of recent turn latencies, for `GET /metrics/json` and the benchmark; listeners
(the histograms of `GET /metrics`) see every turn as it is added.

Bounded (the newest `capacity` turns), numbered so a reader can ask for the turns after one it has
already seen, and free of ids: it says how fast the engine answers, not who was interviewed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from engine.dialogue.latency import TurnLatency
from engine.observability import tracing

__all__ = ["LoggedTurn", "TurnLog"]

DEFAULT_CAPACITY = 512


@dataclass(frozen=True, slots=True)
class LoggedTurn:
    seq: int
    latency: TurnLatency


class TurnLog:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity!r}")
        self._turns: deque[LoggedTurn] = deque(maxlen=capacity)
        self._count = 0
        self._listeners: list[Callable[[TurnLatency], None]] = []

    @property
    def count(self) -> int:
        """Turns logged since start (the `seq` of the newest)."""
        return self._count

    def listen(self, listener: Callable[[TurnLatency], None]) -> None:
        """Call `listener` with every turn added from now on (the Prometheus histograms, which must see
        every turn, not only the kept ones). It must be quick and must not raise."""
        self._listeners.append(listener)

    def add(self, latency: TurnLatency, session_id: str | None = None) -> None:
        """`session_id` goes to the turn's trace span only (IE_OTEL__ENDPOINT), never into the log."""
        self._count += 1
        self._turns.append(LoggedTurn(self._count, latency))
        for listener in self._listeners:
            listener(latency)
        tracing.record_turn(latency, session_id)

    def recent(self, after: int = 0) -> list[LoggedTurn]:
        """The kept turns with `seq > after`, oldest first."""
        return [turn for turn in self._turns if turn.seq > after]
