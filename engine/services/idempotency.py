"""Stored outcomes of POST requests made with an `Idempotency-Key` (engine.api.idempotency).

A key is claimed before the request runs (a row in state "running"), then finished with the response,
which is replayed for `TTL` to any repeat of the same request; a request that failed on the server side
releases its key, so it can be tried again. Rows are keyed by a hash of the caller's credential and the
key: no credential is stored, and two callers choosing the same key never see each other's responses.
The database is the only state, so engines behind one balancer share the keys.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from engine.store.tables import IdempotencyRow

__all__ = ["TTL", "Claim", "Stored", "claim", "finish", "release", "row_id"]

TTL = timedelta(hours=24)


class Claim(Enum):
    NEW = "new"  # claimed for this request: run it
    RUNNING = "running"  # the same request is being answered elsewhere: wait for it
    MISMATCH = "mismatch"  # the key was used for a different request


@dataclass(frozen=True, slots=True)
class Stored:
    """A response to replay."""

    status_code: int
    headers: list[tuple[str, str]]
    body: bytes


def row_id(credential: str, key: str) -> str:
    return hashlib.sha256(f"{credential}\0{key}".encode()).hexdigest()


async def claim(db: AsyncSession, key_id: str, request_hash: str, now: datetime) -> Claim | Stored:
    """Claims the key for this request, or says why not. The caller commits; a unique violation at
    commit means another request claimed it first (the same as RUNNING)."""
    row = await db.get(IdempotencyRow, key_id)
    if row is not None and row.expires_at <= now:
        await db.delete(row)
        await db.flush()
        row = None
    if row is None:
        # Expired keys go as new ones come: an indexed range delete, cheap at any size.
        await db.execute(delete(IdempotencyRow).where(IdempotencyRow.expires_at <= now))
        db.add(
            IdempotencyRow(
                id=key_id, request_hash=request_hash, state="running", created_at=now, expires_at=now + TTL
            )
        )
        await db.flush()
        return Claim.NEW
    if row.request_hash != request_hash:
        return Claim.MISMATCH
    if row.state != "done" or row.status_code is None:
        return Claim.RUNNING
    headers = [(str(name), str(value)) for name, value in json.loads(row.headers or "[]")]
    return Stored(row.status_code, headers, row.body or b"")


async def finish(db: AsyncSession, key_id: str, response: Stored) -> None:
    row = await db.get(IdempotencyRow, key_id)
    if row is None:  # expired and taken by a newer request meanwhile: nothing of ours to keep
        return
    row.state, row.status_code = "done", response.status_code
    row.headers, row.body = json.dumps(response.headers), response.body


async def release(db: AsyncSession, key_id: str) -> None:
    await db.execute(
        delete(IdempotencyRow).where(IdempotencyRow.id == key_id, IdempotencyRow.state == "running")
    )
