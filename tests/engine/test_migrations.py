"""Schema migrations on both backends: a fresh database reaches head, migrating again changes nothing,
a restarted app finds its data, and the models and the migrations describe the same schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from sqlalchemy import Connection, inspect, select

from config.settings import Settings
from engine.app import create_app
from engine.auth import ALL_SCOPES
from engine.store.database import MIGRATIONS, Database
from engine.store.tables import ApiKeyRow, Base, CompanyRow, JsonType, SessionRow, UTCDateTime
from tests.engine.analysis_helpers import STRONG, analysed, complete_with, scheduled
from tests.engine.session_helpers import listed
from tests.helpers import ApiClients, StepClock, profile_body

APP_TABLES = set(Base.metadata.tables)


def _alembic_config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _head() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def _snapshot(conn: Connection) -> dict[str, Any]:
    """Tables, columns, indexes, foreign keys and uniques, comparable between two points in time."""
    insp = inspect(conn)
    out: dict[str, Any] = {}
    for table in sorted(insp.get_table_names()):
        out[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(table)],
            "indexes": sorted((i["name"] or "", tuple(i["column_names"])) for i in insp.get_indexes(table)),
            "fks": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"]) for f in insp.get_foreign_keys(table)
            ),
            "uniques": sorted((u["name"] or "") for u in insp.get_unique_constraints(table)),
        }
    return out


async def _snapshot_of(db: Database) -> dict[str, Any]:
    async with db.engine.connect() as conn:
        return await conn.run_sync(_snapshot)


async def test_fresh_database_upgrades_to_head(database_url: str) -> None:
    db = Database(database_url)
    try:
        assert await db.current_revision() is None
        await db.migrate()
        assert await db.current_revision() == _head()
        tables = set(await _snapshot_of(db))
        assert tables == APP_TABLES | {"alembic_version"}
    finally:
        await db.dispose()


async def test_migrating_again_is_a_no_op(database_url: str, clock: StepClock) -> None:
    db = Database(database_url)
    try:
        await db.migrate()
        before = await _snapshot_of(db)
        async with db.transaction() as session:
            session.add(
                CompanyRow(id="c0000000-0000-0000-0000-000000000001", name="kept", created_at=clock.now())
            )
        await db.migrate()
        assert await db.current_revision() == _head()
        assert await _snapshot_of(db) == before
    finally:
        await db.dispose()
    # A second process (a new engine) finding a current schema changes nothing either.
    again = Database(database_url)
    try:
        await again.migrate()
        assert await _snapshot_of(again) == before
        async with again.transaction() as session:
            assert await session.scalar(select(CompanyRow.name)) == "kept"
    finally:
        await again.dispose()


async def test_models_and_migrations_describe_the_same_schema(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.migrate()
        async with db.engine.connect() as conn:
            diffs = await conn.run_sync(
                lambda sync_conn: compare_metadata(
                    MigrationContext.configure(
                        sync_conn, opts={"compare_type": True, "compare_server_default": True}
                    ),
                    Base.metadata,
                )
            )
        assert diffs == [], "models differ from the migrated schema; add a migration:\n" + "\n".join(
            map(str, diffs)
        )
    finally:
        await db.dispose()


async def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.migrate()
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda sync_conn: command.downgrade(_alembic_config(sync_conn), "base"))
        assert await db.current_revision() is None
        assert set(await _snapshot_of(db)) <= {"alembic_version"}
        await db.migrate()
        assert await db.current_revision() == _head()
        assert set(await _snapshot_of(db)) == APP_TABLES | {"alembic_version"}
    finally:
        await db.dispose()


async def test_0026_fills_the_stage_outcome_from_the_stored_results(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Sessions decided before 0026 keep their place in the lists: the column is filled from the JSON
    (each backend's syntax), and the filter finds them."""
    session = await scheduled(client)
    await complete_with(app, client, str(session["id"]), STRONG)
    await analysed(app, client, str(session["id"]))
    db: Database = app.state.services.database
    waiting = await listed(client, "/v1/sessions", stage_outcome="awaiting_approval")
    assert [s["id"] for s in waiting] == [session["id"]]
    await _to(db, "0025", "downgrade")
    assert "stage_outcome" not in {c for c, _, _ in (await _snapshot_of(db))["sessions"]["columns"]}
    await db.migrate()
    async with db.transaction() as tx:
        row = await tx.get(SessionRow, session["id"])
        assert row is not None
        assert (row.stage_outcome, row.stage_result and row.stage_result["outcome"]) == (
            "awaiting_approval",
            "awaiting_approval",
        )
    again = await listed(client, "/v1/sessions", stage_outcome="awaiting_approval")
    assert [s["id"] for s in again] == [session["id"]]


