"""The `data` of each event type: what the outbox stored when the change happened (see `config.stored`).

Event data is snake_case; the analysis summary and the stage result inside it keep the analysis's
camelCase keys (`overallRating`, `nextSessionId`, ...), as the session shows them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from config.analysis import AuthenticityKind
from config.enums import SessionStatus
from config.stage_results import StageResult
from config.stored import Number, StoredModel

__all__ = [
    "AnalysisCompletedData",
    "AnalysisFailedData",
    "AnalysisFailure",
    "AnalysisSummary",
    "DimensionSummary",
    "ParticipantCreatedData",
    "ParticipantErasedData",
    "RecordingInfo",
    "RecordingReadyData",
    "SessionEventData",
    "StageAdvancedData",
    "StageAwaitingApprovalData",
    "StageEventData",
    "StageFailedData",
    "WebhookTestData",
]


class ParticipantCreatedData(StoredModel):
    """A participant was created (by the API, a bulk or spreadsheet import, a session or a public link)."""

    participant_id: str = Field(description="The new participant.")
    external_id: str | None = Field(description="Your id for them, for reconciliation.")
    template_id: str | None = Field(description="Their evaluation template, if any.")


class SessionEventData(StoredModel):
    """The ids every session event carries, with the participant's external_id."""

    session_id: str = Field(description="The session.")
    participant_id: str = Field(description="The participant interviewed.")
    external_id: str | None = Field(description="The participant's external_id, for reconciliation.")
    template_id: str | None = Field(description="The template; null for a template-less session.")
    stage_id: str | None = Field(description="The stage the session runs, if any.")
    agent_profile_id: str = Field(description="The agent profile conducting it.")
    status: SessionStatus = Field(description="The session's status after the change.")
    is_test: bool = Field(description="A test session's event (test sessions send their events too).")


class DimensionSummary(StoredModel):
    """A dimension's score in the event's summary."""

    name: str = Field(description="The rubric dimension.")
    score: Number | None = Field(description="Its score on the profile's scale; null when not assessed.")


class AnalysisSummary(StoredModel):
    """The analysis's headline: GET the session for the whole scorecard."""

    version: int | None = Field(description="The analysis version.")
    scorer: str | None = Field(description="embedded or llm; null for a test session's generated analysis.")
    overall_rating: int | None = Field(
        alias="overallRating", description="0-100; null when nothing was assessed."
    )
    company_fit_rating: Literal["UNDEFINED", "LOW", "MEDIUM", "HIGH"] | None = Field(
        alias="companyFitRating", description="UNDEFINED, LOW, MEDIUM or HIGH."
    )
    recommendation: str | None = Field(
        description="In the template's vocabulary, or needs_review; null when hidden."
    )
    is_test_data: bool = Field(description="True for generated test data.")
    dimensions: list[DimensionSummary] = Field(description="Each dimension's score (empty when hidden).")
    flags: list[AuthenticityKind] = Field(description="Authenticity kinds flagged for review.")


class AnalysisCompletedData(SessionEventData):
    """A session's analysis completed."""

    analysis: AnalysisSummary = Field(description="The analysis's headline.")


class AnalysisFailure(StoredModel):
    """Which analysis version failed, and why."""

    version: int = Field(description="The analysis version.")
    error: str = Field(description="Why it failed (at most 500 characters).")


class AnalysisFailedData(SessionEventData):
    """A session's analysis failed; `POST /v1/sessions/{id}/analysis/rerun` tries again."""

    analysis: AnalysisFailure = Field(description="The failed version.")


class RecordingInfo(StoredModel):
    """The finished recording (GET /v1/sessions/{id}/recording fetches it)."""

    content_type: str = Field(description="audio/wav (transcoded to audio/ogg later).")
    channels: int = Field(description="2: the candidate left, the interviewer right.")
    sample_rate: int = Field(description="Samples per second.")
    duration_s: Number = Field(description="Length in seconds.")


class RecordingReadyData(SessionEventData):
    """The session is over and its recording is final."""

    recording: RecordingInfo = Field(description="The recording.")


class StageEventData(SessionEventData):
    """A stage decision on the session."""

    stage_result: StageResult = Field(description="The decision, as `stage_result` on the session.")


class StageAdvancedData(StageEventData):
    """The participant passed the stage and was booked for the next one."""

    to_stage_id: str = Field(description="The next stage.")
    next_session_id: str = Field(description="The session booked for it.")


class StageFailedData(StageEventData):
    """The participant failed the stage."""

    retry_session_id: str | None = Field(
        default=None, description="The retake booked when the stage allows one retry; absent otherwise."
    )


class StageAwaitingApprovalData(StageEventData):
    """The result waits for a human to approve or reject it."""

    reason: Literal["needs_review", "embedded_scorer"] | None = Field(
        default=None,
        description="needs_review when the analysis could not support a verdict; embedded_scorer when the "
        "embedded scorer's verdict waits for a person's confirmation (the stage's "
        "embedded_scorer_decides is off); absent when the stage simply asks for human approval.",
    )
    review_reasons: list[str] | None = Field(
        default=None, description="Why a human must decide (with reason)."
    )


class ParticipantErasedData(StoredModel):
    """A participant's personal data was erased (docs/privacy.md): ids only. Erase your own copy too."""

    participant_id: str = Field(description="The participant erased; the id answers 404 from now on.")
    session_ids: list[str] = Field(
        description="Their sessions, whose content (transcript, analyses, recording) is gone."
    )
    reason: Literal["request", "gdpr_expiry_date", "retention_period"] = Field(
        description="request: DELETE /v1/participants/{id}?erase=true; gdpr_expiry_date: their expiry date "
        "came; retention_period: inactive longer than the company's retention_days."
    )


class WebhookTestData(StoredModel):
    """Sent by `POST /v1/webhook-endpoints/{id}/test` to that endpoint only."""

    endpoint_id: str = Field(description="The endpoint tested.")
    is_test: bool = Field(description="Always true.")
    message: str = Field(description="A fixed text.")
