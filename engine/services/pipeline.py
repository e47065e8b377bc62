"""The stage pipeline (seed 001): what a session's result means for the participant's next step.

Decided once per session, when its first analysis completes, in the same transaction (so the decision,
the next session and their events commit together or not at all):

- passed = the analysis's overallRating reaches the stage's pass_threshold;
- `auto_advance`: a pass schedules the participant's session for the next stage (with that stage's
  agent profile) and records `stage.advanced`; a pass of the last stage completes the pipeline
  (`stage.passed`). A fail records `stage.failed`; with `allow_retry`, a first failure also schedules
  one retake of the stage (outcome `retry_scheduled`), and the retake's failure is final;
- `human_approval`: the result waits (`awaiting_approval`) for `approve` (then as a pass) or `reject`.
- An analysis scored by the embedded scorer moves the pipeline by itself only on a stage with
  `embedded_scorer_decides`: that scorer measures structure and relevance, not correctness, and on
  interviews it was never tuned on its pass/fail agrees with a panel's far too rarely to reject or
  advance people unseen (docs/scoring.md). Otherwise its result waits for a human
  (`awaiting_approval`, `reason: embedded_scorer`), its verdict kept as the suggestion (`passed`).
  An LLM scorer's result, or a fallback to the embedded one, follows the same rule by the `scorer` that
  actually scored it.
- Whatever `on_complete` says, an analysis that needs review (too little of the rubric assessed for a
  verdict: `needsReview`, recommendation `needs_review`) never advances, fails or schedules a retry by
  itself: the result waits for a human (`awaiting_approval`, `reason: needs_review`), and the
  `stage.awaiting_approval` event carries the reasons.

A rerun of the analysis does not decide again: the pipeline has already moved on. Test sessions never
move the pipeline. The participant's position is read back by `position()`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config.enums import OnComplete, SessionStatus
from engine.errors import Conflict
from engine.services import events, sessions
from engine.store.tables import ParticipantRow, SessionRow, StageRow
from scoring.scorecard import NEEDS_REVIEW

__all__ = ["approve", "decide", "position", "reject"]

AWAITING = "awaiting_approval"
EMBEDDED_SCORER = "embedded_scorer"  # the reason a result of the embedded scorer waits for a human
EMBEDDED_REASON = (
    "Scored by the embedded scorer, which measures structure and relevance, not correctness: a person "
    "confirms its verdict before the participant moves on (the stage does not let it decide alone)."
)


async def decide(db: AsyncSession, row: SessionRow, result: dict[str, Any], now: datetime) -> None:
    if row.stage_id is None or row.stage_result is not None or row.is_test:
        return
    stage = await db.get(StageRow, row.stage_id)
    if stage is None or stage.deleted_at is not None:
        return
    rating = result.get("general", {}).get("overallRating")
    threshold = float(stage.spec.get("pass_threshold", 60))
    review = bool(result.get("needsReview")) or result.get("recommendation") == NEEDS_REVIEW
    passed = not review and isinstance(rating, int | float) and rating >= threshold
    base = {
        "passed": None if review else passed,
        "overallRating": rating,
        "passThreshold": threshold,
        "decidedAt": now.isoformat(),
    }
    person = await sessions.participant_of(db, row)
    if review:
        # Too little evidence for a verdict: no automatic step in either direction.
        reasons = [str(r) for r in result.get("reviewReasons") or []] or [
            "The analysis needs a human review before any decision."
        ]
        waiting = {**base, "outcome": AWAITING, "reason": NEEDS_REVIEW, "reviewReasons": reasons}
        _set(row, {**waiting, "nextSessionId": None, "decidedBy": None}, now)
        _event(db, "stage.awaiting_approval", row, person, now, reason=NEEDS_REVIEW, review_reasons=reasons)
        return
    if stage.spec.get("on_complete") == OnComplete.HUMAN_APPROVAL.value:
        _set(row, {**base, "outcome": AWAITING, "nextSessionId": None, "decidedBy": None}, now)
        _event(db, "stage.awaiting_approval", row, person, now)
        return
    if result.get("scorer") == "embedded" and not stage.spec.get("embedded_scorer_decides"):
        reasons = [EMBEDDED_REASON]
        waiting = {**base, "outcome": AWAITING, "reason": EMBEDDED_SCORER, "reviewReasons": reasons}
        _set(row, {**waiting, "nextSessionId": None, "decidedBy": None}, now)
        _event(
            db, "stage.awaiting_approval", row, person, now, reason=EMBEDDED_SCORER, review_reasons=reasons
        )
        return
    if passed:
        await _advance(db, row, person, stage, base, "pipeline", now)
    elif stage.spec.get("allow_retry") and not await _is_retry(db, row):
        retry = await sessions.follow_up(db, row, person, now, retake_of=row.id)
        _set(
            row,
            {**base, "outcome": "retry_scheduled", "nextSessionId": retry.id, "decidedBy": "pipeline"},
            now,
        )
        _event(db, "stage.failed", row, person, now, retry_session_id=retry.id)
    else:
        _set(row, {**base, "outcome": "failed", "nextSessionId": None, "decidedBy": "pipeline"}, now)
        _event(db, "stage.failed", row, person, now)


async def approve(db: AsyncSession, company_id: str, session_id: str, now: datetime, by: str) -> SessionRow:
    row = await _awaiting(db, company_id, session_id)
    stage = await db.get(StageRow, row.stage_id) if row.stage_id else None
    assert stage is not None
    person = await sessions.participant_of(db, row)
    base = {k: v for k, v in (row.stage_result or {}).items() if k not in ("outcome", "nextSessionId")}
    await _advance(
        db, row, person, stage, {**base, "decidedAt": now.isoformat()}, by, now, outcome="approved"
    )
    return row


async def reject(db: AsyncSession, company_id: str, session_id: str, now: datetime, by: str) -> SessionRow:
    row = await _awaiting(db, company_id, session_id)
    person = await sessions.participant_of(db, row)
    result = {**(row.stage_result or {}), "outcome": "rejected", "nextSessionId": None}
    _set(row, {**result, "decidedAt": now.isoformat(), "decidedBy": by}, now)
    _event(db, "stage.rejected", row, person, now)
    return row


async def position(db: AsyncSession, person: ParticipantRow) -> dict[str, Any]:
    """Each stage of the participant's template with its newest session and result, and where they are."""
    if person.template_id is None:
        return {"template_id": None, "current_stage_id": None, "stages": []}
    stages = list(
        await db.scalars(
            select(StageRow)
            .where(StageRow.template_id == person.template_id, StageRow.deleted_at.is_(None))
            .order_by(StageRow.order_index)
        )
    )
    rows = list(
        await db.scalars(
            select(SessionRow)
            .where(SessionRow.participant_id == person.id, SessionRow.deleted_at.is_(None))
            .where(SessionRow.is_test.is_(False))
            .order_by(SessionRow.created_at, SessionRow.id)
        )
    )
    listed, current = [], None
    for stage in stages:
        mine = [r for r in rows if r.stage_id == stage.id]
        newest = mine[-1] if mine else None
        status = _stage_status(newest)
        if current is None and status not in ("passed", "approved", "advanced"):
            current = stage.id
        listed.append(
            {
                "stage_id": stage.id,
                "name": stage.spec.get("name"),
                "order": stage.order_index,
                "status": status,
                "session_id": newest.id if newest else None,
                "attempts": len(mine),
                "result": newest.stage_result if newest else None,
            }
        )
    return {"template_id": person.template_id, "current_stage_id": current, "stages": listed}


