"""Analysis versions in the store: created with the change that calls for them, claimed by the worker,
completed or failed, listed, rerun.

Workers claim analyses with a lease (engine.services.leases): any number of them, in engines or in
`interview-engine worker` processes, share the queue; a dead worker's analysis is claimed again.

Every change is made inside the caller's transaction, so "the session completed" and "its analysis
is pending" commit together (nothing to lose in a crash), and "the analysis completed" commits with
its `analysis.completed` event in the outbox. The newest version is mirrored on the session row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from config.enums import SessionStatus
from engine.errors import Conflict
from engine.services import events, leases
from engine.services.common import new_id
from engine.store.tables import AnalysisRow, ParticipantRow, SessionRow

__all__ = [
    "COMPLETED",
    "FAILED",
    "PENDING",
    "PROCESSING",
    "claim_next",
    "complete",
    "create_version",
    "defer",
    "fail",
    "give_back",
    "held",
    "list_versions",
    "open_count",
    "recover",
    "rerun",
    "summary",
]

PENDING, PROCESSING, COMPLETED, FAILED = "PENDING", "PROCESSING", "COMPLETED", "FAILED"
OPEN = (PENDING, PROCESSING)


async def create_version(
    db: AsyncSession,
    row: SessionRow,
    reason: str,
    now: datetime,
    *,
    result: dict[str, Any] | None = None,
    scorer: str | None = None,
) -> AnalysisRow:
    """The next version for `row`: pending, or completed at once when `result` is given (test mode)."""
    latest = await db.scalar(select(func.max(AnalysisRow.version)).where(AnalysisRow.session_id == row.id))
    status = COMPLETED if result is not None else PENDING
    version = AnalysisRow(
        id=new_id(),
        company_id=row.company_id,
        session_id=row.id,
        version=(latest or 0) + 1,
        status=status,
        reason=reason,
        scorer=scorer,
        result=result,
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    db.add(version)
    row.analysis_status = status
    if result is not None:
        row.analysis = {**result, "version": version.version}
    return version


async def recover(db: AsyncSession, now: datetime) -> int:
    """Analyses left PROCESSING with no live lease (their worker died, or they predate leases) go back
    to PENDING. Returns how many. Claiming takes such analyses anyway; this makes the backlog honest."""
    result = await db.execute(
        update(AnalysisRow)
        .where(AnalysisRow.status == PROCESSING, leases.free(AnalysisRow, now))
        .values(status=PENDING, claimed_by=None, claim_token=None, claimed_until=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def claim_next(db: AsyncSession, now: datetime, claim: leases.Claim) -> AnalysisRow | None:
    """The oldest analysis to run, leased to `claim` and marked PROCESSING (the caller commits before
    working on it): a pending one, or one whose worker's lease ran out (it died mid-way). SKIP LOCKED:
    workers claiming at the same moment take different rows."""
    version = await db.scalar(
        select(AnalysisRow)
        .where(
            or_(
                and_(
                    AnalysisRow.status == PENDING,
                    or_(AnalysisRow.not_before.is_(None), AnalysisRow.not_before <= now),
                ),
                and_(AnalysisRow.status == PROCESSING, leases.free(AnalysisRow, now)),
            )
        )
        .order_by(AnalysisRow.created_at, AnalysisRow.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if version is None:
        return None
    version.status = PROCESSING
    version.attempts += 1
    version.updated_at = now
    leases.take(version, claim, now)
    session = await db.get(SessionRow, version.session_id)
    if session is not None:
        session.analysis_status = PROCESSING
    return version


async def held(db: AsyncSession, analysis_id: str, claim: leases.Claim) -> AnalysisRow | None:
    """The analysis, locked, while `claim` still holds it (PROCESSING); None once it was taken over."""
    return await leases.held(db, AnalysisRow, analysis_id, claim, AnalysisRow.status == PROCESSING)


async def give_back(db: AsyncSession, analysis_id: str, claim: leases.Claim, now: datetime) -> bool:
    """A stopping worker hands its analysis back: PENDING again at once, and the attempt not counted."""
    version = await held(db, analysis_id, claim)
    if version is None:
        return False
    version.status, version.updated_at = PENDING, now
    version.attempts = max(0, version.attempts - 1)
    leases.release(version)
    session = await db.get(SessionRow, version.session_id)
    newest = await db.scalar(
        select(func.max(AnalysisRow.version)).where(AnalysisRow.session_id == version.session_id)
    )
    if session is not None and newest == version.version:
        session.analysis_status = PENDING
    return True


async def defer(
    db: AsyncSession, analysis_id: str, claim: leases.Claim, now: datetime, until: datetime
) -> bool:
    """A worker that cannot run the analysis yet (its recording is on its way to the bucket) hands it
    back until `until`; the attempt is not counted, and any worker may claim it from then on."""
    if not await give_back(db, analysis_id, claim, now):
        return False
    version = await db.get(AnalysisRow, analysis_id)
    assert version is not None
    version.not_before = until
    return True


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """What the `analysis.completed` event carries: the scorecard's headline, not the transcript."""
    general = result.get("general", {})
    return {
        "version": result.get("version"),
        "scorer": result.get("scorer"),
        "overallRating": general.get("overallRating"),
        "companyFitRating": general.get("companyFitRating"),
        "recommendation": result.get("recommendation"),
        "is_test_data": bool(result.get("is_test_data")),
        "dimensions": [{"name": d["name"], "score": d["score"]} for d in result.get("dimensions", [])],
        "flags": [f["kind"] for f in result.get("authenticity", []) if f.get("flagged")],
    }


