"""Participant: the person being evaluated (seed 000)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AnyHttpUrl, EmailStr, Field, StringConstraints, field_validator

from config.base import ApiModel, InputModel, IsoDate, Label, Name, ResourceId, ResourceOut, ShortText

__all__ = [
    "MAX_BULK",
    "BulkResult",
    "BulkRowResult",
    "Participant",
    "ParticipantBackground",
    "ParticipantCreate",
    "ParticipantProfile",
    "ParticipantSpec",
    "ParticipantUpdate",
    "ParticipantsBulkCreate",
    "normalize_email",
]

MAX_BULK = 500
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


def normalize_email(email: str) -> str:
    return email.strip().lower()


class ParticipantProfile(InputModel):
    title: ShortText | None = Field(default=None, description="Current job title.")
    organization: ShortText | None = Field(default=None, description="Current organisation or school.")
    experience_level: ShortText | None = Field(
        default=None, alias="experienceLevel", description="Seniority in your words, e.g. 'senior'."
    )
    location: ShortText | None = Field(default=None, description="Where the participant is based.")


class ParticipantBackground(InputModel):
    skills: list[Label] = Field(default_factory=list, max_length=100, description="Skills they claim.")
    education: ShortText | None = Field(default=None, description="Highest education, free text.")
    languages: list[Label] = Field(default_factory=list, max_length=50, description="Languages spoken.")


class ParticipantSpec(InputModel):
    name: Name = Field(description="Full name.")
    email: EmailStr = Field(
        description="Email; unique per company and template. Stored lower-cased. The invite goes here."
    )
    evaluation_template_id: ResourceId | None = Field(
        default=None, description="Template (role or programme) the participant is evaluated against."
    )
    external_id: ShortText | None = Field(
        default=None, description="Your ATS/LMS id; echoed in every webhook so you can reconcile."
    )
    profile: ParticipantProfile = Field(
        default_factory=ParticipantProfile, description="{title, organization, experienceLevel, location}."
    )
    background: ParticipantBackground = Field(
        default_factory=ParticipantBackground, description="{skills, education, languages}."
    )
    resume_url: AnyHttpUrl | None = Field(default=None, description="Public link to the resume (http/https).")
    tags: list[Tag] = Field(default_factory=list, max_length=20, description="Your labels, e.g. ['senior'].")
    gdpr_expiry_date: IsoDate | None = Field(
        default=None, description="Date (ISO 8601) when the participant's data expires under GDPR."
    )

    @field_validator("email")
    @classmethod
    def _lower(cls, email: str) -> str:
        return normalize_email(email)

    @field_validator("tags")
    @classmethod
    def _dedupe_tags(cls, tags: list[str]) -> list[str]:
        return list(dict.fromkeys(tags))


class ParticipantCreate(ParticipantSpec):
    """Request body to create a participant."""


class ParticipantUpdate(InputModel):
    name: Name | None = Field(default=None, description="Full name.")
    email: EmailStr | None = Field(default=None, description="Email; unique per company and template.")
    evaluation_template_id: ResourceId | None = Field(
        default=None, description="Template the participant belongs to."
    )
    external_id: ShortText | None = Field(default=None, description="Your system's id.")
    profile: ParticipantProfile | None = Field(default=None, description="Replacement profile.")
    background: ParticipantBackground | None = Field(default=None, description="Replacement background.")
    resume_url: AnyHttpUrl | None = Field(default=None, description="Resume link.")
    tags: list[Tag] | None = Field(default=None, max_length=20, description="Replacement tags.")
    gdpr_expiry_date: IsoDate | None = Field(default=None, description="GDPR expiry date.")


class ParticipantsBulkCreate(InputModel):
    participants: list[ParticipantCreate] = Field(
        min_length=1,
        max_length=MAX_BULK,
        description=f"Up to {MAX_BULK} participants; duplicates are skipped and reported per row.",
    )


class Participant(ParticipantSpec, ResourceOut):
    model_config = ApiModel.model_config
    email: str = Field(description="Email, lower-cased.")
    resume_url: str | None = Field(default=None, description="Resume link.")  # type: ignore[assignment]


class BulkRowResult(ApiModel):
    index: int = Field(description="Position of the row in the request.")
    status: str = Field(description="created or skipped.")
    id: str | None = Field(default=None, description="Id of the created participant, or of the existing one.")
    reason: str | None = Field(default=None, description="Why the row was skipped.")


class BulkResult(ApiModel):
    created: int = Field(description="Rows created.")
    skipped: int = Field(description="Rows skipped as duplicates.")
    results: list[BulkRowResult] = Field(description="One entry per request row, in order.")
