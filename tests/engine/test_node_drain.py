"""SIGTERM on `interview-engine serve` with an interview live: the engine drains (new interviews get 503
with Retry-After while the API stays up), interrupts the interview once IE_NODE__DRAIN_S has passed,
leaves it resumable, leaves the node registry, and exits 0."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from config.enums import SessionStatus
from config.settings import Settings
from engine.clock import SystemClock
from engine.live.node import DRAINING_RETRY_AFTER_S
from engine.store.database import Database
from engine.store.tables import SessionRow
from tests.engine.node_helpers import api_key, book_two, offer, registry_rows, underway
from tests.engine.process_helpers import ChildProcess

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

START_TIMEOUT_S = 60.0
DRAIN_S = 3.0


async def test_sigterm_drains_then_exits_0_leaving_the_interview_resumable(
    settings: Settings, tmp_path: Path, reserve_port: Callable[[], int]
) -> None:
    database = Database(settings.resolved_database_url)
    await database.migrate()
    port = reserve_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "IE_DATABASE_URL": settings.resolved_database_url,
        "IE_NODE__DRAIN_S": str(DRAIN_S),
        # The peer never connects: its session stays live past the drain limit.
        "IE_MEDIA__CONNECT_TIMEOUT_S": "120",
    }
    engine = ChildProcess(
        "engine", ["serve", "--data-dir", str(tmp_path / "data"), "--port", str(port)], env, tmp_path
    )
    try:
        with engine:
            await engine.until_healthy(url, START_TIMEOUT_S)
            await drain_and_check(engine, database, url)
    finally:
        await database.dispose()


async def drain_and_check(engine: ChildProcess, database: Database, url: str) -> None:
    key = await api_key(database, SystemClock())
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as http:
        (first, first_token), (_, second_token) = await book_two(http)
        await underway(database, first)
        pc1, started = await offer(http, url, first_token)
        assert started.status_code == 200, started.text
        (node_id,) = (await registry_rows(database))[0]

        engine.process.send_signal(signal.SIGTERM)
        for _ in range(200):
            if (await registry_rows(database))[0].get(node_id):
                break
            await asyncio.sleep(0.02)
        began = time.monotonic()
        # Draining: a new interview is refused (no other engine takes new ones), the API answers.
        pc2, refused = await offer(http, url, second_token)
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"] == str(DRAINING_RETRY_AFTER_S)
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get(f"/v1/sessions/{first}")).json()["status"] == "in_progress"
        for pc in (pc1, pc2):
            await pc.close()

    # The limit passes with the interview still live: it is interrupted, and the process exits 0.
    assert await asyncio.to_thread(engine.process.wait, 30) == 0, engine.log()
    assert time.monotonic() - began >= DRAIN_S - 0.5
    text = engine.err.read_text()
    assert "interrupting 1 interview(s) still live; they stay resumable" in text
    assert f"session {first} ended: shutdown" in text
    assert await registry_rows(database) == ({}, {})
    async with database.transaction() as db:
        row = await db.get(SessionRow, first)
        assert row is not None
        assert row.status == SessionStatus.IN_PROGRESS.value
        assert (row.dialogue_state or {}).get("asked") == 2
