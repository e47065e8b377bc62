"""Cursor pagination over (created_at, id), newest first: stable under concurrent inserts."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from engine.errors import BadRequest

__all__ = ["Page", "decode_cursor", "encode_cursor", "paginate"]

RowT = TypeVar("RowT")
# Row ids are UUIDs; anything else in a cursor was not made here, and must not reach the database as a
# bind parameter (PostgreSQL refuses NUL bytes and lone surrogates with a server error).
_ROW_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


@dataclass(slots=True)
class Page(Generic[RowT]):
    items: list[RowT]
    next_cursor: str | None


def encode_cursor(created_at: datetime, row_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, row_id = json.loads(raw)
        created = datetime.fromisoformat(stamp)
        if not isinstance(row_id, str) or not _ROW_ID.fullmatch(row_id) or created.tzinfo is None:
            raise ValueError(cursor)
        # Normalised here so a far-off offset (year 1 at +01:00) fails as a bad cursor, not in the store.
        created = created.astimezone(UTC)
    except (ValueError, TypeError, OverflowError, RecursionError, binascii.Error):
        raise BadRequest(
            "cursor: not a cursor this API returned", {"fields": [{"path": "cursor", "message": "invalid"}]}
        ) from None
    return created, row_id


async def paginate(
    session: AsyncSession,
    stmt: Select[RowT],
    created_col: InstrumentedAttribute[Any],
    id_col: InstrumentedAttribute[Any],
    limit: int,
    cursor: str | None,
) -> Page[RowT]:
    if cursor:
        created, row_id = decode_cursor(cursor)
        stmt = stmt.where(or_(created_col < created, and_(created_col == created, id_col < row_id)))
    stmt = stmt.order_by(created_col.desc(), id_col.desc()).limit(limit + 1)
    rows = list((await session.scalars(stmt)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = encode_cursor(getattr(last, created_col.key), getattr(last, id_col.key))
    return Page(rows, next_cursor)
