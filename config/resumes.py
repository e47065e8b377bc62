"""Resume parsing (POST /v1/resumes/parse): one result per uploaded file, with a participant draft that
the recruiter confirms before anything is saved."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from config.base import ApiModel

__all__ = ["MAX_RESUME_FILES", "ResumeDraft", "ResumeParseResponse", "ResumeParseResult"]

MAX_RESUME_FILES = 20


class ResumeDraft(ApiModel):
    """What the resume seems to say; a guess from the text, every field possibly empty or wrong."""

    name: str | None = Field(description="Full name, from the first lines (or the email address).")
    email: str | None = Field(description="The first email address, lower-cased.")
    phone: str | None = Field(description="The first phone number, as written.")
    organization: str | None = Field(description="Employer of the first job listed.")
    title: str | None = Field(description="Job title of the first job listed, or under the name.")
    education: str | None = Field(description="The first degree or school of the Education section.")
    skills: list[str] = Field(
        description="Technologies of the engine's vocabulary and skills of the company's templates that "
        "the text names, in order of appearance."
    )
    languages: list[str] = Field(description="Spoken languages named in a Languages section or line.")


class ResumeParseResult(ApiModel):
    filename: str = Field(description="The uploaded file's name (without any folder).")
    status: Literal["parsed", "error"] = Field(description="parsed: `draft` is set; error: `error` says why.")
    error: str | None = Field(
        description="Why the file could not be read (empty, too large, not a PDF/DOCX/text file, "
        "password-protected, no text in it, ...); null when parsed."
    )
    draft: ResumeDraft | None = Field(description="The guessed participant; null on error.")
    text_chars: int = Field(ge=0, description="Characters of text read from the file (0 on error).")
    resume_file_id: str | None = Field(
        default=None,
        description="The kept file's id, valid 24 hours: send it as `resume_file_id` when creating the "
        "participant (POST /v1/participants, /v1/participants/bulk, or inline in POST /v1/sessions) to "
        "keep the file with them. Null on error, with `keep=false`, or when the file could not be "
        "stored (the object store unreachable).",
    )


class ResumeParseResponse(ApiModel):
    results: list[ResumeParseResult] = Field(description="One per uploaded file, in upload order.")
