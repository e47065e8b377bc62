"""/v1/usage (interview minutes per month) and /v1/company (the company's settings: its monthly limit)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query

from config.usage import Company, CompanyUpdate, DayUsage, Usage
from engine.api import audit
from engine.api.context import Ctx
from engine.api.openapi import error_responses
from engine.services import usage
from engine.store.tables import CompanyRow

__all__ = ["LIMIT_RESPONSES", "router"]

logger = logging.getLogger(__name__)
router = APIRouter(tags=["usage"])

# Changing what the company may spend is an administrator's business: the scope that manages API keys
# is the one administrators hold (there is no separate admin scope); a reviewer's default scopes lack it.
ADMIN_SCOPE = "write:api_keys"

# For the operations that book sessions.
LIMIT_RESPONSES = error_responses(
    _402="`usage_limit_reached`: the session would take the month past the company's interview minutes "
    "limit; `details` has `limit`, `minutes_used`, `minutes_reserved`, `minutes_requested`, `remaining` "
    "and `resets_at`."
)

# A plain string checked by the service, so a bad value gets "month: must be ... YYYY-MM", not a regex.
MonthQuery = Annotated[
    str | None,
    Query(
        max_length=32,
        description="The calendar month (UTC) as YYYY-MM, e.g. 2026-03; default: the current month.",
    ),
]


def _company(row: CompanyRow) -> Company:
    return Company(
        id=row.id,
        name=row.name,
        created_at=row.created_at,
        monthly_interview_minutes_limit=row.monthly_interview_minutes_limit,
        retention_days=row.retention_days,
    )


@router.get(
    "/v1/usage",
    summary="Interview minutes used in a month, the monthly limit and what remains, per day",
)
async def get_usage(ctx: Ctx, month: MonthQuery = None) -> Usage:
    ctx.principal.require("read:sessions")
    now = ctx.clock.now()
    found = await usage.month_usage(ctx.db, ctx.company_id, usage.parse_month(month, now), now)
    return Usage(
        month=found.month.label,
        period_start=found.month.start,
        period_end=found.month.end,
        minutes_used=found.minutes_used,
        sessions_counted=found.sessions_counted,
        minutes_reserved=found.minutes_reserved,
        sessions_reserved=found.sessions_reserved,
        limit=found.limit,
        remaining=found.remaining,
        days=[DayUsage(date=day, minutes=m, sessions=n) for day, m, n in found.days],
    )


@router.get("/v1/company", summary="The caller's company and its settings (the monthly minutes limit)")
async def get_company(ctx: Ctx) -> Company:
    return _company(await usage.company(ctx.db, ctx.company_id))


@router.patch(
    "/v1/company",
    summary="Change the company's settings: set or remove the monthly interview minutes limit (admin)",
)
async def update_company(body: CompanyUpdate, ctx: Ctx) -> Company:
    ctx.principal.require(ADMIN_SCOPE)
    row = await usage.company(ctx.db, ctx.company_id, lock=True)
    if "monthly_interview_minutes_limit" in body.model_fields_set:
        # Lowering it below what is used already refuses new sessions at once; nothing held is undone.
        row.monthly_interview_minutes_limit = body.monthly_interview_minutes_limit
        logger.info(
            "company %s: monthly interview minutes limit set to %s by %s",
            row.id,
            row.monthly_interview_minutes_limit,
            ctx.principal.key_id,
        )
    if "retention_days" in body.model_fields_set:
        # The retention job (engine.services.retention) applies it on its next pass.
        row.retention_days = body.retention_days
        logger.info(
            "company %s: retention set to %s days by %s", row.id, row.retention_days, ctx.principal.key_id
        )
    await audit.record(ctx, "company.updated", "company", row.id, audit.changed(body))
    return _company(row)
