"""Several engines on one PostgreSQL database: a join offer that reaches an engine not holding the live
interview is forwarded to the one that does; a draining engine sends new interviews to another and
stops once its own have ended; a dead engine's interview is taken over by exactly one other.

The engines are apps of this process, served over real HTTP (engine.serving's server in threads) where
forwarding needs it; their peers are aiortc offers that never connect (the engine's live session waits
for them, so nothing spends CPU on audio)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from config.enums import SessionStatus
from config.settings import Settings
from engine.app import create_app
from engine.clock import SystemClock
from engine.services import nodes
from engine.store.database import Database
from engine.store.tables import EngineNodeRow, LiveOwnerRow, SessionRow
from tests.engine.node_helpers import (
    EngineThread,
    api_key,
    book_two,
    live_of,
    node_settings,
    offer,
    registry_rows,
    underway,
)
from tests.engine.session_helpers import expect
from tests.helpers import ApiClients, StepClock

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

# Long enough for every step before it; after it the unconnected peer's session ends by itself (LOST).
CONNECT_TIMEOUT_S = 12.0
# Where nothing listens: forwarding there fails at once (connection refused).
NOWHERE = "http://127.0.0.1:9"


async def test_offers_are_forwarded_to_the_holder_and_a_draining_engine_sends_new_ones_elsewhere(
    settings: Settings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    reserve_port: Callable[[], int],
) -> None:
    caplog.set_level(logging.INFO, logger="engine.live.forward")
    database = Database(settings.resolved_database_url)
    await database.migrate()  # before the engines: they would otherwise migrate at once
    ports = reserve_port(), reserve_port()
    # A's interview ends by itself (its peer never connects) while A drains; B's stays up.
    timeouts = CONNECT_TIMEOUT_S, 120.0
    a, b = (
        EngineThread(
            create_app(
                node_settings(
                    settings, tmp_path, name, url=f"http://127.0.0.1:{port}", connect_timeout_s=timeout
                )
            ),
            port,
        )
        for name, port, timeout in zip(("a", "b"), ports, timeouts, strict=True)
    )
    a.start()
    b.start()
    try:
        key = await api_key(database, SystemClock())
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
            async with httpx.AsyncClient(base_url=a.url, headers=http.headers, timeout=60) as client:
                (first, first_token), (second, second_token) = await book_two(client)
            node_a, node_b = live_of(a.app).node, live_of(b.app).node
            assert node_a is not None
            assert node_b is not None

            # The interview starts on A; the page reloads and its offer reaches B: B forwards it to A,
            # which holds the interview, and passes A's answer back.
            await underway(database, first)
            pc1, started = await offer(http, a.url, first_token)
            assert started.status_code == 200, started.text
            assert (await registry_rows(database))[1] == {first: node_a.id}
            pc2, reloaded = await offer(http, b.url, first_token)
            assert reloaded.status_code == 200, reloaded.text
            assert reloaded.json()["type"] == "answer"
            assert live_of(a.app).get(first) is not None
            assert live_of(b.app).get(first) is None
            assert (await registry_rows(database))[1] == {first: node_a.id}
            assert f"join offer forwarded to engine {node_a.id} (held by another engine): 200" in caplog.text
            # The state is the database's: any engine answers it.
            assert expect(await http.get(f"{b.url}/join/{first_token}/state"), 200)["session_id"] == first

            # SIGTERM on A: it drains. A new interview that reaches it goes to B, the engine taking new
            # ones; the one running on A goes on (a reload of it is still A's).
            a.terminate()
            for _ in range(100):
                if (await registry_rows(database))[0].get(node_a.id):
                    break
                await asyncio.sleep(0.05)
            assert (await registry_rows(database))[0] == {node_a.id: True, node_b.id: False}
            pc3, elsewhere = await offer(http, a.url, second_token)
            assert elsewhere.status_code == 200, elsewhere.text
            assert live_of(b.app).get(second) is not None
            assert live_of(a.app).get(second) is None
            assert "join offer forwarded to engine - (this engine is draining): 200" in caplog.text
            assert (await registry_rows(database))[1] == {first: node_a.id, second: node_b.id}
            assert a.thread.is_alive()
            assert expect(await http.get(f"{a.url}/healthz"), 200) == {"status": "ok"}

            # A's interview ends (its peer never connected): A stops long before its 600 s drain limit,
            # and leaves the registry; the session stays resumable.
            began = time.monotonic()
            a.thread.join(CONNECT_TIMEOUT_S + 20)
            assert not a.thread.is_alive()
            assert time.monotonic() - began < CONNECT_TIMEOUT_S + 20
            engines, owners = await registry_rows(database)
            assert engines == {node_b.id: False}
            assert owners == {second: node_b.id}
            state = expect(await http.get(f"{b.url}/join/{first_token}/state"), 200)
            assert (state["status"], state["joinable"], state["resume"]) == ("in_progress", True, True)
            for pc in (pc1, pc2, pc3):
                await pc.close()
    finally:
        if a.thread.is_alive():
            a.stop()
        b.stop()
        await database.dispose()
    # B stopped cleanly: nothing of either engine is left in the registry.
    database = Database(settings.resolved_database_url)
    try:
        assert await registry_rows(database) == ({}, {})
    finally:
        await database.dispose()


async def test_a_dead_engines_interview_is_taken_over_exactly_once(
    settings: Settings, clock: StepClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="engine.live.node")
    apps = [
        create_app(node_settings(settings, tmp_path, name, url=NOWHERE, connect_timeout_s=30.0), clock=clock)
        for name in ("b", "c")
    ]
    async with apps[0].router.lifespan_context(apps[0]), apps[1].router.lifespan_context(apps[1]):
        api = ApiClients(apps[0], clock)
        try:
            (session_id, token), _ = await book_two(await api.client())
            database = apps[0].state.services.database
            b, c = (live_of(app).node for app in apps)
            assert b is not None
            assert c is not None

            # The interview was live on an engine whose heartbeat stopped a minute ago.
            async def died_holding_it() -> None:
                async with database.transaction() as db:
                    await db.execute(update(LiveOwnerRow).values(node_id="dead"))
                    dead = await db.get(EngineNodeRow, "dead")
                    if dead is None:
                        db.add(
                            EngineNodeRow(
                                id="dead",
                                url=NOWHERE,
                                started_at=clock.now() - timedelta(hours=1),
                                heartbeat_at=clock.now() - timedelta(minutes=1),
                                draining=False,
                            )
                        )
                        db.add(LiveOwnerRow(session_id=session_id, node_id="dead", since=clock.now()))
                    row = await db.get(SessionRow, session_id)
                    assert row is not None
                    row.status = SessionStatus.IN_PROGRESS.value
                    row.dialogue_state = {"asked": 2}

            # B and C race for it, again and again: one takes it over, the other finds it held.
            for _ in range(10):
                await died_holding_it()

                async def claim(node_id: str) -> nodes.Claimed | nodes.Owner:
                    async with database.transaction() as db:
                        now = clock.now()
                        return await nodes.claim(db, session_id, node_id, now, now - timedelta(seconds=20))

                outcomes = await asyncio.gather(claim(b.id), claim(c.id))
                taken = [o for o in outcomes if isinstance(o, nodes.Claimed)]
                assert taken == [nodes.Claimed(took_over_from="dead")], outcomes
                (held,) = [o for o in outcomes if isinstance(o, nodes.Owner)]
                winner = b.id if outcomes[0] == taken[0] else c.id
                assert held.node_id == winner
                assert (await registry_rows(database))[1] == {session_id: winner}

            # Through the join link, on both engines at once: one resumes the interview (where it
            # stopped), the other forwards to it, which here cannot be reached: 503, try again.
            await died_holding_it()
            clients = [
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
                for app in apps
            ]
            results = await asyncio.gather(*(offer(client, "", token) for client in clients))
            statuses = [response.status_code for _, response in results]
            assert sorted(statuses) == [200, 503], [response.text for _, response in results]
            won = statuses.index(200)
            assert results[1 - won][1].headers["retry-after"] == "20"
            resumed = live_of(apps[won]).get(session_id)
            assert resumed is not None
            assert resumed.interview.progress == {"asked": 2}
            assert live_of(apps[1 - won]).get(session_id) is None
            assert (await registry_rows(database))[1] == {session_id: (b, c)[won].id}
            assert caplog.text.count("stopped answering; this engine takes the interview over") == 1
            for pc, _ in results:
                await pc.close()
            for client in clients:
                await client.aclose()
        finally:
            await api.aclose()
