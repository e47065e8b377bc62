"""Separate `interview-engine worker` processes sharing one PostgreSQL queue: every analysis and webhook
delivery is done exactly once by two workers at once; a worker killed (SIGKILL) while holding a delivery
leaves a lease that runs out, and the other worker delivers it then; SIGTERM stops a worker cleanly.
The leases themselves (claim, lapse, take-over, completion check) are checked on the store directly."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import func, select

from config.settings import Settings
from engine import poller
from engine.analysis import worker as analysis_worker
from engine.app import create_app
from engine.services import analyses, leases, webhooks
from engine.store.database import Database
from engine.store.tables import AnalysisRow, OutboxEventRow, WebhookAttemptRow, WebhookDeliveryRow
from engine.workers import open_workers
from tests.engine.analysis_helpers import STRONG, completed_session
from tests.engine.session_helpers import expect
from tests.helpers import ApiClients, StepClock
from tests.server_thread import ServerThread

EXE = Path(sys.executable).with_name("interview-engine")
LEASE_S = 2.0
SESSIONS = 4
ON_POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


@dataclass
class Receiver:
    """A webhook receiver on loopback that records each request's webhook-id and, while `hold` is set,
    keeps a webhook.test request waiting (as a stuck receiver would) until `released` is set."""

    received: list[str] = field(default_factory=list)
    hold: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        app = FastAPI()

        @app.post("/hooks")
        async def hook(request: Request) -> Response:
            kind = json.loads(await request.body())["type"]
            with self._lock:
                self.received.append(request.headers["webhook-id"])
            if kind == "webhook.test" and self.hold.is_set() and not self.released.is_set():
                self.holding.set()
                await asyncio.to_thread(self.released.wait, 30)
            return Response(status_code=200)

        self._thread = ServerThread(app)

    def start(self) -> None:
        self.url = self._thread.start() + "/hooks"

    def stop(self) -> None:
        self.released.set()
        self._thread.stop()

    def counts(self) -> collections.Counter[str]:
        with self._lock:
            return collections.Counter(self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        database_url=database_url,
        public_base_url="https://interviews.example.test",
        workers={"embedded": False, "lease_s": LEASE_S},
        webhooks={"allow_private": True, "retry_schedule_s": [0, 1], "poll_s": 0.2},
        analysis={"poll_s": 0.2, "use_llm": False},
    )


@pytest.fixture
async def engine(
    database_url: str, tmp_path: Path, clock: StepClock
) -> AsyncIterator[tuple[FastAPI, ApiClients, Settings]]:
    """The engine with its workers not embedded: it queues work and does none of it."""
    settings = _settings(database_url, tmp_path / "data")
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        clients = ApiClients(app, clock)
        try:
            yield app, clients, settings
        finally:
            await clients.aclose()


def _worker(settings: Settings) -> subprocess.Popen[bytes]:
    assert settings.database_url is not None
    env = {
        **os.environ,
        "IE_DATABASE_URL": settings.database_url,
        "IE_WORKERS__LEASE_S": str(LEASE_S),
        "IE_WEBHOOKS__ALLOW_PRIVATE": "true",
        "IE_WEBHOOKS__POLL_S": "0.2",
        "IE_WEBHOOKS__RETRY_SCHEDULE_S": "[0, 1]",
        "IE_ANALYSIS__POLL_S": "0.2",
        "IE_ANALYSIS__USE_LLM": "false",
        "IE_EMAIL__POLL_S": "0.5",
    }
    cmd = [str(EXE), "worker", "--data-dir", str(settings.data_dir)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def _until(database: Database, check: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        async with database.transaction() as db:
            if await check(db):
                return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def _all_done(db: Any) -> bool:
    open_analyses = await analyses.open_count(db)
    undispatched = await db.scalar(
        select(func.count()).select_from(OutboxEventRow).where(OutboxEventRow.dispatched_at.is_(None))
    )
    pending = await db.scalar(
        select(func.count()).select_from(WebhookDeliveryRow).where(WebhookDeliveryRow.status != "succeeded")
    )
    return bool(open_analyses == 0 and undispatched == 0 and pending == 0)


@ON_POSTGRES
async def test_two_workers_share_the_queue_and_survive_a_killed_one(
    engine: tuple[FastAPI, ApiClients, Settings], receiver: Receiver
) -> None:
    app, clients, settings = engine
    database: Database = app.state.services.database
    client = await clients.client("acme")
    expect(await client.post("/v1/webhook-endpoints", json={"url": receiver.url}), 201)
    sessions = [await completed_session(app, client, STRONG) for _ in range(SESSIONS)]
    async with database.transaction() as db:
        assert await analyses.open_count(db) == SESSIONS  # queued, and nobody here works on them

    workers = [_worker(settings), _worker(settings)]
    try:
        await _until(database, _all_done, 30, "the analyses and deliveries")

        async with database.transaction() as db:
            versions = list(await db.scalars(select(AnalysisRow)))
            deliveries = list(await db.scalars(select(WebhookDeliveryRow)))
            completed_events = list(
                await db.scalars(select(OutboxEventRow).where(OutboxEventRow.type == "analysis.completed"))
            )
        # Every analysis once: one attempt each, one analysis.completed event per session, no claim left.
        assert sorted(v.session_id for v in versions) == sorted(sessions)
        assert all(v.status == "COMPLETED" and v.attempts == 1 for v in versions), versions
        assert all(v.claim_token is None and v.claimed_until is None for v in versions)
        assert sorted(e.payload["data"]["session_id"] for e in completed_events) == sorted(sessions)
        # Every delivery once: each event id reached the receiver exactly one time.
        assert len(deliveries) >= 2 * SESSIONS  # session events and analysis.completed, at least
        assert all(d.attempts == 1 and d.claim_token is None for d in deliveries)
        counts = receiver.counts()
        assert sorted(counts) == sorted(d.event_id for d in deliveries)
        assert set(counts.values()) == {1}, counts

        # A worker dies holding a delivery: the receiver keeps the request waiting, the holder is killed.
        receiver.hold.set()
        endpoint_id = deliveries[0].endpoint_id
        test = expect(await client.post(f"/v1/webhook-endpoints/{endpoint_id}/test"), 202)
        assert await asyncio.to_thread(receiver.holding.wait, 20)
        async with database.transaction() as db:
            held = await db.scalar(select(WebhookDeliveryRow).where(WebhookDeliveryRow.id == test["id"]))
            assert held is not None
            assert held.claimed_by
            assert held.claimed_until
        holder_pid, lease_end = int(held.claimed_by.rsplit(":", 1)[1]), held.claimed_until
        (dead,) = [w for w in workers if w.pid == holder_pid]
        (survivor,) = [w for w in workers if w is not dead]
        dead.send_signal(signal.SIGKILL)
        dead.wait(10)
        receiver.released.set()

        async def delivered(db: Any) -> bool:
            row = await db.get(WebhookDeliveryRow, test["id"], populate_existing=True)
            return bool(row is not None and row.status == "succeeded")

        await _until(database, delivered, 20, "the other worker to deliver the dead one's claim")
        async with database.transaction() as db:
            row = await db.get(WebhookDeliveryRow, test["id"], populate_existing=True)
            assert row is not None
            assert row.attempts == 1
            assert row.claim_token is None
            attempts = list(
                await db.scalars(select(WebhookAttemptRow).where(WebhookAttemptRow.delivery_id == row.id))
            )
            # The killed attempt was never recorded; the survivor's was, once, and not before the dead
            # worker's lease (as last seen; renewals only push it later) ran out.
            assert len(attempts) == 1
            assert (
                attempts[0].attempted_at >= lease_end
            )  # the killed attempt was never recorded; the survivor's was, once
        # At least once: the receiver saw it from both, with the same id to de-duplicate on.
        assert receiver.counts()[row.event_id] == 2

        # SIGTERM: the survivor stops cleanly.
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(20) == 0
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)
            if worker.returncode not in (0, -signal.SIGKILL) and worker.stderr is not None:
                sys.stderr.write(worker.stderr.read().decode(errors="replace")[-4000:])


@ON_POSTGRES
async def test_a_lapsed_lease_is_claimed_again_and_only_the_holder_completes(
    engine: tuple[FastAPI, ApiClients, Settings], receiver: Receiver, clock: StepClock
) -> None:
    app, clients, _ = engine
    database: Database = app.state.services.database
    client = await clients.client("acme")
    endpoint = expect(await client.post("/v1/webhook-endpoints", json={"url": receiver.url}), 201)
    await completed_session(app, client, STRONG)
    lease = timedelta(seconds=LEASE_S)
    first, second = leases.Claim(lease, by="a:1"), leases.Claim(lease, by="b:2")
    now = clock.now()

    async with database.transaction() as db:
        taken = await analyses.claim_next(db, now, first)
        assert taken is not None
        assert taken.claimed_by == "a:1"
        analysis_id = taken.id
    async with database.transaction() as db:
        assert await analyses.claim_next(db, now + lease / 2, second) is None  # its lease is live
    async with database.transaction() as db:
        # The first worker is gone: past its lease the second claims the same analysis.
        again = await analyses.claim_next(db, now + lease * 2, second)
        assert again is not None
        assert again.id == analysis_id
        assert again.attempts == 2
    async with database.transaction() as db:
        assert await analyses.held(db, analysis_id, first) is None  # its completion would be dropped
        assert await analyses.held(db, analysis_id, second) is not None
        assert not await leases.extend(db, AnalysisRow, analysis_id, first, now + lease * 3)
    async with database.transaction() as db:
        assert await analyses.give_back(db, analysis_id, second, now)
    async with database.transaction() as db:
        row = await db.get(AnalysisRow, analysis_id, populate_existing=True)
        assert row is not None
        assert row.status == "PENDING"
        assert row.claimed_by is None

    sent = expect(await client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test"), 202)
    now = clock.now()  # the step clock moves on with each reading: after the delivery's due time
    # While one transaction has the row claimed (locked, not yet committed), another skips it.
    async with database.transaction() as db:
        assert await webhooks.claim(db, sent["id"], now, first) is not None
        async with database.transaction() as other:
            assert await webhooks.claim(other, sent["id"], now, second) is None
    async with database.transaction() as db:
        assert await webhooks.claim(db, sent["id"], now + lease / 2, second) is None
        assert [d.id for d in await webhooks.due(db, now, 10) if d.id == sent["id"]] == []
    async with database.transaction() as db:
        assert await webhooks.claim(db, sent["id"], now + lease * 2, second) is not None
    async with database.transaction() as db:
        assert await webhooks.held(db, sent["id"], first) is None
        assert await webhooks.held(db, sent["id"], second) is not None


def test_worker_command_is_listed() -> None:
    out = subprocess.run([str(EXE), "worker", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert "--data-dir" in out.stdout


async def test_a_stopping_worker_hands_its_analysis_back(
    engine: tuple[FastAPI, ApiClients, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, clients, settings = engine
    database: Database = app.state.services.database
    client = await clients.client("acme")
    await completed_session(app, client, STRONG)
    started = asyncio.Event()

    async def stuck(*_: Any) -> None:
        started.set()
        await asyncio.Event().wait()  # scoring that outlasts the stop's grace period

    monkeypatch.setattr(analysis_worker, "load_inputs", stuck)
    monkeypatch.setattr(poller, "STOP_GRACE_S", 0.2)
    async with open_workers(settings, database, app.state.services.clock) as workers:
        await asyncio.wait_for(started.wait(), 20)
        assert workers.analysis.running
        async with database.transaction() as db:
            (row,) = await db.scalars(select(AnalysisRow))
            assert row.status == "PROCESSING"
            assert row.claimed_by == leases.worker_name()
    async with database.transaction() as db:
        (row,) = await db.scalars(select(AnalysisRow).execution_options(populate_existing=True))
        # Free to claim at once, and the interrupted attempt not counted.
        assert (row.status, row.attempts, row.claimed_by, row.claimed_until) == ("PENDING", 0, None, None)
