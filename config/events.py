"""Every event type with its typed payload: the webhook body `{type, timestamp, data}`, and the event as
`GET /v1/events` lists it (the same with its `id`).

One table, `EVENTS`, drives the models, the OpenAPI `webhooks` section and the documented examples, so
a new event type needs one row here (a test checks the table against the types the engine records).
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from config import event_data as d
from config.analysis import ANALYSIS_EXAMPLE
from config.base import ApiModel
from config.stage_results import STAGE_RESULT_EXAMPLE
from config.stored import DateTimeText, StoredModel

__all__ = [
    "EVENTS",
    "EVENT_ADAPTER",
    "PAYLOADS",
    "PAYLOAD_ADAPTER",
    "RECORDS",
    "Event",
    "EventSpec",
    "WebhookPayload",
]

TypeT = TypeVar("TypeT", bound=str)
DataT = TypeVar("DataT", bound=BaseModel)


class EventPayload(StoredModel, Generic[TypeT, DataT]):
    """The body of a webhook delivery."""

    type: TypeT = Field(description="The event type.")
    timestamp: DateTimeText = Field(description="When the change happened (UTC, ISO 8601).")
    data: DataT = Field(description="What changed.")


class EventRecord(ApiModel, Generic[TypeT, DataT]):
    """An event as `GET /v1/events` lists it."""

    id: str = Field(description="Event id (`evt_...`); the `webhook-id` of its deliveries.")
    type: TypeT = Field(description="The event type.")
    timestamp: datetime = Field(description="When the change happened (UTC, ISO 8601).")
    data: DataT = Field(description="What changed.")


@dataclass(frozen=True)
class EventSpec:
    name: str  # the event type
    data: type[StoredModel]
    summary: str
    example: dict[str, Any]  # the example `data`
    recorded: bool = True  # in the outbox (GET /v1/events); webhook.test is sent to one endpoint only


_SESSION = {
    "session_id": "3f0b6b9e-2d7c-4b7e-9a57-0c1f3b8e6d21",
    "participant_id": "b8f3c2d4-1e5a-4f6b-8c7d-9e0a1b2c3d4e",
    "external_id": "ats-cand-1042",
    "template_id": "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f",
    "stage_id": "0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d",
    "agent_profile_id": "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f",
    "status": "scheduled",
    "is_test": False,
}
_DONE = {**_SESSION, "status": "completed"}
_SUMMARY = {
    "version": 1,
    "scorer": "embedded",
    "overallRating": ANALYSIS_EXAMPLE["general"]["overallRating"],
    "companyFitRating": "UNDEFINED",
    "recommendation": "hire",
    "is_test_data": False,
    "dimensions": [{"name": "System design", "score": 8.0}, {"name": "Testing", "score": 4.0}],
    "flags": [],
}
_NEXT = STAGE_RESULT_EXAMPLE["nextSessionId"]
_WAITING = {
    **STAGE_RESULT_EXAMPLE,
    "passed": None,
    "outcome": "awaiting_approval",
    "reason": "needs_review",
    "reviewReasons": ["Only 40% of the rubric weight has enough evidence to score (the threshold is 70%)."],
    "nextSessionId": None,
    "decidedBy": None,
}

EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        "participant.created",
        d.ParticipantCreatedData,
        "A participant was created",
        {k: _SESSION[k] for k in ("participant_id", "external_id", "template_id")},
    ),
    EventSpec(
        "participant.erased",
        d.ParticipantErasedData,
        "A participant's personal data was erased, on request or when their retention ran out",
        {
            "participant_id": _SESSION["participant_id"],
            "session_ids": [_SESSION["session_id"]],
            "reason": "request",
        },
    ),
    EventSpec(
        "session.scheduled", d.SessionEventData, "A session was booked (a retake or next stage too)", _SESSION
    ),
    EventSpec(
        "session.started", d.SessionEventData, "The candidate joined", {**_SESSION, "status": "in_progress"}
    ),
    EventSpec("session.completed", d.SessionEventData, "The interview ended; its analysis is pending", _DONE),
    EventSpec("session.failed", d.SessionEventData, "The session failed", {**_SESSION, "status": "failed"}),
    EventSpec(
        "session.cancelled",
        d.SessionEventData,
        "The session was cancelled",
        {**_SESSION, "status": "cancelled"},
    ),
    EventSpec(
        "recording.ready",
        d.RecordingReadyData,
        "The session is over and its recording is final",
        {
            **_DONE,
            "recording": {
                "content_type": "audio/wav",
                "channels": 2,
                "sample_rate": 16000,
                "duration_s": 612.4,
            },
        },
    ),
    EventSpec(
        "analysis.completed",
        d.AnalysisCompletedData,
        "The session's analysis completed",
        {**_DONE, "analysis": _SUMMARY},
    ),
    EventSpec(
        "analysis.failed",
        d.AnalysisFailedData,
        "The session's analysis failed",
        {**_DONE, "analysis": {"version": 2, "error": "the transcript is empty"}},
    ),
    EventSpec(
        "stage.advanced",
        d.StageAdvancedData,
        "The participant passed the stage and was booked for the next one",
        {
            **_DONE,
            "stage_result": STAGE_RESULT_EXAMPLE,
            "to_stage_id": "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
            "next_session_id": _NEXT,
        },
    ),
    EventSpec(
        "stage.passed",
        d.StageEventData,
        "The participant passed the last stage",
        {**_DONE, "stage_result": {**STAGE_RESULT_EXAMPLE, "outcome": "passed", "nextSessionId": None}},
    ),
    EventSpec(
        "stage.failed",
        d.StageFailedData,
        "The participant failed the stage",
        {
            **_DONE,
            "stage_result": {
                **STAGE_RESULT_EXAMPLE,
                "passed": False,
                "overallRating": 41,
                "outcome": "failed",
                "nextSessionId": None,
            },
        },
    ),
    EventSpec(
        "stage.awaiting_approval",
        d.StageAwaitingApprovalData,
        "The stage result waits for a human to approve or reject it",
        {
            **_DONE,
            "stage_result": _WAITING,
            "reason": "needs_review",
            "review_reasons": _WAITING["reviewReasons"],
        },
    ),
    EventSpec(
        "stage.rejected",
        d.StageEventData,
        "A human rejected the stage result",
        {
            **_DONE,
            "stage_result": {
                **_WAITING,
                "outcome": "rejected",
                "decidedBy": "recruiter:5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
            },
        },
    ),
    EventSpec(
        "webhook.test",
        d.WebhookTestData,
        "A test event sent to one endpoint on request",
        {
            "endpoint_id": "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d",
            "is_test": True,
            "message": "A test event from interview-engine.",
        },
        recorded=False,
    ),
)

_EXAMPLE_AT = "2026-03-02T09:25:41.512000+00:00"


def _class_name(event_type: str, suffix: str) -> str:
    return "".join(part.capitalize() for part in event_type.replace(".", "_").split("_")) + suffix


def _model(
    spec: EventSpec, generic: type[BaseModel], suffix: str, example: dict[str, Any]
) -> type[BaseModel]:
    """`<Type><suffix>`: the generic envelope with this type's literal and data model, documented."""
    base = generic[Literal[spec.name], spec.data]  # type: ignore[index]

    def body(ns: dict[str, Any]) -> None:
        ns["__module__"] = __name__
        ns["__doc__"] = f"`{spec.name}`: {spec.summary}. {spec.data.__doc__ or ''}".strip()
        ns["model_config"] = ConfigDict(json_schema_extra={"examples": [example]})

    model: type[BaseModel] = types.new_class(_class_name(spec.name, suffix), (base,), {}, body)
    return model


PAYLOADS: dict[str, type[BaseModel]] = {
    s.name: _model(s, EventPayload, "Payload", {"type": s.name, "timestamp": _EXAMPLE_AT, "data": s.example})
    for s in EVENTS
}
RECORDS: dict[str, type[BaseModel]] = {
    s.name: _model(
        s,
        EventRecord,
        "Event",
        {"id": "evt_0001" + "0" * 24, "type": s.name, "timestamp": _EXAMPLE_AT, "data": s.example},
    )
    for s in EVENTS
    if s.recorded
}

if TYPE_CHECKING:
    # Static view: the union members are made at import time from the table above.
    WebhookPayload = EventPayload[str, StoredModel]
    Event = EventRecord[str, StoredModel]
else:
    WebhookPayload = Annotated[Union[tuple(PAYLOADS.values())], Field(discriminator="type")]  # noqa: UP007
    Event = Annotated[Union[tuple(RECORDS.values())], Field(discriminator="type")]  # noqa: UP007


# Validate an event or a delivery's payload read from the store into its type's model.
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
PAYLOAD_ADAPTER: TypeAdapter[WebhookPayload] = TypeAdapter(WebhookPayload)
