"""Finished recordings in an S3-compatible bucket (a real moto server on loopback): uploaded by the
durable pass, still pending after the store was down and uploaded once an engine starts again, served
with Range from the bucket once the local file is gone, and a 503 (not a 500) while the store is down."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from fastapi import FastAPI
from moto.server import ThreadedMotoServer
from sqlalchemy import select

from config.settings import ObjectStoreSettings, RecordingSettings, Settings
from engine.api.session_media import single_range
from engine.app import create_app
from engine.clock import Clock
from engine.errors import RangeNotSatisfiable
from engine.live.registry import recording_name
from engine.services.analyses import COMPLETED
from engine.storage.object_store import ObjectStore
from engine.storage.uploads import upload_pending
from engine.store.tables import RecordingRow, SessionRow
from tests.engine.live_helpers import booked_session
from tests.engine.test_session_media_api import seed_media
from tests.helpers import ApiClients, StepClock
from tests.ports import free_port, reserved_port

BUCKET = "recordings"


@pytest.fixture
def s3() -> Iterator[ThreadedMotoServer]:
    with reserved_port() as reserved:
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=reserved, verbose=False)
        server.start()
    host, port = server.get_host_and_port()
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket=BUCKET)
    try:
        yield server
    finally:
        server.stop()


def store_settings(url: str) -> ObjectStoreSettings:
    return ObjectStoreSettings(
        url=url,
        bucket=BUCKET,
        access_key_id="test",
        secret_access_key="test",
        # The engine's own pass runs at start-up, then not again during a test: the tests run the pass
        # themselves, so that it is they who decide when the store is up or down.
        poll_s=3600,
    )


def moto_store(server: ThreadedMotoServer) -> ObjectStoreSettings:
    """`store_settings` for the moto server of the `s3` fixture."""
    host, port = server.get_host_and_port()
    return store_settings(f"http://{host}:{port}")


@pytest.fixture
def settings(settings: Settings, s3: ThreadedMotoServer) -> Settings:
    # The WAV itself goes up here: with IE_RECORDINGS__OPUS the engine's pass would hold it back for its
    # transcode (tests/engine/test_recording_opus.py covers that path).
    return settings.model_copy(
        update={
            "object_store": moto_store(s3),
            "recordings": RecordingSettings(opus=False),
        }
    )


async def recording_row(app: FastAPI, session_id: str) -> RecordingRow:
    async with app.state.services.database.transaction() as db:
        row: RecordingRow | None = await db.get(RecordingRow, session_id)
        assert row is not None
        db.expunge(row)
        return row


async def analysis_done(app: FastAPI, session_id: str) -> None:
    async with app.state.services.database.transaction() as db:
        session: SessionRow | None = await db.get(SessionRow, session_id)
        assert session is not None
        session.analysis_status = COMPLETED


async def local_path(app: FastAPI, session_id: str) -> Path:
    async with app.state.services.database.transaction() as db:
        session = await db.get(SessionRow, session_id)
        assert session is not None
        company: str = session.company_id
    settings: Settings = app.state.services.settings
    return settings.recordings_dir / recording_name(company, session_id)


async def upload_first_pass(app: FastAPI, store: ObjectStore, settings: Settings, clock: Clock) -> None:
    """Runs an upload pass and checks the recording is in the bucket afterwards. The engine's own
    start-up pass runs alongside: on a loaded machine it can reach the recording first (CI saw it), and
    then this pass finds nothing left to do; either way the row says uploaded, exactly once."""
    result = await upload_pending(
        app.state.services.database, store, settings.recordings_dir, clock, delete_local=True
    )
    assert not result.failed
    assert result.uploaded in (0, 1)
    async with app.state.services.database.transaction() as db:
        rows = (await db.scalars(select(RecordingRow).where(RecordingRow.uploaded_at.is_not(None)))).all()
    assert len(rows) == 1


async def test_uploaded_recording_is_served_with_range_from_the_bucket(
    app: FastAPI, api: ApiClients, settings: Settings, clock: Clock
) -> None:
    client = await api.client()
    session_id, _ = await booked_session(client)
    content = await seed_media(app, session_id)
    path = await local_path(app, session_id)
    store = ObjectStore(settings.object_store)

    await upload_first_pass(app, store, settings, clock)
    row = await recording_row(app, session_id)
    assert row.object_key == f"recordings/{recording_name(row.company_id, session_id)}"
    assert row.uploaded_at is not None
    assert await store.size(row.object_key) == len(content)
    assert await store.read(row.object_key, 0, len(content) - 1) == content
    # delete_local, but the analysis (which reads the local file) has not run yet: kept.
    assert path.read_bytes() == content
    await analysis_done(app, session_id)
    result = await upload_pending(
        app.state.services.database, store, settings.recordings_dir, clock, delete_local=True
    )
    assert (result.uploaded, result.deleted) == (0, 1)
    assert not path.exists()
    assert (await recording_row(app, session_id)).local_deleted_at is not None

    url = f"/v1/sessions/{session_id}/recording"
    part = await client.get(url, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.content == content[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(content)}"
    assert part.headers["accept-ranges"] == "bytes"
    assert part.headers["cache-control"] == "private, no-store"
    tail = await client.get(url, headers={"Range": "bytes=-100"})
    assert (tail.status_code, tail.content) == (206, content[-100:])
    open_ended = await client.get(url, headers={"Range": f"bytes={len(content) - 10}-"})
    assert (open_ended.status_code, open_ended.content) == (206, content[-10:])
    whole = await client.get(url)
    assert (whole.status_code, whole.content) == (200, content)
    assert whole.headers["content-type"] == "audio/wav"
    beyond = await client.get(url, headers={"Range": "bytes=999999-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(content)}"
    # A second pass has nothing left to do.
    again = await upload_pending(
        app.state.services.database, store, settings.recordings_dir, clock, delete_local=True
    )
    assert (again.uploaded, again.skipped, again.deleted) == (0, 0, 0)


async def test_upload_left_pending_while_the_store_is_down_is_done_after_a_restart(
    settings: Settings, clock: StepClock
) -> None:
    # The first engine sees the store down too (its own start-up pass must not upload behind the test).
    down_settings = store_settings(f"http://127.0.0.1:{free_port()}")
    app = create_app(settings.model_copy(update={"object_store": down_settings}), clock=clock)
    async with app.router.lifespan_context(app):
        api = ApiClients(app, clock)
        try:
            await _store_down_then_restart(
                app, await api.client(), settings, clock, ObjectStore(down_settings)
            )
        finally:
            await api.aclose()


async def _store_down_then_restart(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, clock: Clock, down: ObjectStore
) -> None:
    session_id, _ = await booked_session(client)
    content = await seed_media(app, session_id)
    path = await local_path(app, session_id)

    result = await upload_pending(
        app.state.services.database, down, settings.recordings_dir, clock, delete_local=True
    )
    assert (result.uploaded, result.failed) == (0, True)
    row = await recording_row(app, session_id)
    assert (row.object_key, row.uploaded_at) == (None, None)
    assert path.read_bytes() == content  # kept until the upload is confirmed
    served = await client.get(f"/v1/sessions/{session_id}/recording", headers={"Range": "bytes=0-99"})
    assert (served.status_code, served.content) == (206, content[:100])

    # A fresh engine on the same database and disk: its upload pass finds the pending recording.
    restarted = create_app(settings, clock=clock)
    async with restarted.router.lifespan_context(restarted):
        for _ in range(100):
            row = await recording_row(app, session_id)
            if row.uploaded_at is not None:
                break
            await asyncio.sleep(0.1)
    assert row.object_key is not None
    assert row.uploaded_at is not None
    store = ObjectStore(settings.object_store)
    assert await store.read(row.object_key, 0, len(content) - 1) == content
    assert path.exists()  # IE_OBJECT_STORE__DELETE_LOCAL defaults to false


async def test_store_down_gives_503_for_a_recording_only_in_the_bucket(
    app: FastAPI, api: ApiClients, settings: Settings, clock: Clock, s3: ThreadedMotoServer
) -> None:
    client = await api.client()
    session_id, _ = await booked_session(client)
    await seed_media(app, session_id)
    await analysis_done(app, session_id)
    store = ObjectStore(settings.object_store)
    await upload_first_pass(app, store, settings, clock)
    await asyncio.to_thread(s3.stop)

    response = await client.get(f"/v1/sessions/{session_id}/recording", headers={"Range": "bytes=0-99"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"


def test_presigned_url_is_signed_for_the_key() -> None:
    store = ObjectStore(store_settings("http://127.0.0.1:9"))
    url = store.presigned_url("recordings/a/b.wav", 60)
    assert url.startswith(f"http://127.0.0.1:9/{BUCKET}/recordings/a/b.wav?")
    assert "Signature=" in url or "X-Amz-Signature=" in url


@pytest.mark.parametrize(
    ("header", "span"),
    [
        (None, None),
        ("bytes=0-9,20-29", None),
        ("bytes=0-9", (0, 9)),
        ("bytes=5-", (5, 99)),
        ("bytes=90-500", (90, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=-500", (0, 99)),
    ],
)
def test_single_range(header: str | None, span: tuple[int, int] | None) -> None:
    assert single_range(header, 100) == span


def test_single_range_refuses_an_empty_suffix() -> None:
    with pytest.raises(RangeNotSatisfiable):
        single_range("bytes=-0", 100)
