"""Webhook endpoints, deliveries and their attempts, as the API takes and shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StrictBool, StringConstraints, field_validator

from config.base import ApiModel, InputModel, ResourceOut
from config.events import WebhookPayload

__all__ = [
    "EVENT_TYPES",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEndpointCreate",
    "WebhookEndpointUpdate",
    "WebhookEndpointWithSecret",
]

# Every event the engine records (engine.services.events callers), plus the test event.
EVENT_TYPES = (
    "participant.created",
    "participant.erased",
    "session.scheduled",
    "session.started",
    "session.completed",
    "session.failed",
    "session.cancelled",
    "analysis.completed",
    "analysis.failed",
    "recording.ready",
    "stage.advanced",
    "stage.passed",
    "stage.failed",
    "stage.awaiting_approval",
    "stage.rejected",
    "webhook.test",
)
MAX_EVENT_TYPES = len(EVENT_TYPES)

Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2000)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


def _check_url(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises for a port out of range, which would otherwise surface at delivery)
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host")
    if parts.username or parts.password:
        raise ValueError("must not carry credentials; authenticate receivers by the signature")
    return url


def _check_types(types: list[str] | None) -> list[str] | None:
    if types is None:
        return None
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown event type {unknown[0]!r}; known: {', '.join(EVENT_TYPES)}")
    return list(dict.fromkeys(types))


class WebhookEndpointCreate(InputModel):
    url: Url = Field(description="Where events are POSTed (http or https).")
    event_types: list[str] = Field(
        default_factory=list,
        max_length=MAX_EVENT_TYPES,
        description="Subscribed event types; empty: every event. Unknown types are a 422.",
    )
    enabled: StrictBool = Field(default=True, description="Disabled endpoints receive nothing.")
    description: Description = Field(default="", description="Your note, e.g. 'Greenhouse production'.")

    _url = field_validator("url")(_check_url)
    _types = field_validator("event_types")(_check_types)


class WebhookEndpointUpdate(InputModel):
    url: Url | None = Field(default=None, description="New URL.")
    event_types: list[str] | None = Field(
        default=None, max_length=MAX_EVENT_TYPES, description="New subscription."
    )
    enabled: StrictBool | None = Field(
        default=None, description="Enable (clears disabled_reason) or disable."
    )
    description: Description | None = Field(default=None, description="New note.")

    @field_validator("url")
    @classmethod
    def _url_ok(cls, url: str | None) -> str | None:
        return None if url is None else _check_url(url)

    _types = field_validator("event_types")(_check_types)


class WebhookEndpoint(ResourceOut):
    url: str = Field(description="Where events are POSTed.")
    event_types: list[str] = Field(description="Subscribed event types; empty: every event.")
    enabled: bool = Field(description="Whether deliveries are sent.")
    disabled_reason: str | None = Field(
        description="Why the engine disabled it (e.g. the receiver answered 410)."
    )
    description: str = Field(description="Your note.")
    secret_rotating_until: datetime | None = Field(
        description="After a rotation, deliveries are also signed with the previous secret until then."
    )


class WebhookEndpointWithSecret(WebhookEndpoint):
    secret: str = Field(
        description="`whsec_...`: verify signatures with it. Shown only now; store it safely."
    )


class WebhookAttempt(ApiModel):
    attempted_at: datetime = Field(description="When it was sent.")
    status_code: int | None = Field(description="The receiver's HTTP status; null when no response came.")
    error: str | None = Field(description="Why it did not succeed (status, timeout, connection error).")
    duration_ms: int = Field(description="Time until the response (or the failure).")


class WebhookDelivery(ApiModel):
    id: str = Field(description="Delivery id.")
    endpoint_id: str = Field(description="The endpoint.")
    event_id: str = Field(description="The event (`webhook-id` header; the same on every retry).")
    event_type: str = Field(description="The event type.")
    status: Literal["pending", "succeeded", "failed"] = Field(
        description="pending (will be tried again), succeeded or failed (gave up)."
    )
    attempts: int = Field(description="Attempts so far.")
    next_attempt_at: datetime | None = Field(description="When it will be tried next, while pending.")
    last_status_code: int | None = Field(description="Status of the last attempt.")
    last_error: str | None = Field(description="What went wrong last time.")
    created_at: datetime = Field(description="When the event was queued for this endpoint.")
    updated_at: datetime = Field(description="Last change.")
    payload: WebhookPayload = Field(description="The body sent: {type, timestamp, data}.")
    attempt_log: list[WebhookAttempt] = Field(description="Every attempt, newest first.")
