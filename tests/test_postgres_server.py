"""Tests for the throw-away PostgreSQL helper used by the database tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.postgres_server import (
    ENV_URL,
    PostgresServer,
    asyncpg_dsn,
    find_pg_bin_dir,
    postgres_from_env,
)


@pytest.fixture(scope="module")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_create_database_and_query(pg_server: PostgresServer) -> None:
    assert pg_server.running
    assert pg_server.url == f"postgresql+asyncpg://ie_test@127.0.0.1:{pg_server.port}/postgres"

    url = pg_server.create_database("ie_helper_check")
    assert url == f"postgresql+asyncpg://ie_test@127.0.0.1:{pg_server.port}/ie_helper_check"

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        assert await conn.fetchval("select 1") == 1
        assert await conn.fetchval("select current_database()") == "ie_helper_check"
        assert await conn.fetchval("show server_encoding") == "UTF8"
    finally:
        await conn.close()

    pg_server.drop_database("ie_helper_check")
    pg_server.drop_database("ie_helper_check")  # --if-exists: dropping twice is fine


def test_stop_is_idempotent_and_removes_data_dir() -> None:
    server = PostgresServer()
    server.start()
    data_dir = server.data_dir
    assert data_dir.is_dir()
    server.stop()
    server.stop()
    assert not server.running
    assert not data_dir.exists()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_rejects_unsafe_database_names(pg_server: PostgresServer) -> None:
    with pytest.raises(ValueError, match="invalid database name"):
        pg_server.create_database('x"; drop database postgres; --')


def test_missing_initdb_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="make test"):
        find_pg_bin_dir(str(tmp_path / "*" / "bin" / "initdb"), use_path=False)


def test_postgres_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_URL, raising=False)
    assert postgres_from_env() is None
    monkeypatch.setenv(ENV_URL, "postgresql+asyncpg://me@db.example:5433/postgres")
    assert postgres_from_env() == "postgresql+asyncpg://me@db.example:5433/postgres"


def test_asyncpg_dsn() -> None:
    assert asyncpg_dsn("postgresql+asyncpg://u@h:1/d") == "postgresql://u@h:1/d"
    assert asyncpg_dsn("postgresql://u@h:1/d") == "postgresql://u@h:1/d"
