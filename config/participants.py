"""Participant: the person being evaluated (seed 000)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AnyHttpUrl, EmailStr, Field, StringConstraints, field_validator

from config.base import ApiModel, InputModel, IsoDate, Label, Name, ResourceId, ResourceOut, ShortText

__all__ = [
    "MAX_BULK",
    "PHONE_DESCRIPTION",
    "BulkResult",
    "BulkRowResult",
    "Participant",
    "ParticipantBackground",
    "ParticipantCreate",
    "ParticipantProfile",
    "ParticipantSpec",
    "ParticipantUpdate",
    "ParticipantsBulkCreate",
    "Phone",
    "ResumeClaim",
    "StoredResume",
    "normalize_email",
]

MAX_BULK = 500
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]

_PHONE_CHARS = re.compile(r"[0-9 +\-().]+")
_MIN_PHONE_DIGITS = 5


def _phone(value: str) -> str:
    """Free text kept as written (numbering plans differ too much to rewrite), only checked: the
    characters people write numbers with, and enough digits to be a number at all."""
    value = " ".join(value.split())
    if not _PHONE_CHARS.fullmatch(value):
        raise ValueError("use only digits, spaces and + - ( ) .")
    if sum(c.isdigit() for c in value) < _MIN_PHONE_DIGITS:
        raise ValueError(f"needs at least {_MIN_PHONE_DIGITS} digits")
    return value


Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=5, max_length=32), AfterValidator(_phone)
]
PHONE_DESCRIPTION = "Phone number as written, e.g. '+49 30 1234567' (5-32 digits, spaces, + - ( ) .)."


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
    phone: Phone | None = Field(default=None, description=PHONE_DESCRIPTION)
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


class ResumeClaim(InputModel):
    """The resume file to keep with a participant created from it (engine/services/resume_files.py)."""

    resume_file_id: ResourceId | None = Field(
        default=None,
        description="`resume_file_id` of a POST /v1/resumes/parse result of the same company, within "
        "24 hours of the upload and not yet used: the file is kept with the new participant and served "
        "by GET /v1/participants/{id}/resume. Unknown, expired or used: 422 naming this field.",
    )


class ParticipantCreate(ParticipantSpec, ResumeClaim):
    """Request body to create a participant."""


class ParticipantUpdate(InputModel):
    name: Name | None = Field(default=None, description="Full name.")
    email: EmailStr | None = Field(default=None, description="Email; unique per company and template.")
    phone: Phone | None = Field(default=None, description=PHONE_DESCRIPTION)
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


class StoredResume(ApiModel):
    """The resume file kept with a participant (download: GET /v1/participants/{id}/resume)."""

    filename: str = Field(description="The uploaded file's name.")
    content_type: str = Field(description="application/pdf, the DOCX type or text/plain, told by content.")
    size: int = Field(ge=0, description="Bytes.")
    sha256: str = Field(description="SHA-256 of the file, hex.")
    uploaded_at: datetime = Field(description="When it was uploaded.")


class Participant(ParticipantSpec, ResourceOut):
    model_config = ApiModel.model_config
    email: str = Field(description="Email, lower-cased.")
    resume_url: str | None = Field(default=None, description="Resume link.")  # type: ignore[assignment]
    resume: StoredResume | None = Field(
        default=None,
        description="The resume file kept with the participant when it was created from one; null if none.",
    )


class BulkRowResult(ApiModel):
    index: int = Field(description="Position of the row in the request.")
    status: Literal["created", "skipped"] = Field(description="created or skipped.")
    id: str | None = Field(default=None, description="Id of the created participant, or of the existing one.")
    reason: str | None = Field(default=None, description="Why the row was skipped.")


class BulkResult(ApiModel):
    created: int = Field(description="Rows created.")
    skipped: int = Field(description="Rows skipped as duplicates.")
    results: list[BulkRowResult] = Field(description="One entry per request row, in order.")
