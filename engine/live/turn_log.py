"""The engine-wide log of recent turn latencies, for `GET /metrics` and the benchmark.

Bounded (the newest `capacity` turns), numbered so a reader can ask for the turns after one it has
already seen, and free of ids: it says how fast the engine answers, not who was interviewed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from engine.dialogue.latency import TurnLatency

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

    @property
    def count(self) -> int:
        """Turns logged since start (the `seq` of the newest)."""
        return self._count

    def add(self, latency: TurnLatency) -> None:
        self._count += 1
        self._turns.append(LoggedTurn(self._count, latency))

    def recent(self, after: int = 0) -> list[LoggedTurn]:
        """The kept turns with `seq > after`, oldest first."""
        return [turn for turn in self._turns if turn.seq > after]
