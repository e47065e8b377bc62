"""Interview minutes per company and calendar month (UTC), and the optional monthly limit that refuses
new sessions before it would be passed.

What counts (the billing rule, documented in docs/api.md "Usage and limits"):

- A real session (never a test session) counts in the month its interview *started* (`started_at`),
  wholly, even when it runs past midnight at the month's end: one interview is billed once, in one month.
- Its length is `duration_seconds` once it ended (completed, failed or cancelled after starting), else
  `completed_at - started_at`; a session still in progress counts its minutes so far. Each session is
  rounded up to whole minutes. Deleting a session does not give its minutes back: they were held.
- Sessions that never started count nothing.

The limit is checked when a new session is booked (`check_booking`): refused when the month's minutes
used, plus the minutes reserved by sessions booked and not yet held (their planned length) or still in
progress (the rest of their planned length), plus the new session's planned length would pass the limit.
Counting reservations is what makes the limit hold *before* it is exceeded: without them, a hundred
bookings in one minute would each see an empty month.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from config.enums import SessionStatus
from engine.errors import ApiError, NotFound, ValidationFailed
from engine.store.tables import CompanyRow, SessionRow, StageRow, TemplateRow

__all__ = [
    "DEFAULT_MINUTES",
    "Month",
    "MonthUsage",
    "UsageLimitReached",
    "check_booking",
    "company",
    "month_of",
    "month_usage",
    "parse_month",
    "planned_minutes",
]

logger = logging.getLogger(__name__)

# The interview plan's budget when neither the stage nor the template sets a length
# (engine.dialogue.plan.build_plan), e.g. a generic-focus session without a template.
DEFAULT_MINUTES = 30
_MONTH = re.compile(r"(\d{4})-(\d{2})")
OPEN = (SessionStatus.SCHEDULED.value, SessionStatus.IN_PROGRESS.value)


class UsageLimitReached(ApiError):
    """402: the booking would pass the company's monthly interview minutes limit.

    402 rather than 429 (a rate limit, which clients retry within seconds: this one lasts until the
    month ends or the limit is raised) or 403 (a missing scope: retrying with another key cannot help).
    """

    status_code = 402
    code = "usage_limit_reached"


@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month in UTC: [start, end)."""

    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        return f"{self.start.year:04d}-{self.start.month:02d}"


@dataclass(frozen=True, slots=True)
class MonthUsage:
    month: Month
    minutes_used: int
    sessions_counted: int
    minutes_reserved: int
    sessions_reserved: int
    limit: int | None
    days: list[tuple[date, int, int]]  # (day, minutes, sessions), in date order

    @property
    def remaining(self) -> int | None:
        if self.limit is None:
            return None
        return max(0, self.limit - self.minutes_used - self.minutes_reserved)


def _month(year: int, month: int) -> Month:
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC) if month == 12 else datetime(year, month + 1, 1, tzinfo=UTC)
    return Month(start, end)


def month_of(when: datetime) -> Month:
    utc = when.astimezone(UTC)
    return _month(utc.year, utc.month)


def parse_month(text: str | None, now: datetime, field: str = "month") -> Month:
    """`YYYY-MM` as a Month; the current month when omitted; a 422 naming `field` otherwise."""
    if text is None:
        return month_of(now)
    found = _MONTH.fullmatch(text.strip())
    year, number = (int(found[1]), int(found[2])) if found else (0, 0)
    if not 1 <= number <= 12 or not 2000 <= year <= 9998:
        raise ValidationFailed.field(field, "must be a calendar month as YYYY-MM, e.g. 2026-03")
    return _month(year, number)


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def held_seconds(
    started_at: datetime, completed_at: datetime | None, duration_seconds: int | None, now: datetime
) -> int:
    """How long a started session was (or, in progress, has so far been) held."""
    if duration_seconds is not None:
        return max(0, duration_seconds)
    end = completed_at if completed_at is not None else now
    return max(0, int((_utc(end) - _utc(started_at)).total_seconds()))


def _minutes(seconds: int) -> int:
    return math.ceil(seconds / 60)


def planned_minutes(template: TemplateRow | None, stage: StageRow | None) -> int:
    """A session's planned length: its stage's duration when set, else its template's (what the
    interview plan budgets, engine.dialogue.plan)."""
    specs: list[dict[str, Any]] = [s.spec for s in (stage, template) if s is not None]
    for spec in specs:
        value = spec.get("duration_minutes")
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return DEFAULT_MINUTES


async def company(db: AsyncSession, company_id: str, *, lock: bool = False) -> CompanyRow:
    stmt = select(CompanyRow).where(CompanyRow.id == company_id)
    if lock:
        # On PostgreSQL, bookings of one company wait for each other here, so two at once cannot both
        # take the last minutes. (SQLite's transactions already hold the database's write lock.) FOR NO
        # KEY UPDATE, not FOR UPDATE: the booking has already inserted rows that reference the company
        # (a participant, a profile), which holds FOR KEY SHARE on it; two bookings each holding that
        # and asking for FOR UPDATE deadlock (CI saw it), while NO KEY UPDATE does not conflict with it.
        stmt = stmt.with_for_update(key_share=True)
    row = (await db.scalars(stmt)).first()
    if row is None:
        raise NotFound("company not found")
    return row


