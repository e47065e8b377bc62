"""What a live interview shows, for those watching it: every message the candidate's page gets
(captions of both sides, the interviewer's state, the end), fanned out to any number of watchers.

A watcher who arrives late gets a snapshot first (the finished lines so far and the current state),
then the messages as they come. Each watcher has a bounded queue; one that cannot keep up is dropped
(its stream ends and it may subscribe again, snapshot included) rather than holding up the interview
or growing without end. Nothing here ever reaches the candidate: watching changes nothing for them.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LiveFeed", "Watcher"]

HISTORY = 400  # finished lines kept for late watchers (a long interview has about 200)
QUEUE = 256  # messages a watcher may fall behind by before it is dropped


@dataclass(slots=True, eq=False)  # identity: watchers live in a set
class Watcher:
    """One subscription: `snapshot` first, then `next()` until it returns None (the interview ended,
    or this watcher fell too far behind)."""

    snapshot: list[dict[str, Any]]
    _queue: asyncio.Queue[dict[str, Any] | None] = field(default_factory=lambda: asyncio.Queue(QUEUE + 1))
    dropped: bool = False

    async def next(self) -> dict[str, Any] | None:
        return await self._queue.get()


class LiveFeed:
    def __init__(self) -> None:
        self._lines: deque[dict[str, Any]] = deque(maxlen=HISTORY)
        self._state: dict[str, Any] | None = None
        self._ended: dict[str, Any] | None = None
        self._watchers: set[Watcher] = set()

    @property
    def watchers(self) -> int:
        return len(self._watchers)

    def publish(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "state":
            self._state = message
        elif kind in ("caption", "transcript") and message.get("final"):
            self._lines.append(message)
        elif kind == "ended":
            self._ended = message
        for watcher in list(self._watchers):
            if watcher._queue.qsize() >= QUEUE:
                self._drop(watcher)
                continue
            watcher._queue.put_nowait(message)
            if kind == "ended":
                self._drop(watcher, dropped=False)

    def close(self) -> None:
        """The interview is over here: every watcher's stream ends."""
        for watcher in list(self._watchers):
            self._drop(watcher, dropped=False)

    @asynccontextmanager
    async def watch(self) -> AsyncIterator[Watcher]:
        snapshot = list(self._lines)
        if self._state is not None:
            snapshot.append(self._state)
        watcher = Watcher(snapshot)
        if self._ended is not None:
            snapshot.append(self._ended)
            watcher._queue.put_nowait(None)
        else:
            self._watchers.add(watcher)
        try:
            yield watcher
        finally:
            self._watchers.discard(watcher)

    def _drop(self, watcher: Watcher, *, dropped: bool = True) -> None:
        self._watchers.discard(watcher)
        watcher.dropped = dropped
        # Room is kept for this: the queue holds QUEUE messages plus the end.
        watcher._queue.put_nowait(None)
