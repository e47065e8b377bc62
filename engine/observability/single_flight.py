"""At most one run of a slow check at a time, and a caller never waits past its own timeout.

A probe against a database that hangs would otherwise pile up one stuck connection per probe (a load
balancer asks every few seconds), and cancelling a driver call midway makes it drop its connection
noisily; so the run goes on in a task of its own, callers wait for it at most `timeout_s`, and a caller
that comes while one is in flight waits for that one instead of starting another.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

__all__ = ["SingleFlight"]

T = TypeVar("T")


def _retrieve(task: asyncio.Task[Any]) -> None:
    # A run that failed after every caller timed out would otherwise be reported as "Task exception was
    # never retrieved" at garbage collection; the callers already reported the timeout.
    if not task.cancelled():
        task.exception()


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._task: asyncio.Task[T] | None = None

    async def run(self, work: Callable[[], Coroutine[Any, Any, T]], timeout_s: float) -> T:
        """`work()`'s result, or its exception; TimeoutError after `timeout_s` (the run goes on)."""
        task = self._task
        if task is None or task.done():
            task = self._task = asyncio.ensure_future(work())
            task.add_done_callback(_retrieve)
        return await asyncio.wait_for(asyncio.shield(task), timeout_s)
