"""A file response that sends a consistent snapshot of a file that may still be growing.

A session's recording is written while the interview runs and finished (padded, header rewritten) just
after it ends, so a download can start while the file still grows. Starlette's `FileResponse` states
the size it saw in `Content-Length` but reads a whole-file response to the end of the file: when the file
grew meanwhile, it sends more than it declared, the HTTP layer refuses the excess and drops the
connection, and the client gets a truncated body and an error. This response reads no byte past the size
it declared, in whole-file and range responses alike, and, for a WAV, rewrites the header's sizes in
what it sends so the snapshot is a valid WAV of exactly what was sent (the header on disk may already
count audio written after the snapshot was taken).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from starlette.responses import FileResponse

from media.wav_file import wav_snapshot_header

__all__ = ["SnapshotFileResponse"]


class _Bounded:
    """The part of `anyio.AsyncFile` that FileResponse uses (`seek`, `read`), stopped at `limit` bytes,
    with the first `len(head)` bytes replaced by `head`."""

    def __init__(self, file: anyio.AsyncFile[bytes], limit: int, head: bytes) -> None:
        self._file = file
        self._limit = limit
        self._head = head
        self._position = 0

    async def seek(self, offset: int) -> int:
        self._position = await self._file.seek(offset)
        return self._position

    async def read(self, size: int = -1) -> bytes:
        left = max(0, self._limit - self._position)
        size = left if size < 0 else min(size, left)
        chunk = await self._file.read(size) if size else b""
        start = self._position
        self._position += len(chunk)
        if start < len(self._head) and chunk:
            overlap = min(len(self._head), start + len(chunk)) - start
            chunk = self._head[start : start + overlap] + chunk[overlap:]
        return chunk


class SnapshotFileResponse(FileResponse):
    """`FileResponse` for a file that may grow while it is sent: give `stat_result` (the size to send)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.stat_result is None:
            raise ValueError("SnapshotFileResponse needs the stat_result it declares")

    @asynccontextmanager
    async def _open_file(self) -> AsyncIterator[anyio.AsyncFile[bytes]]:
        assert self.stat_result is not None
        size = self.stat_result.st_size
        async with super()._open_file() as file:
            head = await file.read(64)
            await file.seek(0)
            if self.media_type in ("audio/wav", "audio/x-wav", "audio/wave"):
                head = wav_snapshot_header(head, size)
            bounded: Any = _Bounded(file, size, head)
            yield bounded