async def _mirror(db: AsyncSession, version: AnalysisRow) -> tuple[SessionRow, ParticipantRow] | None:
    session = await db.get(SessionRow, version.session_id)
    if session is None:
        return None
    newest = await db.scalar(
        select(func.max(AnalysisRow.version)).where(AnalysisRow.session_id == session.id)
    )
    if newest != version.version:
        return None  # a rerun was requested meanwhile: the newer version speaks for the session
    person = await db.get(ParticipantRow, session.participant_id)
    assert person is not None
    return session, person


async def complete(
    db: AsyncSession, version: AnalysisRow, result: dict[str, Any], scorer: str, now: datetime
) -> None:
    version.status, version.scorer, version.updated_at = COMPLETED, scorer, now
    leases.release(version)
    version.result = {**result, "version": version.version}
    version.error = None
    mirrored = await _mirror(db, version)
    if mirrored is None:
        return
    session, person = mirrored
    session.analysis_status = COMPLETED
    session.analysis = version.result
    data = {**events.session_data(session, person), "analysis": summary(version.result)}
    events.record(db, session.company_id, "analysis.completed", data, now)


async def fail(db: AsyncSession, version: AnalysisRow, error: str, now: datetime) -> None:
    version.status, version.error, version.updated_at = FAILED, error[:2000], now
    leases.release(version)
    mirrored = await _mirror(db, version)
    if mirrored is None:
        return
    session, person = mirrored
    session.analysis_status = FAILED
    data = {
        **events.session_data(session, person),
        "analysis": {"version": version.version, "error": error[:500]},
    }
    events.record(db, session.company_id, "analysis.failed", data, now)


async def open_count(db: AsyncSession) -> int:
    """Analyses pending or running, in every company (the worker's backlog)."""
    return int(await db.scalar(select(func.count()).where(AnalysisRow.status.in_(OPEN))) or 0)


async def list_versions(db: AsyncSession, session_id: str) -> list[AnalysisRow]:
    rows = await db.scalars(
        select(AnalysisRow).where(AnalysisRow.session_id == session_id).order_by(AnalysisRow.version.desc())
    )
    return list(rows)


async def rerun(db: AsyncSession, row: SessionRow, now: datetime) -> AnalysisRow:
    """A new version from the stored transcript; only for a completed session with no analysis running."""
    if row.status != SessionStatus.COMPLETED.value:
        raise Conflict(
            f"only a completed session can be analysed; this one is {row.status}",
            {"fields": [{"path": "status", "message": "session is not completed"}]},
        )
    running = await db.scalar(
        select(func.count()).where(AnalysisRow.session_id == row.id, AnalysisRow.status.in_(OPEN))
    )
    if running:
        raise Conflict(
            "an analysis of this session is already pending or running",
            {"fields": [{"path": "analysis_status", "message": "analysis in progress"}]},
        )
    return await create_version(db, row, "rerun", now)
