"""Shared pydantic bases and field types for the configuration models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = [
    "ID_PATTERN",
    "ApiModel",
    "InputModel",
    "Label",
    "LongText",
    "Name",
    "ResourceId",
    "ResourceOut",
    "ShortText",
]

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
ResourceId = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=ID_PATTERN)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


class ApiModel(BaseModel):
    """Base for every model that crosses the API: camelCase aliases where the seeds use them."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


def _unstorable(value: Any, path: str) -> str | None:
    """Path of the first string no database can store (NUL, lone surrogates), or None."""
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
            found = _unstorable(key, path) or _unstorable(child, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found = _unstorable(child, f"{path}[{i}]")
            if found is not None:
                return found
    return None


class InputModel(ApiModel):
    """Request bodies reject unknown fields, so a typo is an error instead of silently ignored data."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        bad = _unstorable(data, "")
        if bad is not None:
            raise ValueError(f"{bad or 'value'}: text must be valid UTF-8 without NUL characters")
        return data


class ResourceOut(ApiModel):
    """Fields every stored resource carries."""

    id: str = Field(description="Unique identifier (UUID).")
    created_at: datetime = Field(description="When the resource was created (UTC, ISO 8601).")
    updated_at: datetime = Field(description="When the resource was last changed (UTC, ISO 8601).")
