"""Shared fixtures: the app over both real backends (SQLite file, throw-away PostgreSQL), a clock that
ticks, and HTTP clients holding API keys of separate companies."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from hypothesis import settings as hypothesis_settings

from config.settings import Settings
from engine.app import create_app
from tests.helpers import ApiClients, StepClock
from tests.llm_server import LlmServer
from tests.ports import reserved_port
from tests.postgres_server import PostgresServer, asyncpg_dsn, postgres_from_env

BACKENDS = ["sqlite", "postgres"]

# Apps that tests start (including servers in subprocesses, which inherit this) load the speech models
# (Whisper, the Piper voice) only when a live session needs them, not at every start-up.
os.environ.setdefault("IE_ASR__PRELOAD", "false")
os.environ.setdefault("IE_TTS__PRELOAD", "false")


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A PostgreSQL server for the whole run: IE_TEST_POSTGRES_URL, or a local one started here."""
    from_env = postgres_from_env()
    if from_env is not None:
        yield from_env
        return
    server = PostgresServer()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'engine.db'}"
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    name = f"t_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, _ = admin_url.rpartition("/")
    yield f"{base}/{name}"
    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
def reserve_port() -> Iterator[Callable[[], int]]:
    """Reserves a loopback port for a server the test starts, until the test ends (tests.ports)."""
    with ExitStack() as reservations:
        yield lambda: reservations.enter_context(reserved_port())


@pytest.fixture
def clock() -> StepClock:
    return StepClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("data"),
        database_url=database_url,
        public_base_url="https://interviews.example.test",
    )


@pytest.fixture
async def app(settings: Settings, clock: StepClock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def api(app: FastAPI, clock: StepClock) -> AsyncIterator[ApiClients]:
    clients = ApiClients(app, clock)
    try:
        yield clients
    finally:
        await clients.aclose()


@pytest.fixture
async def client(api: ApiClients) -> httpx.AsyncClient:
    """An all-scopes client of company 'acme'."""
    return await api.client("acme")


# CI must not flake on a lucky draw: under CI=true every hypothesis run replays the same examples.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(scope="module")
def llm_server() -> Iterator[LlmServer]:
    """The tests' OpenAI-compatible server on loopback, one per test module; each test `reset`s it."""
    server = LlmServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