SCOPES_BEFORE_0007 = [s for s in ALL_SCOPES if not s.endswith(":api_keys")]
# Tables as revision 0006 left them (the models describe head), for writing and reading rows around 0007.
COMPANIES_0006 = sa.table(
    "companies", sa.column("id"), sa.column("name"), sa.column("created_at", UTCDateTime())
)
KEYS_0006 = sa.table(
    "api_keys",
    sa.column("id"),
    sa.column("company_id"),
    sa.column("name"),
    sa.column("secret_hash"),
    sa.column("scopes", JsonType),
    sa.column("created_at", UTCDateTime()),
)
RECRUITERS_0006 = sa.table(
    "recruiters",
    sa.column("id"),
    sa.column("company_id"),
    sa.column("email"),
    sa.column("name"),
    sa.column("password_hash"),
    sa.column("scopes", JsonType),
    sa.column("failed_logins"),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)


async def _to(db: Database, revision: str, direction: str = "upgrade") -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(
            lambda sync_conn: getattr(command, direction)(_alembic_config(sync_conn), revision)
        )


async def _scopes(db: Database) -> dict[str, list[str]]:
    async with db.engine.connect() as conn:
        keys = (await conn.execute(select(KEYS_0006.c.id, KEYS_0006.c.scopes))).all()
        people = (await conn.execute(select(RECRUITERS_0006.c.email, RECRUITERS_0006.c.scopes))).all()
    return {str(name): list(scopes) for name, scopes in [*keys, *people]}


async def test_holders_of_every_scope_keep_every_scope_across_0007(
    database_url: str, clock: StepClock
) -> None:
    """The api_keys scopes came with 0007: an all-scopes key or recruiter gets them, a narrow one not;
    downgrading takes them back."""
    db = Database(database_url)
    company, now = "c0000000-0000-0000-0000-000000000001", clock.now()
    admin, narrow = "a" * 16, "b" * 16
    try:
        await _to(db, "0006")
        async with db.engine.begin() as conn:
            await conn.execute(sa.insert(COMPANIES_0006).values(id=company, name="acme", created_at=now))
            for key_id, scopes in ((admin, SCOPES_BEFORE_0007), (narrow, ["read:sessions"])):
                await conn.execute(
                    sa.insert(KEYS_0006).values(
                        id=key_id,
                        company_id=company,
                        name=key_id,
                        secret_hash="0" * 64,
                        scopes=scopes,
                        created_at=now,
                    )
                )
            await conn.execute(
                sa.insert(RECRUITERS_0006).values(
                    id="d0000000-0000-0000-0000-000000000001",
                    company_id=company,
                    email="rita@acme.com",
                    name="Rita",
                    password_hash="x",
                    scopes=SCOPES_BEFORE_0007,
                    failed_logins=0,
                    created_at=now,
                    updated_at=now,
                )
            )
        before = await _scopes(db)
        await db.migrate()
        after = await _scopes(db)
        assert set(after[admin]) == set(ALL_SCOPES)
        assert set(after["rita@acme.com"]) == set(ALL_SCOPES)
        assert after[narrow] == ["read:sessions"]
        async with db.transaction() as session:
            assert (await session.get(ApiKeyRow, admin)) is not None  # the models read the migrated rows
        await _to(db, "0006", "downgrade")
        assert await _scopes(db) == before
        await db.migrate()
        assert await _scopes(db) == after
    finally:
        await db.dispose()


async def _create_profile_and_key(settings: Settings, clock: StepClock) -> tuple[str, str]:
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        api = ApiClients(app, clock)
        try:
            key = await api.key("acme")
            client = api.raw_client({"Authorization": f"Bearer {key}"})
            r = await client.post("/v1/agent-profiles", json=profile_body())
            assert r.status_code == 201, r.text
            return key, str(r.json()["id"])
        finally:
            await api.aclose()


async def _get_profile(settings: Settings, clock: StepClock, key: str, profile_id: str) -> httpx.Response:
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers={"Authorization": f"Bearer {key}"}
        ) as client:
            return await client.get(f"/v1/agent-profiles/{profile_id}")


async def test_restarted_app_keeps_its_data(settings: Settings, clock: StepClock) -> None:
    key, profile_id = await _create_profile_and_key(settings, clock)
    r = await _get_profile(settings, clock, key, profile_id)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == profile_body()["name"]


async def test_default_sqlite_data_dir_is_created_then_reused(
    tmp_path: Path, clock: StepClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("IE_DATABASE_URL", "DATABASE_URL", "IE_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    data_dir = tmp_path / "does" / "not" / "exist" / "yet"
    settings = Settings(_env_file=None, data_dir=data_dir)
    assert settings.database_url is None
    key, profile_id = await _create_profile_and_key(settings, clock)
    database_file = data_dir / "interview-engine.db"
    assert database_file.is_file()
    size = database_file.stat().st_size

    again = Settings(_env_file=None, data_dir=data_dir)
    r = await _get_profile(again, clock, key, profile_id)
    assert r.status_code == 200, r.text
    # The database, and the key its stored secrets are encrypted with (engine/secret_box.py).
    assert sorted(p.name for p in data_dir.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        "interview-engine.db",
        "secrets.key",
    ]
    assert database_file.stat().st_size >= size