async def _held(db: AsyncSession, company_id: str, month: Month, now: datetime) -> list[tuple[date, int]]:
    """(day, whole minutes) of each real session that started in `month`; deleted ones too (held is held).
    Only the columns needed: a month can hold thousands of sessions with their analyses."""
    stmt = select(SessionRow.started_at, SessionRow.completed_at, SessionRow.duration_seconds).where(
        SessionRow.company_id == company_id,
        SessionRow.is_test.is_(False),
        SessionRow.started_at.is_not(None),
        SessionRow.started_at >= month.start,
        SessionRow.started_at < month.end,
    )
    held = []
    for started, completed, duration in await db.execute(stmt):
        assert started is not None
        held.append((_utc(started).date(), _minutes(held_seconds(started, completed, duration, now))))
    return held


async def _reserved(db: AsyncSession, company_id: str, month: Month, now: datetime) -> tuple[int, int]:
    """(minutes, sessions) that open sessions are expected to use in `month`: a booked session in the
    month it is scheduled for (one overdue counts in the current month, where it would now be held); one
    in progress, the rest of its planned length, in the month it started."""
    current = month_of(now)
    if month.end <= current.start:
        return 0, 0  # a past month: nothing more will start in it
    due_from = None if month == current else month.start
    scheduled = (SessionRow.status == SessionStatus.SCHEDULED.value) & (SessionRow.schedule_time < month.end)
    if due_from is not None:
        scheduled &= SessionRow.schedule_time >= due_from
    running = (
        (SessionRow.status == SessionStatus.IN_PROGRESS.value)
        & (SessionRow.started_at >= month.start)
        & (SessionRow.started_at < month.end)
    )
    stmt = (
        select(SessionRow, TemplateRow, StageRow)
        .outerjoin(TemplateRow, TemplateRow.id == SessionRow.template_id)
        .outerjoin(StageRow, StageRow.id == SessionRow.stage_id)
        .where(
            SessionRow.company_id == company_id,
            SessionRow.is_test.is_(False),
            SessionRow.deleted_at.is_(None),
            or_(scheduled, running),
        )
    )
    minutes = sessions = 0
    for row, template, stage in await db.execute(stmt):
        planned = planned_minutes(template, stage)
        if row.status == SessionStatus.IN_PROGRESS.value and row.started_at is not None:
            so_far = held_seconds(row.started_at, row.completed_at, row.duration_seconds, now)
            planned = max(0, planned - _minutes(so_far))
        minutes += planned
        sessions += 1
    return minutes, sessions


async def month_usage(db: AsyncSession, company_id: str, month: Month, now: datetime) -> MonthUsage:
    owner = await company(db, company_id)
    days: dict[date, list[int]] = {}
    for when, minutes in await _held(db, company_id, month, now):
        day = days.setdefault(when, [0, 0])
        day[0] += minutes
        day[1] += 1
    reserved, open_sessions = await _reserved(db, company_id, month, now)
    return MonthUsage(
        month=month,
        minutes_used=sum(d[0] for d in days.values()),
        sessions_counted=sum(d[1] for d in days.values()),
        minutes_reserved=reserved,
        sessions_reserved=open_sessions,
        limit=owner.monthly_interview_minutes_limit,
        days=[(day, m, n) for day, (m, n) in sorted(days.items())],
    )


async def check_booking(
    db: AsyncSession,
    company_id: str,
    template: TemplateRow | None,
    stage: StageRow | None,
    schedule_time: datetime,
    now: datetime,
) -> None:
    """402 `usage_limit_reached` when a new real session of `template`/`stage`, scheduled at
    `schedule_time`, would take the month it is scheduled in past the company's limit. Call it for real
    sessions only (test sessions never count), in the booking's transaction."""
    owner = await company(db, company_id, lock=True)
    if owner.monthly_interview_minutes_limit is None:
        return  # no limit: skip the month's sums
    month = month_of(max(schedule_time, now))
    usage = await month_usage(db, company_id, month, now)
    limit = usage.limit
    if limit is None:
        return
    expected = planned_minutes(template, stage)
    committed = usage.minutes_used + usage.minutes_reserved
    if committed + expected <= limit:
        return
    logger.info(
        "company %s: booking refused, %s: %d used + %d reserved + %d planned > limit %d",
        company_id,
        month.label,
        usage.minutes_used,
        usage.minutes_reserved,
        expected,
        limit,
    )
    raise UsageLimitReached(
        f"monthly interview minutes limit reached: this session's planned {expected} minutes would take "
        f"{month.label} past the limit of {limit} minutes ({usage.minutes_used} used, "
        f"{usage.minutes_reserved} reserved by sessions booked and not yet finished); the count resets at "
        f"{_iso(month.end)}. Raise the limit (PATCH /v1/company) or cancel unheld sessions to make room.",
        {
            "limit": limit,
            "month": month.label,
            "minutes_used": usage.minutes_used,
            "minutes_reserved": usage.minutes_reserved,
            "minutes_requested": expected,
            "remaining": usage.remaining,
            "resets_at": _iso(month.end),
        },
    )


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")
