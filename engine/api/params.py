"""Query and path parameter types shared by the routers, each bounded so no input reaches the store
in a form it cannot hold."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from config.base import ID_PATTERN, UtcDatetime

__all__ = ["CreatedAfter", "CreatedBefore", "Cursor", "IdPath", "KeyIdPath", "Limit", "SafeQuery"]

NO_NUL = r"^[^\x00]*$"


IdPath = Annotated[str, Path(pattern=ID_PATTERN, description="Resource id (lower-case UUID).")]
KeyIdPath = Annotated[
    str, Path(pattern=r"^[0-9a-f]{16}$", description="API key id: the 16 hex characters after `ie_`.")
]
Limit = Annotated[int | None, Query(ge=1, le=1000, description="Page size (capped by the server's maximum).")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, pattern=r"^[A-Za-z0-9_-]*$", description="`next_cursor` of the previous page."),
]
SafeQuery = Annotated[
    str | None, Query(min_length=1, max_length=320, pattern=NO_NUL, description="Exact match.")
]
CreatedAfter = Annotated[
    UtcDatetime | None, Query(description="Only resources created at or after this time (with UTC offset).")
]
CreatedBefore = Annotated[
    UtcDatetime | None, Query(description="Only resources created before this time (with UTC offset).")
]
