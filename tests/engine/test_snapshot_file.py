"""A recording downloaded while it is still being written: exactly the bytes declared, a valid WAV."""

from __future__ import annotations

import io
import os
import wave
from pathlib import Path

import httpx
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from engine.api.snapshot_file import SnapshotFileResponse
from engine.live.registry import recording_name
from engine.store.tables import SessionRow
from tests.engine.live_helpers import booked_session
from tests.engine.test_session_media_api import seed_media
from tests.helpers import ApiClients


def _wav(frames: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(bytes(range(256)) * (frames * 4 // 256))
    return out.getvalue()


def _growing_app(path: Path, grow_by: bytes) -> Starlette:
    """Stats the file, then lets it grow before the response is sent: what a recorder does meanwhile."""

    async def serve(request: Request) -> SnapshotFileResponse:
        stat = os.stat(path)
        with path.open("ab") as file:
            file.write(grow_by)
        return SnapshotFileResponse(path, stat_result=stat, media_type="audio/wav")

    return Starlette(routes=[Route("/f", serve)])


async def test_a_growing_file_is_sent_as_the_snapshot_declared(tmp_path: Path) -> None:
    original = _wav(64_000)  # 256 KB: several 64 KiB chunks
    path = tmp_path / "rec.wav"
    path.write_bytes(original)
    app = _growing_app(path, b"\x01" * 100_000)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        whole = await client.get("/f")
        assert whole.status_code == 200
        assert int(whole.headers["content-length"]) == len(whole.content)
        assert whole.content[: len(original)] == original
        assert len(whole.content) == len(original)  # nothing past the size stat saw
        tail = await client.get("/f", headers={"Range": "bytes=-10"})
        assert tail.status_code == 206
        # The snapshot is the size stat saw when this request began: the file grew by then too.
        size_then = len(original) + 100_000
        assert tail.headers["content-range"] == f"bytes {size_then - 10}-{size_then - 1}/{size_then}"
        assert tail.content == b"\x01" * 10


async def test_a_header_ahead_of_the_data_is_rewritten_to_what_is_sent(tmp_path: Path) -> None:
    # The recorder rewrites the header after each flush: read after the stat, it may count more audio.
    full = _wav(10_000)
    path = tmp_path / "rec.wav"
    path.write_bytes(full[: 44 + 4_000 * 4 + 2])  # 4,000 whole frames and half of one
    app = _growing_app(path, b"")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        body = (await client.get("/f")).content
        head = (await client.get("/f", headers={"Range": "bytes=0-43"})).content
    assert len(body) == 44 + 4_000 * 4 + 2
    with wave.open(io.BytesIO(body)) as wav:
        assert wav.getnframes() == 4_000
    assert head == body[:44]


async def test_the_recording_endpoint_serves_a_consistent_snapshot(app: FastAPI, api: ApiClients) -> None:
    client = await api.client()
    session_id, _ = await booked_session(client)
    content = await seed_media(app, session_id)
    services = app.state.services
    async with services.database.transaction() as db:
        session = await db.get(SessionRow, session_id)
        assert session is not None
        path = services.settings.recordings_dir / recording_name(session.company_id, session_id)
    path.write_bytes(content[:-1000])  # the header on disk counts 1,000 bytes not there yet
    served = await client.get(f"/v1/sessions/{session_id}/recording")
    assert served.status_code == 200
    assert served.content[44:] == content[44:-1000]
    with wave.open(io.BytesIO(served.content)) as wav:
        assert wav.getnframes() == (len(content) - 1000 - 44) // 4
