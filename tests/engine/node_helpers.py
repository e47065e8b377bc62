"""Engines as nodes on one database, for the multi-node tests: booking, offers, the registry's rows."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from aiortc import RTCPeerConnection
from fastapi import FastAPI
from sqlalchemy import select

from config.enums import SessionStatus
from config.settings import NodeSettings, Settings
from engine.auth import issue_api_key
from engine.clock import Clock
from engine.live.registry import LiveSessions
from engine.serving import DrainingServer
from engine.store.database import Database
from engine.store.tables import EngineNodeRow, LiveOwnerRow, SessionRow
from tests.engine.live_helpers import booked_session
from tests.engine.session_helpers import book, expect, inline_participant

__all__ = [
    "EngineThread",
    "api_key",
    "book_two",
    "live_of",
    "node_settings",
    "offer",
    "registry_rows",
    "underway",
]


def node_settings(settings: Settings, tmp_path: Path, name: str, *, url: str, **media: float) -> Settings:
    """`settings` as one engine of several: its own data directory, the URL it advertises."""
    port = int(url.rsplit(":", 1)[1])
    return settings.model_copy(
        update={
            "data_dir": tmp_path / name,
            "port": port,
            "node": NodeSettings(url=url),
            "media": settings.media.model_copy(update=media),
        }
    )


async def api_key(database: Database, clock: Clock) -> str:
    async with database.transaction() as db:
        issued = await issue_api_key(db, "acme", clock)
    return issued.secret_key


async def book_two(client: httpx.AsyncClient, skills: list[str] | None = None) -> list[tuple[str, str]]:
    """Two sessions of one stage (of a template with `skills`): (session id, join token) each."""
    first = await booked_session(client, skills)
    stage_id = expect(await client.get(f"/v1/sessions/{first[0]}"), 200)["stage_id"]
    second = await book(client, stage_id=stage_id, participant=inline_participant())
    return [first, (str(second["id"]), str(second["join_url"]).rsplit("/", 1)[1])]


async def offer(
    http: httpx.AsyncClient, base_url: str, token: str
) -> tuple[RTCPeerConnection, httpx.Response]:
    """A browser's offer (audio and the events channel, ICE gathered) POSTed to `base_url`; the peer is
    never connected, so the engine's live session waits (IE_MEDIA__CONNECT_TIMEOUT_S) for it."""
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="sendrecv")
    pc.createDataChannel("events")
    await pc.setLocalDescription(await pc.createOffer())
    body = {"sdp": pc.localDescription.sdp, "type": "offer", "consent": True}
    return pc, await http.post(f"{base_url}/join/{token}/offer", json=body)


async def underway(database: Database, session_id: str) -> None:
    """As if the interview had begun (the peers here never connect, so it would stay scheduled): in
    progress, two questions asked."""
    async with database.transaction() as db:
        row = await db.get(SessionRow, session_id)
        assert row is not None
        row.status = SessionStatus.IN_PROGRESS.value
        row.dialogue_state = {"asked": 2}


def live_of(app: FastAPI) -> LiveSessions:
    live: LiveSessions = app.state.services.live
    return live


async def registry_rows(database: Database) -> tuple[dict[str, bool], dict[str, str]]:
    """{node id: draining} and {session id: node id holding it}."""
    async with database.transaction() as db:
        engines = {row.id: row.draining for row in await db.scalars(select(EngineNodeRow))}
        owners = {row.session_id: row.node_id for row in await db.scalars(select(LiveOwnerRow))}
    return engines, owners


@dataclass
class EngineThread:
    """An engine served by engine.serving's server in a background thread on a known port (its URL is in
    the registry before it listens). `terminate()` does what SIGTERM does (there are no signal handlers
    outside the main thread)."""

    app: FastAPI
    port: int

    def __post_init__(self) -> None:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_config=None, access_log=False, lifespan="on"
        )
        self.server = DrainingServer(config, self.app)
        self.thread = threading.Thread(target=self.server.run, name=f"engine-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> EngineThread:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert self.thread.is_alive(), "the engine exited during start-up"
            assert time.monotonic() < deadline, "the engine did not start within 60 s"
            time.sleep(0.02)
        return self

    def terminate(self) -> None:
        self.server.handle_exit(15, None)  # signal.SIGTERM

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        assert not self.thread.is_alive(), "the engine did not shut down"
