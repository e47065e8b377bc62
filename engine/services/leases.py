"""Leases on queued jobs (analyses, webhook deliveries) shared by any number of workers.

A worker claims a job by locking its row (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers
racing for the queue take different rows instead of waiting on each other; SQLite has one writer anyway)
and writing who holds it (`claimed_by`), the claim's token and until when (`claimed_until`). While it
works it renews the lease (`keep_alive`); a worker that dies stops renewing, and once the lease runs out
the job is free to claim again. Marking a job done first checks, with the row locked, that the claim is
still the worker's own token (`held`): a worker whose lease lapsed (stalled, cut off from the database)
finds it taken over and records nothing, so a job is never completed twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, CursorResult, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from engine.observability import tracing
from engine.store.tables import AnalysisRow, WebhookDeliveryRow

__all__ = ["Claim", "Leased", "extend", "free", "held", "keep_alive", "release", "take", "worker_name"]

logger = logging.getLogger(__name__)


def worker_name() -> str:
    """Who holds a claim, for people reading the table: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


@dataclass(frozen=True, slots=True)
class Claim:
    """One claim: a fresh token each time, so a worker never mistakes an older claim for this one."""

    lease: timedelta
    by: str = field(default_factory=worker_name)
    token: str = field(default_factory=lambda: secrets.token_hex(16))


# The leased tables (emails keep their own lease: engine.notifications.outbox).
Leased = AnalysisRow | WebhookDeliveryRow
R = TypeVar("R", AnalysisRow, WebhookDeliveryRow)


def free(row: type[Leased], now: datetime) -> ColumnElement[bool]:
    """No live lease holds the row."""
    return or_(row.claimed_until.is_(None), row.claimed_until <= now)


def take(job: Leased, claim: Claim, now: datetime) -> None:
    job.claimed_by, job.claim_token, job.claimed_until = claim.by, claim.token, now + claim.lease


def release(job: Leased) -> None:
    job.claimed_by, job.claim_token, job.claimed_until = None, None, None


async def held(db: AsyncSession, row: type[R], job_id: str, claim: Claim, *conditions: Any) -> R | None:
    """The job, locked for this transaction, while `claim` still holds it (and `conditions` hold); None
    once another worker has claimed it again (the lease lapsed) or it is gone."""
    return await db.scalar(
        select(row)
        .where(row.id == job_id, row.claim_token == claim.token, *conditions)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def extend(db: AsyncSession, row: type[Leased], job_id: str, claim: Claim, until: datetime) -> bool:
    """Moves the lease to `until` while `claim` holds the job; False once it does not."""
    result = await db.execute(
        update(row)
        .where(row.id == job_id, row.claim_token == claim.token)
        .values(claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    return bool(cast(CursorResult[Any], result).rowcount == 1)


@asynccontextmanager
async def keep_alive(
    renew: Callable[[datetime], Awaitable[bool]], claim: Claim, now: Callable[[], datetime], label: str
) -> AsyncIterator[None]:
    """Renews the lease every third of it while the block runs. `renew(until)` extends it and says
    whether the claim was still ours; once it is not, renewing stops (the completion check will tell)."""
    every = claim.lease.total_seconds() / 3

    async def beat() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                if not await renew(now() + claim.lease):
                    logger.warning("%s: the lease lapsed and another worker claimed it", label)
                    return
            except Exception:
                logger.exception("%s: renewing the lease failed; trying again", label)

    task = asyncio.create_task(beat(), name=f"lease {label}")
    try:
        # One trace span per job while it is held (IE_OTEL__ENDPOINT): "job analysis", "job webhook".
        with tracing.span(f"job {label.split(' ', 1)[0]}", {"job.label": label}):
            yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
