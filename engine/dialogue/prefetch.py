"""Reading a reply ahead: an async stream of sentences pumped by a task, so the reply is on its way
before anyone asks for it.

The interviewer starts the LLM on its reply while the candidate's last silence runs out, then either
plays what has arrived (the turn ended as expected) or cancels it (the candidate spoke again).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass

__all__ = ["Prefetch"]


@dataclass(frozen=True, slots=True)
class _End:
    error: Exception | None


class Prefetch:
    """Pumps `source` in a task of `tg`. An error in `source` is handed to the reader of `sentences()`
    rather than to the TaskGroup; `cancel()` (or the reader stopping early) closes `source`."""

    def __init__(self, tg: asyncio.TaskGroup, source: AsyncGenerator[str, None]) -> None:
        self._source = source
        self._queue: asyncio.Queue[str | _End] = asyncio.Queue()
        self._task = tg.create_task(self._pump())

    async def _pump(self) -> None:
        end = _End(None)
        try:
            async for sentence in self._source:
                self._queue.put_nowait(sentence)
        except Exception as exc:
            end = _End(exc)
        finally:
            await self._source.aclose()
        self._queue.put_nowait(end)

    async def sentences(self) -> AsyncGenerator[str, None]:
        """What was read so far, then the rest as it comes. Read it once."""
        try:
            while True:
                item = await self._queue.get()
                if isinstance(item, _End):
                    if item.error is not None:
                        raise item.error
                    return
                yield item
        finally:
            # A reader that stops early (a barge-in) stops the source too.
            self._task.cancel()

    def cancel(self) -> None:
        self._task.cancel()
