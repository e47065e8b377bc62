"""The participant export with the recording only in the object store (a real moto server on loopback,
as test_object_store.py): proxied into the archive by ranged reads; with the store down, a 503 before
anything is sent rather than a broken archive."""

from __future__ import annotations

import asyncio
import io
import zipfile

import pytest
from fastapi import FastAPI
from moto.server import ThreadedMotoServer

from engine.clock import Clock
from engine.services import participant_archive
from engine.storage.object_store import ObjectStore
from engine.storage.uploads import upload_pending
from tests.engine.live_helpers import booked_session
from tests.engine.test_object_store import analysis_done, local_path, s3, settings
from tests.engine.test_session_media_api import seed_media
from tests.helpers import ApiClients

__all__ = ["s3", "settings"]  # the fixtures, imported for this module's tests

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_a_recording_only_in_the_bucket_is_exported_from_it(
    app: FastAPI, api: ApiClients, clock: Clock, s3: ThreadedMotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await api.client()
    session_id, _ = await booked_session(client)
    participant_id = (await client.get(f"/v1/sessions/{session_id}")).json()["participant_id"]
    content = await seed_media(app, session_id)
    await analysis_done(app, session_id)
    services = app.state.services
    store = ObjectStore(services.settings.object_store)
    result = await upload_pending(
        services.database, store, services.settings.recordings_dir, clock, delete_local=True
    )
    assert (result.uploaded, result.deleted) == (1, 1)
    assert not (await local_path(app, session_id)).exists()
    # Small ranges, so the copy takes several reads as a long recording would.
    monkeypatch.setattr(participant_archive, "CHUNK", 4096)

    response = await client.get(f"/v1/participants/{participant_id}/export")
    assert response.status_code == 200, response.text
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    [name] = [n for n in archive.namelist() if n.endswith(".wav")]
    assert len(content) > 4 * 4096
    assert archive.read(name) == content
    assert archive.testzip() is None

    await asyncio.to_thread(s3.stop)
    down = await client.get(f"/v1/participants/{participant_id}/export")
    assert down.status_code == 503
    assert down.json()["error"]["code"] == "service_unavailable"
