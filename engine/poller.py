"""One background loop owned by the engine's lifespan: it naps between rounds, `wake()` cuts a nap
short, and at shutdown it is asked to stop between rounds, and cancelled only after a grace period
(cancelling a database call midway makes the driver drop its connection noisily)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any

__all__ = ["STOP_GRACE_S", "Poller"]

STOP_GRACE_S = 5.0


class Poller:
    def __init__(self, poll_s: float) -> None:
        self._poll_s = poll_s
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tg = asyncio.TaskGroup()
        self._task: asyncio.Task[None] | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @property
    def running(self) -> bool:
        """Started, not asked to stop, and its loop has not ended (for the readiness probe)."""
        return self._task is not None and not self._task.done() and not self.stopping

    def wake(self) -> None:
        self._wake.set()

    async def nap(self) -> None:
        """Until `wake()`, the stop, or `poll_s` later."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._poll_s):
                await self._wake.wait()
        self._wake.clear()

    async def start(self, loop: Callable[[], Coroutine[Any, Any, None]]) -> None:
        await self._tg.__aenter__()
        self._task = self._tg.create_task(loop())

    async def stop(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            _, running = await asyncio.wait({self._task}, timeout=STOP_GRACE_S)
            if running:
                self._task.cancel()
        await self._tg.__aexit__(kind, exc, tb)
