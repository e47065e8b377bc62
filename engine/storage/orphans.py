"""Recording files on this engine's disk that no recording row accounts for any more, deleted.

An erasure (on request, or by retention) deletes the session's recording row and lists its files for
deletion (engine.services.erasure_files); the engine that carries the list out deletes its own copy and
the bucket's, and then the list is done. Other engines may hold a copy too, and it would outlive the
erasure, unreachable through the API but still personal data: the engine that recorded an interview
when another engine served the erasure request, an engine that had part of an interview before
another took it over, an engine that was down while the erasure ran. So each engine's retention pass
also looks at its own recordings directory: a file named like a recording (`<company>/<session>.wav`,
`.opus`, or a transcode's temporary file beside them) whose session has no recording row, and that has
not been written to for `min_age_s` (IE_RETENTION__FILE_GRACE_S: a live session registers its row
when it starts, and writes its file every second), is deleted.

What it cannot do: a copy whose row still exists is kept, even when it is not the copy the API serves
(the part of an interview recorded by an engine that died before another took it over; deploy.md).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from engine.store.database import Database
from engine.store.tables import RecordingRow

__all__ = ["recording_files", "sweep_orphans"]

logger = logging.getLogger(__name__)

CHUNK = 500
# `<session>.wav`, `<session>.opus`, and the transcode's `<session>.opus.<token>.tmp`.
_NAME = re.compile(r"^(?P<session>[A-Za-z0-9-]+)\.(?:wav|opus|opus\.[A-Za-z0-9_-]+\.tmp)$")
_COMPANY = re.compile(r"^[A-Za-z0-9-]+$")


def recording_files(recordings_dir: Path, older_than: float) -> dict[str, list[Path]]:
    """Recording files under `recordings_dir` last written before `older_than` (a POSIX time), by
    session id (blocking: it lists the directory)."""
    found: dict[str, list[Path]] = {}
    if not recordings_dir.is_dir():
        return found
    for company in recordings_dir.iterdir():
        if not company.is_dir() or company.is_symlink() or not _COMPANY.match(company.name):
            continue
        for path in company.iterdir():
            match = _NAME.match(path.name)
            if match is None or not path.is_file() or path.is_symlink():
                continue
            try:
                if path.stat().st_mtime >= older_than:
                    continue
            except FileNotFoundError:
                continue
            found.setdefault(match["session"], []).append(path)
    return found


async def sweep_orphans(database: Database, recordings_dir: Path, now: datetime, min_age_s: float) -> int:
    """One sweep; the number of files deleted."""
    found = await asyncio.to_thread(recording_files, recordings_dir, now.timestamp() - min_age_s)
    sessions = sorted(found)
    deleted = 0
    for start in range(0, len(sessions), CHUNK):
        chunk = sessions[start : start + CHUNK]
        async with database.transaction() as db:
            kept = set(
                await db.scalars(select(RecordingRow.session_id).where(RecordingRow.session_id.in_(chunk)))
            )
        doomed = [path for session in chunk if session not in kept for path in found[session]]
        if doomed:
            deleted += await asyncio.to_thread(_unlink, doomed)
    if deleted:
        logger.info(
            "retention: %d recording file(s) no recording row accounts for deleted from this disk", deleted
        )
    return deleted


def _unlink(paths: Iterable[Path]) -> int:
    count = 0
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        count += 1
    return count
