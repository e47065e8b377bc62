"""POST /v1/recommendation-logic/check: the profile editor checks `recommendationLogic` as the recruiter
types, and marks the error at its line and column. The verdict is the one a profile save would give
(config.recommendation_logic); nothing is stored and no profile is needed."""

from __future__ import annotations

from fastapi import APIRouter

from config.recommendation_logic import LogicCheck, LogicCheckResult, check_logic
from engine.api.context import Ctx

__all__ = ["router"]

router = APIRouter(prefix="/v1/recommendation-logic", tags=["agent profiles"])


@router.post(
    "/check",
    summary="Check recommendation logic as a profile save would, with the error's line and column",
    description="Text without `->` is free-form guidance (`is_rule_program: false`, valid) unless "
    "`scoring_method` is `rule_based`. A program is parsed and, as on save, its quoted dimensions are "
    "checked against `dimensions` (when given) and its labels against the `use_case`'s vocabulary. "
    "Positions are in the text as sent, lines and columns from 1. An invalid text is a 200 with "
    "`valid: false`, not an error.",
)
async def check_recommendation_logic(body: LogicCheck, ctx: Ctx) -> LogicCheckResult:
    ctx.principal.require("read:agent_profiles")
    return check_logic(body)
