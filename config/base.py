"""Shared pydantic bases and field types for the configuration models."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    field_validator,
)

__all__ = [
    "ID_PATTERN",
    "ApiModel",
    "Flag",
    "InputModel",
    "IsoDate",
    "Label",
    "LongText",
    "Name",
    "ResourceId",
    "ResourceOut",
    "ShortText",
    "UtcDatetime",
    "find_unstorable",
]

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]


def _iso_only(value: object) -> object:
    """Pydantic would read `0.5` as a Unix timestamp; the documented format is ISO 8601 date-time."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if number or (isinstance(value, str) and _numeric(value)):
        raise ValueError("expected an ISO 8601 date-time with UTC offset, e.g. 2026-03-02T09:00:00Z")
    return value


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _as_utc(value: datetime) -> datetime:
    """The instant in UTC. A time whose UTC form leaves years 1-9999 (year 1 at +01:00) is a field
    error: the store could not bind it."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range once converted to UTC") from None


# Every datetime the API accepts: ISO 8601 with an offset, normalised to UTC.
UtcDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_only), AfterValidator(_as_utc)]


def _iso_date_only(value: object) -> object:
    """Pydantic would read `0` as 1970-01-01 (a Unix timestamp); the documented format is YYYY-MM-DD."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value.strip()):
        raise ValueError("expected a date as YYYY-MM-DD, e.g. 2027-01-31")
    return value.strip()


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]
# JSON true or false only: pydantic would take 0, 1, "yes" or "off" for a boolean.
Flag = Annotated[bool, Strict()]

ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def _canonical_id(value: Any) -> Any:
    # Before the pattern check: StringConstraints tests its pattern against the raw input, so its own
    # to_lower would never get to accept an upper-case UUID.
    return value.strip().lower() if isinstance(value, str) else value


ResourceId = Annotated[str, StringConstraints(pattern=ID_PATTERN), BeforeValidator(_canonical_id)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


class ApiModel(BaseModel):
    """Base for every model that crosses the API: camelCase aliases where the seeds use them."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


def find_unstorable(value: Any, path: str = "") -> str | None:
    """Where the first string no database can store (NUL, lone surrogates) sits, or None if there is none.

    The location is `path` extended like `a.b[2]`; a bad object key is reported as `<its object> (key)`.
    """
    if isinstance(value, str):
        if "\x00" in value:
            return path
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        for key, child in value.items():
            if find_unstorable(key) is not None:
                return f"{path} (key)" if path else "(key)"
            found = find_unstorable(child, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found = find_unstorable(child, f"{path}[{i}]")
            if found is not None:
                return found
    return None


class InputModel(ApiModel):
    """Request bodies reject unknown fields, so a typo is an error instead of silently ignored data."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        # Per field and after validation, so the error names the field (nested models check their own
        # fields, with their full path) and the message names the exact item inside a list or dict.
        bad = find_unstorable(value)
        if bad is not None:
            where = f"{bad}: " if bad else ""
            raise ValueError(f"{where}text must be valid UTF-8 without NUL characters")
        return value


class ResourceOut(ApiModel):
    """Fields every stored resource carries."""

    id: str = Field(description="Unique identifier (UUID).")
    created_at: datetime = Field(description="When the resource was created (UTC, ISO 8601).")
    updated_at: datetime = Field(description="When the resource was last changed (UTC, ISO 8601).")
