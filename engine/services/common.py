"""Helpers shared by the resource services: ids, company-scoped lookups, validation of merged updates."""

from __future__ import annotations

import uuid
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.errors import Forbidden, NotFound, ValidationFailed, field_errors

__all__ = ["OwnedRow", "body_field", "field_invalid", "get_owned", "new_id", "validate_as"]


class OwnedRow(Protocol):
    """A company-owned, soft-deletable row (read-only view, so every row class matches)."""

    @property
    def id(self) -> str: ...

    @property
    def company_id(self) -> str: ...


RowT = TypeVar("RowT", bound=OwnedRow)
ModelT = TypeVar("ModelT", bound=BaseModel)


def new_id() -> str:
    return str(uuid.uuid4())


def body_field(path: str, message: str, error_type: str = "value_error") -> dict[str, str]:
    """One `details.fields` entry about a request-body field, shaped like a request validation error's."""
    return {"path": path, "message": message, "type": error_type, "in": "body"}


def field_invalid(path: str, message: str, error_type: str = "value_error") -> ValidationFailed:
    """A 422 naming one body field, with the same entry shape as pydantic's request validation errors."""
    return ValidationFailed(f"{path}: {message}", {"fields": [body_field(path, message, error_type)]})


async def get_owned(
    session: AsyncSession,
    row_cls: type[RowT],
    resource_id: str,
    company_id: str,
    label: str,
    field: str | None = None,
) -> RowT:
    """The live row with this id in the caller's company.

    Another company's row gives 403, as seed 004 specifies. A missing one gives 404, or 422 naming
    `field` when the id came in a request body rather than the URL.
    """
    table: Any = row_cls  # the protocol types instances; the class carries SQL columns
    row = (
        await session.scalars(
            select(row_cls).where(
                table.id == resource_id,
                table.company_id == company_id,
                table.deleted_at.is_(None),
            )
        )
    ).first()
    if row is not None:
        return row
    # Only an existence bit leaves this probe: no field of the other company's row is read.
    foreign = await session.scalar(
        select(table.id).where(table.id == resource_id, table.deleted_at.is_(None))
    )
    details: dict[str, Any] = {"id": resource_id}
    if field:
        details["fields"] = [body_field(field, f"{label} belongs to another company", "forbidden")]
    if foreign is not None:
        raise Forbidden(f"{label} {resource_id} belongs to another company", details)
    if field:
        raise field_invalid(field, f"no {label} with id {resource_id}", "not_found")
    raise NotFound(f"{label} {resource_id} not found", details)


def validate_as(model: type[ModelT], data: dict[str, Any], prefix: str = "") -> ModelT:
    """Validate a merged object (stored spec + patch) and name failing fields like a request would."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = field_errors([dict(e) for e in exc.errors()])
        for err in errors:
            if prefix:
                err["path"] = prefix if err["path"] == "(body)" else f"{prefix}.{err['path']}"
            err.setdefault("in", "body")  # the merged object stands for the request body
        first = errors[0]
        raise ValidationFailed(f"{first['path']}: {first['message']}", {"fields": errors}) from None
