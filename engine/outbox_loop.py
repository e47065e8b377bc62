"""The loop shared by the engine's outboxes (webhook deliveries, emails): each round it lets its owner
prepare work (`prepare`), lists the due items (`due`) and works on each in a task of its own, at most
`max_concurrency` at once; an item already being worked on here is not started again. A round that
found nothing naps until `wake()` or `poll_s`. A failing round is logged and the next one tries again,
so a database hiccup never stops an outbox for good.

What to send, and whether it was sent, lives in the database: the loop keeps nothing that a stop could
lose. `backoff` is the retry schedule both outboxes follow."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from types import TracebackType

from engine.poller import Poller

__all__ = ["OutboxLoop", "backoff"]

logger = logging.getLogger(__name__)


async def _nothing() -> int:
    return 0


def backoff(schedule: Sequence[float], attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` attempts: `schedule[attempts]` seconds from `now`, or None once
    the schedule is used up (give up)."""
    if attempts >= len(schedule):
        return None
    return now + timedelta(seconds=schedule[attempts])


class OutboxLoop:
    def __init__(
        self,
        name: str,
        *,
        poll_s: float,
        max_concurrency: int,
        due: Callable[[int], Awaitable[Sequence[str]]],
        attempt: Callable[[str], Awaitable[None]],
        prepare: Callable[[], Awaitable[int]] = _nothing,
    ) -> None:
        """`due(limit)` lists the ids of items to work on now; `attempt(id)` works on one (and must
        record its outcome itself); `prepare()` runs first each round and says how much it did."""
        self._name = name
        self._due = due
        self._attempt = attempt
        self._prepare = prepare
        self._max = max_concurrency
        self._poller = Poller(poll_s)
        self._working: set[str] = set()
        self._slots = asyncio.Semaphore(max_concurrency)

    async def start(self) -> None:
        await self._poller.start(self._run)

    async def stop(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._poller.stop(kind, exc, tb)

    def wake(self) -> None:
        self._poller.wake()

    @property
    def running(self) -> bool:
        return self._poller.running

    async def _run(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            while not self._poller.stopping:
                try:
                    busy = await self._round(tasks)
                except Exception:
                    logger.exception("%s: round failed", self._name)
                    busy = False
                if not busy:
                    await self._poller.nap()

    async def _round(self, tasks: asyncio.TaskGroup) -> bool:
        prepared = await self._prepare()
        ready = [i for i in await self._due(self._max * 2) if i not in self._working]
        for item_id in ready:
            if self._poller.stopping:
                break
            self._working.add(item_id)
            tasks.create_task(self._work(item_id))
        return bool(prepared or ready)

    async def _work(self, item_id: str) -> None:
        try:
            async with self._slots:
                await self._attempt(item_id)
        except Exception:
            logger.exception("%s: %s failed unexpectedly", self._name, item_id)
        finally:
            self._working.discard(item_id)
            self._poller.wake()
