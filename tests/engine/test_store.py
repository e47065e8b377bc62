"""The store's own guarantees on both backends: transactions roll back, foreign keys hold (SQLite only
enforces them when asked), times come back as aware UTC, and cursors are checked before use."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from engine.errors import BadRequest
from engine.store.database import Database
from engine.store.pagination import decode_cursor, encode_cursor
from engine.store.tables import ApiKeyRow, CompanyRow
from tests.helpers import StepClock, participant_body


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    try:
        await database.migrate()
        yield database
    finally:
        await database.dispose()


def _company(name: str, created_at: datetime) -> CompanyRow:
    return CompanyRow(id=str(uuid.uuid4()), name=name, created_at=created_at)


class Boom(Exception):
    pass


async def _add_flush_and_fail(db: Database, row: CompanyRow) -> None:
    async with db.transaction() as session:
        session.add(row)
        await session.flush()  # the row reached the database inside the transaction
        assert await session.scalar(select(CompanyRow.name)) == row.name
        raise Boom


async def _add_both(db: Database, *rows: CompanyRow) -> None:
    async with db.transaction() as session:
        session.add_all(rows)


async def test_transaction_commits_on_success(db: Database, clock: StepClock) -> None:
    async with db.transaction() as session:
        session.add(_company("committed", clock.now()))
    async with db.transaction() as session:
        assert await session.scalar(select(CompanyRow.name)) == "committed"


async def test_transaction_rolls_back_on_exception(db: Database, clock: StepClock) -> None:
    with pytest.raises(Boom):
        await _add_flush_and_fail(db, _company("flushed then lost", clock.now()))
    async with db.transaction() as session:
        assert (await session.scalars(select(CompanyRow))).all() == []


async def test_failed_commit_leaves_nothing_behind(db: Database, clock: StepClock) -> None:
    async with db.transaction() as session:
        session.add(_company("taken", clock.now()))
    fresh, duplicate = _company("fresh", clock.now()), _company("taken", clock.now())
    with pytest.raises(IntegrityError):  # unique name: the flush at commit fails
        await _add_both(db, fresh, duplicate)
    async with db.transaction() as session:
        assert list((await session.scalars(select(CompanyRow.name))).all()) == ["taken"]


async def test_foreign_keys_are_enforced(db: Database, clock: StepClock) -> None:
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(
                ApiKeyRow(
                    id="0123456789abcdef",
                    company_id=str(uuid.uuid4()),  # no such company
                    name="orphan",
                    secret_hash="0" * 64,
                    scopes=[],
                    created_at=clock.now(),
                )
            )
    async with db.transaction() as session:
        assert (await session.scalars(select(ApiKeyRow))).all() == []


async def test_sqlite_connections_have_foreign_keys_and_wal_on(db: Database) -> None:
    if db.dialect != "sqlite":
        assert db.dialect == "postgresql"
        return
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"


async def test_utc_datetime_round_trips_as_aware_utc(db: Database) -> None:
    samples = {
        "utc": datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC),
        "plus": datetime(2026, 3, 2, 14, 30, 0, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        "minus": datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-10))),
        "early": datetime(1, 1, 1, 0, 0, tzinfo=UTC),
        "late": datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    }
    async with db.transaction() as session:
        for name, when in samples.items():
            session.add(CompanyRow(id=str(uuid.uuid4()), name=name, created_at=when))
    async with db.transaction() as session:
        rows = {r.name: r.created_at for r in (await session.scalars(select(CompanyRow))).all()}
    for name, when in samples.items():
        stored = rows[name]
        assert stored == when, name  # the same instant
        assert stored.tzinfo is UTC, name
        assert stored.utcoffset() == timedelta(0)
    # Ordering in SQL agrees with ordering of the instants, offsets notwithstanding.
    async with db.transaction() as session:
        ordered = list((await session.scalars(select(CompanyRow.name).order_by(CompanyRow.created_at))).all())
    assert ordered == sorted(samples, key=lambda n: samples[n])


async def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(StatementError, match="naive datetimes"):
        async with db.transaction() as session:
            session.add(_company("naive", datetime(2026, 3, 2, 9, 0)))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


GARBAGE_CURSORS = [
    "!!!",
    "Z",
    "Zm9v",  # "foo"
    _b64(b"\xff\xfe\x00"),
    _b64(b"null"),
    _b64(b'{"a": 1, "b": 2}'),
    _b64(b'["2026-03-02T09:00:00+00:00"]'),
    _b64(b'["2026-03-02T09:00:00+00:00", "a", "b"]'),
    _b64(b'["2026-03-02T09:00:00", "x"]'),  # naive
    _b64(b'["not a time", "x"]'),
    _b64(b'[1, "x"]'),
    _b64(b'["2026-03-02T09:00:00+00:00", 7]'),
    _b64(b'["2026-03-02T09:00:00+00:00", ""]'),
    _b64(b'["2026-03-02T09:00:00+00:00", "x\\u0000y"]'),  # NUL: PostgreSQL cannot bind it
    _b64(b'["2026-03-02T09:00:00+00:00", "\\ud800"]'),  # lone surrogate: not encodable
    _b64(b'["0001-01-01T00:00:00+01:00", "x"]'),  # year 0 in UTC
    _b64(b'["9999-12-31T23:59:59-01:00", "x"]'),  # year 10000 in UTC
    _b64(b"[" * 5000 + b"]" * 5000),  # deeper than json will recurse
]


@pytest.mark.parametrize("cursor", GARBAGE_CURSORS)
def test_decode_cursor_rejects_garbage_with_400_naming_cursor(cursor: str) -> None:
    with pytest.raises(BadRequest) as exc:
        decode_cursor(cursor)
    assert exc.value.status_code == 400
    assert exc.value.details == {"fields": [{"path": "cursor", "message": "invalid"}]}
    assert exc.value.message.startswith("cursor:")


def test_cursor_round_trips_in_utc() -> None:
    when = datetime(2026, 3, 2, 14, 30, 0, 5, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    row_id = str(uuid.uuid4())
    decoded, decoded_id = decode_cursor(encode_cursor(when, row_id))
    assert (decoded, decoded_id) == (when, row_id)
    assert decoded.tzinfo is UTC
    event_id = "evt_0001" + "ab" * 12
    assert decode_cursor(encode_cursor(when, event_id))[1] == event_id


@given(st.text(max_size=600) | st.binary(max_size=400).map(_b64))
def test_decode_cursor_only_ever_returns_a_cursor_or_raises_bad_request(cursor: str) -> None:
    try:
        created, row_id = decode_cursor(cursor)
    except BadRequest as exc:
        details = exc.details
    else:
        assert created.tzinfo is UTC
        assert row_id.isascii()
        assert row_id.isprintable()
        return
    assert details == {"fields": [{"path": "cursor", "message": "invalid"}]}


async def test_api_rejects_garbage_cursors_with_400_naming_cursor(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/participants", json=participant_body())).status_code == 201
    for path in ("/v1/participants", "/v1/sessions", "/v1/templates", "/v1/agent-profiles", "/v1/events"):
        for cursor in GARBAGE_CURSORS:
            if len(cursor) > 512:
                continue  # the parameter's own length limit answers that one with 422
            r = await client.get(path, params={"cursor": cursor})
            assert r.status_code in (400, 422), (path, cursor, r.text)
            fields = r.json()["error"]["details"]["fields"]
            assert fields[0]["path"] == "cursor", (path, cursor, r.text)
            if r.status_code == 400:
                assert r.json()["error"]["code"] == "bad_request"


async def test_api_accepts_the_cursors_it_returns(client: httpx.AsyncClient) -> None:
    for i in range(5):
        r = await client.post("/v1/participants", json=participant_body(email=f"p{i}@example.com"))
        assert r.status_code == 201, r.text
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/participants", params=params)).json()
        seen += [p["email"] for p in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))[1]
    assert seen == [f"p{i}@example.com" for i in reversed(range(5))]
