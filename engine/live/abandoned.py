"""Sessions left in progress with nobody connected: the candidate never came back, or the engine stopped
mid-call (a crash, `kill -9`). After `IE_MEDIA__ABANDON_AFTER_H` hours from their start they are ended:
the recording is repaired and marked ready, the end reason is "abandoned", and the status moves to
completed, so the analysis runs (it reports the interview as ended early, with what was and was not
covered, and a verdict only if enough was) and the usual webhooks go out. Until then the link still
resumes the interview, and what was recorded is served all along.

A sweep runs at start-up and every `IE_MEDIA__ABANDON_CHECK_S` seconds. It only ends sessions that are
not live in this process; with several engines on one database, keep the hours well above the
longest interview.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from config.enums import SessionStatus
from config.settings import Settings
from engine.clock import Clock
from engine.live.store import LiveStore
from engine.store.database import Database
from engine.store.tables import SessionRow
from media.wav_file import repair_wav

__all__ = ["ABANDONED", "end_abandoned"]

logger = logging.getLogger(__name__)

ABANDONED = "abandoned"
BATCH = 100

LiveCheck = Callable[[str], bool]  # is this session live in this process?
RecordingPath = Callable[[str, str], tuple[Path, str]]  # (company, session) -> (file, stored name)


async def end_abandoned(
    database: Database,
    clock: Clock,
    settings: Settings,
    is_live: LiveCheck,
    recording_path: RecordingPath,
) -> int:
    """Ends the abandoned sessions found now (at most BATCH); returns how many."""
    cutoff = clock.now() - timedelta(hours=settings.media.abandon_after_h)
    async with database.transaction() as db:
        rows = await db.scalars(
            select(SessionRow)
            .where(SessionRow.status == SessionStatus.IN_PROGRESS.value, SessionRow.started_at < cutoff)
            .order_by(SessionRow.started_at)
            .limit(BATCH)
        )
        found = [(row.company_id, row.id) for row in rows if not is_live(row.id)]
    ended = 0
    for company_id, session_id in found:
        try:
            ended += await _end(
                database, clock, company_id, session_id, recording_path(company_id, session_id)
            )
        except Exception:
            logger.exception("session %s: ending it as abandoned failed", session_id)
    return ended


async def _end(
    database: Database, clock: Clock, company_id: str, session_id: str, path: tuple[Path, str]
) -> int:
    store = LiveStore(database, clock, company_id, session_id)
    file, name = path
    recorded = False
    if await asyncio.to_thread(file.exists):
        try:
            info = await asyncio.to_thread(repair_wav, file)
        except (OSError, ValueError):
            logger.warning("session %s: its recording could not be repaired", session_id, exc_info=True)
        else:
            await store.save_recording(name, info.sample_rate, info.duration_s, "ready")
            recorded = True
    await store.save_progress({"end_reason": ABANDONED})
    if not await store.move_to(SessionStatus.COMPLETED):
        return 0
    if recorded:
        await store.recording_ready()
    logger.info("session %s ended: abandoned", session_id)
    return 1