def _stage_status(row: SessionRow | None) -> str:
    if row is None:
        return "not_started"
    if row.stage_result is not None:
        return str(row.stage_result["outcome"])
    if row.status == SessionStatus.COMPLETED.value:
        return "analysing"
    return row.status  # scheduled, in_progress, cancelled, failed


async def _advance(
    db: AsyncSession,
    row: SessionRow,
    person: ParticipantRow,
    stage: StageRow,
    base: dict[str, Any],
    by: str,
    now: datetime,
    *,
    outcome: str | None = None,
) -> None:
    following = await db.scalar(
        select(StageRow)
        .where(
            StageRow.template_id == stage.template_id,
            StageRow.deleted_at.is_(None),
            StageRow.order_index > stage.order_index,
        )
        .order_by(StageRow.order_index)
        .limit(1)
    )
    if following is None:
        _set(row, {**base, "outcome": outcome or "passed", "nextSessionId": None, "decidedBy": by}, now)
        _event(db, "stage.passed", row, person, now)
        return
    nxt = await sessions.follow_up(db, row, person, now, stage=following)
    _set(row, {**base, "outcome": outcome or "advanced", "nextSessionId": nxt.id, "decidedBy": by}, now)
    _event(db, "stage.advanced", row, person, now, to_stage_id=following.id, next_session_id=nxt.id)


async def _awaiting(db: AsyncSession, company_id: str, session_id: str) -> SessionRow:
    row = await sessions.get(db, company_id, session_id)
    outcome = (row.stage_result or {}).get("outcome")
    if outcome != AWAITING:
        raise Conflict(
            f"this session's stage result is {outcome or 'not decided yet'}; only a result awaiting approval "
            "can be approved or rejected",
            {"fields": [{"path": "stage_result", "message": "not awaiting approval"}]},
        )
    return row


async def _is_retry(db: AsyncSession, row: SessionRow) -> bool:
    """Whether `row` is itself the retry of a failed attempt at the same stage (one retry per stage)."""
    if row.retake_of is None:
        return False
    earlier = await db.get(SessionRow, row.retake_of)
    return earlier is not None and earlier.stage_id == row.stage_id


def _set(row: SessionRow, result: dict[str, Any], now: datetime) -> None:
    row.stage_result = result
    row.stage_outcome = str(result["outcome"])  # the indexed copy the lists filter on
    row.updated_at = now


def _event(
    db: AsyncSession, kind: str, row: SessionRow, person: ParticipantRow, now: datetime, **extra: Any
) -> None:
    data = {**events.session_data(row, person), "stage_result": row.stage_result, **extra}
    events.record(db, row.company_id, kind, data, now)
