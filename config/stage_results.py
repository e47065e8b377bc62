"""The stage pipeline's decision on a session (`Session.stage_result`, the pipeline view, stage events).

Written by `engine.services.pipeline` and stored as written (see `config.stored`); camelCase like the
analysis it is derived from.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from config.stored import DateTimeText, Number, StoredModel

__all__ = ["STAGE_RESULT_EXAMPLE", "StageOutcome", "StageResult"]

StageOutcome = Literal[
    "advanced", "passed", "failed", "retry_scheduled", "awaiting_approval", "approved", "rejected"
]

STAGE_RESULT_EXAMPLE: dict[str, Any] = {
    "passed": True,
    "overallRating": 72,
    "passThreshold": 60.0,
    "decidedAt": "2026-03-02T09:25:41.512000+00:00",
    "outcome": "advanced",
    "nextSessionId": "7d0c6f0e-54a4-4c55-9b8e-2f4a4ef5e3b1",
    "decidedBy": "pipeline",
}


class StageResult(StoredModel):
    """What the session's result means for the participant's next step, decided once, when its first
    analysis completes (and again by a human approve or reject)."""

    model_config = ConfigDict(json_schema_extra={"examples": [STAGE_RESULT_EXAMPLE]})

    passed: bool | None = Field(
        description="Whether overallRating reached the pass threshold; null while a human must decide."
    )
    overall_rating: Number | None = Field(alias="overallRating", description="The analysis's overallRating.")
    pass_threshold: Number = Field(alias="passThreshold", description="The stage's pass threshold (0-100).")
    decided_at: DateTimeText = Field(alias="decidedAt", description="When it was decided (ISO 8601).")
    outcome: StageOutcome = Field(
        description="advanced (next stage booked), passed (last stage), failed, retry_scheduled (one retake "
        "booked), awaiting_approval (a human decides), approved or rejected (by a human)."
    )
    reason: Literal["needs_review", "embedded_scorer"] | None = Field(
        default=None,
        description="Why it awaits a human: needs_review when the analysis could not support a verdict "
        "(passed is null); embedded_scorer when the embedded scorer's verdict (kept in passed) needs a "
        "person's confirmation because the stage does not let that scorer decide alone; absent when the "
        "stage simply asks for human approval.",
    )
    review_reasons: list[str] | None = Field(
        default=None, alias="reviewReasons", description="The analysis's reasons for a human review."
    )
    next_session_id: str | None = Field(
        alias="nextSessionId", description="The session booked next (next stage or retake), if any."
    )
    decided_by: str | None = Field(
        alias="decidedBy",
        description="pipeline, or who approved or rejected (`recruiter:<id>`, `api_key:<id>`, `partner_key:<id>`); "
        "null while waiting.",
    )
