"""Emails to participants (invitation, reminder, cancellation, reschedule notice) and the company's email
templates, as the API takes and shows them.

A template is text with placeholders from a fixed set, written `$name` or `${name}` (`$$` is a dollar
sign); nothing in it is ever evaluated. An unknown or malformed placeholder is a 422 naming the field.
"""

from __future__ import annotations

import string
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from config.base import ApiModel, InputModel

__all__ = [
    "PLACEHOLDERS",
    "SAMPLE_VALUES",
    "Email",
    "EmailKind",
    "EmailPreview",
    "EmailStatus",
    "EmailTemplate",
    "EmailTemplateUpdate",
    "check_placeholders",
]


class EmailKind(StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"
    CANCELLATION = "cancellation"
    RESCHEDULE = "reschedule"


class EmailStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    NOT_SENT = "not_sent"


PLACEHOLDERS: dict[str, str] = {
    "participant_name": "The participant's full name.",
    "interview_title": 'The evaluation template\'s name ("Interview" for a session without one).',
    "stage_name": "The stage's name; empty for a session without a stage.",
    "company_name": "Your company's name.",
    "join_url": "The session's invite-only join link.",
    "scheduled_time": "When the session may start, e.g. 'Monday 2 March 2026, 09:00 UTC'.",
}
_NAMES = ", ".join(f"${name}" for name in PLACEHOLDERS)

# What a preview fills in (POST /v1/email-templates/{kind}/preview); the company's own name and a join
# link on this engine's address replace `company_name` and `join_url`, the time is a day ahead.
SAMPLE_VALUES: dict[str, str] = {
    "participant_name": "Alex Example",
    "interview_title": "Customer support interview",
    "stage_name": "First interview",
}

Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
HtmlBody = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
TextBody = Annotated[str, StringConstraints(min_length=1, max_length=50_000)]


def check_placeholders(text: str) -> str:
    """`text` if every placeholder in it is known; a ValueError naming the first bad one otherwise."""
    template = string.Template(text)
    if not template.is_valid():
        bad = next(m for m in template.pattern.finditer(text) if m.group("invalid") is not None)
        line = text.count("\n", 0, bad.start("invalid")) + 1
        raise ValueError(
            f"line {line}: a '$' that starts no placeholder; write $$ for a dollar sign, or one of {_NAMES}"
        )
    unknown = [name for name in template.get_identifiers() if name not in PLACEHOLDERS]
    if unknown:
        raise ValueError(f"unknown placeholder ${unknown[0]}; use one of {_NAMES}")
    return text


class EmailTemplateUpdate(InputModel):
    """A whole template: subject, HTML part and plain-text part."""

    subject: Subject = Field(description="Subject line (one line; placeholders allowed).")
    html: HtmlBody = Field(description="HTML part; placeholder values are HTML-escaped.")
    text: TextBody = Field(description="Plain-text part, for mail clients that show no HTML.")

    @field_validator("subject")
    @classmethod
    def _one_line(cls, subject: str) -> str:
        if any(c in subject for c in "\r\n"):
            raise ValueError("the subject must be one line")
        return check_placeholders(subject)

    @field_validator("html", "text")
    @classmethod
    def _known_placeholders(cls, body: str) -> str:
        return check_placeholders(body)


class EmailTemplate(ApiModel):
    kind: EmailKind = Field(description="invitation, reminder, cancellation or reschedule.")
    subject: str = Field(description="Subject line.")
    html: str = Field(description="HTML part.")
    text: str = Field(description="Plain-text part.")
    is_default: bool = Field(description="True while the built-in template is used (never saved, or reset).")
    updated_at: datetime | None = Field(description="When the company last saved it; null for the default.")
    placeholders: dict[str, str] = Field(
        description="The placeholders a template may use, with their meaning."
    )


class EmailPreview(ApiModel):
    """A template rendered the way the sender renders it, with sample values instead of a session's."""

    subject: str = Field(description="The subject line as it would be sent.")
    html: str = Field(description="The HTML part as it would be sent (placeholder values HTML-escaped).")
    text: str = Field(description="The plain-text part as it would be sent.")
    values: dict[str, str] = Field(description="The sample value used for each placeholder.")


class Email(ApiModel):
    id: str = Field(description="Email id.")
    session_id: str = Field(description="The session it is about.")
    participant_id: str = Field(description="The participant it is for.")
    kind: EmailKind = Field(description="invitation, reminder, cancellation or reschedule.")
    to: str = Field(description="The recipient's address.")
    subject: str | None = Field(description="The subject, once the email has been prepared for sending.")
    status: EmailStatus = Field(
        description="queued (waiting for its time or its next attempt), sent (the SMTP server accepted it), "
        "failed (gave up: a permanent refusal, or the retry schedule ran out) or not_sent (deliberately not "
        "sent; last_error says why, e.g. 'SMTP is not configured')."
    )
    attempts: int = Field(description="SMTP attempts so far.")
    last_error: str | None = Field(description="What went wrong last time, or why it was not sent.")
    next_attempt_at: datetime | None = Field(description="When it will be tried (next), while queued.")
    sent_at: datetime | None = Field(description="When the SMTP server accepted it.")
    created_at: datetime = Field(description="When it was queued.")
    updated_at: datetime = Field(description="Last change.")
