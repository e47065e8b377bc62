"""Interview minutes used per month, the company's optional monthly limit, and the company settings
that hold it, as the API takes and shows them."""

from __future__ import annotations

import datetime as dt
from datetime import datetime

from pydantic import ConfigDict, Field

from config.base import ApiModel, InputModel

__all__ = ["MAX_MINUTES_LIMIT", "Company", "CompanyUpdate", "DayUsage", "Usage"]

# About 19 years of interviews around the clock: anything larger is a typo, not a budget.
MAX_MINUTES_LIMIT = 10_000_000


class Company(ApiModel):
    id: str = Field(description="The company's id (UUID).")
    name: str = Field(description="The company's name.")
    created_at: datetime = Field(description="When the company was created (UTC, ISO 8601).")
    monthly_interview_minutes_limit: int | None = Field(
        description="Interview minutes the company may use per calendar month (UTC); null: no limit. "
        "New sessions that would pass it are refused with 402 `usage_limit_reached`."
    )
    retention_days: int | None = Field(
        default=None,
        description="Participants with no change to them or their sessions for this many days are erased "
        "(docs/privacy.md); null: kept until their own gdpr_expiry_date, or until erased on request.",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5b0c2f4e-8a51-4d52-9a7e-3f1d2c6b7a90",
                    "name": "Acme",
                    "created_at": "2026-01-05T08:00:00Z",
                    "monthly_interview_minutes_limit": 6000,
                }
            ]
        }
    )


class CompanyUpdate(InputModel):
    monthly_interview_minutes_limit: int | None = Field(
        default=None,
        ge=1,
        le=MAX_MINUTES_LIMIT,
        description="New monthly limit in interview minutes; null removes the limit. Omit to keep it.",
    )
    retention_days: int | None = Field(
        default=None,
        ge=1,
        le=36_500,
        description="Erase participants inactive this many days (docs/privacy.md); null keeps them. Omit to "
        "keep the current setting.",
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"monthly_interview_minutes_limit": 6000}]})


class DayUsage(ApiModel):
    date: dt.date = Field(description="The day (UTC).")
    minutes: int = Field(description="Interview minutes of the sessions that started that day.")
    sessions: int = Field(description="Sessions that started that day.")


class Usage(ApiModel):
    month: str = Field(description="The calendar month (UTC), as YYYY-MM.")
    period_start: datetime = Field(description="First instant of the month (UTC).")
    period_end: datetime = Field(description="First instant of the next month (UTC): when the count resets.")
    minutes_used: int = Field(
        description="Interview minutes held: each real (not test) session that started in the month counts "
        "its length rounded up to whole minutes; a session still in progress counts its minutes so far."
    )
    sessions_counted: int = Field(description="Real sessions that started in the month.")
    minutes_reserved: int = Field(
        description="Minutes that booked sessions not yet held (and those in progress, for the rest of their "
        "planned length) are expected to use in the month: the limit keeps room for them."
    )
    sessions_reserved: int = Field(
        description="Booked, not yet finished sessions counted in minutes_reserved."
    )
    limit: int | None = Field(description="The monthly limit in minutes; null: no limit.")
    remaining: int | None = Field(
        description="limit - minutes_used - minutes_reserved, never below 0: the room left for new "
        "sessions; null without a limit."
    )
    days: list[DayUsage] = Field(description="Per day of the month (UTC) with any usage, in date order.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "month": "2026-03",
                    "period_start": "2026-03-01T00:00:00Z",
                    "period_end": "2026-04-01T00:00:00Z",
                    "minutes_used": 95,
                    "sessions_counted": 4,
                    "minutes_reserved": 60,
                    "sessions_reserved": 2,
                    "limit": 600,
                    "remaining": 445,
                    "days": [
                        {"date": "2026-03-02", "minutes": 57, "sessions": 2},
                        {"date": "2026-03-09", "minutes": 38, "sessions": 2},
                    ],
                }
            ]
        }
    )
