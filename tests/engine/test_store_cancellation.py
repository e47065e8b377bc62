"""Cancelling a task in the middle of its transaction (a hang-up, a client gone, a timeout) never leaves the
database locked and never half-applies the transaction, on both backends.

Before the store ran each database call to completion, SQLAlchemy closed a connection cancelled mid-call
with its transaction open; with Python 3.11's sqlite3 that left a zombie connection holding SQLite's write
lock until the garbage collector ran, and every later write failed with "database is locked"."""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from engine.store.database import Database
from engine.store.tables import CompanyRow

ROUNDS = 40
WRITERS = 4


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    try:
        await database.migrate()
        yield database
    finally:
        await database.dispose()


def _company(name: str) -> CompanyRow:
    return CompanyRow(id=str(uuid.uuid4()), name=name, created_at=datetime(2026, 3, 2, tzinfo=UTC))


async def _writer(db: Database, tag: str) -> None:
    # Two rows per transaction, a read between them: the cancellation can land before, between or
    # after any of the calls, or in the commit.
    for n in itertools.count():
        async with db.transaction() as session:
            session.add(_company(f"{tag}-{n}-a"))
            await session.flush()
            await session.scalar(select(CompanyRow.id).where(CompanyRow.name == f"{tag}-{n}-a"))
            session.add(_company(f"{tag}-{n}-b"))
        await asyncio.sleep(0)


async def test_a_cancelled_transaction_leaves_no_lock_and_no_half_write(db: Database) -> None:
    draw = random.Random(20261204)
    for round_ in range(ROUNDS):
        tags = [f"r{round_}w{i}" for i in range(WRITERS)]
        writers = [asyncio.create_task(_writer(db, tag)) for tag in tags]
        await asyncio.sleep(draw.random() * 0.03)
        for task in writers:
            task.cancel()
        done = await asyncio.gather(*writers, return_exceptions=True)
        # The cancellation still arrives (after the call in flight), never swallowed or turned into an error.
        assert all(isinstance(outcome, asyncio.CancelledError) for outcome in done), (round_, done)
        # The next writer gets the database at once, not after a lock wait (busy_timeout is 30 s).
        async with asyncio.timeout(5), db.transaction() as session:
            session.add(_company(f"r{round_}-after"))

    async with db.transaction() as session:
        names = set((await session.scalars(select(CompanyRow.name))).all())
    firsts = {name.removesuffix("-a") for name in names if name.endswith("-a")}
    seconds = {name.removesuffix("-b") for name in names if name.endswith("-b")}
    assert firsts, "no writer committed anything: the test did not exercise the store"
    # All or nothing: every committed transaction holds both of its rows.
    assert firsts == seconds, firsts ^ seconds
    assert all(f"r{r}-after" in names for r in range(ROUNDS))


async def test_a_call_finishes_before_the_cancellation_is_raised(db: Database) -> None:
    started = asyncio.Event()

    async def write() -> None:
        async with db.transaction() as session:
            session.add(_company("kept"))
            started.set()
            await session.flush()
            await asyncio.sleep(60)  # cancelled here: the transaction rolls back

    task = asyncio.create_task(write())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with db.transaction() as session:
        assert await session.scalar(select(CompanyRow.id).where(CompanyRow.name == "kept")) is None
        session.add(_company("next"))
    async with db.transaction() as session:
        assert await session.scalar(select(CompanyRow.name).where(CompanyRow.name == "next")) == "next"
