"""Participants imported from a spreadsheet (.xlsx): what the import answers, row by row."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from config.base import ApiModel

__all__ = [
    "MAX_IMPORT_FILE_BYTES",
    "MAX_IMPORT_ROWS",
    "ImportCellError",
    "ImportResult",
    "ImportRowResult",
    "ImportRowStatus",
]

MAX_IMPORT_FILE_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 500


class ImportRowStatus(StrEnum):
    CREATED = "created"
    WOULD_CREATE = "would_create"
    DUPLICATE = "duplicate"
    INVALID = "invalid"


class ImportCellError(ApiModel):
    column: str = Field(description="The column's header name, e.g. `email`.")
    message: str = Field(description="What is wrong with the value.")


class ImportRowResult(ApiModel):
    row: int = Field(description="The row's number in the spreadsheet (the header is row 1).")
    status: ImportRowStatus = Field(
        description="created, would_create (a dry run, or a valid row of an import refused for invalid "
        "rows), duplicate (skipped: the email is already a participant of the template, or repeats an "
        "earlier row) or invalid (`errors` says why)."
    )
    participant_id: str | None = Field(
        default=None, description="The participant created, or the existing one a duplicate repeats."
    )
    session_id: str | None = Field(default=None, description="The session booked, with invite=true.")
    email: str | None = Field(default=None, description="The row's email, lower-cased, when it has one.")
    duplicate_of_row: int | None = Field(
        default=None, description="For a duplicate of an earlier row of the file: that row's number."
    )
    errors: list[ImportCellError] = Field(default_factory=list, description="One entry per bad cell.")


class ImportResult(ApiModel):
    dry_run: bool = Field(description="Whether this was a dry run (nothing was written).")
    created: int = Field(description="Participants created (on a dry run: that would be).")
    skipped: int = Field(description="Duplicate rows skipped.")
    invalid: int = Field(description="Invalid rows (only a dry run answers 200 with any).")
    results: list[ImportRowResult] = Field(description="One entry per non-blank row, in sheet order.")
