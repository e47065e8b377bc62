"""The retention job: participants whose `gdpr_expiry_date` has come (from 00:00 UTC of that date on), or
who have been inactive longer than their company's `retention_days` (no change to them or to any of
their sessions since), are erased by engine.services.erasure, the same code as an erasure on request.

Each pass (at start-up, then every IE_RETENTION__POLL_S) first finishes the file deletions that earlier
erasures left pending (and, on this engine's disk, deletes recording files whose row an erasure elsewhere
deleted: engine.storage.orphans) and deletes public-link sign-ups a day past their expiry, then erases up
to IE_RETENTION__BATCH due participants, each in a transaction of its own followed by the deletion of
their files. Restart-safe without leases: an erasure commits whole or not at all, a second erasure of
the same participant is a no-op (engine.services.erasure claims the row with a conditional UPDATE), and
pending files are rows that any later pass deletes again. The log names counts and ids, never a name or
an email. Runs in the engine (IE_RETENTION__ENABLED), like the recording uploads: recordings are on the
disk of the engine that made them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from config.retention import RetentionSettings
from engine.clock import Clock
from engine.errors import Conflict
from engine.poller import Poller
from engine.services import erasure, public_link_verification
from engine.services.erasure_files import FileStores, delete_pending
from engine.storage.orphans import sweep_orphans
from engine.store.database import Database
from engine.store.tables import CompanyRow, ParticipantRow, SessionRow

__all__ = ["Due", "PassResult", "RetentionJob", "due_participants", "run_pass"]

logger = logging.getLogger(__name__)

EXPIRY = "gdpr_expiry_date"
PERIOD = "retention_period"


@dataclass(frozen=True, slots=True)
class Due:
    company_id: str
    participant_id: str
    reason: str  # EXPIRY or PERIOD


@dataclass(frozen=True, slots=True)
class PassResult:
    erased: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()  # an interview in progress, or the erasure failed: next pass
    files_deleted: int = 0
    files_failed: int = 0
    orphans_deleted: int = 0  # recording files no row accounts for, deleted from this disk


async def due_participants(db: AsyncSession, now: datetime, limit: int) -> list[Due]:
    """Participants (deleted ones too: they still hold data) to erase now, at most `limit`."""
    # ISO dates compare as strings; a participant without the date gives NULL, which matches nothing.
    expiry = ParticipantRow.spec[EXPIRY].as_string()
    rows = await db.execute(
        select(ParticipantRow.company_id, ParticipantRow.id)
        .where(ParticipantRow.erased_at.is_(None), expiry <= now.date().isoformat())
        .order_by(ParticipantRow.id)
        .limit(limit)
    )
    due = [Due(company, pid, EXPIRY) for company, pid in rows]
    companies = await db.execute(
        select(CompanyRow.id, CompanyRow.retention_days)
        .where(CompanyRow.retention_days.is_not(None))
        .order_by(CompanyRow.id)
    )
    for company_id, days in companies:
        if len(due) >= limit:
            break
        if days is None:
            continue
        cutoff = now - timedelta(days=days)
        active = exists().where(
            SessionRow.participant_id == ParticipantRow.id, SessionRow.updated_at >= cutoff
        )
        inactive = await db.scalars(
            select(ParticipantRow.id)
            .where(
                ParticipantRow.company_id == company_id,
                ParticipantRow.erased_at.is_(None),
                ParticipantRow.updated_at < cutoff,
                ~active,
            )
            .order_by(ParticipantRow.id)
            .limit(limit - len(due))
        )
        seen = {d.participant_id for d in due}
        due += [Due(company_id, pid, PERIOD) for pid in inactive if pid not in seen]
    return due[:limit]


async def run_pass(
    database: Database, stores: FileStores, clock: Clock, settings: RetentionSettings
) -> PassResult:
    """One pass: pending files first (and this disk's recording files whose row is gone), then the due
    participants."""
    before = await delete_pending(database, stores, clock)
    files_deleted, files_failed = before.deleted, before.failed
    orphans = await sweep_orphans(database, stores.recordings_dir, clock.now(), settings.file_grace_s)
    async with database.transaction() as db:
        # Public-link sign-ups never confirmed hold a name and an email: gone a day after they expire.
        purged = await public_link_verification.purge_expired(db, clock.now())
    if purged:
        logger.info("retention: %d expired public-link sign-up(s) deleted", purged)
    async with database.transaction() as db:
        due = await due_participants(db, clock.now(), settings.batch)
    erased: list[str] = []
    skipped: list[str] = []
    grace = timedelta(seconds=settings.file_grace_s)
    for item in due:
        try:
            async with database.transaction() as db:
                done = await erasure.erase(
                    db,
                    item.company_id,
                    item.participant_id,
                    clock.now(),
                    reason=item.reason,
                    file_grace=grace,
                )
        except Conflict:
            logger.info(
                "retention: participant %s has an interview in progress; next pass", item.participant_id
            )
            skipped.append(item.participant_id)
            continue
        except Exception:
            logger.exception("retention: erasing participant %s failed; next pass", item.participant_id)
            skipped.append(item.participant_id)
            continue
        if done.erased_now:
            erased.append(item.participant_id)
            logger.info(
                "retention: participant %s of company %s erased (%s, %d session(s))",
                item.participant_id,
                item.company_id,
                item.reason,
                len(done.session_ids),
            )
        files = await delete_pending(database, stores, clock, participant_id=item.participant_id)
        files_deleted += files.deleted
        files_failed += files.failed
    if erased or skipped or files_deleted or files_failed:
        logger.info(
            "retention pass: %d erased %s, %d skipped %s, %d file(s) deleted, %d pending",
            len(erased),
            erased,
            len(skipped),
            skipped,
            files_deleted,
            files_failed,
        )
    return PassResult(tuple(erased), tuple(skipped), files_deleted, files_failed, orphans)


class RetentionJob:
    """The periodic pass, owned by the engine's lifespan (engine.workers.open_workers)."""

    def __init__(
        self, database: Database, stores: FileStores, clock: Clock, settings: RetentionSettings
    ) -> None:
        self._database = database
        self._stores = stores
        self._clock = clock
        self._settings = settings
        self._poller = Poller(settings.poll_s)

    def wake(self) -> None:
        self._poller.wake()

    async def run_once(self) -> PassResult:
        return await run_pass(self._database, self._stores, self._clock, self._settings)

    async def __aenter__(self) -> RetentionJob:
        await self._poller.start(self._run)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._poller.stop(kind, exc, tb)

    async def _run(self) -> None:
        while not self._poller.stopping:
            busy = False
            try:
                result = await self.run_once()
                # A full batch erased: there may be more; go on without a nap.
                busy = len(result.erased) >= self._settings.batch
            except Exception:
                logger.exception("retention: pass failed")
            if not busy:
                await self._poller.nap()
